package dev.auramoe.feedback;

/**
 * What one feedback did to the router.
 *
 * @param routeId the route it was for
 * @param expert the expert it rewarded
 * @param reward the reward, in [0, 1]
 * @param change the norm of the change made to the router's parameters (0 when frozen)
 * @param stepBounded whether the step was scaled down to the rules' {@code maxStep}
 * @param driftCapped whether the router was projected back to the rules' {@code maxDrift}
 * @param frozen whether learning was frozen, so that nothing changed
 * @param drift the router's distance from its anchor afterwards, measured when the rules cap the drift;
 *     NaN otherwise (and when frozen): measuring copies every parameter of the router, the bulk of a
 *     feedback's cost, so it is left to {@link GuardedRouter#drift()} when nothing depends on it
 */
public record FeedbackOutcome(String routeId, String expert, double reward, double change, boolean stepBounded,
    boolean driftCapped, boolean frozen, double drift) {}
