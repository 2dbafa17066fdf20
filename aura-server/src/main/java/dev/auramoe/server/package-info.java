/**
 * The routing service (issue 5): {@link dev.auramoe.server.RoutingServer}, a Helidon SE 4 web server
 * with a JSON API over named aura-core models, its request limits ({@link dev.auramoe.server.ServerLimits})
 * and the HTTP layer's refusal type ({@link dev.auramoe.server.ApiException}; the models refuse with
 * {@link dev.auramoe.server.model.Refusal}, which {@link dev.auramoe.server.http.RefusalStatus} maps to
 * a status). Sub-packages hold the
 * model registry ({@code model}), the framework-independent endpoints and strict JSON reading
 * ({@code http}), Prometheus metrics ({@code metrics}), the operation log's format and journals
 * ({@code journal}), the write-ahead log ({@code wal}) and the data directory with recovery,
 * snapshots and trimming ({@code persist}).
 */
package dev.auramoe.server;
