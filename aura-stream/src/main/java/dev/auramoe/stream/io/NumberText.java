package dev.auramoe.stream.io;

/** Numbers as text that reads back to the same double: integers without a fraction, others shortest round trip. */
final class NumberText {

  private static final double EXACT_LONG = 1e15;

  private NumberText() {}

  /**
   * Appends {@code v} (not NaN) to {@code out}: an integral value below 10^15 in magnitude as a plain integer
   * ({@code 42}), any other as {@link Double#toString(double)}, the shortest decimal that parses back to {@code v}
   * ({@code 0.1}, {@code 1.0E-5}, {@code -0.0}, {@code Infinity}).
   */
  static void append(StringBuilder out, double v) {
    if (v == Math.rint(v) && Math.abs(v) < EXACT_LONG && !(v == 0 && 1 / v < 0)) {
      out.append((long) v);
    } else {
      out.append(v);
    }
  }
}
