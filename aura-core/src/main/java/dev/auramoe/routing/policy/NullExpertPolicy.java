package dev.auramoe.routing.policy;

/**
 * Null experts (after Zeng et al. 2024, "AdaMoE: token-adaptive routing with null experts"): k
 * slots per token, chosen among the real experts and {@code nullExperts} zero-cost null slots that
 * each stand for router probability {@code nullScore}. The k best real experts (by probability
 * plus selection bias) are taken, and each whose router probability is below {@code nullScore}
 * gives its slot to a null expert, weakest first, while at least {@code minReal} real experts
 * remain. A confident token thus uses fewer real experts; null slots compute nothing (their energy
 * is metered as zero) and the real slots' weights are renormalised among themselves.
 *
 * <p>The router's most likely expert always keeps its slot, whatever the selection bias: with
 * fewer slots per token, the balancer would otherwise raise the bias of the experts that lost
 * their second-choice load until it pushes confident tokens onto a single expert the router rates
 * near zero. (On the demo stream that misrouted about 12% of tokens and doubled the error.)
 *
 * <ul>
 *   <li>{@code nullScore} 0: no effect (top-k with the router's top expert kept); 1/E (the
 *       uniform probability): experts less likely than average give way; 1: every token keeps only
 *       {@code minReal} experts.
 * </ul>
 */
public final class NullExpertPolicy implements RoutingPolicy {

  private final int k;
  private final int nullExperts;
  private final float nullScore;
  private final int minReal;
  private float[] scores = new float[0];
  private final int[] idx;
  private final float[] val;

  /**
   * @param k slots per token (real plus null), at least 1
   * @param nullExperts null slots on offer, at least 1
   * @param nullScore the router probability a real expert must reach to keep its slot, finite
   * @param minReal real experts always kept, in [1, k]
   */
  public NullExpertPolicy(int k, int nullExperts, float nullScore, int minReal) {
    if (k <= 0 || nullExperts <= 0 || minReal < 1 || minReal > k) {
      throw new IllegalArgumentException("need k >= 1, nullExperts >= 1 and 1 <= minReal <= k, got " + k + ", "
          + nullExperts + ", " + minReal);
    }
    if (!Float.isFinite(nullScore)) {
      throw new IllegalArgumentException("nullScore must be finite, got " + nullScore);
    }
    this.k = k;
    this.nullExperts = nullExperts;
    this.nullScore = nullScore;
    this.minReal = minReal;
    this.idx = new int[k];
    this.val = new float[k];
  }

  @Override
  public String name() {
    return String.format(java.util.Locale.ROOT, "null-experts(k=%d, %d null, score %.3f)", k, nullExperts, nullScore);
  }

  @Override
  public boolean needsWholeWindow() {
    return false;
  }

  @Override
  public void route(RoutingProblem p, Assignment out) {
    scores = Selection.begin(p, k, scores, out);
    for (int t = 0; t < p.tokens; t++) {
      if (p.isValid(t)) {
        Selection.topKByScore(p, t, k, scores, idx, val);
        Selection.keepRouterTop(p, t, k, idx);
        // The real experts compete with the null slots on their router probability (the selection
        // bias only orders real experts among themselves): an expert less likely than nullScore
        // gives its slot to a null expert, as long as minReal real experts remain. The router's
        // top expert, now in idx[0], never gives way.
        int real = k;
        int nulls = 0;
        for (int j = k - 1; j >= 1 && real > minReal && nulls < nullExperts; j--) {
          if (p.probability(t, idx[j]) < nullScore) {
            idx[j] = -1;
            real--;
            nulls++;
          }
        }
        for (int j = 0; j < k; j++) {
          if (idx[j] >= 0) {
            out.add(idx[j], p.probability(t, idx[j]));
          } else {
            out.add(Assignment.NULL_EXPERT, 0f);
          }
        }
      }
      out.endToken(t);
      out.normalise(t);
    }
  }
}
