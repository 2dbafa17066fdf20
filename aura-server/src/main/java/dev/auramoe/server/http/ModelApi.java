package dev.auramoe.server.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.auramoe.MixtureOfExperts;
import dev.auramoe.TextEmbedder;
import dev.auramoe.balance.BalanceState;
import dev.auramoe.energy.Component;
import dev.auramoe.energy.EnergyReport;
import dev.auramoe.feedback.FeedbackOutcome;
import dev.auramoe.routing.RoutingDecision;
import dev.auramoe.routing.diagnostics.RoutingStats;
import dev.auramoe.server.ApiException;
import dev.auramoe.server.ServerLimits;
import dev.auramoe.server.metrics.ServerMetrics;
import dev.auramoe.server.model.ExpertSpec;
import dev.auramoe.server.model.FeedbackSettings;
import dev.auramoe.server.model.ModelEntry;
import dev.auramoe.server.model.ModelImport;
import dev.auramoe.server.model.ModelRegistry;
import dev.auramoe.server.model.ModelSettings;
import dev.auramoe.server.model.ModelSpec;
import dev.auramoe.server.model.Refusal;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The model endpoints under {@code /v1/models}, independent of the HTTP framework: each takes the
 * path parameters and the raw body and returns a {@link Reply}, or throws an {@link ApiException} (or the models' {@link Refusal}, which
 * {@link RefusalStatus} maps to a status).
 * Every request is parsed and validated completely (shape, dimensions, finiteness, limits, model and
 * stream) before a model is touched, so a refused request changes nothing. Thread-safe.
 */
