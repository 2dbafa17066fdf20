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
public final class FunctionExpert extends AbstractExpert {

  /** The wrapped function: writes f(x) into out. */
  @FunctionalInterface
  public interface VectorFunction {
    /**
     * @param x input; must not be modified
     * @param out output; overwritten
     */
    void apply(float[] x, float[] out);
  }

  private final VectorFunction f;
  private final long macs;

  /**
   * @param macs the MACs one call costs, for the energy meter (declared by the caller)
   */
  public FunctionExpert(String name, int inputDim, int outputDim, VectorFunction f, long macs) {
    super(name, inputDim, outputDim);
    this.f = Objects.requireNonNull(f, "function");
    if (macs < 0) {
      throw new IllegalArgumentException("macs must be >= 0, got " + macs);
    }
    this.macs = macs;
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
    return copy(name);
  }

  @Override
  public FunctionExpert copy(String newName) {
    return new FunctionExpert(newName, in, out, f, macs);
  }
}
