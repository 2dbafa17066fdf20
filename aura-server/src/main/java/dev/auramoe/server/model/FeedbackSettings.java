package dev.auramoe.server.model;

import dev.auramoe.feedback.FeedbackRules;
import java.time.Duration;

/**
 * A model's feedback settings: whether its routes wait for feedback, the guard-rails of that feedback
 * ({@link FeedbackRules}, whose ranges they are checked against) and whether learning from it is
 * frozen. Part of the model's {@link ModelSettings} ({@code PATCH /v1/models/{name}}) and of its
 * {@link ModelSpec} at creation; the defaults are the library's ({@link FeedbackRules#DEFAULT}), with
 * feedback off, so that a route costs nothing more unless asked.
 *
 * @param enabled whether each route is remembered under a route id for feedback
 * @param maxStep the largest change one feedback may make to the router (Euclidean norm over its
 *     parameters), finite and &gt; 0
 * @param maxDrift the farthest the router may drift from its anchor, &gt; 0; 0 means no cap (JSON has
 *     no infinity)
 * @param rememberedRoutes routes that wait for feedback at most, 1 to 10,000,000; beyond it the oldest
 *     expires. The memory they may take is counted against the model's parameter limit (see
 *     {@link #routeMemory})
 * @param routeLifetimeSeconds how long a route waits for feedback, 0.001 to 10^9 seconds
 * @param frozen whether feedback is checked and acknowledged but changes nothing
 */
public record FeedbackSettings(boolean enabled, double maxStep, double maxDrift, int rememberedRoutes,
    double routeLifetimeSeconds, boolean frozen) {

  /** Feedback off, with the library's guard-rails: steps of norm 1, no drift cap, 10,000 routes for an hour. */
  public static final FeedbackSettings DEFAULT = new FeedbackSettings(false, FeedbackRules.DEFAULT.maxStep(),
      0, FeedbackRules.DEFAULT.rememberedRoutes(), FeedbackRules.DEFAULT.routeLifetime().toMillis() / 1000.0, false);

  /** The longest route lifetime, in seconds (about 31 years). */
  public static final double MAX_ROUTE_LIFETIME_SECONDS = 1e9;

  /**
   * Parameters one remembered route counts beyond its vectors: its record, the arrays' headers, its
   * time stamp and its entry in the route table, about 200 bytes.
   */
  public static final int ROUTE_OVERHEAD = 50;

  /**
   * Checks every setting.
   *
   * @throws Refusal INVALID naming the first setting out of range, with the name the API gives it
   */
  public void validate() {
    if (!(routeLifetimeSeconds >= 0.001 && routeLifetimeSeconds <= MAX_ROUTE_LIFETIME_SECONDS)) {
      throw Refusal.invalid("feedbackRouteLifetimeSeconds must lie in [0.001, " + (long) MAX_ROUTE_LIFETIME_SECONDS
          + "], got " + routeLifetimeSeconds);
    }
    if (!(maxDrift >= 0) || !Double.isFinite(maxDrift)) {
      throw Refusal.invalid("feedbackMaxDrift must be finite and > 0, or 0 for no cap, got " + maxDrift);
    }
    try {
      rules();
    } catch (IllegalArgumentException e) {
      throw Refusal.invalid("feedback" + Character.toUpperCase(e.getMessage().charAt(0)) + e.getMessage().substring(1));
    }
  }

  /** The guard-rails as the library takes them; call {@link #validate} first. */
  public FeedbackRules rules() {
    return new FeedbackRules(maxStep, maxDrift == 0 ? Double.POSITIVE_INFINITY : maxDrift, rememberedRoutes,
        Duration.ofMillis(Math.round(routeLifetimeSeconds * 1000)));
  }

  /** Whether these settings remember routes under other guard-rails than {@code o} (a new route memory). */
  boolean otherRules(FeedbackSettings o) {
    return maxStep != o.maxStep || maxDrift != o.maxDrift || rememberedRoutes != o.rememberedRoutes
        || routeLifetimeSeconds != o.routeLifetimeSeconds;
  }

  /** These settings with learning from feedback frozen or not. */
  public FeedbackSettings withFrozen(boolean f) {
    return new FeedbackSettings(enabled, maxStep, maxDrift, rememberedRoutes, routeLifetimeSeconds, f);
  }

  /**
   * What the routes waiting for feedback may take at most, in parameters (4 bytes each; 0 with
   * feedback off): per route its cell state ({@code hidden}), its input ({@code inputDim}), its
   * probabilities ({@code experts}), its chosen experts ({@code topK}) and {@value #ROUTE_OVERHEAD}.
   * Counted against the model's parameter limit and the server's budget like its streams, as the
   * most the memory may hold, since routes come and go with every request.
   */
  public long routeMemory(int hidden, int inputDim, int experts, int topK) {
    return enabled ? (long) rememberedRoutes * ((long) hidden + inputDim + experts + topK + ROUTE_OVERHEAD) : 0;
  }
}
