package dev.auramoe;

/**
 * The experts' recent errors as an input of the router: local information that tells a stream's
 * current regime apart even when its inputs do not (the regime shows only in the targets).
 *
 * <p>With a weight {@code beta > 0}, every expert predicts each learned target (not only the k chosen
 * ones), and each stream keeps, per expert, an exponential average of that expert's squared error
 * over the model's error scale {@code s^2} (the moving average of the chosen experts' errors that
 * also scales responsibilities):
 * <pre>
 *   r_e  <-  r_e + rate (min(err_e / s^2, 1e6) - r_e)        after each learned target of the stream
 *   logit_e  =  R h + Q x + bias_e  -  beta r_e / (1 + r_e)   when the stream is routed
 * </pre>
 * An expert that has just predicted this stream's targets well is favoured, one that has not is
 * avoided. The term saturates at {@code beta}: an expert that failed badly is not held down by more
 * than an expert that failed plainly, so that when the input itself shows a change (the regime shows
 * in x) the router's own readouts can turn to the right expert at once rather than wait for the
 * average to decay (unbounded, the term cost about 10 of 100 easy streams of the grid their target).
 * The learners turn it off for class targets ({@link Defaults#recentErrors}), where one instance's
 * error is mostly label noise. Routing without learning (no
 * targets) uses the averages as they are. The averages are per stream, like the cell state: two
 * streams in different regimes are routed apart. No gradient flows through the router; the cost is
 * the other experts' predictions on learned targets ({@code (n - k)} expert predictions per learn).
 *
 * <p>The default ({@link #DEFAULT}: weight 10, rate 0.3) was chosen on the {@code aura learn-bench}
 * grid (16 experts), where weights of 6 and 10 give medians of mixture/oracle within 10% of each other
 * (4: 25% worse) and rate 0.6 is worse than 0.3; see docs/learning.md.
 *
 * @param weight beta, the weight of the averages in the logits, finite and &gt;= 0 (0: off)
 * @param rate the weight of the newest error in the averages, in (0, 1]
 */
public record RecentErrors(float weight, float rate) {

  private static final float OFF_RATE = 0.3f;

  /** On: weight 10, rate 0.3. */
  public static final RecentErrors DEFAULT = new RecentErrors(10f, 0.3f);

  /** Off: the router reads no errors and experts that are not chosen do not predict. */
  public static final RecentErrors OFF = new RecentErrors(0f, OFF_RATE);

  /** Validates; with weight 0 (off) the rate, which then means nothing, is set to {@link #OFF}'s. */
  public RecentErrors {
    if (!(weight >= 0) || !Float.isFinite(weight)) {
      throw new IllegalArgumentException("recent-error weight must be finite and >= 0, got " + weight);
    }
    if (!(rate > 0 && rate <= 1)) {
      throw new IllegalArgumentException("recent-error rate must lie in (0, 1], got " + rate);
    }
    if (weight == 0f) {
      // One value for "off", so that a model saved without them (format v1) loads back equal.
      rate = OFF_RATE;
    }
  }

  /** Whether the router reads recent errors. */
  public boolean enabled() {
    return weight > 0f;
  }
}
