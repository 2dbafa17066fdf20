package dev.auramoe.routing.policy;

/**
 * Balanced assignment by Sinkhorn scaling (Clark et al. 2022, "Unified scaling laws for routed
 * language models", S-BASE; Cuturi 2013 for the iteration). Over the window's real tokens it finds
 * row and column factors so that the transport plan
 *
 * <pre>
 * P[t][e] = probs[t][e] * r[t] * c[e],   sum_e P[t][e] = 1,   sum_t P[t][e] = validTokens / experts
 * </pre>
 *
 * (column sums within {@code tolerance}, relative, or {@code iterations} rounds), then assigns
 * token-expert pairs greedily in descending plan order, each token k experts and each expert at
 * most {@code ceil(k * validTokens / experts)} tokens, so the load of a window is balanced; weights
 * are the token's router probabilities renormalised over its experts, so balancing changes who
 * computes, not how outputs mix. The selection bias is not used: the plan itself balances. Needs
 * the whole window.
 */
public final class SinkhornPolicy implements RoutingPolicy {

  private final int k;
  private final int iterations;
  private final double tolerance;
  private double[] r = new double[0];
  private double[] c = new double[0];
  private double[] colSum = new double[0];
  private float[] row = new float[0];
  private final int[] idx;
  private final float[] val;
  private long[] pairKeys = new long[0];
  private int[] count = new int[0];
  private boolean[] taken = new boolean[0];
  private int[] used = new int[0];
  private int lastIterations;
  private double lastMarginalError;

  /**
   * @param k experts per token
   * @param iterations most scaling rounds (e.g. 50)
   * @param tolerance largest relative error of a column sum to stop early (e.g. 1e-3)
   */
  public SinkhornPolicy(int k, int iterations, double tolerance) {
    if (k <= 0 || iterations <= 0 || !(tolerance > 0)) {
      throw new IllegalArgumentException("need k >= 1, iterations >= 1 and tolerance > 0, got " + k + ", "
          + iterations + ", " + tolerance);
    }
    this.k = k;
    this.iterations = iterations;
    this.tolerance = tolerance;
    this.idx = new int[k];
    this.val = new float[k];
  }

  @Override
  public String name() {
    return "sinkhorn(k=" + k + ")";
  }

  @Override
  public boolean needsWholeWindow() {
    return true;
  }

  /** Scaling rounds used in the last window. */
  public int lastIterations() {
    return lastIterations;
  }

  /** Largest relative column-marginal error of the plan in the last window. */
  public double lastMarginalError() {
    return lastMarginalError;
  }

  /** The plan entry P[t][e] of the last window (for diagnostics and tests). */
  public double plan(RoutingProblem p, int t, int e) {
    return p.probability(t, e) * r[t] * c[e];
  }

  /**
   * Gives short token t one more expert through a swap: some expert x with room is already t's;
   * another token u that lacks x moves from one of its experts y (which t lacks) to x, and t takes
   * y. Returns false when no such pair exists.
   */
  private boolean swapFor(RoutingProblem p, int t, int e, int tokens, int cap) {
    for (int x = 0; x < e; x++) {
      if (used[x] >= cap || !taken[t * e + x]) {
        continue;
      }
      for (int u = 0; u < tokens; u++) {
        if (u == t || !p.isValid(u) || taken[u * e + x]) {
          continue;
        }
        for (int y = 0; y < e; y++) {
          if (taken[u * e + y] && !taken[t * e + y]) {
            taken[u * e + y] = false;
            taken[u * e + x] = true;
            used[x]++;
            taken[t * e + y] = true;
            count[t]++;
            return true;
          }
        }
      }
    }
    return false;
  }

