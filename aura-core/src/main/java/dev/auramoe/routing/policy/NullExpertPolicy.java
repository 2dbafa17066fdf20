package dev.auramoe.routing.policy;

/**
 * Null experts (after Zeng et al. 2024, "AdaMoE: token-adaptive routing with null experts"): top-k
 * over the real experts plus {@code nullExperts} zero-cost slots, each null slot scoring
 * {@code nullScore} (in the units of probability plus bias). A token whose real experts are
 * unconvincing gives some of its k slots to null experts and so uses fewer real experts; null
 * slots compute nothing (their energy is metered as zero) and the real slots' weights are
 * renormalised among themselves. At least {@code minReal} real experts are always kept, so every
 * token gets an output.
 *
 * <ul>
 *   <li>{@code nullScore} 0: a null slot wins only against experts of probability 0 (no effect);
 *       1/E (the uniform probability): experts less likely than average give way to null slots.
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
   * @param nullScore the selection score of a null slot, finite
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
    int e = p.experts;
    if (k > e) {
      throw new IllegalArgumentException("k = " + k + " is larger than the number of experts (" + e + ")");
    }
    int n = e + nullExperts;
    if (scores.length < n) {
      scores = new float[n];
    }
    out.reset(p.tokens, e);
    for (int t = 0; t < p.tokens; t++) {
      if (p.isValid(t)) {
        for (int i = 0; i < e; i++) {
          scores[i] = p.score(t, i);
        }
        for (int i = e; i < n; i++) {
          scores[i] = nullScore;
        }
        Selection.topK(scores, 0, n, k, idx, val);
        int real = 0;
        for (int j = 0; j < k; j++) {
          if (idx[j] < e) {
            real++;
          }
        }
        // Too few real experts: the best-scored null slots give way to the best unchosen experts.
        int need = Math.max(0, minReal - real);
        if (need > 0) {
          Selection.topK(scores, 0, e, minReal, idx, val);
          for (int j = 0; j < minReal; j++) {
            out.add(idx[j], p.probability(t, idx[j]));
          }
          for (int j = minReal; j < k; j++) {
            out.add(Assignment.NULL_EXPERT, 0f);
          }
        } else {
          for (int j = 0; j < k; j++) {
            if (idx[j] < e) {
              out.add(idx[j], p.probability(t, idx[j]));
            } else {
              out.add(Assignment.NULL_EXPERT, 0f);
            }
          }
        }
      }
      out.endToken(t);
      out.normalise(t);
    }
  }
}
