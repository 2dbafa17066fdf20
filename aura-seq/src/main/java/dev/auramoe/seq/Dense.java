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
 * W is input-major ({@code in x out}), as the core's kernels store weights. Each pass is one or two
 * matrix products over all rows on the core's register-blocked {@code gemm} (Vector API when
 * present, as {@link TrainableLiquidCell} describes): {@code Y = X W}, {@code dW += X^T dY} over a
 * transposed copy of X, {@code dX = dY W^T} over a transposed copy of W. The layer keeps no state
 * between forward and backward; the caller passes the same x to both. Neither pass allocates once
 * the backward pass's copies have grown to the largest batch seen.
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
  /** X transposed, made once per backward pass. */
  private float[] xT = new float[0];

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
    float[] bv = b.values();
    for (int r = 0; r < rows; r++) {
      System.arraycopy(bv, 0, y, r * out, out);
    }
    kern.gemm(x, 0, rows, w.values(), in, out, y, 0, true);
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
    float[] gb = b.gradient();
    for (int r = 0; r < rows; r++) {
      int yo = r * out;
      for (int j = 0; j < out; j++) {
        gb[j] += dy[yo + j];
      }
    }
    xT = Buffers.transpose(x, rows, in, xT);
    kern.gemm(xT, 0, in, dy, rows, out, w.gradient(), 0, true);
    if (dx != null) {
      wT = Buffers.transpose(w.values(), in, out, wT);
      kern.gemm(dy, 0, rows, wT, out, in, dx, 0, false);
    }
  }

  private void check(float[] x, int rows, float[] y) {
    if (rows < 0 || x.length < rows * in || y.length < rows * out) {
      throw new IllegalArgumentException("Dense " + w.name() + ": " + rows + " rows need " + rows * in
          + " inputs and " + rows * out + " outputs, got " + x.length + " and " + y.length);
    }
  }
}
