package dev.auramoe.routing.policy;

/** Shared partial-selection helpers (no allocation; ties go to the lower index). */
final class Selection {

  private Selection() {}

  /** Whether (a, ia) ranks before (b, ib): larger value first, then lower index; NaN last. */
  static boolean before(float a, int ia, float b, int ib) {
    if (a != a) {
      return false;
    }
    if (b != b) {
      return true;
    }
    return a > b || (a == b && ia < ib);
  }

  /**
   * Indices of the k best of {@code v[off + i]}, i &lt; n, best first, into {@code idx[0..k)};
   * {@code val} is scratch of length k. Cost O(n k).
   */
  static void topK(float[] v, int off, int n, int k, int[] idx, float[] val) {
    int c = 0;
    for (int i = 0; i < n; i++) {
      float x = v[off + i];
      if (c == k && !before(x, i, val[k - 1], idx[k - 1])) {
        continue;
      }
      int pos = c < k ? c++ : k - 1;
      while (pos > 0 && before(x, i, val[pos - 1], idx[pos - 1])) {
        val[pos] = val[pos - 1];
        idx[pos] = idx[pos - 1];
        pos--;
      }
      val[pos] = x;
      idx[pos] = i;
    }
  }

  /**
   * The k best experts of token t by selection score (probability plus bias) into
   * {@code idx[0..k)}, best first; {@code scores} (length experts) and {@code val} are scratch.
   */
  static void topKByScore(RoutingProblem p, int t, int k, float[] scores, int[] idx, float[] val) {
    int e = p.experts;
    for (int i = 0; i < e; i++) {
      scores[i] = p.score(t, i);
    }
    topK(scores, 0, e, k, idx, val);
  }
}
