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
    TopK.selectByScore(p.probs, t * p.experts, p.bias, p.experts, k, scores, idx, val);
  }

  /**
   * Makes sure the router's own first choice (the expert of highest probability, ties to the lower
   * index) is among {@code idx[0..k)}: if the selection bias pushed it out, it takes the weakest
   * slot. It is then moved to {@code idx[0]}, the others keeping their order.
   *
   * @return the router's first choice
   */
  static int keepRouterTop(RoutingProblem p, int t, int k, int[] idx) {
    int e = p.experts;
    int base = t * e;
    int top = 0;
    for (int i = 1; i < e; i++) {
      if (p.probs[base + i] > p.probs[base + top]) {
        top = i;
      }
    }
    int at = k - 1;
    for (int j = 0; j < k; j++) {
      if (idx[j] == top) {
        at = j;
        break;
      }
    }
    System.arraycopy(idx, 0, idx, 1, at);
    idx[0] = top;
    return top;
  }

  /**
   * The start of a token-choice policy's {@code route}: checks that k experts exist, grows the
   * policy's score scratch to the experts, and resets the assignment for the window.
   *
   * @return the score scratch, at least {@code experts} long
   */
  static float[] begin(RoutingProblem p, int k, float[] scores, Assignment out) {
    int e = p.experts;
    if (k > e) {
      throw new IllegalArgumentException("k = " + k + " is larger than the number of experts (" + e + ")");
    }
    out.reset(p.tokens, e);
    return scores.length < e ? new float[e] : scores;
  }
}
