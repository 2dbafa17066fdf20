package dev.auramoe.stream.io;

/**
 * How {@link CsvReader} types its target column, whose type a CSV file does not declare.
 */
public enum TargetType {
  /**
   * Classification when the target looks like class labels, regression otherwise: a column that is
   * not entirely numeric is nominal; a numeric column whose values are all integers, with at most
   * {@value CsvReader#AUTO_MAX_CLASSES} distinct values, is nominal too (labels in ascending numeric
   * order); any other numeric column is numeric.
   */
  AUTO,
  /** Always nominal: numeric-looking values become labels ("1" and "1.0" are the same label). */
  NOMINAL,
  /** Always numeric: a row whose target is not a number is a malformed row. */
  NUMERIC
}
