package dev.auramoe.seq;

/**
 * The softmax of this module's layers and heads: {@code p_i = exp(z_i - max z) / sum_j exp(z_j - max z)},
 * in double with {@link StrictMath#exp}, rounded to float, so that a seed gives the same bits in
 * every JIT tier (as {@link Losses}). Shifting by the maximum keeps every exponent at most 0.
 */
public final class Softmax {

  private Softmax() {}

  /**
   * The softmax of {@code z[zo .. zo + n)} into {@code p[po .. po + n)} (p may be z at the same offset).
   *
   * @param n at least 1
   */
  public static void of(float[] z, int zo, int n, float[] p, int po) {
    double max = max(z, zo, n);
    double inv = 1 / sumExp(z, zo, n, max);
    for (int i = 0; i < n; i++) {
      p[po + i] = (float) (StrictMath.exp(z[zo + i] - max) * inv);
    }
  }

  /** The largest of {@code z[zo .. zo + n)}, the shift of the exponents (-infinity when n is 0). */
  static double max(float[] z, int zo, int n) {
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < n; i++) {
      max = Math.max(max, z[zo + i]);
    }
    return max;
  }

  /**
   * The softmax's normaliser {@code sum_i exp(z_i - max)}, in double with {@link StrictMath#exp},
   * summed in index order; {@link Losses#softmaxCrossEntropy} takes its log-sum-exp from it.
   */
  static double sumExp(float[] z, int zo, int n, double max) {
    double sum = 0;
    for (int i = 0; i < n; i++) {
      sum += StrictMath.exp(z[zo + i] - max);
    }
    return sum;
  }

  /** The softmax of each of {@code rows} rows of {@code n} values. */
  public static void rows(float[] z, int rows, int n, float[] p) {
    for (int r = 0; r < rows; r++) {
      of(z, r * n, n, p, r * n);
    }
  }
}
