/**
 * Routing policies over the router's probabilities: token-choice top-k, top-p (with a controller
 * for a target number of experts), null experts, expert choice and Sinkhorn balanced assignment,
 * all behind {@link dev.auramoe.routing.policy.RoutingPolicy}, producing an
 * {@link dev.auramoe.routing.policy.Assignment}. Work in progress toward switchable policies in
 * the model (issue 3): the policies are usable on their own; the model still routes with its
 * built-in top-k.
 */
package dev.auramoe.routing.policy;
