package dev.auramoe.stream.data;

import java.util.Arrays;

/**
 * One row of a stream, reused from row to row: a value per column of its {@link Schema} (numeric
 * values as themselves, nominal ones as their index, missing as NaN) and the line of the source
 * file it came from (0 for generated rows).
 */
public final class Instance {

  /**
   * The largest magnitude of a usable numeric value: the model computes in float, so a larger value
   * (finite as a double, like 1e300) would overflow there. The readers make a row holding one
   * malformed, and the learner refuses such a target.
   */
  public static final double MAX_MAGNITUDE = Float.MAX_VALUE;

  private final double[] values;
  private long line;

  public Instance(int columns) {
    this.values = new double[columns];
  }

  public Instance(Schema schema) {
    this(schema.size());
  }

  /** The backing array: column i at index i. Writable. */
  public double[] values() {
    return values;
  }

  public double value(int column) {
    return values[column];
  }

  public void set(int column, double v) {
    values[column] = v;
  }

  public boolean isMissing(int column) {
    return Double.isNaN(values[column]);
  }

  /** The 1-based line of the source file, or 0. */
  public long line() {
    return line;
  }

  public void setLine(long line) {
    this.line = line;
  }

  /** Copies another instance's values and line into this one. */
  public void copyFrom(Instance other) {
    if (other.values.length != values.length) {
      throw new IllegalArgumentException("column counts differ: " + other.values.length + " and " + values.length);
    }
    System.arraycopy(other.values, 0, values, 0, values.length);
    line = other.line;
  }

  @Override
  public String toString() {
    return "Instance" + Arrays.toString(values) + (line > 0 ? " (line " + line + ")" : "");
  }
}
