/**
 * Spiking neural networks trained by backpropagation through time with surrogate gradients.
 *
 * <p>{@link dev.auramoe.snn.LifNeurons} are leaky integrate-and-fire neurons over T time steps
 * ({@link dev.auramoe.snn.LifConfig}: time constant, threshold, hard or soft reset, detached
 * reset), whose backward pass replaces the spike's derivative by a {@link dev.auramoe.snn.Surrogate}
 * (arctan or sigmoid). The convolutional stem of the spiking patch embedding is
 * {@link dev.auramoe.snn.Conv2d} (channels-last, im2col and the core's gemm, with the counts of dense
 * MACs and spike-driven accumulates for energy estimates), {@link dev.auramoe.snn.MaxPool2d} and
 * {@link dev.auramoe.snn.BatchNorm} (foldable into the layer before it for inference); the time steps
 * fold into their batch. The other layers with weights, the optimiser and the losses are aura-seq's
 * training pieces ({@code dev.auramoe.seq}).
 */
package dev.auramoe.snn;
