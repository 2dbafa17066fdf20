/** Validated vector math facade over the selected kernels. */
package dev.auramoe.math;
