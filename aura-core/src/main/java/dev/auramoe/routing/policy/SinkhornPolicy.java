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
 * (column sums within {@code tolerance}, relative, or {@code iterations} rounds), then gives each
 * token the k experts with the largest plan entries; weights are the token's router probabilities
 * renormalised over them, so balancing changes who computes, not how outputs mix. The selection
 * bias is not used: the plan itself balances. Needs the whole window.
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
    out.reset(tokens, e);
    for (int t = 0; t < tokens; t++) {
      if (p.isValid(t)) {
        for (int ex = 0; ex < e; ex++) {
          row[ex] = (float) (p.probability(t, ex) * c[ex]);
        }
        Selection.topK(row, 0, e, k, idx, val);
        for (int j = 0; j < k; j++) {
          out.add(idx[j], p.probability(t, idx[j]));
        }
      }
      out.endToken(t);
      out.normalise(t);
    }
  }
}