public final class ModelApi {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ModelApi.class);

  /** The feedback settings, in create and configure bodies and in the settings answered. */
  private static final List<String> FEEDBACK_SETTINGS = List.of("feedback", "feedbackMaxStep", "feedbackMaxDrift",
      "feedbackRememberedRoutes", "feedbackRouteLifetimeSeconds", "feedbackFrozen");
  private static final Set<String> CREATE_FIELDS = JsonRequests.fields(FEEDBACK_SETTINGS, "name", "inputDim",
      "outputDim", "experts", "topK", "hidden", "seed", "mu", "routerLearningRate", "temperature", "diagnosticsWindow",
      "diagnosticsDecay");
  private static final Set<String> ONE_FIELDS = JsonRequests.fields("x", "text", "stream");
  private static final Set<String> BATCH_FIELDS = JsonRequests.fields("xs", "stream");
  private static final Set<String> LEARN_FIELDS = JsonRequests.fields("x", "text", "y", "stream");
  private static final Set<String> LEARN_BATCH_FIELDS = JsonRequests.fields("xs", "ys", "stream");
  private static final Set<String> CONFIGURE_FIELDS = JsonRequests.fields(FEEDBACK_SETTINGS, "temperature",
      "routerLearningRate", "balance", "balanceGamma", "balanceDecay", "balanceBiasCap", "balanceWarmupTokens",
      "balanceFrozen");
  private static final Set<String> FEEDBACK_FIELDS = JsonRequests.fields("routeId", "expert", "reward");
  private static final Set<String> EXPERT_FIELDS = JsonRequests.fields("name", "kind", "mu", "lambda", "delta");
  private static final Set<String> RENAME_FIELDS = JsonRequests.fields("name");

  private final ModelRegistry registry;
  private final JsonRequests json;
  private final ServerLimits limits;
  private final ServerMetrics metrics;
  private final TextEmbedder embedder;

  /**
   * The API over a registry, without a text embedder.
   *
   * @param registry the models
   * @param json the request reader
   * @param limits batch and model limits
   * @param metrics counts learned samples
   */
  public ModelApi(ModelRegistry registry, JsonRequests json, ServerLimits limits, ServerMetrics metrics) {
    this(registry, json, limits, metrics, null);
  }

  /**
   * The API over a registry.
   *
   * @param registry the models
   * @param json the request reader
   * @param limits batch and model limits
   * @param metrics counts learned samples
   * @param embedder turns the {@code text} of route, predict and learn bodies into inputs; null: such
   *     bodies are refused with 501
   */
  public ModelApi(ModelRegistry registry, JsonRequests json, ServerLimits limits, ServerMetrics metrics,
      TextEmbedder embedder) {
    this.registry = registry;
    this.json = json;
    this.limits = limits;
    this.metrics = metrics;
    this.embedder = embedder;
  }

  /** {@code POST /v1/models}: creates a model (201), 409 when the name is taken. */
  public Reply create(byte[] body) {
    ObjectNode o = json.object(body, CREATE_FIELDS);
    String name = JsonRequests.string(o, "name", null);
    if (name == null) {
      throw ApiException.badRequest("field 'name' is required");
    }
    if (!o.has("inputDim")) {
      throw ApiException.badRequest("field 'inputDim' is required");
    }
    ModelSpec spec = new ModelSpec(name,
        JsonRequests.integer(o, "inputDim", 0),
        JsonRequests.integer(o, "outputDim", ModelSpec.DEFAULT_OUTPUT_DIM),
        JsonRequests.integer(o, "experts", ModelSpec.DEFAULT_EXPERTS),
        JsonRequests.integer(o, "topK", ModelSpec.DEFAULT_TOP_K),
        JsonRequests.integer(o, "hidden", ModelSpec.DEFAULT_HIDDEN),
        JsonRequests.longInteger(o, "seed", ModelSpec.DEFAULT_SEED),
        JsonRequests.number(o, "mu", ModelSpec.DEFAULT_MU),
        JsonRequests.number(o, "routerLearningRate", ModelSpec.DEFAULT_ROUTER_LEARNING_RATE),
        JsonRequests.number(o, "temperature", ModelSpec.DEFAULT_TEMPERATURE),
        JsonRequests.integer(o, "diagnosticsWindow", ModelSpec.DEFAULT_DIAGNOSTICS_WINDOW),
        JsonRequests.number(o, "diagnosticsDecay", ModelSpec.DEFAULT_DIAGNOSTICS_DECAY),
        feedbackSettings(o).apply(FeedbackSettings.DEFAULT));
    return Reply.created(describe(registry.create(spec), true));
  }

  /** The media type of snapshot bodies, imported and exported. */
  public static final String SNAPSHOT = "application/octet-stream";
  private static final Set<String> IMPORT_FIELDS = JsonRequests.fields("snapshot");

  /**
   * The largest JSON import body: {@code {"snapshot": "..."}} around the base64 of
   * {@code maxSnapshotBytes} bytes (at most {@code Integer.MAX_VALUE - 8}).
   */
  public static int base64Limit(int maxSnapshotBytes) {
    return (int) Math.min(Integer.MAX_VALUE - 8, 4 * ((maxSnapshotBytes + 2L) / 3) + 64);
  }

  /**
   * The snapshot of a JSON import body, {@code {"snapshot": base64}}: the form of clients that send
   * JSON bodies only (those generated from the OpenAPI document).
   *
   * @throws ApiException 400 for another shape, or a value that is not base64; 413 for a snapshot over
   *     {@link ServerLimits#maxSnapshotBytes()}
   */
  public byte[] snapshotFromJson(byte[] body) {
    String b64 = JsonRequests.string(json.object(body, IMPORT_FIELDS), "snapshot", null);
    if (b64 == null) {
      throw ApiException.badRequest("field 'snapshot' is required: the snapshot's bytes in base64");
    }
    byte[] snapshot;
    try {
      snapshot = java.util.Base64.getDecoder().decode(b64);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("field 'snapshot' is not base64: " + e.getMessage());
    }
    // The body's limit is the base64 of the limit with room for the braces: what decodes to more is too
    // large, as a body of bytes over the limit is.
    if (snapshot.length > limits.maxSnapshotBytes()) {
      throw ApiException.tooLarge("the snapshot has " + snapshot.length + " bytes, over this server's limit of "
          + limits.maxSnapshotBytes());
    }
    return snapshot;
  }

  /**
   * {@code POST /v1/models/{name}/import}: makes a model from a snapshot's bytes (201), as
   * {@link ModelImport} reads it, and answers once its import is durable; 409 when the name is taken
   * (checked before the snapshot is read, and again when the model is registered).
   */
  public Reply importModel(String name, byte[] snapshot) {
    ModelSpec.checkName(name);
    if (registry.find(name) != null) {
      throw Refusal.conflict("model '" + name + "' already exists");
    }
    return Reply.created(describe(registry.importModel(ModelImport.read(name, snapshot, limits)), true));
  }

  /**
   * {@code GET /v1/models/{name}/snapshot}: the model's state now as snapshot bytes, which
   * {@code POST /v1/models/{name}/import}, {@code aura serve --import}, {@code aura flink --initial-model}
   * and {@link dev.auramoe.Snapshots#load} read; copied at the pace of the digest's copies (see
   * {@link ModelEntry#snapshotBytes()}).
   */
  public Reply exportModel(String name) {
    return new Reply(200, registry.get(name).snapshotBytes(), SNAPSHOT);
  }

  /** {@code GET /v1/models}: every model's name and shape. */
  public Reply list() {
    List<Object> models = new ArrayList<>();
    for (ModelEntry e : registry.list()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", e.name());
      m.put("inputDim", e.spec().inputDim());
      m.put("outputDim", e.spec().outputDim());
      m.put("experts", e.expertNames().size());
      m.put("topK", e.spec().topK());
      models.add(m);
    }
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("count", models.size());
    r.put("models", models);
    return Reply.ok(r);
  }

  /**
   * {@code GET /v1/models/{name}}: configuration, settings, streams and counters, read without
   * holding the model's lock for longer than reading a counter; with {@code digest} also the
   * digest of the model's state, which copies the whole state once per version of it, paced so that
   * such reads wait rather than the model's writes (see {@link ModelEntry#digest()}).
   *
   * @param digest the {@code digest} query parameter: "true", "false" or null (false)
   */
  public Reply get(String name, String digest) {
    boolean withDigest;
    if (digest == null || digest.equals("false")) {
      withDigest = false;
    } else if (digest.equals("true")) {
      withDigest = true;
    } else {
      throw ApiException.badRequest("query parameter 'digest' must be true or false, got '" + digest + "'");
    }
    return Reply.ok(describe(registry.get(name), withDigest));
  }

  /**
   * {@code PATCH /v1/models/{name}}: changes the run-time settings named in the body (temperature,
   * router learning rate, balancing); the others keep their values. Answered once durable, with
   * the settings now in force and the operation's {@code "seq"}.
   */
  public Reply configure(String name, byte[] body) {
    ModelEntry e = registry.get(name);
    ObjectNode o = json.object(body, CONFIGURE_FIELDS);
    boolean any = false;
    for (var it = o.elements(); it.hasNext();) {
      any |= !it.next().isNull();
    }
    if (!any) {
      throw ApiException.badRequest("name at least one setting to change: " + String.join(", ",
          CONFIGURE_FIELDS.stream().sorted().toList()));
    }
    // Parsed (and type-checked) here; merged with the settings in force under the model's lock.
    Double temperature = optionalNumber(o, "temperature");
    Double routerLearningRate = optionalNumber(o, "routerLearningRate");
    Boolean balance = o.hasNonNull("balance") ? JsonRequests.bool(o, "balance", false) : null;
    Double gamma = optionalNumber(o, "balanceGamma");
    Double decay = optionalNumber(o, "balanceDecay");
    Double cap = optionalNumber(o, "balanceBiasCap");
    Long warmup = o.hasNonNull("balanceWarmupTokens") ? JsonRequests.longInteger(o, "balanceWarmupTokens", 0) : null;
    Boolean frozen = o.hasNonNull("balanceFrozen") ? JsonRequests.bool(o, "balanceFrozen", false) : null;
    java.util.function.UnaryOperator<FeedbackSettings> feedback = feedbackSettings(o);
    ModelEntry.Changed<ModelSettings> c = e.configure(now -> new ModelSettings(
        temperature != null ? temperature : now.temperature(),
        routerLearningRate != null ? routerLearningRate : now.routerLearningRate(),
        balance != null ? balance : now.balance(),
        gamma != null ? gamma : now.balanceGamma(),
        decay != null ? decay : now.balanceDecay(),
        cap != null ? cap : now.balanceBiasCap(),
        warmup != null ? warmup : now.balanceWarmupTokens(),
        frozen != null ? frozen : now.balanceFrozen(),
        feedback.apply(now.feedback())));
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("name", name);
    r.put("settings", settings(c.now()));
    r.put("seq", c.seq());
    return Reply.ok(r);
  }

  private static Double optionalNumber(ObjectNode o, String field) {
    return o.hasNonNull(field) ? JsonRequests.number(o, field, 0) : null;
  }

  /**
   * The feedback settings a body names (parsed and type-checked now), over the settings they change:
   * the defaults at creation, those in force for a configuration.
   */
  private static java.util.function.UnaryOperator<FeedbackSettings> feedbackSettings(ObjectNode o) {
    Boolean enabled = o.hasNonNull("feedback") ? JsonRequests.bool(o, "feedback", false) : null;
    Double maxStep = optionalNumber(o, "feedbackMaxStep");
    Double maxDrift = optionalNumber(o, "feedbackMaxDrift");
    Integer routes = o.hasNonNull("feedbackRememberedRoutes") ? JsonRequests.integer(o, "feedbackRememberedRoutes", 0)
        : null;
    Double lifetime = optionalNumber(o, "feedbackRouteLifetimeSeconds");
    Boolean frozen = o.hasNonNull("feedbackFrozen") ? JsonRequests.bool(o, "feedbackFrozen", false) : null;
    return now -> new FeedbackSettings(enabled != null ? enabled : now.enabled(),
        maxStep != null ? maxStep : now.maxStep(), maxDrift != null ? maxDrift : now.maxDrift(),
        routes != null ? routes : now.rememberedRoutes(),
        lifetime != null ? lifetime : now.routeLifetimeSeconds(), frozen != null ? frozen : now.frozen());
  }

  /** {@code GET /v1/models/{name}/experts}: every expert with its kind, parameters and load. */
  public Reply experts(String name) {
    ModelEntry e = registry.get(name);
    List<Object> rows = new ArrayList<>();
    for (ModelEntry.ExpertInfo i : e.experts()) {
      rows.add(expert(i));
    }
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("count", rows.size());
    r.put("experts", rows);
    return Reply.ok(r);
  }

  /**
   * {@code POST /v1/models/{name}/experts}: adds an expert (201) at the end of the list; answered
   * once durable.
   */
  public Reply addExpert(String name, byte[] body) {
    ModelEntry e = registry.get(name);
    ObjectNode o = json.object(body, EXPERT_FIELDS);
    String expert = JsonRequests.string(o, "name", null);
    if (expert == null) {
      throw ApiException.badRequest("field 'name' is required");
    }
    String kind = JsonRequests.string(o, "kind", "nlms");
    ExpertSpec spec = new ExpertSpec(expert, kind,
        JsonRequests.number(o, "mu", e.spec().mu()),
        JsonRequests.number(o, "lambda", ExpertSpec.DEFAULT_LAMBDA),
        JsonRequests.number(o, "delta", ExpertSpec.DEFAULT_DELTA));
    java.util.List<String> given = new java.util.ArrayList<>();
    o.fieldNames().forEachRemaining(given::add);
    ExpertSpec.checkParametersApply(kind, given);
    return Reply.created(expertChange(expert, e.addExpert(spec)));
  }

  /** {@code DELETE /v1/models/{name}/experts/{expert}}: the experts after it move down one index. */
  public Reply removeExpert(String name, String expert) {
    ModelEntry e = registry.get(name);
    ModelEntry.Changed<List<String>> c = e.removeExpert(expert);
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("removed", expert);
    r.put("expertNames", c.now());
    r.put("seq", c.seq());
    return Reply.ok(r);
  }

  /** {@code PATCH /v1/models/{name}/experts/{expert}}: renames it ({@code {"name": new}}). */
  public Reply renameExpert(String name, String expert, byte[] body) {
    ModelEntry e = registry.get(name);
    ObjectNode o = json.object(body, RENAME_FIELDS);
    String newName = JsonRequests.string(o, "name", null);
    if (newName == null) {
      throw ApiException.badRequest("field 'name' (the new name) is required");
    }
    return Reply.ok(expertChange(newName, e.renameExpert(expert, newName)));
  }

  private static Map<String, Object> expertChange(String expert, ModelEntry.Changed<List<String>> c) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("expert", expert);
    r.put("index", c.now().indexOf(expert));
    r.put("expertNames", c.now());
    r.put("seq", c.seq());
    return r;
  }

  private static Map<String, Object> expert(ModelEntry.ExpertInfo i) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("index", i.index());
    m.put("name", i.name());
    m.put("kind", i.kind());
    m.put("hyperParameters", i.hyperParameters());
    m.put("selections", i.selections());
    m.put("load", i.load());
    m.put("bias", i.bias());
    return m;
  }

  private static Map<String, Object> settings(ModelSettings s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("temperature", (float) s.temperature());
    m.put("routerLearningRate", (float) s.routerLearningRate());
    m.put("balance", s.balance());
    m.put("balanceGamma", s.balanceGamma());
    m.put("balanceDecay", s.balanceDecay());
    m.put("balanceBiasCap", s.balanceBiasCap());
    m.put("balanceWarmupTokens", s.balanceWarmupTokens());
    m.put("balanceFrozen", s.balanceFrozen());
    FeedbackSettings f = s.feedback();
    m.put("feedback", f.enabled());
    m.put("feedbackMaxStep", f.maxStep());
    m.put("feedbackMaxDrift", f.maxDrift());
    m.put("feedbackRememberedRoutes", f.rememberedRoutes());
    m.put("feedbackRouteLifetimeSeconds", f.routeLifetimeSeconds());
    m.put("feedbackFrozen", f.frozen());
    return m;
  }

  /** {@code DELETE /v1/models/{name}}. */
  public Reply delete(String name) {
    registry.remove(name);
    return Reply.ok(Map.of("deleted", name));
  }

  /**
   * {@code POST /v1/models/{name}/route}: one input's routing decision, with the id it waits for
   * feedback under when the model's feedback is on.
   */
  public Reply route(String name, byte[] body) {
    ModelEntry e = registry.get(name);
    ObjectNode o = json.object(body, ONE_FIELDS);
    String stream = stream(o);
    float[] x = input(o, body, e);
    ModelEntry.Routed routed = e.route(stream, x);
    RoutingDecision d = routed.decision();
    // Written field by field: the same bytes Jackson writes for the equivalent map (the fields in this
    // order), without building the map and walking it (a tenth of the server's CPU under route load).
    int[] experts = d.experts();
    List<String> all = routed.expertNames(); // as they were when it was routed
    ByteArrayBuilder out = new ByteArrayBuilder(512);
    try (JsonGenerator g = json.mapper().createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("stream", stream);
      g.writeFieldName("experts");
      g.writeArray(experts, 0, experts.length);
      g.writeArrayFieldStart("expertNames");
      for (int i : experts) {
        g.writeString(all.get(i));
      }
      g.writeEndArray();
      floats(g, "weights", d.weights());
      floats(g, "probabilities", d.probabilities());
      g.writeFieldName("temperature");
      g.writeNumber(d.temperature());
      g.writeNumberField("steps", d.steps());
      if (routed.routeId() != null) {
        g.writeStringField("routeId", routed.routeId());
      }
      g.writeEndObject();
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
    return Reply.ok(new Reply.Json(out.toByteArray()));
  }

  private static void floats(JsonGenerator g, String field, float[] v) throws IOException {
    g.writeFieldName(field);
    g.writeStartArray(v, v.length);
    for (float f : v) {
      g.writeNumber(f);
    }
    g.writeEndArray();
  }

  /** {@code POST /v1/models/{name}/route/batch}: consecutive inputs of one stream. */
  public Reply routeBatch(String name, byte[] body) {
    ModelEntry e = registry.get(name);
    ObjectNode o = json.object(body, BATCH_FIELDS);
    String stream = stream(o);
    float[] xs = JsonRequests.matrix(o, "xs", e.spec().inputDim(), limits.maxBatch());
    int count = JsonRequests.rows(o, "xs");
    int k = e.spec().topK();
    int[] experts = new int[count * k];
    float[] weights = new float[count * k];
    e.routeBatch(stream, xs, count, experts, weights);
    List<Object> results = new ArrayList<>(count);
    for (int r = 0; r < count; r++) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("experts", java.util.Arrays.copyOfRange(experts, r * k, (r + 1) * k));
      m.put("weights", java.util.Arrays.copyOfRange(weights, r * k, (r + 1) * k));
      results.add(m);
    }
    return Reply.ok(batch(stream, count, results));
  }

  /** {@code POST /v1/models/{name}/predict}: one prediction with the experts that made it. */
  public Reply predict(String name, byte[] body) {
    ModelEntry e = registry.get(name);
    ObjectNode o = json.object(body, ONE_FIELDS);
    String stream = stream(o);
    float[] x = input(o, body, e);
    Map<String, Object> r = prediction(e.predict(stream, x, 1).getFirst());
    r.put("stream", stream);
    return Reply.ok(r);
  }

  /** {@code POST /v1/models/{name}/predict/batch}. */
  public Reply predictBatch(String name, byte[] body) {
    ModelEntry e = registry.get(name);
    ObjectNode o = json.object(body, BATCH_FIELDS);
    String stream = stream(o);
    float[] xs = JsonRequests.matrix(o, "xs", e.spec().inputDim(), limits.maxBatch());
    int count = JsonRequests.rows(o, "xs");
    List<Object> results = new ArrayList<>(count);
    for (ModelEntry.Prediction p : e.predict(stream, xs, count)) {
      results.add(prediction(p));
    }
    return Reply.ok(batch(stream, count, results));
  }

  /**
   * {@code POST /v1/models/{name}/learn}: predict, then learn; answered once the journal acknowledges,
   * with the operation's log sequence number as {@code "seq"}.
   */
  public Reply learn(String name, byte[] body) {
    ModelEntry e = registry.get(name);
    ObjectNode o = json.object(body, LEARN_FIELDS);
    String stream = stream(o);
    float[] y = JsonRequests.vector(o, "y", e.spec().outputDim());
    float[] x = input(o, body, e);
    ModelEntry.Learned l = e.learn(stream, x, y, 1);
    metrics.learned(1);
    Map<String, Object> r = learned(l.samples().getFirst());
    r.put("stream", stream);
    r.put("seq", l.seq());
    return Reply.ok(r);
  }

  /** {@code POST /v1/models/{name}/learn/batch}: consecutive samples, one journal event. */
  public Reply learnBatch(String name, byte[] body) {
    ModelEntry e = registry.get(name);
    ObjectNode o = json.object(body, LEARN_BATCH_FIELDS);
    String stream = stream(o);
    float[] xs = JsonRequests.matrix(o, "xs", e.spec().inputDim(), limits.maxBatch());
    float[] ys = JsonRequests.matrix(o, "ys", e.spec().outputDim(), limits.maxBatch());
    int count = JsonRequests.rows(o, "xs");
    if (JsonRequests.rows(o, "ys") != count) {
      throw ApiException.badRequest("'xs' has " + count + " rows but 'ys' has " + JsonRequests.rows(o, "ys"));
    }
    ModelEntry.Learned l = e.learn(stream, xs, ys, count);
    List<ModelEntry.LearnedSample> samples = l.samples();
    metrics.learned(count);
    List<Object> results = new ArrayList<>(count);
    double sum = 0;
    for (ModelEntry.LearnedSample s : samples) {
      results.add(learned(s));
      sum += s.squaredError();
    }
    Map<String, Object> r = batch(stream, count, results);
    r.put("meanSquaredError", finite(sum / count));
    r.put("seq", l.seq());
    return Reply.ok(r);
  }

  /**
   * The input of a single route, predict or learn: the body's {@code x}, or the embedding of its
   * {@code text} (exactly one of them). Everything about the text is checked before any model is
   * touched: a server without an embedder answers 501; a model whose input dimension is not the
   * embedder's 409, naming both; a body that is not strict UTF-8 (Jackson would decode overlong forms,
   * encoded surrogates and code points past U+10FFFF into other characters) 400; a text the embedder
   * refuses (empty, blank, too long, an unpaired surrogate) 400 with its reason; an embedder that
   * fails (it could not be loaded) 503. Only the embedding reaches the model and the log: the text is
   * not kept, and a replay needs no embedder.
   */
  private float[] input(ObjectNode o, byte[] body, ModelEntry e) {
    boolean hasText = o.hasNonNull("text");
    if (!hasText) {
      if (o.get("x") == null || o.get("x").isNull()) {
        throw ApiException.badRequest("field 'x' is required (or 'text', a text to embed)");
      }
      return JsonRequests.vector(o, "x", e.spec().inputDim());
    }
    if (o.hasNonNull("x")) {
      throw ApiException.badRequest("give either 'x' or 'text', not both");
    }
    String text = JsonRequests.string(o, "text", null);
    if (embedder == null) {
      throw new ApiException(501, "this server has no text embedder, so 'text' cannot be read; send the input as 'x'"
          + " (aura serve embeds text with all-MiniLM-L6-v2)");
    }
    JsonRequests.requireUtf8(body);
    int surrogate = TextEmbedder.unpairedSurrogate(text);
    if (surrogate >= 0) {
      // valid UTF-8 bytes can still spell one as a JSON escape ("\ud800"): refused whatever the embedder
      throw ApiException.badRequest(String.format("field 'text' is refused: it has an unpaired surrogate U+%04X at"
          + " char %d (not valid UTF-16; no UTF-8 form)", (int) text.charAt(surrogate), surrogate));
    }
    int dimension;
    TextEmbedder.Embedded embedded;
    try {
      dimension = embedder.dimension();
      if (dimension != e.spec().inputDim()) {
        throw Refusal.conflict("model '" + e.name() + "' reads inputs of " + e.spec().inputDim() + " values but the"
            + " text embedder gives " + dimension + ": send 'x', or create a model with inputDim " + dimension
            + " to send it text");
      }
      embedded = embedder.embed(text);
    } catch (IllegalArgumentException refused) {
      throw ApiException.badRequest("field 'text' is refused: " + JsonRequests.shorten(String.valueOf(
          refused.getMessage())));
    } catch (Refusal r) {
      throw r;
    } catch (RuntimeException failed) {
      LOG.error("the text embedder failed", failed);
      throw Refusal.unavailable("the text embedder failed (" + JsonRequests.shorten(String.valueOf(failed.getMessage()))
          + "); nothing was changed");
    }
    float[] x = embedded.embedding();
    if (x.length != dimension) {
      throw new IllegalStateException("the text embedder gave " + x.length + " values instead of " + dimension);
    }
    for (int i = 0; i < x.length; i++) {
      if (!Float.isFinite(x[i])) {
        throw new IllegalStateException("the text embedder gave a value that is not finite at index " + i);
      }
    }
    return x;
  }

  /**
   * {@code POST /v1/models/{name}/feedback}: a reward in [0, 1] for one expert a remembered route chose,
   * through the model's guard-rails; answered once its change is durable, with what the guard did.
   */
  public Reply feedback(String name, byte[] body) {
    ModelEntry e = registry.get(name);
    ObjectNode o = json.object(body, FEEDBACK_FIELDS);
    String routeId = JsonRequests.string(o, "routeId", null);
    String expert = JsonRequests.string(o, "expert", null);
    if (routeId == null || expert == null || !o.hasNonNull("reward")) {
      throw ApiException.badRequest("fields 'routeId', 'expert' and 'reward' are required");
    }
    double reward = JsonRequests.number(o, "reward", 0);
    ModelEntry.FeedbackAnswer a = e.feedback(routeId, expert, reward);
    FeedbackOutcome f = a.outcome();
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("routeId", a.routeId());
    r.put("expert", f.expert());
    r.put("reward", f.reward());
    r.put("change", finite(f.change()));
    r.put("stepBounded", f.stepBounded());
    r.put("driftCapped", f.driftCapped());
    r.put("frozen", f.frozen());
    r.put("drift", finite(f.drift()));
    r.put("seq", a.seq() < 0 ? null : a.seq());
    return Reply.ok(r);
  }

  /** {@code GET /v1/models/{name}/feedback}: the feedback settings, the routes waiting, the drift from the anchor. */
  public Reply feedbackInfo(String name) {
    ModelEntry e = registry.get(name);
    ModelEntry.FeedbackInfo i = e.feedbackInfo();
    FeedbackSettings s = i.settings();
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("name", name);
    r.put("enabled", s.enabled());
    r.put("frozen", s.frozen());
    r.put("maxStep", s.maxStep());
    r.put("maxDrift", s.maxDrift());
    r.put("rememberedRoutes", s.rememberedRoutes());
    r.put("routeLifetimeSeconds", s.routeLifetimeSeconds());
    r.put("pendingRoutes", i.pendingRoutes());
    r.put("drift", i.drift());
    r.put("routeMemoryParameters", i.routeMemory());
    return Reply.ok(r);
  }

  /** {@code POST /v1/models/{name}/feedback/anchor}: the router now becomes the anchor; answered once durable. */
  public Reply feedbackAnchor(String name) {
    ModelEntry e = registry.get(name);
    long seq = e.feedbackAnchor();
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("name", name);
    r.put("anchored", true);
    r.put("seq", seq);
    return Reply.ok(r);
  }

  /**
   * {@code POST /v1/models/{name}/feedback/rollback}: the router's parameters go back to the anchor, bit
   * for bit; answered once durable, with how far they moved.
   */
  public Reply feedbackRollback(String name) {
    ModelEntry e = registry.get(name);
    ModelEntry.RolledBack b = e.feedbackRollback();
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("name", name);
    r.put("moved", b.moved());
    r.put("drift", 0.0);
    r.put("seq", b.seq());
    return Reply.ok(r);
  }

  /** Ids a page of {@link #streams} lists when the request does not say. */
  public static final int STREAM_PAGE = 1_000;
  /** The most ids one page of {@link #streams} lists. */
  public static final int MAX_STREAM_PAGE = 10_000;

  /**
   * {@code GET /v1/models/{name}/streams[?after=<id>][&limit=<n>]}: a page of the open streams in
   * id order (code unit order; {@code default} among them), {@code limit} ids (default
   * {@value #STREAM_PAGE}, at most {@value #MAX_STREAM_PAGE}) greater than {@code after}. The answer
   * is {@code {"streams": [...], "open": N, "next": id or null}}: pass {@code next} as {@code after}
   * for the next page; it is null on the last. {@code after} need not be open, so a walk over the
   * pages lists every stream that stays open throughout exactly once, whatever is opened, closed
   * or evicted meanwhile. Each page holds the model's lock for time in the page's size, not in the
   * number of streams.
   *
   * @param after the {@code after} query parameter, or null
   * @param limit the {@code limit} query parameter, or null
   */
  public Reply streams(String name, String after, String limit) {
    ModelEntry e = registry.get(name);
    if (after != null) {
      try {
        ModelEntry.checkStreamId(after);
      } catch (Refusal malformed) {
        throw ApiException.badRequest("query parameter 'after' must be a stream id (the 'next' of the previous page): "
            + malformed.getMessage());
      }
    }
    int n = STREAM_PAGE;
    if (limit != null) {
      try {
        n = Integer.parseInt(limit);
      } catch (NumberFormatException ex) {
        n = -1;
      }
      if (n < 1 || n > MAX_STREAM_PAGE) {
        throw ApiException.badRequest("query parameter 'limit' must be an integer from 1 to " + MAX_STREAM_PAGE
            + ", got '" + JsonRequests.shorten(limit) + "'");
      }
    }
    List<String> page = e.streams(after, n + 1);
    String next = null;
    if (page.size() > n) {
      page = page.subList(0, n);
      next = page.getLast();
    }
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("streams", page);
    r.put("open", e.streamCount());
    r.put("next", next);
    return Reply.ok(r);
  }

  /** {@code PUT /v1/models/{name}/streams/{stream}}: opens a stream (201), 409 when open. */
  public Reply openStream(String name, String stream) {
    ModelEntry e = registry.get(name);
    e.openStream(stream);
    return Reply.created(Map.of("stream", stream, "opened", true));
  }

  /** {@code DELETE /v1/models/{name}/streams/{stream}}. */
  public Reply closeStream(String name, String stream) {
    ModelEntry e = registry.get(name);
    e.closeStream(stream);
    return Reply.ok(Map.of("stream", stream, "closed", true));
  }

  /** {@code POST /v1/models/{name}/streams/{stream}/reset}: zeroes the stream's cell state and recent errors. */
  public Reply resetStream(String name, String stream) {
    ModelEntry e = registry.get(name);
    e.resetStream(stream);
    return Reply.ok(Map.of("stream", stream, "reset", true));
  }

  /** {@code GET /v1/models/{name}/stats}: streams, balance, routing diagnostics and energy. */
  public Reply stats(String name) {
    ModelEntry e = registry.get(name);
    MixtureOfExperts m = e.model();
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("name", e.name());
    r.put("streams", streamCounts(e));
    r.put("balance", balance(m.balanceState()));
    r.put("diagnostics", diagnostics(m.routingStats()));
    r.put("energy", energy(m.cumulativeEnergy()));
    return Reply.ok(r);
  }

  /**
   * The model's streams in numbers: open (the default stream included), the most it may hold now
   * (its cap, or fewer when the server's memory budget has less room), how many were evicted to
   * make room, and after how long idle a stream may be evicted (null: never).
   */
  private Map<String, Object> streamCounts(ModelEntry e) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("open", e.streamCount());
    r.put("limit", e.streamRoom());
    r.put("evicted", e.evictedStreams());
    var idle = limits.streamIdleEviction();
    r.put("evictAfterIdleSeconds", idle == null ? null : idle.toMillis() / 1000.0);
    return r;
  }

  private Map<String, Object> describe(ModelEntry e, boolean withDigest) {
    ModelSpec s = e.spec();
    MixtureOfExperts m = e.model();
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("inputDim", s.inputDim());
    config.put("outputDim", s.outputDim());
    config.put("experts", m.expertCount());
    config.put("topK", s.topK());
    config.put("hidden", s.hidden());
    config.put("seed", s.seed());
    config.put("mu", s.mu());
    config.put("diagnosticsWindow", s.diagnosticsWindow());
    config.put("diagnosticsDecay", s.diagnosticsDecay());
    config.put("parameters", e.parameters());
    Map<String, Object> counters = new LinkedHashMap<>();
    counters.put("routes", e.routes());
    counters.put("predictions", e.predictions());
    counters.put("learns", e.learns());
    counters.put("learnSteps", m.learnSteps());
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("name", e.name());
    r.put("config", config);
    r.put("settings", settings(ModelSettings.of(m, e.feedbackSettings())));
    r.put("expertNames", m.expertNames());
    r.put("kernels", m.kernels());
    if (withDigest) {
      r.put("digest", e.digest());
    }
    r.put("streams", streamCounts(e));
    r.put("counters", counters);
    String wedged = e.wedged();
    if (wedged != null) {
      r.put("wedged", wedged);
    }
    r.put("created", e.created().toString());
    return r;
  }

  private static String stream(ObjectNode o) {
    String s = JsonRequests.string(o, "stream", MixtureOfExperts.DEFAULT_STREAM);
    ModelEntry.checkStreamId(s);
    return s;
  }

  private static Map<String, Object> batch(String stream, int count, List<Object> results) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("stream", stream);
    r.put("count", count);
    r.put("results", results);
    return r;
  }

  private static Map<String, Object> prediction(ModelEntry.Prediction p) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("prediction", p.prediction());
    r.put("experts", p.experts());
    r.put("weights", p.weights());
    return r;
  }

  private static Map<String, Object> learned(ModelEntry.LearnedSample s) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("prediction", s.prediction());
    r.put("squaredError", finite(s.squaredError()));
    r.put("experts", s.experts());
    r.put("weights", s.weights());
    return r;
  }

  private static Map<String, Object> balance(BalanceState b) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("mode", b.mode());
    r.put("active", b.active());
    r.put("tokens", b.tokens());
    r.put("biasUpdates", b.biasUpdates());
    r.put("bias", b.bias());
    r.put("load", b.load());
    r.put("counts", b.counts());
    r.put("maxOverMeanLoad", finite(b.maxOverMeanLoad()));
    r.put("maxOverMeanCounts", finite(b.maxOverMeanCounts()));
    return r;
  }

  private static Map<String, Object> diagnostics(RoutingStats s) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("tokens", s.tokens());
    r.put("windowLoad", finite(s.windowLoad()));
    r.put("averageLoad", finite(s.averageLoad()));
    r.put("maxOverMean", finite(s.maxOverMean()));
    r.put("coefficientOfVariation", finite(s.coefficientOfVariation()));
    r.put("routingEntropyBits", finite(s.routingEntropy()));
    r.put("meanExpertsPerToken", finite(s.meanExpertsPerToken()));
    r.put("effectiveTemperature", finite(s.effectiveTemperature()));
    r.put("stickiness", finite(s.stickiness()));
    r.put("cacheHitRate", finite(s.cacheHitRate()));
    return r;
  }

  private static Map<String, Object> energy(EnergyReport e) {
    Map<String, Object> components = new LinkedHashMap<>();
    for (Component c : Component.values()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("macs", e.macs(c));
      m.put("joules", finite(e.joules(c)));
      components.put(c.name(), m);
    }
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("tokens", e.tokens());
    r.put("totalMacs", e.totalMacs());
    r.put("joules", finite(e.joules()));
    r.put("picojoulesPerToken", finite(e.picojoulesPerToken()));
    r.put("components", components);
    r.put("basis", e.basis());
    return r;
  }

  /** JSON cannot carry NaN or infinity: such a figure (undefined so far) is written as null. */
  private static Double finite(double v) {
    return Double.isFinite(v) ? v : null;
  }

  private static Double[] finite(double[] v) {
    Double[] r = new Double[v.length];
    for (int i = 0; i < v.length; i++) {
      r[i] = finite(v[i]);
    }
    return r;
  }
}
