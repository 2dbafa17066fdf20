package dev.auramoe.routing;

/**
 * Partial selection of the k largest scores, without sorting all of them and without allocating: the
 * one top-k of the project, used by the model's built-in routing and by the routing policies alike.
 */
public final class TopK {

  private TopK() {}

  /**
   * Writes the indices of the {@code k} largest {@code score[0..n)} into {@code out[0..k)}, largest
   * first. Ties go to the lower index, so the result is deterministic. NaN scores rank below every
   * number. Cost O(n k).
   *
   * @param score not modified
   * @param out modified, length at least k
   * @param outScores scratch of length at least k, modified
   */
  public static void select(float[] score, int n, int k, int[] out, float[] outScores) {
    int c = 0;
    for (int i = 0; i < n; i++) {
      float s = score[i];
      if (c == k && !beats(s, outScores[k - 1])) {
        // equal scores keep the earlier (lower) index
        continue;
      }
      int pos = c < k ? c++ : k - 1;
      while (pos > 0 && beats(s, outScores[pos - 1])) {
        outScores[pos] = outScores[pos - 1];
        out[pos] = out[pos - 1];
        pos--;
      }
      outScores[pos] = s;
      out[pos] = i;
    }
  }

  /**
   * Token choice: the {@code k} experts of highest selection score {@code probs[off + i] + bias[i]}
   * (the probability alone when bias is null) into {@code out[0..k)}, best first, ties to the lower
   * index, as {@link #select} ranks them.
   *
   * @param probs not modified; the token's {@code n} probabilities start at {@code off}
   * @param bias the balancer's selection bias per expert, or null; not modified
   * @param scores scratch of length at least n, modified (the scores)
   * @param outScores scratch of length at least k, modified
   */
  public static void selectByScore(float[] probs, int off, float[] bias, int n, int k, float[] scores, int[] out,
      float[] outScores) {
    if (bias == null) {
      System.arraycopy(probs, off, scores, 0, n);
    } else {
      for (int i = 0; i < n; i++) {
        scores[i] = probs[off + i] + bias[i];
      }
    }
    select(scores, n, k, out, outScores);
  }

  /** Strictly better: larger, or a number against NaN (NaN ranks below every number, -Infinity too). */
  private static boolean beats(float s, float t) {
    return s > t || (t != t && s == s);
  }
}
