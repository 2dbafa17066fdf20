package dev.auramoe.experts;

import java.util.Objects;

/**
 * Name and shape of an expert, validated once: a convenient base for {@link Expert}
 * implementations, including users' own.
 */
public abstract class AbstractExpert implements Expert {

  /** The expert's name. */
  protected final String name;
  /** Input dimension. */
  protected final int in;
  /** Output dimension. */
  protected final int out;

  /**
   * @throws NullPointerException for a null name
   * @throws IllegalArgumentException for a non-positive dimension
   */
  protected AbstractExpert(String name, int inputDim, int outputDim) {
    this.name = Objects.requireNonNull(name, "name");
    if (inputDim <= 0 || outputDim <= 0) {
      throw new IllegalArgumentException("dimensions must be > 0, got " + inputDim + "x" + outputDim);
    }
    this.in = inputDim;
    this.out = outputDim;
  }

  @Override
  public final String name() {
    return name;
  }

  @Override
  public final int inputDim() {
    return in;
  }

  @Override
  public final int outputDim() {
    return out;
  }
}
