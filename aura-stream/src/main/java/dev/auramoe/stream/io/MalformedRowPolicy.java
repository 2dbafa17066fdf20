package dev.auramoe.stream.io;

/**
 * What a file reader does with a row it cannot read (wrong number of fields, a value that is not a
 * number, an unknown nominal value, an unterminated quote).
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
