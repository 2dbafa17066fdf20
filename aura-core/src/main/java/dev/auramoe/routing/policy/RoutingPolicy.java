package dev.auramoe.routing.policy;

/**
 * A rule that turns the router's probabilities into an {@link Assignment}. Policies are
 * interchangeable on the same learned router: they read probabilities and the balancer's selection
 * bias and decide only who computes what.
 *
 * <p>Contract, checked by property tests over every implementation:
 * <ul>
 *   <li>invalid (padding or masked) tokens get no slot;
 *   <li>weights are finite; for policies that renormalise, a token's real weights sum to 1;
 *   <li>the selection bias may change which experts are chosen, never a weight;
 *   <li>a policy that {@link #needsWholeWindow()} must see every token of the window at once
 *       (expert choice, Sinkhorn), so streaming callers must refuse it.
 * </ul>
 *
 * Implementations keep scratch space and are not thread-safe: use one instance per model.
 */
public interface RoutingPolicy {

  /** Short name for tables and JSON, e.g. {@code top-k(2)}. */
  String name();

  /**
   * Whether the policy needs the whole window of tokens at once. Causal, one-token-at-a-time
   * routing must refuse such a policy.
   */
  boolean needsWholeWindow();

  /**
   * Routes one window.
   *
   * @param problem not modified
   * @param out overwritten
   */
  void route(RoutingProblem problem, Assignment out);
}
