/**
 * The routing service (issue 5): {@link dev.auramoe.server.RoutingServer}, a Helidon SE 4 web server
 * with a JSON API over named aura-core models, its request limits ({@link dev.auramoe.server.ServerLimits})
 * and the client-facing refusal type ({@link dev.auramoe.server.ApiException}). Sub-packages hold the
 * model registry ({@code model}), the framework-independent endpoints and strict JSON reading
 * ({@code http}), Prometheus metrics ({@code metrics}) and the learn path's durability hook
 * ({@code journal}).
 */
package dev.auramoe.server;
