package dev.auramoe.stream.io;

/**
 * What a file reader does with a row it cannot read (wrong number of fields, a value that is not a
 * number or out of range, an unknown nominal value, an unterminated quote in an ARFF row). An
 * unterminated quote in a CSV file is no row to skip: it would take the rest of the file with it, so
 * {@link CsvReader} fails under either policy.
 */
public enum MalformedRowPolicy {
  /**
   * Skip the row and go on. The reader counts every skipped row, keeps the first few problems and
   * hands every one to the listener of its {@link ReadOptions}, so no row is dropped unreported.
   */
  SKIP,
  /** Throw a {@link dev.auramoe.stream.data.MalformedRowException} naming the file, line and reason. */
  ABORT
}
