package dev.auramoe.routing.policy;

/**
 * Expert choice (Zhou et al. 2022, "Mixture-of-experts with expert choice routing"): each expert
 * takes its {@code capacity} highest-probability tokens of the window,
 *
 * <pre>capacity = clamp(round(validTokens * capacityFactor / experts), 1, validTokens)</pre>
 *
 * so load is perfectly even by construction, while a token may get several experts or none. A
 * token's weights are its router probabilities for the experts that took it, not renormalised
 * (as in the paper); a token no expert took gets no slot, and its output falls back to the
 * caller's default. Needs the whole window, so a streaming or causal caller must refuse it.
 */
public final class ExpertChoicePolicy implements RoutingPolicy {

  private final float capacityFactor;
  private int[] picked = new int[0];
  private float[] col = new float[0];
  private float[] val = new float[0];
  private boolean[] takes = new boolean[0];
  private int[] validIdx = new int[0];

  /** @param capacityFactor tokens per expert relative to an even share; 1 = each expert takes validTokens/experts */
  public ExpertChoicePolicy(float capacityFactor) {
    if (!(capacityFactor > 0) || !Float.isFinite(capacityFactor)) {
      throw new IllegalArgumentException("capacityFactor must be finite and > 0, got " + capacityFactor);
    }
    this.capacityFactor = capacityFactor;
  }

  /** The capacity per expert for a window of {@code validTokens} real tokens. */
  public int capacity(int validTokens, int experts) {
    if (validTokens == 0) {
      return 0;
    }
    long c = Math.round((double) validTokens * capacityFactor / experts);
    return (int) Math.max(1, Math.min(validTokens, c));
  }

  @Override
  public String name() {
    return String.format(java.util.Locale.ROOT, "expert-choice(cf %.2f)", capacityFactor);
  }

  @Override
  public boolean needsWholeWindow() {
    return true;
  }

  @Override
  public void route(RoutingProblem p, Assignment out) {
    int e = p.experts;
    int tokens = p.tokens;
    int nValid = 0;
    if (validIdx.length < tokens) {
      validIdx = new int[tokens];
      col = new float[tokens];
    }
    for (int t = 0; t < tokens; t++) {
      if (p.isValid(t)) {
        validIdx[nValid++] = t;
      }
    }
    int cap = capacity(nValid, e);
    if (picked.length < cap) {
      picked = new int[cap];
      val = new float[cap];
    }
    if (takes.length < tokens * e) {
      takes = new boolean[tokens * e];
    }
    java.util.Arrays.fill(takes, 0, tokens * e, false);
    for (int ex = 0; ex < e; ex++) {
      for (int v = 0; v < nValid; v++) {
        col[v] = p.score(validIdx[v], ex);
      }
      dev.auramoe.routing.TopK.select(col, nValid, cap, picked, val);
      for (int j = 0; j < cap; j++) {
        takes[validIdx[picked[j]] * e + ex] = true;
      }
    }
    out.reset(tokens, e);
    for (int t = 0; t < tokens; t++) {
      for (int ex = 0; ex < e; ex++) {
        if (takes[t * e + ex]) {
          out.add(ex, p.probability(t, ex));
        }
      }
      out.endToken(t);
    }
  }
}
