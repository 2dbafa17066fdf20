package dev.auramoe.routing.policy;

import dev.auramoe.routing.TopK;

/** Score-and-select for the token policies, over the core's {@link TopK} partial selection. */
final class Selection {

  private Selection() {}

  /**
   * The k best experts of token t by selection score (probability plus bias) into
   * {@code idx[0..k)}, best first, ties to the lower index; {@code scores} (length experts) and
   * {@code val} are scratch.
   */
  static void topKByScore(RoutingProblem p, int t, int k, float[] scores, int[] idx, float[] val) {
    int e = p.experts;
    for (int i = 0; i < e; i++) {
      scores[i] = p.score(t, i);
    }
    TopK.select(scores, e, k, idx, val);
  }
}