  @Override
  public void route(RoutingProblem p, Assignment out) {
    int e = p.experts;
    int tokens = p.tokens;
    if (k > e) {
      throw new IllegalArgumentException("k = " + k + " is larger than the number of experts (" + e + ")");
    }
    if (r.length < tokens) {
      r = new double[tokens];
    }
    if (c.length < e) {
      c = new double[e];
      colSum = new double[e];
      row = new float[e];
    }
    int nValid = p.validTokens();
    double target = (double) nValid / e;
    java.util.Arrays.fill(c, 0, e, 1.0);
    for (int t = 0; t < tokens; t++) {
      r[t] = p.isValid(t) ? 1.0 : 0.0;
    }
    lastIterations = 0;
    lastMarginalError = 0;
    if (nValid > 0) {
      for (int it = 0; it < iterations; it++) {
        // Rows to 1.
        for (int t = 0; t < tokens; t++) {
          if (!p.isValid(t)) {
            continue;
          }
          double s = 0;
          for (int ex = 0; ex < e; ex++) {
            s += p.probability(t, ex) * c[ex];
          }
          r[t] = s > 0 ? 1.0 / s : 0.0;
        }
        // Columns to validTokens / experts; measure the error before correcting it.
        java.util.Arrays.fill(colSum, 0, e, 0.0);
        for (int t = 0; t < tokens; t++) {
          if (r[t] == 0) {
            continue;
          }
          for (int ex = 0; ex < e; ex++) {
            colSum[ex] += p.probability(t, ex) * r[t];
          }
        }
        double err = 0;
        for (int ex = 0; ex < e; ex++) {
          err = Math.max(err, Math.abs(colSum[ex] * c[ex] - target) / target);
        }
        lastIterations = it + 1;
        lastMarginalError = err;
        if (err <= tolerance) {
          break;
        }
        for (int ex = 0; ex < e; ex++) {
          c[ex] = colSum[ex] > 0 ? target / colSum[ex] : 0.0;
        }
      }
    }
    // Balanced assignment from the plan: token-expert pairs in descending plan order, each token up
    // to k experts and each expert up to ceil(k * validTokens / experts) tokens; a token left short
    // (its remaining room is at experts it already has) is completed with its best unchosen experts.
    int cap = (int) Math.ceil((double) k * nValid / e);
    int pairs = 0;
    if (pairKeys.length < tokens * e) {
      pairKeys = new long[tokens * e];
      taken = new boolean[tokens * e];
    }
    if (count.length < tokens) {
      count = new int[tokens];
    }
    if (used.length < e) {
      used = new int[e];
    }
    for (int t = 0; t < tokens; t++) {
      if (!p.isValid(t)) {
        continue;
      }
      for (int ex = 0; ex < e; ex++) {
        // Sort key: plan value (non-negative float bits order like the value) high, pair index low.
        float v = (float) (p.probability(t, ex) * c[ex]);
        pairKeys[pairs++] = ((long) Float.floatToIntBits(v) << 32) | (0xffffffffL - (t * (long) e + ex));
      }
    }
    java.util.Arrays.sort(pairKeys, 0, pairs);
    java.util.Arrays.fill(count, 0, tokens, 0);
    java.util.Arrays.fill(taken, 0, tokens * e, false);
    java.util.Arrays.fill(used, 0, e, 0);
    for (int i = pairs - 1; i >= 0; i--) {
      int pair = (int) (0xffffffffL - (pairKeys[i] & 0xffffffffL));
      int t = pair / e;
      int ex = pair % e;
      if (count[t] < k && used[ex] < cap) {
        taken[pair] = true;
        count[t]++;
        used[ex]++;
      }
    }
    // Tokens left short: their best unchosen expert with room; when the only room left is at
    // experts the token already has, one swap makes room (another token moves to that expert and
    // hands over one of its own), so no expert exceeds its capacity.
    for (int t = 0; t < tokens; t++) {
      if (!p.isValid(t)) {
        continue;
      }
      while (count[t] < k) {
        int best = -1;
        float bestValue = 0f;
        for (int ex = 0; ex < e; ex++) {
          float v = (float) (p.probability(t, ex) * c[ex]);
          if (!taken[t * e + ex] && used[ex] < cap && (best < 0 || v > bestValue)) {
            best = ex;
            bestValue = v;
          }
        }
        if (best < 0 && !swapFor(p, t, e, tokens, cap)) {
          // No room anywhere reachable in one swap: exceed a capacity rather than leave the token short.
          for (int ex = 0; ex < e; ex++) {
            if (!taken[t * e + ex]) {
              best = ex;
              break;
            }
          }
        }
        if (best >= 0) {
          taken[t * e + best] = true;
          used[best]++;
          count[t]++;
        }
      }
    }
    out.reset(tokens, e);
    for (int t = 0; t < tokens; t++) {
      if (p.isValid(t)) {
        for (int ex = 0; ex < e; ex++) {
          if (taken[t * e + ex]) {
            out.add(ex, p.probability(t, ex));
          }
        }
      }
      out.endToken(t);
      out.normalise(t);
    }
  }
}
