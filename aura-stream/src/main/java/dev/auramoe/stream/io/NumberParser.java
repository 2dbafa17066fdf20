package dev.auramoe.stream.io;

/**
 * Parses decimal numbers from a slice of a char buffer without allocating in the common case.
 *
 * <p>Accepts an optional sign, digits with an optional fraction, an optional exponent, and
 * (case-insensitive) {@code nan}, {@code inf} and {@code infinity}. Rejects anything else, including
 * what {@link Double#parseDouble} would also take but a data file should not contain as a number
 * (hexadecimal, a {@code d}/{@code f} suffix). Numbers with at most 2<sup>53</sup> as significand and
 * a decimal exponent within ±22 are computed as one exact multiplication or division, which is
 * correctly rounded; the rest (17-digit shortest forms, say) go to fastdoubleparser's
 * {@code JavaDoubleParser}, which rounds exactly as {@link Double#parseDouble} does without creating
 * a string.
 */
final class NumberParser {

  private static final double[] POW10 = new double[23];
  private static final long MAX_EXACT = 1L << 53;

  static {
    double p = 1;
    for (int i = 0; i < POW10.length; i++) {
      POW10[i] = p;
      p *= 10;
    }
  }

  private double value;
  private byte[] ascii = new byte[32];

  /** The value of the last successful {@link #parse}. */
  double value() {
    return value;
  }

  /**
   * Whether the value of the last successful {@link #parse} is one a learner can use: NaN (a
   * missing value), or finite and at most {@link dev.auramoe.stream.data.Instance#MAX_MAGNITUDE}
   * (3.4e38, the float range the model computes in) in magnitude.
   */
  boolean usable() {
    return !(Math.abs(value) > dev.auramoe.stream.data.Instance.MAX_MAGNITUDE);
  }

  /**
   * What is wrong with the value of the last {@link #parse} of {@code buf[from, to)} when it is not
   * {@link #usable}, ending with {@code where}: it is infinite (or overflows a double, like {@code
   * 1e999}), or beyond the float range, so that it would overflow in the model.
   */
  String rangeProblem(char[] buf, int from, int to, String where) {
    if (Double.isInfinite(value)) {
      return "infinite number " + Printable.quoted(buf, from, to) + where;
    }
    return "out-of-range number " + Printable.quoted(buf, from, to) + where
        + " (beyond 3.4e38 in magnitude, the float range the model computes in)";
  }

  /** Parses {@code buf[from, to)} after trimming blanks; false when it is not a number. */
  boolean parse(char[] buf, int from, int to) {
    while (from < to && isBlank(buf[from])) {
      from++;
    }
    while (to > from && isBlank(buf[to - 1])) {
      to--;
    }
    if (from == to) {
      return false;
    }
    int i = from;
    boolean negative = false;
    if (buf[i] == '+' || buf[i] == '-') {
      negative = buf[i] == '-';
      i++;
    }
    if (i < to && Character.isLetter(buf[i])) {
      return special(buf, i, to, negative);
    }
    long mantissa = 0;
    int significant = 0;
    int scale = 0;
    int digits = 0;
    boolean overflow = false;
    for (; i < to && isDigit(buf[i]); i++, digits++) {
      if (significant < 18) {
        mantissa = mantissa * 10 + (buf[i] - '0');
        if (mantissa != 0) {
          significant++;
        }
      } else {
        overflow = true;
        scale++;
      }
    }
    if (i < to && buf[i] == '.') {
      for (i++; i < to && isDigit(buf[i]); i++, digits++) {
        if (significant < 18) {
          mantissa = mantissa * 10 + (buf[i] - '0');
          if (mantissa != 0) {
            significant++;
          }
          scale--;
        } else {
          overflow = true;
        }
      }
    }
    if (digits == 0) {
      return false;
    }
    int exponent = 0;
    if (i < to && (buf[i] == 'e' || buf[i] == 'E')) {
      i++;
      boolean negExp = false;
      if (i < to && (buf[i] == '+' || buf[i] == '-')) {
        negExp = buf[i] == '-';
        i++;
      }
      if (i == to) {
        return false;
      }
      for (; i < to && isDigit(buf[i]); i++) {
        if (exponent < 100_000) {
          exponent = exponent * 10 + (buf[i] - '0');
        }
      }
      exponent = negExp ? -exponent : exponent;
    }
    if (i != to) {
      return false;
    }
    int e10 = scale + exponent;
    double v;
    if (!overflow && mantissa <= MAX_EXACT && e10 >= -22 && e10 <= 22) {
      v = e10 >= 0 ? mantissa * POW10[e10] : mantissa / POW10[-e10];
    } else if (mantissa == 0 && !overflow) {
      v = 0;
    } else {
      // Exact (correctly rounded, as Double.parseDouble) without a String per value.
      // (Its byte[] entry point: the char[] one wraps the array in a MemorySegment every four
      // digits. Every char here is an ASCII digit, sign, dot or exponent letter.)
      int len = to - from;
      if (ascii.length < len) {
        ascii = new byte[Math.max(32, len)];
      }
      for (int k = 0; k < len; k++) {
        ascii[k] = (byte) buf[from + k];
      }
      v = ch.randelshofer.fastdoubleparser.JavaDoubleParser.parseDouble(ascii, 0, len);
      value = v;
      return true;
    }
    value = negative ? -v : v;
    return true;
  }

  private boolean special(char[] buf, int from, int to, boolean negative) {
    if (matches(buf, from, to, "nan")) {
      value = Double.NaN;
      return true;
    }
    if (matches(buf, from, to, "inf") || matches(buf, from, to, "infinity")) {
      value = negative ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
      return true;
    }
    return false;
  }

  private static boolean matches(char[] buf, int from, int to, String word) {
    if (to - from != word.length()) {
      return false;
    }
    for (int i = 0; i < word.length(); i++) {
      if (Character.toLowerCase(buf[from + i]) != word.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  static boolean isBlank(char c) {
    return c == ' ' || c == '\t';
  }
}
