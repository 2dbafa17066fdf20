/**
 * Routing results and selection: {@link dev.auramoe.routing.RoutingDecision} (immutable),
 * {@link dev.auramoe.routing.RouteBuffer} (reusable, zero-allocation) and top-k selection.
 */
package dev.auramoe.routing;
