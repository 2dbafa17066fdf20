package dev.auramoe.snn;

/** max(x, 0), the dense twin's activation: {@code dIn = dOut} where the input was positive, 0 elsewhere. */
public final class Relu implements Activation {

  private float[] mask = new float[0];
  private int size;

  @Override
  public void forward(float[] in, int steps, int n, float[] out) {
    if (steps <= 0 || n <= 0 || in.length < steps * n || out.length < steps * n) {
      throw new IllegalArgumentException("ReLU over " + steps + " x " + n + " needs that many inputs and outputs, got "
          + in.length + " and " + out.length);
    }
    size = steps * n;
    if (mask.length < size) {
      mask = new float[size];
    }
    for (int i = 0; i < size; i++) {
      float x = in[i];
      boolean on = x > 0f;
      mask[i] = on ? 1f : 0f;
      out[i] = on ? x : 0f;
    }
  }

  @Override
  public void backward(float[] dOut, float[] dIn) {
    if (size == 0) {
      throw new IllegalStateException("ReLU backward before any forward pass");
    }
    if (dOut.length < size || dIn.length < size) {
      throw new IllegalArgumentException("ReLU backward needs " + size + " values");
    }
    for (int i = 0; i < size; i++) {
      dIn[i] = dOut[i] * mask[i];
    }
  }

  @Override
  public boolean spiking() {
    return false;
  }
}
