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
public final class NullExpertPolicy extends TokenChoice {

  private final int k;
  private final int nullExperts;
  private final float nullScore;

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
    super(k, true, nullExperts, nullScore, minReal);
    this.k = k;
    this.nullExperts = nullExperts;
    this.nullScore = nullScore;
  }

  @Override
  public String name() {
    return String.format(java.util.Locale.ROOT, "null-experts(k=%d, %d null, score %.3f)", k, nullExperts, nullScore);
  }
}
