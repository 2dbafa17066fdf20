package dev.auramoe.feedback;

import java.time.Duration;
import java.util.Objects;

/**
 * The guard-rails of learning from feedback ({@link GuardedRouter}).
 *
 * @param maxStep the largest change one feedback may make to the router, as the Euclidean norm over its
 *     parameters ({@code MixtureOfExperts.routerParameters()}), &gt; 0: a larger update is scaled down
 * @param maxDrift the farthest the router may drift from its anchor (the copy taken when the guarded
 *     router was made, or at its last {@code anchor()}), as the same norm, &gt; 0 or infinite: feedback
 *     that would take it farther is projected back onto that distance
 * @param rememberedRoutes how many routes wait for feedback at most, in [1, 10,000,000]; beyond it the
 *     oldest expires
 * @param routeLifetime how long a route waits for feedback, &gt; 0; older routes have expired
 */
public record FeedbackRules(double maxStep, double maxDrift, int rememberedRoutes, Duration routeLifetime) {

  /** Bounded steps of norm 1, no drift cap, 10,000 routes remembered for an hour. */
  public static final FeedbackRules DEFAULT =
      new FeedbackRules(1.0, Double.POSITIVE_INFINITY, 10_000, Duration.ofHours(1));

  /** The most routes that may wait for feedback. */
  public static final int MAX_REMEMBERED_ROUTES = 10_000_000;

  /** Validates. */
  public FeedbackRules {
    if (!(maxStep > 0) || !Double.isFinite(maxStep)) {
      throw new IllegalArgumentException("maxStep must be finite and > 0, got " + maxStep);
    }
    if (!(maxDrift > 0)) {
      throw new IllegalArgumentException("maxDrift must be > 0 (or infinite), got " + maxDrift);
    }
    if (rememberedRoutes < 1 || rememberedRoutes > MAX_REMEMBERED_ROUTES) {
      throw new IllegalArgumentException("rememberedRoutes must lie in [1, " + MAX_REMEMBERED_ROUTES + "], got "
          + rememberedRoutes);
    }
    Objects.requireNonNull(routeLifetime, "routeLifetime");
    if (routeLifetime.isNegative() || routeLifetime.isZero()) {
      throw new IllegalArgumentException("routeLifetime must be > 0, got " + routeLifetime);
    }
  }

  /** These rules with another step bound. */
  public FeedbackRules withMaxStep(double s) {
    return new FeedbackRules(s, maxDrift, rememberedRoutes, routeLifetime);
  }

  /** These rules with another drift cap. */
  public FeedbackRules withMaxDrift(double d) {
    return new FeedbackRules(maxStep, d, rememberedRoutes, routeLifetime);
  }

  /** These rules with another route memory. */
  public FeedbackRules withRoutes(int remembered, Duration lifetime) {
    return new FeedbackRules(maxStep, maxDrift, remembered, lifetime);
  }
}
