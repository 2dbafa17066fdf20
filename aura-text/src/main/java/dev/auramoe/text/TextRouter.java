package dev.auramoe.text;

import dev.auramoe.Defaults;
import dev.auramoe.MixtureOfExperts;
import dev.auramoe.RecentErrors;
import dev.auramoe.Snapshots;
import dev.auramoe.balance.BalanceConfig;
import dev.auramoe.cell.CellConfig;
import dev.auramoe.experts.Expert;
import dev.auramoe.experts.NlmsExpert;
import dev.auramoe.feedback.FeedbackOutcome;
import dev.auramoe.feedback.FeedbackRules;
import dev.auramoe.feedback.GuardedRouter;
import dev.auramoe.io.AtomicFiles;
import dev.auramoe.io.SnapshotException;
import dev.auramoe.io.SnapshotFormat;
import dev.auramoe.math.VectorMath;
import dev.auramoe.routing.RouteBuffer;
import dev.auramoe.routing.TopK;
import dev.auramoe.spiking.AttentionConfig;
import dev.auramoe.spiking.SpikingAttention;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Routes texts to named experts with a liquid router, and learns on-line from labels or from feedback.
 *
 * <p><b>Routing.</b> A text is embedded ({@link SentenceEncoder}); the router's liquid cell advances
 * from a fresh state on the embedding (or from a conversation's state, {@link #route(String,
 * EncodedText)}), its spiking attention takes the text's tokens, and the router's probabilities over
 * the experts follow ({@code softmax((R h + Q x + r) / (T / gain))}, see {@link MixtureOfExperts}). The
 * route chooses the {@code k} experts of highest {@code p_e - lambda * cost_e / max cost}
 * ({@code lambda} the cost weight, 0 by default: quality alone), each weighted by its probability
 * over the chosen ones. It says why: the attention's winning tokens, as the text's own word pieces,
 * with their potentials and the gain they gave the routing.
 *
 * <p><b>The attention's inhibition.</b> Tokens that occur in more than 5% of the texts routed so far
 * (after the first 20) do not spike: words such as "the" or "," carry no routing information and would
 * otherwise always win. Each route counts its text's distinct tokens.
 *
 * <p><b>Learning.</b> From a label ({@link #learn(EncodedText, String)}: the right expert, a delta rule
 * of every logit toward one-hot, like an on-line logistic regression on the router's features), from a
 * target vector ({@link #learn(EncodedText, float[])}: the experts predict it and the router learns
 * which predicted best, as {@link MixtureOfExperts#learn} does), or from feedback that arrives later
 * by route id ({@link #feedback}: a reward in [0, 1] for a chosen expert), under the guard-rails of
 * {@link GuardedRouter}: a bounded step, a drift cap from an anchor, freeze and rollback. No gradient
 * flows anywhere else.
 *
 * <p><b>Cost-aware routing.</b> {@link #setCostWeight} sets lambda; {@link #calibrateCostWeight} finds
 * the lambda that sends a target share of the recent traffic to an expensive expert, as RouteLLM
 * calibrates its threshold.
 *
 * <p>Calls are serialised on the router.
 */
public final class TextRouter implements AutoCloseable {

  /** Tokens in more than this share of the routed texts do not spike. */
  static final double INHIBIT_SHARE = 0.05;
  /** Texts routed before the inhibition starts. */
  static final int INHIBIT_AFTER = 20;
  /** Routes whose probabilities are kept for calibration. */
  static final int RECENT_ROUTES = 2_000;
  /** Fewest recent routes a calibration reads. */
  static final int MIN_CALIBRATION_ROUTES = 50;

  private static final String SCRATCH = MixtureOfExperts.DEFAULT_STREAM;

  private final SentenceEncoder encoder;
  private final List<ExpertDescriptor> experts;
  private final List<String> names;
  private final MixtureOfExperts model;
  private final GuardedRouter guard;
  private final int k;
  private final int dimension;
  private final boolean attention;
  private final float[] costs;
  private final int[] documentFrequency;
  /** The text (by count) that last counted each token, so that a text counts a token once. */
  private final long[] countedIn;
  private long texts;
  private double costWeight;
  private final float[] recent;
  private long routed;
  private final RouteBuffer buffer;
  private final float[] score;
  private final float[] bias;
  private final float[] topScores;

  private TextRouter(Builder b, MixtureOfExperts restored) {
    this.encoder = b.encoder;
    this.experts = List.copyOf(b.experts);
    this.names = experts.stream().map(ExpertDescriptor::name).toList();
    this.k = b.topK;
    this.dimension = b.dimension;
    this.attention = b.attention;
    this.model = restored != null ? restored : newModel(b, names);
    this.guard = new GuardedRouter(model, b.rules);
    double max = experts.stream().mapToDouble(ExpertDescriptor::costPerCall).max().orElse(0);
    this.costs = new float[experts.size()];
    for (int e = 0; e < costs.length; e++) {
      costs[e] = max > 0 ? (float) (experts.get(e).costPerCall() / max) : 0f;
    }
    this.documentFrequency = new int[b.vocabularySize];
    this.countedIn = new long[b.vocabularySize];
    this.recent = new float[RECENT_ROUTES * experts.size()];
    this.buffer = model.newRouteBuffer();
    this.score = new float[experts.size()];
    this.bias = new float[experts.size()];
    this.topScores = new float[k];
  }

  private static MixtureOfExperts newModel(Builder b, List<String> names) {
    var mb = MixtureOfExperts.builder(b.dimension, b.outputDim)
        .experts(names.stream().<Expert>map(n -> new NlmsExpert(n, b.dimension, b.outputDim, Defaults.MU)).toList())
        .topK(b.topK).cell(CellConfig.DEFAULT.withHidden(b.hidden)).balance(BalanceConfig.OFF)
        .recentErrors(RecentErrors.OFF).seed(b.seed);
    if (b.attention) {
      mb.attention(AttentionConfig.of(b.vocabularySize));
    }
    return mb.build();
  }

  /** A builder over an encoder, which {@link #route(String)} and the other text calls use. */
  public static Builder builder(SentenceEncoder encoder) {
    Objects.requireNonNull(encoder, "encoder");
    return new Builder(encoder, encoder.dimension(), encoder.vocabularySize());
  }

  /**
   * A builder for texts embedded elsewhere ({@link EncodedText#of}): embeddings of {@code dimension}
   * values, token ids below {@code vocabularySize}. Its router refuses the calls that take a string.
   */
  public static Builder builder(int dimension, int vocabularySize) {
    return new Builder(null, dimension, vocabularySize);
  }

  // ------------------------------------------------------------------ what a route says

  /**
   * One chosen expert of a route.
   *
   * @param expert its name
   * @param index its index among the router's experts
   * @param weight its share of the route, its probability over the chosen ones' sum
   * @param probability the router's probability of it
   */
  public record Choice(String expert, int index, double weight, double probability) {}

  /**
   * A token that won the spiking attention.
   *
   * @param token the token's text, a word piece of the routed text
   * @param id its id in the tokenizer's vocabulary
   * @param potential its accumulated spikes
   */
  public record WinningToken(String token, int id, double potential) {}

  /**
   * Why a route went where it did.
   *
   * @param winners the attention's winning tokens, strongest first (empty with the attention off)
   * @param gain the gain they gave: the routing temperature was divided by it (1: no effect)
   * @param temperature the effective temperature of the route
   * @param costWeight the cost weight lambda in force
   */
  public record Explanation(List<WinningToken> winners, double gain, double temperature, double costWeight) {}

  /**
   * A route.
   *
   * @param id the route id that {@link #feedback} takes; null for a route made by {@code learn}, which
   *     learned from it already and keeps no place among the routes that wait for feedback
   * @param chosen the chosen experts, best first
   * @param probabilities the router's probability of every expert, in the order of {@link #experts()}
   * @param why the explanation
   * @param costPerCall the summed cost of the chosen experts
   * @param latencyMillis the largest latency among them (they are called side by side)
   * @param energyJoules their summed energy
   */
  public record Route(String id, List<Choice> chosen, float[] probabilities, Explanation why, double costPerCall,
      double latencyMillis, double energyJoules) {

    /** The best chosen expert's name. */
    public String best() {
      return chosen.getFirst().expert();
    }

    @Override
    public float[] probabilities() {
      return probabilities.clone();
    }
  }

  // ------------------------------------------------------------------ routing

  /** Embeds and routes a text from a fresh state. */
  public Route route(String text) {
    return route(encode(text));
  }

  /** Routes an encoded text from a fresh state: the same text routes the same way until the router learns. */
  public synchronized Route route(EncodedText text) {
    return routeOn(SCRATCH, true, text, true).route;
  }

  /**
   * Routes an encoded text in a conversation: the liquid state and the attention carry over from the
   * conversation's earlier texts (a new conversation starts fresh; the model's stream limits apply).
   */
  public synchronized Route route(String conversation, EncodedText text) {
    Objects.requireNonNull(conversation, "conversation");
    if (conversation.equals(SCRATCH)) {
      throw new IllegalArgumentException("the conversation id '" + SCRATCH + "' is reserved");
    }
    checkText(text);
    model.ensureStream(conversation);
    return routeOn(conversation, false, text, true).route;
  }

  /** Embeds a text with the router's encoder. */
  public EncodedText encode(String text) {
    if (encoder == null) {
      throw new IllegalStateException("this router was built without an encoder; route EncodedText values");
    }
    return encoder.encodeText(text);
  }

  private record Routed(Route route, float[] h, float[] x, float[] probabilities) {}

  private Routed routeOn(String stream, boolean fresh, EncodedText text, boolean remember) {
    checkText(text);
    float[] x = text.embeddingView();
    int[] spikes = attention ? spiking(text.tokensView()) : null;
    if (fresh) {
      model.resetStream(stream);
    }
    model.route(stream, x, Float.NaN, spikes, buffer);
    return finish(stream, text, true, remember);
  }

  /**
   * The route in {@link #buffer}, chosen, explained and (when it may take feedback) remembered; counts
   * the text's tokens.
   */
  private Routed finish(String stream, EncodedText text, boolean select, boolean remember) {
    float[] p = buffer.probabilitiesArray().clone();
    float[] h = model.state(stream);
    int[] chosen;
    if (select) {
      chosen = new int[k];
      for (int e = 0; e < bias.length; e++) {
        bias[e] = (float) (-costWeight * costs[e]);
      }
      TopK.selectByScore(p, 0, costWeight == 0 ? null : bias, p.length, k, score, chosen, topScores);
    } else {
      chosen = Arrays.copyOf(buffer.expertsArray(), buffer.k());
    }
    float[] x = text.embeddingView();
    String id = remember ? guard.remember(h, x, chosen, chosen.length, p) : null;
    System.arraycopy(p, 0, recent, (int) (routed % RECENT_ROUTES) * p.length, p.length);
    routed++;
    countTokens(text.tokensView());
    double mass = 0;
    for (int c : chosen) {
      mass += p[c];
    }
    List<Choice> choices = new ArrayList<>(chosen.length);
    double cost = 0;
    double latency = 0;
    double energy = 0;
    for (int c : chosen) {
      choices.add(new Choice(names.get(c), c, mass > 0 ? p[c] / mass : 1.0 / chosen.length, p[c]));
      ExpertDescriptor d = experts.get(c);
      cost += d.costPerCall();
      latency = Math.max(latency, d.latencyMillis());
      energy += d.energyJoules();
    }
    Route r = new Route(id, List.copyOf(choices), p, explain(stream, text), cost, latency, energy);
    return new Routed(r, h, x, p);
  }

  private Explanation explain(String stream, EncodedText text) {
    double gain = 1;
    List<WinningToken> winners = List.of();
    if (attention) {
      SpikingAttention a = model.attention(stream);
      gain = a.gain();
      int[] ids = a.winners();
      float[] pot = a.winnerPotentials();
      List<WinningToken> w = new ArrayList<>(ids.length);
      for (int i = 0; i < ids.length; i++) {
        String piece = text.pieceOf(ids[i]);
        w.add(new WinningToken(piece == null ? "#" + ids[i] : piece, ids[i], pot[i]));
      }
      winners = List.copyOf(w);
    }
    return new Explanation(winners, gain, buffer.temperature(), costWeight);
  }

  /** The tokens that spike: all of them at first, then those in at most 5% of the texts routed. */
  private int[] spiking(int[] tokens) {
    if (texts < INHIBIT_AFTER) {
      return tokens;
    }
    double limit = INHIBIT_SHARE * texts;
    int n = 0;
    int[] out = new int[tokens.length];
    for (int t : tokens) {
      if (documentFrequency[t] <= limit) {
        out[n++] = t;
      }
    }
    return n == tokens.length ? tokens : Arrays.copyOf(out, n);
  }

  private void countTokens(int[] tokens) {
    texts++;
    for (int t : tokens) {
      if (countedIn[t] != texts) {
        countedIn[t] = texts;
        documentFrequency[t]++;
      }
    }
  }

  private void checkText(EncodedText text) {
    Objects.requireNonNull(text, "text");
    VectorMath.requireFinite(text.embeddingView(), dimension, "the embedding");
    int[] tokens = text.tokensView();
    for (int i = 0; i < tokens.length; i++) {
      if (tokens[i] < 0 || tokens[i] >= documentFrequency.length) {
        throw new IllegalArgumentException("token id " + tokens[i] + " at position " + i
            + " is outside the vocabulary [0, " + documentFrequency.length + ")");
      }
    }
  }

  // ------------------------------------------------------------------ learning

  /** Embeds a text, routes it, then learns that {@code expert} was right for it. */
  public Route learn(String text, String expert) {
    return learn(encode(text), expert);
  }

  /**
   * Routes an encoded text from a fresh state, then learns that {@code expert} was the right one for
   * it. Returns the route made before learning, without a route id: it takes no feedback.
   *
   * @throws IllegalArgumentException for an unknown expert (nothing changed)
   */
  public synchronized Route learn(EncodedText text, String expert) {
    int label = index(expert);
    Routed r = routeOn(SCRATCH, true, text, false);
    guard.learnLabel(r.h, r.x, r.probabilities, label);
    return r.route;
  }

  /**
   * The seed's {@code learn(x, y, text)}: routes an encoded text from a fresh state, lets the chosen
   * experts predict {@code y} and learn from their errors, and teaches the router which of them
   * predicted best ({@link MixtureOfExperts#learn}). Returns the route; its chosen experts are those
   * that predicted.
   *
   * @throws IllegalArgumentException for a target of another length or with a non-finite value
   */
  public synchronized Route learn(EncodedText text, float[] y) {
    checkText(text);
    VectorMath.requireFinite(y, model.outputDim(), "target y");
    int[] spikes = attention ? spiking(text.tokensView()) : null;
    model.resetStream(SCRATCH);
    // frozen, the experts still learn but the router does not: its learning rate is 0 for this step
    float rate = model.routerLearningRate();
    boolean frozen = guard.frozen();
    if (frozen) {
      model.setRouterLearningRate(0f);
    }
    try {
      model.learn(SCRATCH, text.embeddingView(), Float.NaN, spikes, y, new float[y.length], buffer);
    } finally {
      if (frozen) {
        model.setRouterLearningRate(rate);
      }
    }
    return finish(SCRATCH, text, false, false).route;
  }

  /**
   * A reward in [0, 1] for an expert that route {@code routeId} chose, under the guard-rails.
   *
   * @throws IllegalArgumentException for a reward outside [0, 1], an unknown expert or one the route did
   *     not choose (nothing changed)
   * @throws java.util.NoSuchElementException for a route id never issued or expired (nothing changed)
   * @throws IllegalStateException for a second feedback for the same expert of a route (nothing changed)
   */
  public synchronized FeedbackOutcome feedback(String routeId, String expert, double reward) {
    return guard.feedback(routeId, expert, reward);
  }

  /**
   * Stops all learning of the router (labels, target vectors and feedback) until {@link #unfreeze()};
   * the experts still learn from target vectors.
   */
  public synchronized void freeze() {
    guard.freeze();
  }

  /** Resumes learning. */
  public synchronized void unfreeze() {
    guard.unfreeze();
  }

  /** Makes the router now the anchor that drift is measured from and {@link #rollback()} returns to. */
  public synchronized void anchor() {
    guard.anchor();
  }

  /** Restores the router's parameters to the anchor, bit for bit. */
  public synchronized void rollback() {
    guard.rollback();
  }

  /** The router's distance from its anchor (Euclidean, over its parameters). */
  public synchronized double drift() {
    return guard.drift();
  }

  // ------------------------------------------------------------------ cost

  /** The cost weight lambda (0: quality alone). */
  public synchronized double costWeight() {
    return costWeight;
  }

  /** Sets the cost weight lambda: finite and &gt;= 0. */
  public synchronized void setCostWeight(double lambda) {
    if (!(lambda >= 0) || !Double.isFinite(lambda)) {
      throw new IllegalArgumentException("cost weight must be finite and >= 0, got " + lambda);
    }
    costWeight = lambda;
  }

  /**
   * Sets the cost weight so that {@code expert} is chosen in {@code share} of the recent routes (the
   * last 2,000 at most, 50 at least), as near as the traffic allows (a share that no cost weight
   * reaches gives the smallest one that comes nearest), and returns it: RouteLLM's
   * calibration of its threshold to a target share of calls to the expensive model. The recent routes
   * keep the probabilities the router gave then; after much learning, calibrate on a sample instead.
   *
   * @throws IllegalArgumentException for an unknown expert, one that is not the most expensive, or a
   *     share outside [0, 1]
   * @throws IllegalStateException with fewer than 50 recent routes, or when every route must choose
   *     every expert
   */
  public synchronized double calibrateCostWeight(String expert, double share) {
    int e = calibrated(expert, share);
    int n = (int) Math.min(routed, RECENT_ROUTES);
    if (n < MIN_CALIBRATION_ROUTES) {
      throw new IllegalStateException("calibration reads the recent routes; " + n + " routed, "
          + MIN_CALIBRATION_ROUTES + " needed");
    }
    return calibrate(e, share, recent, n);
  }

  /**
   * As {@link #calibrateCostWeight(String, double)}, on a sample of texts representative of the traffic,
   * routed by the router as it is now (nothing is learned, remembered or counted).
   *
   * @throws IllegalArgumentException as there, and for a sample of fewer than 50 texts or a bad text
   */
  public synchronized double calibrateCostWeight(String expert, double share, List<EncodedText> sample) {
    if (sample.size() < MIN_CALIBRATION_ROUTES) {
      throw new IllegalArgumentException("a calibration sample needs at least " + MIN_CALIBRATION_ROUTES
          + " texts, got " + sample.size());
    }
    int expertIndex = calibrated(expert, share);
    sample.forEach(this::checkText);
    int e = costs.length;
    float[] probs = new float[sample.size() * e];
    for (int i = 0; i < sample.size(); i++) {
      EncodedText t = sample.get(i);
      model.resetStream(SCRATCH);
      model.route(SCRATCH, t.embeddingView(), Float.NaN, attention ? spiking(t.tokensView()) : null, buffer);
      System.arraycopy(buffer.probabilitiesArray(), 0, probs, i * e, e);
    }
    return calibrate(expertIndex, share, probs, sample.size());
  }

  /** Checks a calibration's expert and share before anything is routed; returns the expert's index. */
  private int calibrated(String expert, double share) {
    int e = index(expert);
    if (!(share >= 0 && share <= 1)) {
      throw new IllegalArgumentException("share must lie in [0, 1], got " + share);
    }
    if (costs[e] < 1f) {
      throw new IllegalArgumentException("expert '" + expert + "' is not the most expensive one");
    }
    if (k >= experts.size()) {
      throw new IllegalStateException("every route chooses every expert (k = " + k + ")");
    }
    return e;
  }

  private double calibrate(int e, double share, float[] probs, int n) {
    double lo = 0;
    if (shareAt(probs, e, n, lo) <= share) {
      costWeight = 0;
      return 0;
    }
    // Past 2 / (the smallest gap between two costs), the costs alone order the experts that differ in
    // cost (probabilities lie in [0, 1]): no larger lambda lowers the share, and a much larger one only
    // drowns the probabilities in the float scores. A share below what that lambda reaches is out of
    // reach; the nearest one is the goal then.
    double hi = 2 / smallestCostGap();
    double goal = Math.max(share, shareAt(probs, e, n, hi));
    for (int i = 0; i < 60; i++) {
      double mid = (lo + hi) / 2;
      if (shareAt(probs, e, n, mid) > goal) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    costWeight = hi;
    return hi;
  }

  /** The smallest positive gap between two experts' relative costs (infinite when all cost the same). */
  private double smallestCostGap() {
    double gap = Double.POSITIVE_INFINITY;
    for (int a = 0; a < costs.length; a++) {
      for (int b = 0; b < a; b++) {
        double d = Math.abs((double) costs[a] - costs[b]);
        if (d > 0) {
          gap = Math.min(gap, d);
        }
      }
    }
    return gap;
  }

  /** The share of n routes (their probabilities, row by row) that would choose expert e under cost weight lambda. */
  private double shareAt(float[] recent, int e, int n, double lambda) {
    int experts = costs.length;
    float[] p = new float[experts];
    int[] chosen = new int[k];
    for (int e2 = 0; e2 < experts; e2++) {
      bias[e2] = (float) (-lambda * costs[e2]);
    }
    int hits = 0;
    for (int r = 0; r < n; r++) {
      System.arraycopy(recent, r * experts, p, 0, experts);
      TopK.selectByScore(p, 0, bias, experts, k, score, chosen, topScores);
      for (int c : chosen) {
        if (c == e) {
          hits++;
        }
      }
    }
    return (double) hits / n;
  }

  // ------------------------------------------------------------------ files

  /** The frame of text router files: magic {@code AURATXT\u001a}, version 1. */
  static final SnapshotFormat.Framing FILE =
      new SnapshotFormat.Framing(new byte[] {'A', 'U', 'R', 'A', 'T', 'X', 'T', 0x1A}, 1, "text router file");

  /**
   * Saves everything the router learned and is set to: the experts and their descriptors, k, the
   * attention switch, the cost weight, the feedback rules, the anchor, whether it is frozen, the token
   * counts of the attention's inhibition, the route ids issued, and the mixture's snapshot. Written as
   * model snapshots are (temporary file, fsync, atomic rename), framed with a checksum. Routes waiting
   * for feedback and the recent traffic of calibration are not kept: feedback for a route made before
   * the save is refused after a load, its id being of another run (every run draws its own suffix, so
   * no id is issued twice).
   *
   * @throws SnapshotException (nothing written) when the model holds a non-finite value
   */
  public synchronized void save(Path file) throws IOException {
    AtomicFiles.write(file, toBytes());
  }

  /** The framed bytes {@link #save} writes. */
  public synchronized byte[] toBytes() throws SnapshotException {
    byte[] snapshot = Snapshots.toSavableBytes(model);
    ByteArrayOutputStream bytes = SnapshotFormat.newPayload();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(experts.size());
      for (ExpertDescriptor d : experts) {
        out.writeUTF(d.name());
        out.writeDouble(d.costPerCall());
        out.writeDouble(d.latencyMillis());
        out.writeDouble(d.energyJoules());
      }
      out.writeInt(k);
      out.writeBoolean(attention);
      out.writeInt(dimension);
      out.writeInt(documentFrequency.length);
      out.writeDouble(costWeight);
      FeedbackRules rules = guard.rules();
      out.writeDouble(rules.maxStep());
      out.writeDouble(rules.maxDrift());
      out.writeInt(rules.rememberedRoutes());
      out.writeLong(rules.routeLifetime().toMillis());
      out.writeBoolean(guard.frozen());
      out.writeLong(guard.issuedRoutes());
      float[] anchor = guard.anchorParameters();
      out.writeInt(anchor.length);
      for (float v : anchor) {
        out.writeFloat(v);
      }
      out.writeLong(texts);
      int nonZero = 0;
      for (int df : documentFrequency) {
        nonZero += df > 0 ? 1 : 0;
      }
      out.writeInt(nonZero);
      for (int t = 0; t < documentFrequency.length; t++) {
        if (documentFrequency[t] > 0) {
          out.writeInt(t);
          out.writeInt(documentFrequency[t]);
        }
      }
      out.writeInt(snapshot.length);
      out.write(snapshot);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return FILE.frame(1, bytes.toByteArray());
  }

  /**
   * Loads a router saved by {@link #save}, with the encoder that {@link #route(String)} will use: it must
   * have the dimension and vocabulary the router was trained with.
   *
   * @throws SnapshotException for a file that is not a valid text router file (nothing loaded)
   * @throws IllegalArgumentException for an encoder of another dimension or vocabulary
   */
  public static TextRouter load(Path file, SentenceEncoder encoder) throws IOException {
    Objects.requireNonNull(encoder, "encoder");
    return fromBytes(Files.readAllBytes(file), encoder);
  }

  /** Loads a router saved by {@link #save} for texts embedded elsewhere ({@link EncodedText#of}). */
  public static TextRouter load(Path file) throws IOException {
    return fromBytes(Files.readAllBytes(file), null);
  }

  /** Parses the bytes of {@link #toBytes}; {@code encoder} may be null. */
  public static TextRouter fromBytes(byte[] framed, SentenceEncoder encoder) throws SnapshotException {
    byte[] payload = FILE.unframe(framed);
    TextRouter r;
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(payload))) {
      int n = in.readInt();
      if (n < 2 || n > 1 << 16) {
        throw new SnapshotException("corrupt text router file: " + n + " experts");
      }
      List<ExpertDescriptor> list = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        list.add(new ExpertDescriptor(in.readUTF(), in.readDouble(), in.readDouble(), in.readDouble()));
      }
      int k = in.readInt();
      boolean attention = in.readBoolean();
      int dimension = in.readInt();
      int vocabulary = in.readInt();
      if (vocabulary < 1 || vocabulary > 1 << 24) {
        throw new SnapshotException("corrupt text router file: vocabulary of " + vocabulary);
      }
      if (encoder != null && (encoder.dimension() != dimension || encoder.vocabularySize() != vocabulary)) {
        throw new IllegalArgumentException("the router reads embeddings of " + dimension + " values and a vocabulary of "
            + vocabulary + " tokens; the encoder gives " + encoder.dimension() + " and " + encoder.vocabularySize());
      }
      double costWeight = in.readDouble();
      FeedbackRules rules = new FeedbackRules(in.readDouble(), in.readDouble(), in.readInt(),
          Duration.ofMillis(in.readLong()));
      boolean frozen = in.readBoolean();
      long issued = in.readLong();
      float[] anchor = new float[checkedLength(in.readInt(), payload.length / 4)];
      for (int i = 0; i < anchor.length; i++) {
        anchor[i] = in.readFloat();
      }
      long texts = in.readLong();
      int nonZero = checkedLength(in.readInt(), vocabulary);
      int[] df = new int[vocabulary];
      for (int i = 0; i < nonZero; i++) {
        int t = in.readInt();
        int count = in.readInt();
        if (t < 0 || t >= vocabulary || count <= 0 || count > texts) {
          throw new SnapshotException("corrupt text router file: token count " + t + " = " + count);
        }
        df[t] = count;
      }
      byte[] snapshot = new byte[checkedLength(in.readInt(), payload.length)];
      in.readFully(snapshot);
      if (in.read() != -1) {
        throw new SnapshotException("corrupt text router file: payload has trailing bytes");
      }
      MixtureOfExperts model = Snapshots.fromBytes(snapshot, null);
      if (!model.expertNames().equals(list.stream().map(ExpertDescriptor::name).toList())
          || model.inputDim() != dimension || model.topK() != k) {
        throw new SnapshotException("corrupt text router file: its mixture does not match its experts, dimension or k");
      }
      Builder b = new Builder(encoder, dimension, vocabulary).experts(list).topK(k).attention(attention)
          .feedbackRules(rules);
      r = new TextRouter(b, model);
      r.guard.setAnchor(anchor);
      r.guard.continueRouteIdsAfter(issued);
      if (frozen) {
        r.guard.freeze();
      }
      r.setCostWeight(costWeight);
      System.arraycopy(df, 0, r.documentFrequency, 0, vocabulary);
      r.texts = texts;
    } catch (SnapshotException e) {
      throw e;
    } catch (EOFException e) {
      throw new SnapshotException("corrupt text router file: payload ends early", e);
    } catch (IOException | RuntimeException e) {
      if (e instanceof IllegalArgumentException iae && iae.getMessage() != null
          && iae.getMessage().startsWith("the router reads embeddings")) {
        throw iae;
      }
      throw new SnapshotException("corrupt text router file: " + e.getMessage(), e);
    }
    return r;
  }

  private static int checkedLength(int n, int max) throws SnapshotException {
    if (n < 0 || n > max) {
      throw new SnapshotException("corrupt text router file: length " + n);
    }
    return n;
  }

  // ------------------------------------------------------------------ the rest

  /** The experts, in index order. */
  public List<ExpertDescriptor> experts() {
    return experts;
  }

  /** The number of experts each route chooses. */
  public int topK() {
    return k;
  }

  /** Whether the spiking attention is on. */
  public boolean attention() {
    return attention;
  }

  /** The mixture behind the router (for snapshots, diagnostics and energy); change it only through this router. */
  public MixtureOfExperts model() {
    return model;
  }

  /** Routes waiting for feedback. */
  public synchronized int pendingRoutes() {
    return guard.pendingRoutes();
  }

  private int index(String expert) {
    Objects.requireNonNull(expert, "expert");
    int i = names.indexOf(expert);
    if (i < 0) {
      throw new IllegalArgumentException("unknown expert '" + expert + "'; the experts are " + names);
    }
    return i;
  }

  /** Closes nothing but the mixture's learning thread; the encoder belongs to the caller. */
  @Override
  public void close() {
    model.close();
  }

  /** Builds a {@link TextRouter}. */
  public static final class Builder {
    private final SentenceEncoder encoder;
    private final int dimension;
    private final int vocabularySize;
    private final List<ExpertDescriptor> experts = new ArrayList<>();
    private int topK = Defaults.TOP_K;
    private int hidden = Defaults.HIDDEN;
    private int outputDim = 1;
    private boolean attention = true;
    private long seed = Defaults.SEED;
    private FeedbackRules rules = FeedbackRules.DEFAULT;

    private Builder(SentenceEncoder encoder, int dimension, int vocabularySize) {
      if (dimension <= 0 || vocabularySize <= 0) {
        throw new IllegalArgumentException("dimension and vocabularySize must be > 0, got " + dimension + " and "
            + vocabularySize);
      }
      this.encoder = encoder;
      this.dimension = dimension;
      this.vocabularySize = vocabularySize;
    }

    /** Adds an expert; names must be unique. */
    public Builder expert(ExpertDescriptor e) {
      Objects.requireNonNull(e, "expert");
      for (ExpertDescriptor d : experts) {
        if (d.name().equals(e.name())) {
          throw new IllegalArgumentException("duplicate expert name '" + e.name() + "'");
        }
      }
      experts.add(e);
      return this;
    }

    /** Adds experts in order. */
    public Builder experts(List<ExpertDescriptor> list) {
      list.forEach(this::expert);
      return this;
    }

    /** Adds experts with nothing known of their costs. */
    public Builder experts(String... names) {
      for (String n : names) {
        expert(ExpertDescriptor.named(n));
      }
      return this;
    }

    /** Experts per route (default 2, at most the number of experts). */
    public Builder topK(int k) {
      this.topK = k;
      return this;
    }

    /** The liquid cell's state size (default {@link Defaults#HIDDEN}). */
    public Builder hidden(int h) {
      this.hidden = h;
      return this;
    }

    /** The length of the targets of {@link #learn(EncodedText, float[])} (default 1). */
    public Builder outputDim(int d) {
      this.outputDim = d;
      return this;
    }

    /** The spiking attention over the tokens, on by default. */
    public Builder attention(boolean on) {
      this.attention = on;
      return this;
    }

    /** The seed of the router's initial weights. */
    public Builder seed(long s) {
      this.seed = s;
      return this;
    }

    /** The guard-rails of feedback ({@link FeedbackRules#DEFAULT} by default). */
    public Builder feedbackRules(FeedbackRules r) {
      this.rules = Objects.requireNonNull(r, "rules");
      return this;
    }

    /** Builds; at least two experts. */
    public TextRouter build() {
      if (experts.size() < 2) {
        throw new IllegalArgumentException("a text router needs at least two experts, got " + experts.size());
      }
      if (topK < 1 || topK > experts.size()) {
        throw new IllegalArgumentException("topK must lie in [1, " + experts.size() + "], got " + topK);
      }
      return new TextRouter(this, null);
    }
  }
}
