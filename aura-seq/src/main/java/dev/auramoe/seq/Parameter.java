package dev.auramoe.seq;

import java.util.Arrays;
import java.util.Objects;

/**
 * A named float tensor that training changes: its values, the gradient of the loss with respect to
 * them, and its shape (row-major; a matrix of {@code rows x cols} keeps element (i, j) at
 * {@code i * cols + j}).
 *
 * <p>The arrays are live: layers read {@link #values()} and accumulate into {@link #gradient()}, the
 * optimiser writes {@link #values()}. A backward pass adds to the gradient, so a training step starts
 * with {@link #zeroGradient()}.
 *
 * <p>Weight decay applies to matrices only ({@link #decayed()}): a parameter of one dimension is a
 * bias, a time-constant bias or a per-unit gain, an offset whose zero is no prior, and decaying it
 * would pull each unit towards its zero-input operating point (the usual rule of AdamW training,
 * which decays weights and not biases). The rule is by shape, so every layer follows it without
 * naming its biases.
 */
public final class Parameter {

  private final String name;
  private final int[] shape;
  private final float[] values;
  private final float[] gradient;

  /**
   * A zero-filled parameter.
   *
   * @param name a name unique within its model, for reports and error messages
   * @param shape the dimensions, each &gt; 0
   */
  public Parameter(String name, int... shape) {
    this.name = Objects.requireNonNull(name, "name");
    if (shape.length == 0) {
      throw new IllegalArgumentException("parameter " + name + " needs at least one dimension");
    }
    long size = 1;
    for (int d : shape) {
      if (d <= 0) {
        throw new IllegalArgumentException("parameter " + name + " has a dimension <= 0: " + Arrays.toString(shape));
      }
      size *= d;
    }
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("parameter " + name + " is too large: " + Arrays.toString(shape));
    }
    this.shape = shape.clone();
    this.values = new float[(int) size];
    this.gradient = new float[(int) size];
  }

  /** The name. */
  public String name() {
    return name;
  }

  /** A copy of the shape. */
  public int[] shape() {
    return shape.clone();
  }

  /**
   * Whether an optimiser's weight decay applies: true for a parameter of two or more dimensions
   * (a weight matrix), false for a vector (a bias).
   */
  public boolean decayed() {
    return shape.length >= 2;
  }

  /** The number of elements. */
  public int size() {
    return values.length;
  }

  /** The values (live array). */
  public float[] values() {
    return values;
  }

  /** The gradient (live array), accumulated by backward passes. */
  public float[] gradient() {
    return gradient;
  }

  /** Sets the gradient to zero. */
  public void zeroGradient() {
    Arrays.fill(gradient, 0f);
  }

  @Override
  public String toString() {
    return name + Arrays.toString(shape);
  }
}
