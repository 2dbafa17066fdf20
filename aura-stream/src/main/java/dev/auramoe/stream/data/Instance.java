package dev.auramoe.stream.data;

import java.util.Arrays;

/**
 * One row of a stream, reused from row to row: a value per column of its {@link Schema} (numeric
 * values as themselves, nominal ones as their index, missing as NaN), the text of each text column
 * ({@link #text(int)}; its value is 0, or NaN when the text is missing) and the line of the source
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
  /** The text of each text column (null elsewhere and when missing); null when the schema has none. */
  private final String[] texts;
  private long line;

  /** An instance of {@code columns} values and no text column. */
  public Instance(int columns) {
    this.values = new double[columns];
    this.texts = null;
  }

  /** An instance of the schema's columns, with room for the texts of its text columns. */
  public Instance(Schema schema) {
    this.values = new double[schema.size()];
    this.texts = schema.hasText() ? new String[schema.size()] : null;
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

  /**
   * The texts: column i at index i, null where the column is not text or its text is missing.
   * Writable. Null when the instance was made without text columns.
   */
  public String[] texts() {
    return texts;
  }

  /** The text of a text column; null when it is missing or the instance has no text columns. */
  public String text(int column) {
    return texts == null ? null : texts[column];
  }

  /**
   * Sets the text of a text column (null: missing), and its value to 0 (NaN when missing).
   *
   * @throws IllegalStateException when the instance was made without text columns
   */
  public void setText(int column, String text) {
    if (texts == null) {
      throw new IllegalStateException("this instance has no text columns: make it with new Instance(schema)");
    }
    texts[column] = text;
    values[column] = text == null ? Double.NaN : 0;
  }

  /** The 1-based line of the source file, or 0. */
  public long line() {
    return line;
  }

  public void setLine(long line) {
    this.line = line;
  }

  /**
   * Copies another instance's values, texts and line into this one.
   *
   * @throws IllegalArgumentException when the column counts differ, or the other has texts and this
   *     one has no room for them
   */
  public void copyFrom(Instance other) {
    if (other.values.length != values.length) {
      throw new IllegalArgumentException("column counts differ: " + other.values.length + " and " + values.length);
    }
    if (other.texts != null && texts == null) {
      throw new IllegalArgumentException("the other instance has texts and this one has no text columns");
    }
    System.arraycopy(other.values, 0, values, 0, values.length);
    if (texts != null) {
      if (other.texts == null) {
        java.util.Arrays.fill(texts, null);
      } else {
        System.arraycopy(other.texts, 0, texts, 0, texts.length);
      }
    }
    line = other.line;
  }

  @Override
  public String toString() {
    return "Instance" + Arrays.toString(values) + (line > 0 ? " (line " + line + ")" : "");
  }
}
