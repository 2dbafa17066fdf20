package dev.auramoe.routing;

/** Partial selection of the k largest scores, without sorting all of them and without allocating. */
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

  /** Strictly better: larger, or a number against NaN (NaN ranks below every number, -Infinity too). */
  private static boolean beats(float s, float t) {
    return s > t || (t != t && s == s);
  }
}
