package dev.auramoe.stream.drift;

import java.util.Locale;

/**
 * The Page-Hinkley test for an increase of the mean of a stream (an error rate going up), with a
 * fading factor.
 *
 * <pre>
 * E. S. Page. Continuous Inspection Schemes. Biometrika 41(1/2), 1954, pp. 100-115.
 * J. Gama, R. Sebastião, P. P. Rodrigues. On evaluating stream learning algorithms.
 * Machine Learning 90(3), 2013, pp. 317-346 (Page-Hinkley with a fading factor).
 * </pre>
 *
 * <p>After the t-th value x_t since the last reset:
 *
 * <pre>
 *   x̄_t  = x̄_{t-1} + (x_t - x̄_{t-1}) / t                   running mean
 *   PH_t = max(0, α · PH_{t-1} + (x_t - x̄_t - δ))          PH_0 = 0
 *   change when PH_t &gt; λ and t ≥ minInstances
 * </pre>
 *
 * <p>With α = 1 this is exactly the classic statistic m_t - M_t, where m_t = Σ_{s≤t} (x_s - x̄_s - δ)
 * is the cumulative deviation and M_t = min_{s≤t} m_s (the CUSUM recursion). For α &lt; 1 the fading
 * is applied to PH_t rather than to m_t as in Gama et al.: fading m_t under a running minimum lets
 * m_t climb back from its minimum while x̄ settles after a <em>decrease</em> of the mean, and the
 * test would fire long after the error went down.
 *
 * <p>When the mean rises by Δ &gt; δ, PH_t climbs by about Δ - δ per instance, so the detection
 * delay is roughly λ / (Δ - δ). After a decrease the increments are negative on average (x̄ lies
 * above the new level) and PH_t stays near 0. On a detection the statistic, mean and instance
 * count restart from zero (the detection count is kept).
 *
 * <p><b>Knobs.</b> {@code minInstances} (default 30): no detection before that many values since the
 * last reset, while x̄ is still noisy. {@code delta} δ (default 0.005): the magnitude of change
 * tolerated; 0 lets every upward fluctuation accumulate, large values ignore small increases.
 * {@code lambda} λ (default 50): the alarm threshold; small values detect fast with more false
 * alarms, large values are slow and quiet. {@code alpha} α (default 1 - 0.0001): the fading factor
 * of PH_t; 1 is the classic test with unbounded memory, smaller values forget old deviations (for
 * values in [0, 1] PH_t stays below 1 / (1 - α), so a λ above that never fires).
 *
 * <p>Not thread-safe; {@link #update} allocates nothing.
 */
public final class PageHinkley implements DriftDetector {

  /** Default number of values before a detection is allowed. */
  public static final int DEFAULT_MIN_INSTANCES = 30;
  /** Default tolerated change δ. */
  public static final double DEFAULT_DELTA = 0.005;
  /** Default alarm threshold λ. */
  public static final double DEFAULT_LAMBDA = 50;
  /** Default fading factor α. */
  public static final double DEFAULT_ALPHA = 1 - 0.0001;

  private final int minInstances;
  private final double delta;
  private final double lambda;
  private final double alpha;

  private long count;
  private double mean;
  private double statistic;
  private long detections;

  /** Page-Hinkley with minInstances 30, δ = 0.005, λ = 50 and α = 1 - 0.0001. */
  public PageHinkley() {
    this(DEFAULT_MIN_INSTANCES, DEFAULT_DELTA, DEFAULT_LAMBDA, DEFAULT_ALPHA);
  }

  /**
   * Page-Hinkley with every parameter given.
   *
   * @param minInstances values since the last reset before a detection is allowed, at least 1
   * @param delta tolerated change δ, finite and at least 0
   * @param lambda alarm threshold λ, finite and greater than 0
   * @param alpha fading factor α in (0, 1]
   * @throws IllegalArgumentException for a parameter out of range
   */
  public PageHinkley(int minInstances, double delta, double lambda, double alpha) {
    if (minInstances < 1) {
      throw new IllegalArgumentException("minInstances must be >= 1, got " + minInstances);
    }
    if (!(delta >= 0 && Double.isFinite(delta))) {
      throw new IllegalArgumentException("delta must be finite and >= 0, got " + delta);
    }
    if (!(lambda > 0 && Double.isFinite(lambda))) {
      throw new IllegalArgumentException("lambda must be finite and > 0, got " + lambda);
    }
    if (!(alpha > 0 && alpha <= 1)) {
      throw new IllegalArgumentException("alpha must be in (0, 1], got " + alpha);
    }
    this.minInstances = minInstances;
    this.delta = delta;
    this.lambda = lambda;
    this.alpha = alpha;
  }

  /**
   * Adds {@code value} and tests for an increase of the mean.
   *
   * @param value the next value, finite
   * @return true when PH_t exceeds λ (the statistic then restarts)
   * @throws IllegalArgumentException for NaN or infinite values; the detector is then unchanged
   */
  @Override
  public boolean update(double value) {
    if (!Double.isFinite(value)) {
      throw new IllegalArgumentException("Page-Hinkley value must be finite, got " + value);
    }
    count++;
    mean += (value - mean) / count;
    statistic = Math.max(0, alpha * statistic + (value - mean - delta));
    if (count >= minInstances && statistic > lambda) {
      detections++;
      restart();
      return true;
    }
    return false;
  }

  private void restart() {
    count = 0;
    mean = 0;
    statistic = 0;
  }

  @Override
  public void reset() {
    restart();
    detections = 0;
  }

  @Override
  public long detections() {
    return detections;
  }

  @Override
  public String name() {
    return String.format(Locale.ROOT, "page-hinkley(lambda=%s,delta=%s)", lambda, delta);
  }

  /** PH_t, the statistic compared with λ; 0 right after a reset or a detection. */
  public double statistic() {
    return statistic;
  }

  /** x̄_t, the mean of the values since the last reset or detection; 0 before any. */
  public double mean() {
    return mean;
  }

  /** The number of values since the last reset or detection. */
  public long count() {
    return count;
  }

  /** The alarm threshold λ. */
  public double lambda() {
    return lambda;
  }
}
