package dev.auramoe.experts;

import java.util.Objects;

/**
 * A frozen expert wrapping any function. It never learns; snapshots record its name and shape, and
 * loading one needs the same function supplied again.
 *
 * <pre>{@code
 * Expert sq = new FunctionExpert("square", 1, 1, (x, y) -> y[0] = x[0] * x[0], 1);
 * }</pre>
 */
public final class FunctionExpert implements Expert {

  /** The wrapped function: writes f(x) into out. */
  @FunctionalInterface
  public interface VectorFunction {
    /**
     * @param x input; must not be modified
     * @param out output; overwritten
     */
    void apply(float[] x, float[] out);
  }

  private final String name;
  private final int in;
  private final int out;
  private final VectorFunction f;
  private final long macs;

  /**
   * @param macs the MACs one call costs, for the energy meter (declared by the caller)
   */
  public FunctionExpert(String name, int inputDim, int outputDim, VectorFunction f, long macs) {
    this.name = Objects.requireNonNull(name, "name");
    this.f = Objects.requireNonNull(f, "function");
    if (inputDim <= 0 || outputDim <= 0) {
      throw new IllegalArgumentException("dimensions must be > 0, got " + inputDim + "x" + outputDim);
    }
    if (macs < 0) {
      throw new IllegalArgumentException("macs must be >= 0, got " + macs);
    }
    this.in = inputDim;
    this.out = outputDim;
    this.macs = macs;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public int inputDim() {
    return in;
  }

  @Override
  public int outputDim() {
    return out;
  }

  @Override
  public void predict(float[] x, float[] y) {
    f.apply(x, y);
  }

  @Override
  public long predictMacs() {
    return macs;
  }

  @Override
  public String kind() {
    return "function";
  }

  @Override
  public double[] hyperParameters() {
    return new double[] {macs};
  }

  /** The wrapped function. */
  public VectorFunction function() {
    return f;
  }

  @Override
  public FunctionExpert copy() {
    return new FunctionExpert(name, in, out, f, macs);
  }
}
