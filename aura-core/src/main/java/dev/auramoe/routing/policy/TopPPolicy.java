package dev.auramoe.routing.policy;

/**
 * Top-p ("harder inputs get more experts", Huang et al. 2024, "Harder tasks need more experts:
 * dynamic routing in MoE models"): experts are added in descending order of probability plus
 * selection bias until the probability mass of the chosen experts reaches p, within
 * [minExperts, maxExperts]; weights are the probabilities renormalised over the chosen experts.
 *
 * <p>An optional controller steers p toward a target mean number of experts per token:
 * <pre>
 * p &lt;- clamp(p + gain * (target - mean experts of the last window), pMin, pMax)
 * </pre>
 * so a caller can buy a fixed compute budget and let confident tokens spend less of it.
 */
public final class TopPPolicy implements RoutingPolicy {

  private float p;
  private final int minExperts;
  private final int maxExperts;
  private final float targetExperts;
  private final float gain;
  private int[] order = new int[0];
  private float[] scores = new float[0];
  private double meanExperts;

  /**
   * A fixed threshold.
   *
   * @param p probability mass to reach, in (0, 1]
   * @param minExperts at least this many experts per token (&gt;= 1)
   * @param maxExperts at most this many (&gt;= minExperts)
   */
  public TopPPolicy(float p, int minExperts, int maxExperts) {
    this(p, minExperts, maxExperts, Float.NaN, 0f);
  }

  /**
   * A threshold steered toward a target mean number of experts per token.
   *
   * @param targetExperts the mean experts per token to hold, in [minExperts, maxExperts], or NaN
   *     for a fixed p
   * @param gain controller step per window (0.05 is a good start; 0 fixes p)
   */
  public TopPPolicy(float p, int minExperts, int maxExperts, float targetExperts, float gain) {
    if (!(p > 0 && p <= 1)) {
      throw new IllegalArgumentException("p must lie in (0, 1], got " + p);
    }
    if (minExperts < 1 || maxExperts < minExperts) {
      throw new IllegalArgumentException("need 1 <= minExperts <= maxExperts, got " + minExperts + ", " + maxExperts);
    }
    if (targetExperts == targetExperts && !(targetExperts >= minExperts && targetExperts <= maxExperts)) {
      throw new IllegalArgumentException("targetExperts must lie in [minExperts, maxExperts], got " + targetExperts);
    }
    if (!(gain >= 0) || !Float.isFinite(gain)) {
      throw new IllegalArgumentException("gain must be finite and >= 0, got " + gain);
    }
    this.p = p;
    this.minExperts = minExperts;
    this.maxExperts = maxExperts;
    this.targetExperts = targetExperts;
    this.gain = gain;
  }

  /** The current threshold p. */
  public float p() {
    return p;
  }

  /** Mean real experts per valid token in the last window. */
  public double lastMeanExperts() {
    return meanExperts;
  }

  @Override
  public String name() {
    return targetExperts == targetExperts
        ? String.format(java.util.Locale.ROOT, "top-p(target %.2f experts)", targetExperts)
        : String.format(java.util.Locale.ROOT, "top-p(%.2f)", p);
  }

  @Override
  public boolean needsWholeWindow() {
    return false;
  }

  @Override
  public void route(RoutingProblem pr, Assignment out) {
    int e = pr.experts;
    if (minExperts > e) {
      throw new IllegalArgumentException("minExperts = " + minExperts + " exceeds the experts (" + e + ")");
    }
    if (order.length < e) {
      order = new int[e];
      scores = new float[e];
    }
    int cap = Math.min(maxExperts, e);
    out.reset(pr.tokens, e);
    long chosen = 0;
    int valid = 0;
    for (int t = 0; t < pr.tokens; t++) {
      if (pr.isValid(t)) {
        // Order experts by score (partial: at most cap are needed).
        Selection.topKByScore(pr, t, cap, scores, order, scratch(cap));
        float mass = 0f;
        int n = 0;
        while (n < cap && (n < minExperts || mass < p)) {
          int ex = order[n];
          float pe = pr.probability(t, ex);
          out.add(ex, pe);
          mass += pe;
          n++;
        }
        chosen += n;
        valid++;
      }
      out.endToken(t);
      out.normalise(t);
    }
    meanExperts = valid == 0 ? 0 : (double) chosen / valid;
    if (targetExperts == targetExperts && gain > 0 && valid > 0) {
      p = (float) Math.min(1.0, Math.max(1e-3, p + gain * (targetExperts - meanExperts)));
    }
  }

  private float[] val = new float[0];

  private float[] scratch(int n) {
    if (val.length < n) {
      val = new float[n];
    }
    return val;
  }
}
