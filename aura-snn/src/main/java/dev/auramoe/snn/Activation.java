package dev.auramoe.snn;

/**
 * An element-wise layer over time-major tensors: spiking neurons ({@link LifNeurons}) in the
 * spiking network, a rectifier ({@link Relu}) in its dense twin. The forward pass keeps what the
 * backward pass needs.
 */
public interface Activation {

  /**
   * @param in steps*n inputs, time-major, not modified
   * @param out receives steps*n outputs (must not alias in)
   */
  void forward(float[] in, int steps, int n, float[] out);

  /**
   * The backward pass of the last forward pass.
   *
   * @param dOut steps*n gradients with respect to the outputs, not modified
   * @param dIn receives steps*n gradients with respect to the inputs (overwritten; may be dOut)
   */
  void backward(float[] dOut, float[] dIn);

  /** Whether the outputs are binary spikes (then a layer fed by them only accumulates). */
  boolean spiking();
}
