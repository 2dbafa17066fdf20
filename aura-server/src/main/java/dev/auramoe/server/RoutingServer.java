package dev.auramoe.server;

import dev.auramoe.TextEmbedder;
import dev.auramoe.server.http.HttpLayer;
import dev.auramoe.server.http.JsonRequests;
import dev.auramoe.server.http.ModelApi;
import dev.auramoe.server.http.Reply;
import dev.auramoe.server.http.RefusalLog;
import dev.auramoe.server.http.RefusalStatus;
import dev.auramoe.server.journal.LearnJournal;
import dev.auramoe.server.journal.OperationJournal;
import dev.auramoe.server.persist.DataStore;
import dev.auramoe.server.wal.WalOptions;
import dev.auramoe.server.metrics.ServerMetrics;
import dev.auramoe.server.model.Refusal;
import dev.auramoe.server.model.ModelRegistry;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The routing service: a Helidon SE 4 web server with a JSON API over a {@link ModelRegistry} of
 * named mixtures of experts.
 *
 * <h2>Endpoints</h2>
 * <pre>
 * GET    /health                                   {"status":"UP"}; with a data directory also "recovery": {...};
 *                                                  with --token-reads, without the token, the status alone;
 *                                                  503 {"status":"DOWN","reason"} once the operation log has failed
 *                                                  or a model is wedged, {"status":"DEGRADED","reason"} after an
 *                                                  out-of-memory that harmed no model, or while periodic snapshots fail
 * GET    /metrics                                  Prometheus text format 0.0.4: requests, latency, learns, models,
 *                                                  JVM and process (see {@link ServerMetrics})
 * GET    /openapi.json                             the OpenAPI 3.1 document of this API
 * POST   /v1/models                                create {"name", "inputDim", ...} (201; 409 if taken)
 * POST   /v1/models/{name}/import                  create from a snapshot's bytes, application/octet-stream, or
 *                                                  JSON {"snapshot": base64} (201; 409 if taken; see
 *                                                  {@link dev.auramoe.server.model.ModelImport}); one at a
 *                                                  time, 429 after {@link Builder#importWait} for its turn
 * GET    /v1/models                                list
 * GET    /v1/models/{name}[?digest=true]           config, settings, streams, counters (and the state's digest: copies
 *                                                  of the state are paced, so such reads wait, not writes; see
 *                                                  {@link dev.auramoe.server.model.ModelEntry#digest()})
 * PATCH  /v1/models/{name}                         change settings {"temperature", "balance", ...} (logged)
 * DELETE /v1/models/{name}
 * GET    /v1/models/{name}/experts                 index, name, kind, hyper-parameters, selections, load
 * POST   /v1/models/{name}/experts                 add {"name", "kind": nlms|rls, ...} (201; logged)
 * PATCH  /v1/models/{name}/experts/{expert}        rename {"name": new} (logged)
 * DELETE /v1/models/{name}/experts/{expert}        remove; later experts move down one index (logged)
 * POST   /v1/models/{name}/route[/batch]           {"x":[..]} or {"text":".."} / {"xs":[[..],..]}, optional "stream";
 *                                                  with the model's feedback on, a single route's answer has a "routeId"
 * POST   /v1/models/{name}/predict[/batch]         prediction and experts
 * POST   /v1/models/{name}/learn[/batch]           {"x" or "text","y"} / {"xs","ys"}: prediction before learning, error
 * POST   /v1/models/{name}/feedback                {"routeId","expert","reward"}: a reward in [0, 1] under guard-rails (logged)
 * GET    /v1/models/{name}/feedback                feedback settings, routes waiting, drift from the anchor
 * POST   /v1/models/{name}/feedback/anchor         the router now becomes the anchor (logged)
 * POST   /v1/models/{name}/feedback/rollback       the router goes back to the anchor, bit for bit (logged)
 * GET    /v1/models/{name}/streams[?after&amp;limit]  a page of the open streams in id order, and the next page's "after"
 * PUT    /v1/models/{name}/streams/{stream}        open a stream (201; 409 if open; 409/429 if full)
 * DELETE /v1/models/{name}/streams/{stream}        close a stream
 * POST   /v1/models/{name}/streams/{stream}/reset  zero a stream's cell state
 * GET    /v1/models/{name}/stats                   streams, balance, routing diagnostics, energy
 * POST   /v1/models/{name}/snapshot                snapshot the model, trim the log (needs a data directory)
 * GET    /v1/models/{name}/snapshot                the model's state as snapshot bytes, application/octet-stream
 *                                                  (what import, {@code aura flink --initial-model} and
 *                                                  {@link dev.auramoe.Snapshots#load} read; copies paced as the digest's)
 * POST   /v1/models/{name}/restore                 put the model back to its latest snapshot (logged)
 * </pre>
 *
 * <h2>Durability</h2>
 * With {@link Builder#dataDir(Path)} every state-changing operation (create, import, configure, delete, route,
 * predict, learn, stream open, close, reset and eviction, expert add, rename and remove, restore, a
 * feedback's and a rollback's changes of the router, a feedback anchor) is logged in {@code <dataDir>/wal} under the model's lock, in
 * the order it is applied, and {@link #start()} rebuilds the models from the snapshots and the log
 * (see {@link DataStore}). A learn is answered only once its operation is durable, with its log
 * sequence number as {@code "seq"}, and so are imports, configuration and expert changes, deletions,
 * restores, feedback, anchors and rollbacks; routes and predictions are answered without waiting for the
 * disk: they are ordered in the log all the same, and a restart recovers the durable prefix of the
 * log, which always holds every acknowledged learn (and may lack the last unacknowledged operations).
 * Once the log fails every changing request answers 503 until the server is restarted. A start over a
 * damaged data directory (damage in the log that is not a torn tail, a gap between the snapshots and
 * the log) is refused with a message naming the file and what is wrong, unless
 * {@link Builder#repairWal} asks for a repair, which reports what it dropped (see {@link DataStore}).
 * Without a data directory models live in memory only.
 *
 * <h2>Errors</h2>
 * Every refusal is JSON {@code {"error": "...", "status": N}} with Content-Type application/json: 400
 * for invalid JSON, unknown fields, wrong dimensions and values that are not finite floats, and for
 * a malformed Content-Type; 404 for an unknown model, stream or path; 405 for a known path with
 * another method (with {@code Allow}); 409 for a taken name or a limit reached; 410 for feedback on
 * a route that expired; 413 for a body or
 * batch over the limits ({@link ServerLimits}); 415 for a body that is not JSON, or not UTF-8; 429
 * for a stream that cannot be opened yet (its model holds all the streams it may, none idle long
 * enough to evict) and for an import that waited {@link Builder#importWait} for its turn, with
 * {@code Retry-After} (seconds, at least 1); 503 when the learn journal fails, a model is wedged, or a request ran out of
 * memory. Requests the HTTP layer refuses before any endpoint runs (malformed request lines and
 * headers, bad Content-Length or Transfer-Encoding, 414, 431, a gzip or other coded body: 415, 501,
 * 505) answer the same JSON error; see {@link HttpLayer}. A 500 means a server fault and says nothing
 * more. No response ever carries a stack trace. Requests are validated completely before a model is
 * touched, so a refused request changes nothing. Every GET endpoint also answers HEAD.
 *
 * <p>Every number answered is finite: a prediction beyond float range saturates at
 * {@code +-3.4028235E38} and its squared error is computed in double (see
 * {@link dev.auramoe.MixtureOfExperts}), and 3.4028235E38 is accepted back as a float.
 *
 * <h2>Knobs</h2>
 * Host and port (port 0 picks a free one, see {@link #port()}), the {@link ServerLimits} (bodies,
 * batches, models, parameters, streams per model and their eviction), a {@link TextEmbedder} that
 * reads the {@code text} of route, predict and learn bodies ({@link Builder#textEmbedder}; without
 * one such bodies answer 501), a bearer token
 * ({@link Builder#token}, for reads too with {@link Builder#tokenReads}), and either a data directory
 * ({@link Builder#dataDir}, with {@link Builder#walOptions} and {@link Builder#snapshotEvery}) or a
 * {@link LearnJournal} hook (default: neither, in memory only).
 *
 * <pre>{@code
 * try (RoutingServer server = RoutingServer.builder().host("127.0.0.1").port(0).build().start()) {
 *   int port = server.port();
 *   ...
 * }
 * }</pre>
 */
public final class RoutingServer implements AutoCloseable {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RoutingServer.class);
  private static final String MODEL = "/v1/models/{name}";
  private static final String STREAM = MODEL + "/streams/{stream}";
  private static final String EXPERT = MODEL + "/experts/{expert}";

  private final String host;
  private final int requestedPort;
  private final ServerLimits limits;
  private final OperationJournal journal;
  private final Path dataDir;
  private final WalOptions walOptions;
  private final long snapshotEvery;
  private final boolean repairWal;
  private DataStore store;
  private final ModelRegistry registry;
  private final ServerMetrics metrics;
  private final JsonRequests json = new JsonRequests();
  private final RefusalLog refusals = new RefusalLog();
  private final ModelApi api;
  private final Map<String, List<Method>> paths = new LinkedHashMap<>();
  /** The models {@link #start()} imports, read by {@link Builder#build()}; emptied once registered or discarded. */
  private final List<dev.auramoe.server.model.ModelImport> imports;
  /**
   * Held by the one import that runs at a time, from reading its body to its registration: an import
   * holds its body, the snapshot (a second copy for a JSON body), the model and the log's record, so
   * imports at once could take the heap several times over.
   */
  private final java.util.concurrent.Semaphore importing = new java.util.concurrent.Semaphore(1, true);
  private final Duration importWait;
  private WebServer server;

  /** The bearer token every mutating request must carry, or null when none is configured. */
  private final byte[] token;
  /** Whether reads need the token too (all but GET /health). */
  private final boolean tokenReads;

  /** The last out-of-memory error a request ran into, or null; with when and where (see {@link #health()}). */
  private volatile OutOfMemoryError outOfMemory;
  private volatile long outOfMemoryAt;
  private volatile String outOfMemoryIn;

  /** The answer to a request that ran out of memory, made in advance: there may be no memory to make it then. */
  private final byte[] outOfMemoryBody = Reply.error(503, "the server ran out of memory answering this request;"
      + " see GET /health");

  private RoutingServer(Builder b) {
    this.host = b.host;
    this.requestedPort = b.port;
    this.limits = b.limits;
    this.journal = b.journal;
    this.dataDir = b.dataDir;
    this.walOptions = b.walOptions;
    this.snapshotEvery = b.snapshotEvery;
    this.repairWal = b.repairWal;
    this.token = b.token == null ? null : b.token.getBytes(StandardCharsets.UTF_8);
    this.tokenReads = b.tokenReads;
    this.registry = new ModelRegistry(limits);
    if (journal != null) {
      registry.journal(journal);
    }
    this.metrics = new ServerMetrics(registry::size, registry::heldParameters);
    this.api = new ModelApi(registry, json, limits, metrics, b.embedder);
    this.imports = new ArrayList<>(b.read);
    this.importWait = b.importWait;
  }

  /** A builder: loopback, port 8080, default limits, no-op journal. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Checks that the address can be listened on, recovers the models from the data directory, if
   * there is one, imports the models given to {@link Builder#importModel}, then starts listening.
   *
   * @return this server
   * @throws IllegalStateException when already started, or when the address cannot be listened on
   *     (one line: "cannot listen on HOST:PORT: address already in use", "... unknown host", ...), or
   *     when a model to import cannot be registered (its name was recovered from the data directory,
   *     the budget has no room, the log failed); the server is then closed
   * @throws UncheckedIOException when the data directory cannot be read
   */
  public synchronized RoutingServer start() {
    if (server != null || store != null) {
      throw new IllegalStateException("the server was already started");
    }
    checkListenable(host, requestedPort);
    if (dataDir != null) {
      try {
        store = DataStore.open(dataDir, registry, walOptions, snapshotEvery, repairWal);
      } catch (IOException e) {
        // DataStore's messages name the file and what is wrong with it.
        throw new UncheckedIOException("cannot recover from " + dataDir + ": " + e.getMessage(), e);
      }
    }
    try {
      importModels();
    } catch (RuntimeException e) {
      close();
      throw e;
    }
    server = WebServer.builder()
        .host(host)
        .port(requestedPort)
        .shutdownHook(false)
        .shutdownGracePeriod(Duration.ofSeconds(2))
        .update(b -> HttpLayer.configure(b, metrics))
        .routing(this::routing)
        .build()
        .start();
    if (!server.isRunning()) {
      // Helidon logs a failed bind and returns a server that is not running: fail here instead.
      server = null;
      close();
      throw new IllegalStateException("cannot listen on " + host + ":" + requestedPort
          + " (the port is taken, or the address is not this machine's)");
    }
    LOG.info("listening on http://{}:{} ({})", host, server.port(), dataDir == null ? "models in memory only"
        : "data in " + dataDir);
    return this;
  }

  /**
   * Registers the models to import, each logged as an import; none when the name of one is taken
   * (a model recovered from the data directory) or when the server has no room for all of them, so
   * that a start refused for it changes nothing.
   */
  private void importModels() {
    if (imports.isEmpty()) {
      return;
    }
    for (var i : imports) {
      if (registry.find(i.spec().name()) != null) {
        throw new IllegalStateException("cannot import model '" + i.spec().name() + "': a model of that name was"
            + " recovered from " + dataDir + " (an import makes a new model); delete it first (DELETE /v1/models/"
            + i.spec().name() + "), or start without importing it");
      }
    }
    try {
      registry.checkRoom(imports);
    } catch (Refusal e) {
      throw new IllegalStateException("cannot import " + (imports.size() == 1 ? "model " : "models ")
          + String.join(", ", imports.stream().map(i -> "'" + i.spec().name() + "'").toList()) + ": "
          + e.getMessage(), e);
    }
    while (!imports.isEmpty()) {
      var i = imports.removeFirst();
      try {
        registry.importModel(i);
      } catch (Refusal e) {
        throw new IllegalStateException("cannot import model '" + i.spec().name() + "': " + e.getMessage(), e);
      }
      LOG.info("imported model '{}'", i.spec().name());
    }
  }

  /**
   * Binds the address once and lets it go, so that a taken port, an unknown host or an address of
   * another machine is one clear message before any recovery starts (Helidon would log its failed
   * bind with stack traces and return a server that is not running). A port taken in the moment
   * between this check and the real bind is still caught after the start.
   */
  private static void checkListenable(String host, int port) {
    java.net.InetSocketAddress address = new java.net.InetSocketAddress(host, port);
    String where = "cannot listen on " + host + ":" + port + ": ";
    if (address.isUnresolved()) {
      throw new IllegalStateException(where + "unknown host");
    }
    try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
      probe.setReuseAddress(true);
      probe.bind(address);
    } catch (IOException e) {
      String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      throw new IllegalStateException(where + why.substring(0, 1).toLowerCase(java.util.Locale.ROOT)
          + why.substring(1), e);
    }
  }

  /** The bound port (the chosen one when the requested port was 0). */
  public int port() {
    WebServer s = server;
    if (s == null) {
      throw new IllegalStateException("the server is not started");
    }
    return s.port();
  }

  /** The named models. */
  public ModelRegistry registry() {
    return registry;
  }

  /** The request metrics. */
  public ServerMetrics metrics() {
    return metrics;
  }

  /** The limits in force. */
  public ServerLimits limits() {
    return limits;
  }

  /** The data directory's store (null without a data directory, or before start). */
  public DataStore store() {
    return store;
  }

  /** Stops the web server, then closes the journal (after pending appends) and every model. Idempotent. */
  @Override
  public synchronized void close() {
    if (server != null) {
      server.stop();
      server = null;
    }
    if (store != null) {
      store.close();
      store = null;
    }
    if (journal != null) {
      journal.close();
    }
    imports.forEach(dev.auramoe.server.model.ModelImport::discard);
    imports.clear();
    registry.close();
    metrics.close();
  }

  /**
   * UP; DOWN (503) when the log has failed or a model is {@linkplain dev.auramoe.server.model.ModelEntry#wedged() wedged}, as
   * only a restart recovers either; DEGRADED (200) once the server ran out of memory without
   * harm to the models' state, or while periodic snapshots fail ({@link DataStore#snapshotTrouble()}),
   * with the reason and the time. Under {@link Builder#tokenReads} a request without the token gets
   * the status alone (and the same HTTP status): the reason and the recovery report name models
   * and files.
   */
  private Reply health(ServerRequest req) {
    Reply full = health();
    if (token == null || !tokenReads || offersToken(req)) {
      return full;
    }
    @SuppressWarnings("unchecked")
    Object status = ((Map<String, Object>) full.body()).get("status");
    return new Reply(full.status(), Map.of("status", status), Reply.JSON);
  }

  private Reply health() {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("status", "UP");
    List<String> down = new ArrayList<>();
    List<String> degraded = new ArrayList<>();
    DataStore s = store;
    if (s != null) {
      r.put("recovery", s.recovery());
      if (s.journal().failed()) {
        // Every changing request answers 503 until a restart recovers the log: tell the orchestrator.
        down.add("the operation log has failed; restart the server to recover");
      }
      String snapshots = s.snapshotTrouble();
      if (snapshots != null) {
        degraded.add(snapshots);
      }
    }
    for (var e : registry.list()) {
      String wedged = e.wedged();
      if (wedged != null) {
        down.add(wedged);
      }
    }
    OutOfMemoryError oom = outOfMemory;
    if (oom != null) {
      degraded.add("the server ran out of memory (" + oom + ") at " + java.time.Instant.ofEpochMilli(outOfMemoryAt)
          + " answering " + outOfMemoryIn + "; the request was refused with 503. Give the JVM more memory (-Xmx) or"
          + " lower the limits, and restart the server");
    }
    if (!down.isEmpty()) {
      r.put("status", "DOWN");
      down.addAll(degraded);
      r.put("reason", String.join("; ", down));
      return new Reply(503, r, Reply.JSON);
    }
    if (!degraded.isEmpty()) {
      r.put("status", "DEGRADED");
      r.put("reason", String.join("; ", degraded));
    }
    return Reply.ok(r);
  }

  private Reply restore(String name) {
    DataStore s = store;
    if (s == null) {
      registry.get(name);
      throw new ApiException(409, "the server has no data directory; restoring needs one");
    }
    return Reply.ok(s.restore(name));
  }

  private Reply snapshot(String name) {
    DataStore s = store;
    if (s == null) {
      registry.get(name);
      throw new ApiException(409, "the server has no data directory; snapshots need one");
    }
    return Reply.ok(s.snapshot(name));
  }

  private void routing(HttpRouting.Builder r) {
    route(r, Method.GET, "/health", "GET /health", this::health);
    route(r, Method.GET, "/metrics", "GET /metrics",
        req -> new Reply(200, metrics.exposition(), "text/plain; version=0.0.4; charset=utf-8"));
    route(r, Method.GET, "/openapi.json", "GET /openapi.json", req -> new Reply(200, openApi(), Reply.JSON));
    route(r, Method.POST, "/v1/models", null, req -> api.create(body(req)));
    route(r, Method.POST, MODEL + "/import", null, this::importModel);
    route(r, Method.GET, "/v1/models", null, req -> api.list());
    route(r, Method.GET, MODEL, null, req -> api.get(name(req), req.query().first("digest").orElse(null)));
    route(r, Method.DELETE, MODEL, null, req -> api.delete(name(req)));
    route(r, Method.PATCH, MODEL, null, req -> api.configure(name(req), body(req)));
    route(r, Method.GET, MODEL + "/experts", null, req -> api.experts(name(req)));
    route(r, Method.POST, MODEL + "/experts", null, req -> api.addExpert(name(req), body(req)));
    route(r, Method.PATCH, EXPERT, null, req -> api.renameExpert(name(req), param(req, "expert"), body(req)));
    route(r, Method.DELETE, EXPERT, null, req -> api.removeExpert(name(req), param(req, "expert")));
    route(r, Method.POST, MODEL + "/route", null, req -> api.route(name(req), body(req)));
    route(r, Method.POST, MODEL + "/route/batch", null, req -> api.routeBatch(name(req), body(req)));
    route(r, Method.POST, MODEL + "/predict", null, req -> api.predict(name(req), body(req)));
    route(r, Method.POST, MODEL + "/predict/batch", null, req -> api.predictBatch(name(req), body(req)));
    route(r, Method.POST, MODEL + "/learn", null, req -> api.learn(name(req), body(req)));
    route(r, Method.POST, MODEL + "/learn/batch", null, req -> api.learnBatch(name(req), body(req)));
    route(r, Method.POST, MODEL + "/feedback", null, req -> api.feedback(name(req), body(req)));
    route(r, Method.GET, MODEL + "/feedback", null, req -> api.feedbackInfo(name(req)));
    route(r, Method.POST, MODEL + "/feedback/anchor", null, req -> api.feedbackAnchor(name(req)));
    route(r, Method.POST, MODEL + "/feedback/rollback", null, req -> api.feedbackRollback(name(req)));
    route(r, Method.GET, MODEL + "/streams", null, req -> api.streams(name(req),
        req.query().first("after").orElse(null), req.query().first("limit").orElse(null)));
    route(r, Method.PUT, STREAM, null, req -> api.openStream(name(req), param(req, "stream")));
    route(r, Method.DELETE, STREAM, null, req -> api.closeStream(name(req), param(req, "stream")));
    route(r, Method.POST, STREAM + "/reset", null, req -> api.resetStream(name(req), param(req, "stream")));
    route(r, Method.GET, MODEL + "/stats", null, req -> api.stats(name(req)));
    route(r, Method.POST, MODEL + "/snapshot", null, req -> snapshot(name(req)));
    route(r, Method.GET, MODEL + "/snapshot", null, req -> api.exportModel(name(req)));
    route(r, Method.POST, MODEL + "/restore", null, req -> restore(name(req)));
    // A known path with another method: 405 with the allowed methods, in the body and in Allow.
    for (Map.Entry<String, List<Method>> p : paths.entrySet()) {
      List<String> methods = new ArrayList<>(p.getValue().stream().map(Method::text).toList());
      if (methods.contains("GET")) {
        methods.add(methods.indexOf("GET") + 1, "HEAD");
      }
      String allow = String.join(", ", methods);
      Handler refuse = wrap("other " + p.getKey(), req -> {
        throw new ApiException(405, "method " + req.prologue().method().text() + " is not allowed on this path;"
            + " allowed: " + allow);
      });
      r.any(p.getKey(), (req, res) -> {
        res.header(HeaderNames.ALLOW, allow);
        refuse.handle(req, res);
      });
    }
    r.any(wrap("unmatched", req -> {
      throw ApiException.notFound("no endpoint for " + req.prologue().method().text() + " "
          + req.path().path());
    }));
    r.error(Throwable.class, (req, res, t) -> {
      LOG.error("unhandled fault", t);
      send(req, res, 500, Reply.error(500, "internal server error"), Reply.JSON);
    });
  }

  private static volatile String openApi;

  /** The OpenAPI 3.1 document of this API (a resource beside this class). */
  static String openApi() {
    String d = openApi;
    if (d == null) {
      try (var in = RoutingServer.class.getResourceAsStream("openapi.json")) {
        if (in == null) {
          throw new IllegalStateException("openapi.json is missing from the class path");
        }
        d = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      openApi = d;
    }
    return d;
  }

  /** Every routed path and its methods, in Helidon's path syntax (for the OpenAPI test). */
  Map<String, List<Method>> endpoints() {
    return Collections.unmodifiableMap(paths);
  }

  /** An endpoint: parses and answers one request. */
  @FunctionalInterface
  private interface Action {
    Reply handle(ServerRequest req);
  }

  private void route(HttpRouting.Builder r, Method method, String path, String endpoint, Action a) {
    paths.computeIfAbsent(path, k -> new ArrayList<>()).add(method);
    String name = endpoint != null ? endpoint : method.text() + " " + path;
    r.route(method, path, wrap(name, a));
    if (method == Method.GET) {
      // HEAD answers what GET would, without the body (RFC 9110, 9.3.2).
      r.route(Method.HEAD, path, wrap("HEAD " + path, a));
    }
  }

  private Handler wrap(String endpoint, Action a) {
    return (req, res) -> {
      long t0 = System.nanoTime();
      int status;
      byte[] body;
      String type = Reply.JSON;
      long retryAfter = 0;
      try {
        checkToken(req);
        Reply reply = a.handle(req);
        status = reply.status();
        type = reply.contentType();
        body = reply.body() instanceof String s ? s.getBytes(StandardCharsets.UTF_8)
            : reply.body() instanceof Reply.Json j ? j.bytes()
            : reply.body() instanceof byte[] bytes ? bytes
            : json.mapper().writeValueAsBytes(reply.body());
      } catch (ApiException e) {
        status = e.status();
        body = Reply.error(status, e.getMessage());
        retryAfter = e.retryAfterSeconds();
      } catch (Refusal e) {
        status = RefusalStatus.of(e.kind());
        body = Reply.error(status, e.getMessage());
        retryAfter = e.retryAfterSeconds();
      } catch (RuntimeException | com.fasterxml.jackson.core.JsonProcessingException | StackOverflowError e) {
        LOG.error("fault in " + endpoint, e);
        status = 500;
        body = Reply.error(500, "internal server error");
      } catch (OutOfMemoryError e) {
        // Recorded without allocating; every lock was released on the way out (a model whose
        // operation it interrupted after logging refuses requests from now on: see /health).
        outOfMemoryAt = System.currentTimeMillis();
        outOfMemoryIn = endpoint;
        outOfMemory = e;
        status = 503;
        body = outOfMemoryBody;
        try {
          LOG.error("out of memory in " + endpoint, e);
        } catch (OutOfMemoryError again) {
          // Nothing left to log with; /health reports it.
        }
      }
      if (status == 401) {
        res.header(HeaderNames.WWW_AUTHENTICATE, "Bearer");
      }
      if (retryAfter > 0) {
        res.header(HeaderNames.RETRY_AFTER, Long.toString(retryAfter));
      }
      if (status == 413) {
        // The rest of an oversized body is not read; closing the connection avoids reading it.
        res.header(HeaderNames.CONNECTION, "close");
      }
      send(req, res, status, body, type);
      metrics.record(endpoint, status, System.nanoTime() - t0);
      refusals.refused(endpoint, status, body);
    };
  }

  /**
   * With a token configured, every request that may change state (any method but GET and HEAD)
   * must carry {@code Authorization: Bearer <token>}, and so must reads when
   * {@link Builder#tokenReads} is set, but {@code GET /health}: orchestrators probe it without
   * credentials. It then answers a request without the token with its status alone (see
   * {@link #health(ServerRequest)}). The comparison takes the same time whatever the first
   * differing byte ({@link MessageDigest#isEqual}). Checked before anything else, so a refused
   * request reads no body and changes nothing.
   */
  private void checkToken(ServerRequest req) {
    if (token == null) {
      return;
    }
    Method m = req.prologue().method();
    boolean read = m == Method.GET || m == Method.HEAD;
    if (read && (!tokenReads || req.path().path().equals("/health"))) {
      return;
    }
    if (req.headers().first(HeaderNames.AUTHORIZATION).isEmpty()) {
      throw new ApiException(401, "this server needs a bearer token (Authorization: Bearer <token>) to "
          + (read ? "read" : "change state"));
    }
    if (!offersToken(req)) {
      throw new ApiException(401, "the bearer token is not valid");
    }
  }

  /** Whether the request carries {@code Authorization: Bearer <the token>}; false without a token. */
  private boolean offersToken(ServerRequest req) {
    String given = req.headers().first(HeaderNames.AUTHORIZATION).orElse(null);
    if (token == null || given == null) {
      return false;
    }
    // The scheme is case-insensitive (RFC 9110, section 11.1).
    boolean bearer = given.length() > 7 && given.regionMatches(true, 0, "Bearer ", 0, 7);
    byte[] offered = bearer ? given.substring(7).trim().getBytes(StandardCharsets.UTF_8) : new byte[0];
    return MessageDigest.isEqual(offered, token);
  }

  private static void send(ServerRequest req, ServerResponse res, int status, byte[] body, String type) {
    res.status(status);
    res.header(HeaderNames.CONTENT_TYPE, type);
    if (req.prologue().method() == Method.HEAD) {
      // The headers GET would send, Content-Length included, and no body.
      res.header(HeaderNames.CONTENT_LENGTH, String.valueOf(body.length));
      res.send();
    } else {
      res.send(body);
    }
  }

  private byte[] body(ServerRequest req) {
    checkJson(req, contentType(req, "application/json"));
    long declared = req.headers().contentLength().orElse(-1L);
    return JsonRequests.readBody(req.content().inputStream(), declared, limits.maxBodyBytes());
  }

  /** The request's Content-Type, if it has one. @param expected what to send, for the message of a malformed one */
  private static java.util.Optional<io.helidon.http.HttpMediaType> contentType(ServerRequest req, String expected) {
    try {
      return req.headers().contentType();
    } catch (RuntimeException e) {
      throw ApiException.badRequest("malformed Content-Type header '"
          + req.headers().first(HeaderNames.CONTENT_TYPE).orElse("") + "'; send " + expected);
    }
  }

  /** Refuses a Content-Type other than JSON (none is JSON), and JSON in another charset than UTF-8. */
  private static void checkJson(ServerRequest req, java.util.Optional<io.helidon.http.HttpMediaType> ct) {
    if (ct.isPresent() && !ct.get().mediaType().subtype().equals("json")) {
      throw new ApiException(415, "the request body must be application/json, got " + ct.get().mediaType().text());
    }
    String charset = ct.flatMap(io.helidon.http.HttpMediaType::charset).orElse("utf-8");
    if (!charset.equalsIgnoreCase("utf-8") && !charset.equalsIgnoreCase("utf8")) {
      throw new ApiException(415, "JSON bodies must be UTF-8, got charset " + charset);
    }
  }

  /**
   * {@code POST /v1/models/{name}/import}: the snapshot as {@code application/octet-stream} (or no
   * Content-Type), up to {@link ServerLimits#maxSnapshotBytes()}, or as JSON {@code {"snapshot": base64}}
   * (what clients generated from the OpenAPI document send), up to the base64 of that many bytes.
   */
  private Reply importModel(ServerRequest req) {
    String name = name(req);
    var ct = contentType(req, ModelApi.SNAPSHOT + " or application/json");
    boolean json = ct.isPresent() && ct.get().mediaType().subtype().equals("json");
    if (json) {
      checkJson(req, ct);
    } else if (ct.isPresent() && !ct.get().mediaType().text().equals(ModelApi.SNAPSHOT)) {
      throw new ApiException(415, "the request body must be a snapshot's bytes as " + ModelApi.SNAPSHOT
          + " (or JSON {\"snapshot\": base64}), got " + ct.get().mediaType().text());
    }
    long declared = req.headers().contentLength().orElse(-1L);
    boolean turn;
    try {
      turn = importing.tryAcquire(importWait.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      turn = false;
    }
    if (!turn) {
      throw Refusal.busy("another import is in progress; imports run one at a time", Math.max(1,
          importWait.toSeconds()));
    }
    try {
      byte[] body = JsonRequests.readBody(req.content().inputStream(), declared,
          json ? ModelApi.base64Limit(limits.maxSnapshotBytes()) : limits.maxSnapshotBytes());
      return api.importModel(name, json ? api.snapshotFromJson(body) : body);
    } finally {
      importing.release();
    }
  }

  /** Whether an import holds its turn ({@code POST /v1/models/{name}/import} runs one at a time). */
  boolean importing() {
    return importing.availablePermits() == 0;
  }

  /** How many imports wait for their turn. */
  int importsWaiting() {
    return importing.getQueueLength();
  }

  private static String name(ServerRequest req) {
    return param(req, "name");
  }

  private static String param(ServerRequest req, String p) {
    return req.path().pathParameters().get(p);
  }

  /** Builds a {@link RoutingServer}. */
  public static final class Builder {
    private String host = "127.0.0.1";
    private int port = 8080;
    private ServerLimits limits = ServerLimits.DEFAULT;
    private OperationJournal journal;
    private Path dataDir;
    private WalOptions walOptions = WalOptions.DEFAULTS;
    private long snapshotEvery = 100_000;
    private boolean repairWal;
    private String token;
    private boolean tokenReads;
    private TextEmbedder embedder;
    private final Map<String, byte[]> toImport = new LinkedHashMap<>();
    private List<dev.auramoe.server.model.ModelImport> read = List.of();
    private Duration importWait = Duration.ofSeconds(30);

    private Builder() {}

    /**
     * How long {@code POST /v1/models/{name}/import} waits for its turn (default 30 s): imports run one
     * at a time, each from reading its body to its registration, so that imports at once cannot take
     * the heap several times over. One that waited this long is refused with 429 and
     * {@code Retry-After}, and changes nothing; zero refuses at once while another import runs.
     */
    public Builder importWait(Duration wait) {
      if (Objects.requireNonNull(wait, "importWait").isNegative()
          || wait.compareTo(ServerLimits.MAX_STREAM_IDLE_EVICTION) > 0) {
        throw new IllegalArgumentException("importWait must lie in [0, " + ServerLimits.MAX_STREAM_IDLE_EVICTION
            .toSeconds() + "] s, got " + wait);
      }
      this.importWait = wait;
      return this;
    }

    /**
     * A model to import at {@link RoutingServer#start()}, as {@code POST /v1/models/{name}/import}
     * does: after recovery, before the server listens, logged as an import (with a data directory, a
     * restart then recovers it; importing it again is refused, since the name is taken). The bytes are
     * read by {@link #build()}, which refuses them when they are not a snapshot the server can serve.
     *
     * @param name the model's name
     * @param snapshot the snapshot's bytes ({@link dev.auramoe.Snapshots}' format)
     * @throws IllegalArgumentException when the name was given already
     */
    public Builder importModel(String name, byte[] snapshot) {
      Objects.requireNonNull(snapshot, "snapshot");
      if (toImport.putIfAbsent(Objects.requireNonNull(name, "name"), snapshot) != null) {
        throw new IllegalArgumentException("model '" + name + "' is imported twice");
      }
      return this;
    }

    /**
     * The embedder that turns the {@code text} of route, predict and learn bodies into a model's input
     * (default none: such bodies are refused with 501). A model reads text when its input dimension is
     * the embedder's {@link TextEmbedder#dimension()}. Its calls are made outside every lock, from
     * request threads at once; the server does not close it. The log keeps the embeddings, not the
     * texts, so recovery never needs it.
     */
    public Builder textEmbedder(TextEmbedder e) {
      this.embedder = Objects.requireNonNull(e, "embedder");
      return this;
    }

    /** Interface to bind (default 127.0.0.1). */
    public Builder host(String h) {
      this.host = Objects.requireNonNull(h, "host");
      return this;
    }

    /** Port to bind, 0 for a free one (default 8080). */
    public Builder port(int p) {
      if (p < 0 || p > 65535) {
        throw new IllegalArgumentException("port must lie in [0, 65535], got " + p);
      }
      this.port = p;
      return this;
    }

    /** Request limits (default {@link ServerLimits#DEFAULT}). */
    public Builder limits(ServerLimits l) {
      this.limits = Objects.requireNonNull(l, "limits");
      return this;
    }

    /**
     * A learn journal (default none: models in memory only); it receives the learn operations,
     * every other operation is not kept. Closed with the server. Not with {@link #dataDir}.
     */
    public Builder journal(LearnJournal j) {
      this.journal = OperationJournal.of(Objects.requireNonNull(j, "journal"));
      return this;
    }

    /** An operation journal that receives every operation; closed with the server. Not with {@link #dataDir}. */
    public Builder journal(OperationJournal j) {
      this.journal = Objects.requireNonNull(j, "journal");
      return this;
    }

    /**
     * The data directory (default none: models in memory only): the operation log goes to
     * {@code <dir>/wal}, snapshots to {@code <dir>/snapshots}, and {@link RoutingServer#start()}
     * recovers the models from both.
     */
    public Builder dataDir(Path dir) {
      this.dataDir = Objects.requireNonNull(dir, "dataDir");
      return this;
    }

    /** Options of the operation log (default {@link WalOptions#DEFAULTS}). */
    public Builder walOptions(WalOptions o) {
      this.walOptions = Objects.requireNonNull(o, "walOptions");
      return this;
    }

    /**
     * Whether {@link RoutingServer#start()} repairs damage to the data directory's log instead of
     * refusing to start (default false): damaged segments are copied aside and rewritten with every
     * valid record, and gaps between the snapshots and the log are recorded as holes; what was
     * dropped is logged and reported under "repair" in {@code GET /health} (see {@link DataStore}).
     */
    public Builder repairWal(boolean repair) {
      this.repairWal = repair;
      return this;
    }

    /** Operations of one model after which it is snapshotted in the background (default 100,000). */
    public Builder snapshotEvery(long operations) {
      if (operations < 1) {
        throw new IllegalArgumentException("snapshotEvery must be >= 1, got " + operations);
      }
      this.snapshotEvery = operations;
      return this;
    }

    /**
     * Requires {@code Authorization: Bearer <token>} on every request that may change state (any
     * method but GET and HEAD); null (the default) requires none.
     *
     * @throws IllegalArgumentException for an empty token or one with white space or control
     *     characters
     */
    public Builder token(String t) {
      if (t != null && (t.isEmpty() || !t.chars().allMatch(c -> c > 32 && c < 127))) {
        throw new IllegalArgumentException("the token must be non-empty printable ASCII without spaces");
      }
      this.token = t;
      return this;
    }

    /**
     * Whether reads need the {@linkplain #token token} too (default false: reads need none). Needs
     * a token. {@code GET /health} stays open for liveness probes, but without the token it answers
     * only {@code {"status": "UP" | "DEGRADED" | "DOWN"}} (with 200, or 503 when DOWN): its reason
     * and the recovery report name models and files, and need the token (a wrong token gets the
     * status alone too, never a 401, so a probe with a stale token does not fail).
     */
    public Builder tokenReads(boolean on) {
      this.tokenReads = on;
      return this;
    }

    /**
     * A server, not yet started.
     *
     * @throws IllegalStateException when both a journal and a data directory were given, or tokenReads without a
     *     token
     * @throws IllegalArgumentException when a model to import is not a snapshot the server can serve: the
     *     message names the model and says why (see {@link dev.auramoe.server.model.ModelImport})
     */
    public RoutingServer build() {
      if (journal != null && dataDir != null) {
        throw new IllegalStateException("a data directory brings its own journal; give one or the other");
      }
      if (tokenReads && token == null) {
        throw new IllegalStateException("tokenReads needs a token");
      }
      List<dev.auramoe.server.model.ModelImport> models = new ArrayList<>();
      try {
        for (Map.Entry<String, byte[]> i : toImport.entrySet()) {
          try {
            models.add(dev.auramoe.server.model.ModelImport.read(i.getKey(), i.getValue(), limits));
          } catch (Refusal e) {
            throw new IllegalArgumentException("model '" + i.getKey() + "' cannot be imported: " + e.getMessage(), e);
          }
        }
        read = models;
        return new RoutingServer(this);
      } catch (RuntimeException e) {
        models.forEach(dev.auramoe.server.model.ModelImport::discard);
        throw e;
      } finally {
        read = List.of();
      }
    }
  }
}
