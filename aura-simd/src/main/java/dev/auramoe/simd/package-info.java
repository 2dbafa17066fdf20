/**
 * Vector API kernels. Loaded by name from {@code dev.auramoe.internal.vector.KernelProvider} when
 * {@code jdk.incubator.vector} is present; nothing else in aura-moe imports the incubator API.
 */
package dev.auramoe.simd;
