/**
 * Spiking neural networks trained by backpropagation through time with surrogate gradients.
 *
 * <p>{@link dev.auramoe.snn.LifNeurons} are leaky integrate-and-fire neurons over T time steps
 * ({@link dev.auramoe.snn.LifConfig}: time constant, threshold, hard or soft reset, detached
 * reset), whose backward pass replaces the spike's derivative by a {@link dev.auramoe.snn.Surrogate}
 * (arctan or sigmoid). The layers with weights, the optimiser and the losses are aura-seq's training
 * pieces ({@code dev.auramoe.seq}).
 */
package dev.auramoe.snn;
