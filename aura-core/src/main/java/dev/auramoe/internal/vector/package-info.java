/**
 * Internal: kernel SPI, scalar kernels and run-time selection of the Vector API kernels. Not part of
 * the public API.
 */
package dev.auramoe.internal.vector;
