package dev.auramoe.seq;

import dev.auramoe.internal.vector.KernelProvider;
import dev.auramoe.internal.vector.KernelSupport;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * A fully connected layer over a batch of row vectors.
 *
 * <pre>
 * y[r][j] = b[j] + sum_{i &lt; in} x[r][i] * W[i][j]          (r &lt; rows, j &lt; out)
 * dW[i][j] += sum_r x[r][i] * dy[r][j]
 * db[j]    += sum_r dy[r][j]
 * dx[r][i]  = sum_j W[i][j] * dy[r][j]
 * </pre>
 *
 * W is input-major ({@code in x out}), as the core's kernels store weights: the forward product
 * streams W once per row while broadcasting one input at a time. The products run on the core's
 * kernels (Vector API when present, as {@link TrainableLiquidCell} describes). The layer keeps no
 * state between forward and backward; the caller passes the same x to both. Neither pass allocates
 * once the backward pass's copy of W has been made.
 */
public final class Dense implements Trainable {

  private final int in;
  private final int out;
  private final Parameter w;
  private final Parameter b;
  private final List<Parameter> parameters;
  private final KernelSupport kern;
  /** W transposed, made once per backward pass that needs dx. */
  private float[] wT = new float[0];

  /**
   * A layer with Xavier-uniform weights and zero biases.
   *
   * @param name prefix of the parameters' names ({@code name.W}, {@code name.b})
   */
  public Dense(String name, int in, int out, Random random) {
    this(name, in, out, random, KernelProvider.get());
  }

  /** A layer on the given kernels (tests compare the scalar and the Vector API ones). */
  Dense(String name, int in, int out, Random random, KernelSupport kernels) {
    this.kern = Objects.requireNonNull(kernels, "kernels");
    if (in <= 0 || out <= 0) {
      throw new IllegalArgumentException("Dense " + name + " needs in > 0 and out > 0, got " + in + ", " + out);
    }
    this.in = in;
    this.out = out;
    this.w = new Parameter(name + ".W", in, out);
    this.b = new Parameter(name + ".b", out);
    this.parameters = List.of(w, b);
    Init.xavierUniform(w.values(), in, out, 1f, random);
  }

  /** Input width. */
  public int inputDim() {
    return in;
  }

  /** Output width. */
  public int outputDim() {
    return out;
  }

  /** The weights W, {@code in x out}. */
  public Parameter weights() {
    return w;
  }

  /** The biases b. */
  public Parameter bias() {
    return b;
  }

  @Override
  public List<Parameter> parameters() {
    return parameters;
  }

  /**
   * The forward pass.
   *
   * @param x rows*in inputs, not modified
   * @param y receives rows*out outputs (must not alias x)
   */
  public void forward(float[] x, int rows, float[] y) {
    check(x, rows, y);
    float[] wv = w.values();
    float[] bv = b.values();
    for (int r = 0; r < rows; r++) {
      int yo = r * out;
      System.arraycopy(bv, 0, y, yo, out);
      kern.gemv(wv, in, out, x, r * in, y, yo, true);
    }
  }

  /**
   * The backward pass: accumulates dW and db, and writes dx.
   *
   * @param x the forward pass's inputs, not modified
   * @param dy rows*out gradients of the loss with respect to y, not modified
   * @param dx receives rows*in gradients with respect to x (overwritten), or null when not needed
   */
  public void backward(float[] x, float[] dy, int rows, float[] dx) {
    check(x, rows, dy);
    if (dx != null && dx.length < rows * in) {
      throw new IllegalArgumentException("Dense dx needs " + rows * in + " values, has " + dx.length);
    }
    float[] wv = w.values();
    if (dx != null) {
      if (wT.length < in * out) {
        wT = new float[in * out];
      }
      for (int i = 0; i < in; i++) {
        for (int j = 0; j < out; j++) {
          wT[j * in + i] = wv[i * out + j];
        }
      }
    }
    float[] gw = w.gradient();
    float[] gb = b.gradient();
    for (int r = 0; r < rows; r++) {
      int yo = r * out;
      int xo = r * in;
      for (int j = 0; j < out; j++) {
        gb[j] += dy[yo + j];
      }
      for (int i = 0; i < in; i++) {
        kern.axpy(x[xo + i], dy, yo, gw, i * out, out);
      }
      if (dx != null) {
        // dx = W dy as an input-major product over the transposed copy (a streaming product,
        // where a dot product per input would be a reduction per input).
        kern.gemv(wT, out, in, dy, yo, dx, xo, false);
      }
    }
  }

  private void check(float[] x, int rows, float[] y) {
    if (rows < 0 || x.length < rows * in || y.length < rows * out) {
      throw new IllegalArgumentException("Dense " + w.name() + ": " + rows + " rows need " + rows * in
          + " inputs and " + rows * out + " outputs, got " + x.length + " and " + y.length);
    }
  }
}
