package dev.auramoe.routing.policy;

/**
 * The token-choice loop of {@link TopKPolicy} and {@link NullExpertPolicy}: each real token takes its
 * k best experts by selection score ({@link Selection#topKByScore}), optionally keeps the router's
 * own first choice ({@link Selection#keepRouterTop}), then gives up to {@code nullSlots} of its
 * weakest slots (never the first) to null experts when their expert's router probability is below
 * {@code nullScore}, while more than {@code minReal} real experts remain; the real slots' weights
 * are the probabilities renormalised among themselves. With no null slots this is plain top-k.
 * Holds the scratch space of one policy. Token choice routes one token at a time, so it never needs
 * the whole window. Its public methods are not final: javac then writes public bridges for them into
 * the public policies, so that reflection reaches them through those classes.
 */
abstract sealed class TokenChoice implements RoutingPolicy permits TopKPolicy, NullExpertPolicy {

  private final int k;
  private final boolean keepRouterTop;
  private final int nullSlots;
  private final float nullScore;
  private final int minReal;
  private float[] scores = new float[0];
  private final int[] idx;
  private final float[] val;

  TokenChoice(int k, boolean keepRouterTop, int nullSlots, float nullScore, int minReal) {
    this.k = k;
    this.keepRouterTop = keepRouterTop;
    this.nullSlots = nullSlots;
    this.nullScore = nullScore;
    this.minReal = minReal;
    this.idx = new int[k];
    this.val = new float[k];
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
        if (keepRouterTop) {
          Selection.keepRouterTop(p, t, k, idx);
        }
        // The real experts compete with the null slots on their router probability (the selection
        // bias only orders real experts among themselves): an expert less likely than nullScore
        // gives its slot to a null expert, as long as minReal real experts remain. The first slot
        // (the router's top expert when it is kept) never gives way.
        int real = k;
        int nulls = 0;
        for (int j = k - 1; j >= 1 && real > minReal && nulls < nullSlots; j--) {
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
