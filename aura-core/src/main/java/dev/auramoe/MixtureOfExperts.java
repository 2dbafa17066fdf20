package dev.auramoe;

import dev.auramoe.balance.BalanceConfig;
import dev.auramoe.balance.BalanceState;
import dev.auramoe.balance.LoadBalancer;
import dev.auramoe.cell.CellConfig;
import dev.auramoe.cell.LiquidCell;
import dev.auramoe.energy.Component;
import dev.auramoe.energy.DeviceProfile;
import dev.auramoe.energy.EnergyMeter;
import dev.auramoe.energy.EnergyReport;
import dev.auramoe.experts.AdaptiveExpert;
import dev.auramoe.experts.Expert;
import dev.auramoe.experts.Experts;
import dev.auramoe.internal.vector.KernelProvider;
import dev.auramoe.internal.vector.KernelSupport;
import dev.auramoe.routing.RouteBuffer;
import dev.auramoe.routing.RoutingDecision;
import dev.auramoe.routing.TopK;
import dev.auramoe.routing.policy.Assignment;
import dev.auramoe.routing.policy.RoutingPolicy;
import dev.auramoe.routing.policy.RoutingProblem;
import dev.auramoe.spiking.AttentionConfig;
import dev.auramoe.spiking.SpikingAttention;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A liquid-gated sparse mixture of experts that learns on-line.
 *
 * <pre>
 * per input x on stream s:
 *   tau    = clamp(tau_min + softplus(V x + c), 0.02, 2.0)
 *   h_s   &lt;- h_s + dt (-h_s / tau + tanh(W h_s + U x + b))        (unfolds Euler steps, dt = 0.02)
 *   logits = R h_s + Q x + r                                      (Q x only with routerUsesInput)
 *   p      = softmax(logits / (T / gain))                         (gain from spiking attention, else 1)
 *   chosen = topK(p + bias)                                       (bias: load balancing, never mixes)
 *   y_hat  = sum_{i in chosen} p_i / sum_chosen p * expert_i(x)
 * learn(x, y) additionally:
 *   each chosen expert learns from its own error, weighted by its gate weight (or responsibility);
 *   the router's readout moves toward the experts that predicted y best (a local delta rule on the
 *   logits: no gradient flows through the experts or the cell).
 * </pre>
 *
 * <h2>Streams</h2>
 * Each stream id owns its own cell state h (and spiking-attention state); everything else is shared.
 * The stream {@value #DEFAULT_STREAM} always exists; others are opened with {@link #openStream}.
 * Routing to an unknown stream is an error.
 *
 * <h2>Threading and consistency</h2>
 * Every public method is thread-safe. Calls on one model are <b>linearizable</b>: each takes the
 * model's lock for its whole duration, so it sees the effect of every call that completed before it
 * and none of a call that started after it. {@link #learnAsync} validates its arguments at once (bad
 * input throws on the caller's thread and changes nothing), then queues the update on the model's
 * single learning thread: queued updates are applied one at a time <b>in submission order</b>, each
 * atomically with respect to routes, which may run from any thread meanwhile and see either all of
 * an update or none of it. {@link #awaitLearning()} waits for the queue to drain.
 *
 * <pre>{@code
 * MixtureOfExperts moe = MixtureOfExperts.builder(8, 1).experts(Experts.nlms("e", 8, 8, 1, 0.5)).build();
 * RouteBuffer buf = moe.newRouteBuffer();
 * float[] yHat = new float[1];
 * for (Sample s : stream) {
 *   moe.learn(MixtureOfExperts.DEFAULT_STREAM, s.x(), s.y(), yHat);   // prequential: predict, then learn
 * }
 * moe.route("default", x, buf);                                         // zero-allocation routing
 * }</pre>
 *
 * <h2>Bad input</h2>
 * Wrong dimensions, NaN or infinite values, unknown streams and out-of-vocabulary tokens raise an
 * {@link IllegalArgumentException} (or {@link java.util.NoSuchElementException} for streams) before
 * anything is changed. Expert code runs after routing: an exception thrown by a user's
 * {@link dev.auramoe.experts.FunctionExpert} propagates, and the routing of that input (the stream's
 * cell state, the balancer, the energy counters) has then already happened.
 *
 * <h2>Float range</h2>
 * Finite inputs and targets can still produce a prediction beyond float range (a large input times
 * a learned weight): every prediction saturates at {@code +-Float.MAX_VALUE} instead of becoming
 * infinite, and its squared error is computed in double, so both are always finite. Such a learn
 * is applied like any other (so it stays deterministic and replayable); an expert output whose
 * error, or whose update, would leave float range learns nothing from that sample, so the state
 * stays finite and every snapshot loadable. A user's expert that predicts NaN for a finite input
 * raises an {@link IllegalStateException} after the routing.
 *
 * <h2>Fast path</h2>
 * With {@code --add-modules jdk.incubator.vector} and aura-simd on the class path the Vector API
 * kernels are used; otherwise scalar kernels (see {@code -Daura.kernels}).
 */
public final class MixtureOfExperts implements AutoCloseable {

  /** The stream that always exists. */
  public static final String DEFAULT_STREAM = "default";

  /** Logits are clamped to +-LOGIT_CAP: huge finite inputs can overflow a logit. */
  private static final float LOGIT_CAP = 1e4f;

  private final MoeConfig config;
  private final KernelSupport k = KernelProvider.get();
  private final LiquidCell cell;
  private final int in;
  private final int out;
  private final int hidden;
  private final int nExperts;
  private final int topK;
  private final int width;
  /** Router readout of the cell state, input-major: hidden x experts. */
  final float[] readout;
  /** Router logit bias, learned. */
  final float[] routerBias;
  final Expert[] experts;
  private final AdaptiveExpert[] adaptive;
  final LoadBalancer balancer;
  final EnergyMeter meter;
  final StreamTable streams = new StreamTable();
  private final ReentrantLock lock = new ReentrantLock();
  float temperature;
  float routerLearningRate;
  /** Moving average of the chosen experts' squared error: the scale of responsibilities. */
  float errorScale;
  long learnSteps;

  // Scratch, used under the lock only.
  private final float[] proj;
  private final float[] invTau;
  private final float[] drive;
  private final float[] logits;
  private final float[] score;
  private final float[] topScores;
  /** Each chosen expert's own prediction for the current input. */
  private final float[][] expertOut;
  private final float[] errors;
  private final float[] resp;
  private final RouteBuffer scratchRoute;
  private final float[] xRow;
  private final float[] yRow;
  private final float[] yHatRow;
  private float[] batchProj = new float[0];
  /** The routing policy, or null for the built-in top-k (the allocation-free fast path). */
  private RoutingPolicy policy;
  private dev.auramoe.routing.policy.CapacityLimiter capacity;
  private dev.auramoe.routing.diagnostics.RoutingDiagnostics diagnostics;
  private final RoutingProblem problem = new RoutingProblem();
  private final Assignment assignment = new Assignment();
  private float[] windowProbs = new float[0];
  /** The effective temperature of the last {@code probsLocked} call. */
  private float lastTemperature;
  private float[] windowH = new float[0];
  private ExecutorService learner;
  /** Guards {@link #learner}; a private object, so no caller can hold it. */
  private final Object learnerLock = new Object();
  private volatile Thread learnerThread;

  /** Per-stream state. */
  static final class StreamState {
    final String id;
    final float[] h;
    final SpikingAttention attention;
    long routes;
    /** The caller's stamp of the last {@link MixtureOfExperts#touchStream} (bookkeeping, not model state). */
    long stamp;
    /** Neighbours in the {@link StreamTable}'s recency order. */
    StreamState older;
    StreamState newer;

    StreamState(String id, int hidden, AttentionConfig ac) {
      this.id = id;
      this.h = new float[hidden];
      this.attention = ac == null ? null : new SpikingAttention(ac);
    }

    void reset() {
      Arrays.fill(h, 0f);
      if (attention != null) {
        attention.reset();
      }
      routes = 0;
    }
  }

  MixtureOfExperts(MoeConfig config, List<Expert> expertList) {
    this.config = config;
    this.in = config.inputDim();
    this.out = config.outputDim();
    if (expertList.isEmpty()) {
      throw new IllegalArgumentException("a mixture needs at least one expert");
    }
    this.nExperts = expertList.size();
    if (config.topK() > nExperts) {
      throw new IllegalArgumentException("k = " + config.topK() + " is larger than the number of experts (" + nExperts + ")");
    }
    Set<String> names = new HashSet<>();
    this.experts = new Expert[nExperts];
    this.adaptive = new AdaptiveExpert[nExperts];
    for (int i = 0; i < nExperts; i++) {
      Expert e = Objects.requireNonNull(expertList.get(i), "expert " + i);
      if (e.inputDim() != in || e.outputDim() != out) {
        throw new IllegalArgumentException("expert '" + e.name() + "' is " + e.inputDim() + " -> " + e.outputDim()
            + " but the mixture is " + in + " -> " + out);
      }
      if (!names.add(e.name())) {
        throw new IllegalArgumentException("two experts are named '" + e.name() + "'");
      }
      experts[i] = e;
      adaptive[i] = e instanceof AdaptiveExpert a ? a : null;
    }
    this.topK = config.topK();
    this.hidden = config.cell().hidden();
    this.cell = new LiquidCell(config.cell(), in, config.routerUsesInput() ? nExperts : 0, config.seed());
    this.width = cell.width();
    this.readout = new float[hidden * nExperts];
    this.routerBias = new float[nExperts];
    Random r = new Random(config.seed() ^ 0x5DEECE66DL);
    float rs = (float) (0.5 / Math.sqrt(hidden));
    for (int i = 0; i < readout.length; i++) {
      readout[i] = (float) r.nextGaussian() * rs;
    }
    if (config.routerUsesInput()) {
      float[] p = cell.projection();
      float qs = (float) (0.1 / Math.sqrt(in));
      for (int i = 0; i < in; i++) {
        for (int e = 0; e < nExperts; e++) {
          p[i * width + 2 * hidden + e] = (float) r.nextGaussian() * qs;
        }
      }
      cell.refreshCaches();
    }
    this.balancer = new LoadBalancer(nExperts, config.balance());
    this.meter = new EnergyMeter(config.profile());
    this.temperature = config.temperature();
    this.routerLearningRate = config.routerLearningRate();
    this.proj = new float[width];
    this.invTau = new float[hidden];
    this.drive = new float[hidden];
    this.logits = new float[nExperts];
    this.score = new float[nExperts];
    this.topScores = new float[topK];
    this.expertOut = new float[nExperts][out];
    this.errors = new float[nExperts];
    this.resp = new float[nExperts];
    this.scratchRoute = new RouteBuffer(nExperts, nExperts);
    this.xRow = new float[in];
    this.yRow = new float[out];
    this.yHatRow = new float[out];
    streams.put(DEFAULT_STREAM, new StreamState(DEFAULT_STREAM, hidden, config.attention()));
  }

  /** A builder for a mixture from {@code inputDim} to {@code outputDim}. */
  public static Builder builder(int inputDim, int outputDim) {
    return new Builder(inputDim, outputDim);
  }

  // ---------------------------------------------------------------- accessors

  /** The configuration (temperature, router learning rate and balance as built; see accessors for live values). */
  public MoeConfig config() {
    return config;
  }

  /** Input dimension. */
  public int inputDim() {
    return in;
  }

  /** Output dimension. */
  public int outputDim() {
    return out;
  }

  /** Number of experts. */
  public int expertCount() {
    return nExperts;
  }

  /** Experts per input. */
  public int topK() {
    return topK;
  }

  /** Hidden size of the cell. */
  public int hidden() {
    return hidden;
  }

  /** Expert names in index order. */
  public List<String> expertNames() {
    List<String> l = new ArrayList<>(nExperts);
    for (Expert e : experts) {
      l.add(e.name());
    }
    return l;
  }

  /** Index of a named expert. */
  public int expertIndex(String name) {
    for (int i = 0; i < nExperts; i++) {
      if (experts[i].name().equals(name)) {
        return i;
      }
    }
    throw new java.util.NoSuchElementException("no expert named '" + name + "'");
  }

  /** Name of the kernels in use ({@code scalar} or {@code panama-...}). */
  public String kernels() {
    return k.name();
  }

  /** A route buffer sized for this model. */
  public RouteBuffer newRouteBuffer() {
    return new RouteBuffer(nExperts, nExperts);
  }

  // ---------------------------------------------------------------- streams

  /**
   * Opens a stream with a zero state; opening an open stream is an error. At the cap of the
   * {@linkplain #setStreamLimits stream limits} it first evicts the least recently used streams, or
   * refuses; the new stream counts as used at the latest stamp the model was given (see
   * {@link #openStream(String, long)}).
   *
   * @throws IllegalArgumentException for a blank or already open id
   * @throws StreamCapacityException (nothing changed) when the stream limits refuse another stream
   */
  public void openStream(String id) {
    openStream(id, false, 0);
  }

  /** Opens a stream unless it is open already. */
  public void ensureStream(String id) {
    lock.lock();
    try {
      if (!streams.containsKey(id)) {
        openStream(id);
      }
    } finally {
      lock.unlock();
    }
  }

  /** Closes a stream and drops its state; the default stream cannot be closed. */
  public void closeStream(String id) {
    if (DEFAULT_STREAM.equals(id)) {
      throw new IllegalArgumentException("the default stream cannot be closed");
    }
    lock.lock();
    try {
      stream(id);
      streams.remove(id);
    } finally {
      lock.unlock();
    }
  }

  /** Open stream ids in opening order: a copy, which takes time and memory in the number of streams. */
  public List<String> streams() {
    lock.lock();
    try {
      return streams.ids();
    } finally {
      lock.unlock();
    }
  }

  /**
   * A page of open stream ids in their natural (code unit) order: up to {@code limit} ids greater
   * than {@code after}, or from the first when it is null. {@code after} need not be open, so a
   * walk that passes each page's last id to the next lists every stream that stays open throughout
   * exactly once. Takes time in log(streams) + limit and copies only the page.
   *
   * @throws IllegalArgumentException when limit is below 1
   */
  public List<String> streams(String after, int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be >= 1, got " + limit);
    }
    lock.lock();
    try {
      return streams.idsAfter(after, limit);
    } finally {
      lock.unlock();
    }
  }

  /** Whether a stream is open; constant time. */
  public boolean hasStream(String id) {
    lock.lock();
    try {
      return streams.containsKey(id);
    } finally {
      lock.unlock();
    }
  }

  /** The number of open streams, the default stream included; constant time. */
  public int streamCount() {
    lock.lock();
    try {
      return streams.size();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Records a use of an open stream for the least-recently-used order: the stream becomes the most
   * recently used one and keeps {@code stamp} (the caller's clock: a time, a counter). Opening a
   * stream counts as a use (with the latest stamp given, 0 before any). The order is bookkeeping for callers that bound the number
   * of streams ({@link #leastRecentlyUsedStream}); it is not model state, so snapshots and digests
   * leave it out and a loaded model starts with its streams in opening order. Constant time, and
   * allocates nothing.
   *
   * @return false, changing nothing, when the stream is not open
   */
  public boolean touchStream(String id, long stamp) {
    lock.lock();
    try {
      StreamState s = streams.get(id);
      if (s == null) {
        return false;
      }
      streams.touch(s, stamp);
      return true;
    } finally {
      lock.unlock();
    }
  }

  /**
   * The open stream, other than the default one, used least recently (see {@link #touchStream}), or
   * null when only the default stream is open. Constant time.
   */
  public String leastRecentlyUsedStream() {
    lock.lock();
    try {
      StreamState s = streams.leastRecentlyUsed();
      return s == null ? null : s.id;
    } finally {
      lock.unlock();
    }
  }

  /**
   * The latest {@linkplain #touchStream stamp} among the {@code n} least recently used streams (the
   * default stream never counts), or {@link Long#MIN_VALUE} when fewer than {@code n} other streams
   * are open: a caller that would evict those {@code n} learns how long the busiest of them has been
   * idle. Takes time in n; allocates nothing.
   *
   * @throws IllegalArgumentException when n is below 1
   */
  public long latestStampOfLeastRecentlyUsed(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("n must be >= 1, got " + n);
    }
    lock.lock();
    try {
      return streams.latestStampOfLeastRecentlyUsed(n);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Gives every open stream the {@linkplain #touchStream stamp} {@code stamp}, keeping their recency
   * order: a caller that loaded the model counts its streams as used when it was loaded.
   */
  public void stampStreams(long stamp) {
    lock.lock();
    try {
      streams.stampAll(stamp);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Takes over the recency of another model's streams (as a change of the expert set does): the
   * streams both models hold get {@code from}'s order and stamps, and the streams only this model
   * holds become the most recently used ones, with stamp {@code stamp}. For a model that replaces
   * {@code from}, such as one loaded from a snapshot of it, so that the streams in use stay the
   * most recently used ones. Takes time in the number of streams.
   */
  public void copyStreamRecency(MixtureOfExperts from, long stamp) {
    if (from == this) {
      return;
    }
    lock.lock();
    try {
      from.lock.lock();
      try {
        streams.copyRecency(from.streams, stamp, true);
      } finally {
        from.lock.unlock();
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * The stamp of a stream's last {@link #touchStream} (0 when it was not touched since it was opened
   * or loaded).
   *
   * @throws java.util.NoSuchElementException for a stream that is not open
   */
  public long streamStamp(String id) {
    lock.lock();
    try {
      return stream(id).stamp;
    } finally {
      lock.unlock();
    }
  }

  /** Resets one stream's state to zero (cell state and attention). */
  public void resetStream(String id) {
    lock.lock();
    try {
      stream(id).reset();
    } finally {
      lock.unlock();
    }
  }

  /** Resets every stream's state. */
  public void resetAllStreams() {
    lock.lock();
    try {
      for (StreamState s : streams.values()) {
        s.reset();
      }
    } finally {
      lock.unlock();
    }
  }

  /** A copy of a stream's cell state. */
  public float[] state(String id) {
    lock.lock();
    try {
      return stream(id).h.clone();
    } finally {
      lock.unlock();
    }
  }

  /**
   * The cell's time constants for an input: {@code tau = clamp(tau_min + softplus(V x + c))}. Pure:
   * changes no state and meters nothing.
   *
   * @param x input, not modified
   * @return a new array of H time constants in seconds
   */
  public float[] timeConstants(float[] x) {
    checkInput(x);
    float[] tau = new float[hidden];
    lock.lock();
    try {
      cell.timeConstants(k, x, tau);
    } finally {
      lock.unlock();
    }
    return tau;
  }

  /** A copy of the stream's spiking attention, or null when attention is not configured. */
  public SpikingAttention attention(String id) {
    lock.lock();
    try {
      SpikingAttention a = stream(id).attention;
      return a == null ? null : a.copy();
    } finally {
      lock.unlock();
    }
  }

  // ---------------------------------------------------------------- stream state as a value, stream limits

  /**
   * Opens a stream with a zero state as {@link #openStream(String)} does, as used at {@code stamp}
   * (the caller's clock, see {@link #touchStream}): with {@link StreamLimits.Recency#STAMPS} the
   * least recently used streams must have been idle for {@link StreamLimits#minIdle()} stamps
   * before {@code stamp} to be evicted for it.
   *
   * @throws IllegalArgumentException for a blank or already open id
   * @throws StreamCapacityException (nothing changed) when the stream limits refuse another stream
   */
  public void openStream(String id, long stamp) {
    openStream(id, true, stamp);
  }

  private void openStream(String id, boolean stamped, long stamp) {
    if (id == null || id.isBlank()) {
      throw new IllegalArgumentException("stream id must not be blank");
    }
    lock.lock();
    try {
      if (streams.containsKey(id)) {
        throw new IllegalArgumentException("stream '" + id + "' is already open");
      }
      streams.open(new StreamState(id, hidden, config.attention()), stamped ? stamp : streams.clock());
    } finally {
      lock.unlock();
    }
  }

  /**
   * One stream's state as a small, versioned and checksummed byte form: its cell state, its spiking
   * attention state and its route count, with the shape of the model it belongs to (format in
   * {@code StreamStateCodec}). Equal states give equal bytes. {@link #importStream} takes it back,
   * into this model or another of the same shape, and the stream continues bit for bit as if it had
   * never left. Neither the id nor the recency stamp is part of it.
   *
   * @throws java.util.NoSuchElementException for a stream that is not open
   * @throws IllegalStateException when the state holds a non-finite value (which could not be
   *     imported back)
   */
  public byte[] exportStream(String id) {
    lock.lock();
    try {
      return StreamStateCodec.encode(stream(id));
    } finally {
      lock.unlock();
    }
  }

  /**
   * Sets a stream's state to one {@link #exportStream exported} earlier: replaces the state of an
   * open stream, or opens the stream (under the {@linkplain #setStreamLimits stream limits}, as
   * {@link #openStream(String)} does) with it. The stream counts as used at the latest stamp the
   * model was given.
   *
   * @throws IllegalArgumentException (nothing changed) for a blank id, or bytes that are truncated,
   *     damaged, of another format version, of a model of another shape (hidden size, attention
   *     configuration) or hold a value no stream can have
   * @throws StreamCapacityException (nothing changed) when the stream is not open and the limits
   *     refuse another one
   */
  public void importStream(String id, byte[] state) {
    importStream(id, state, false, 0);
  }

  /** {@link #importStream(String, byte[])}, with the stream counting as used at {@code stamp}. */
  public void importStream(String id, byte[] state, long stamp) {
    importStream(id, state, true, stamp);
  }

  private void importStream(String id, byte[] state, boolean stamped, long stamp) {
    if (id == null || id.isBlank()) {
      throw new IllegalArgumentException("stream id must not be blank");
    }
    StreamState s = StreamStateCodec.decode(id, state, hidden, config.attention());
    lock.lock();
    try {
      long now = stamped ? stamp : streams.clock();
      if (streams.containsKey(id)) {
        streams.replace(s, now);
      } else {
        streams.open(s, now);
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Sets the bound on the open streams (see {@link StreamLimits}); {@link StreamLimits#UNLIMITED}
   * by default. Lowering the cap below the streams open evicts nothing at once: the next open
   * evicts enough to end one under it.
   */
  public void setStreamLimits(StreamLimits limits) {
    lock.lock();
    try {
      streams.setLimits(limits);
    } finally {
      lock.unlock();
    }
  }

  /** The bound on the open streams in force. */
  public StreamLimits streamLimits() {
    lock.lock();
    try {
      return streams.limits();
    } finally {
      lock.unlock();
    }
  }

  /** Sets the listener told of each eviction, with the evicted stream's state; null for none (the default). */
  public void setStreamEvictionListener(StreamEvictionListener listener) {
    lock.lock();
    try {
      streams.setListener(listener);
    } finally {
      lock.unlock();
    }
  }

  /**
   * The streams that opening one more at {@code stamp} would evict, least recently used first
   * (empty while there is room); changes nothing. A caller that logs each eviction ahead of it
   * evicts them with {@link #evictStream} and then opens, which then evicts nothing.
   *
   * @throws StreamCapacityException when the limits would refuse the open
   */
  public List<String> streamsToEvict(long stamp) {
    return streamsToEvict(stamp, Integer.MAX_VALUE);
  }

  /**
   * {@link #streamsToEvict(long)} under a cap of at most {@code maxStreams}, for a caller whose own
   * budget (memory several models share) has room for fewer streams than the limits allow: with
   * {@code maxStreams} at the streams open, the one stream to evict so that an open adds none. The
   * limits' {@link StreamLimits#whenFull} and {@link StreamLimits#minIdle} apply; changes nothing.
   *
   * @throws IllegalArgumentException when {@code maxStreams} &lt; 1
   * @throws StreamCapacityException when the limits, under that cap, would refuse the open
   */
  public List<String> streamsToEvict(long stamp, int maxStreams) {
    if (maxStreams < 1) {
      throw new IllegalArgumentException("maxStreams must be >= 1 (the default stream counts), got " + maxStreams);
    }
    lock.lock();
    try {
      return streams.toEvict(stamp, maxStreams);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Evicts an open stream: tells the {@linkplain #setStreamEvictionListener listener} (with its
   * state), then closes it and counts it in {@link #evictedStreams()}.
   *
   * @throws IllegalArgumentException for the default stream
   * @throws java.util.NoSuchElementException for a stream that is not open
   */
  public void evictStream(String id) {
    if (DEFAULT_STREAM.equals(id)) {
      throw new IllegalArgumentException("the default stream cannot be evicted");
    }
    lock.lock();
    try {
      streams.evict(stream(id));
    } finally {
      lock.unlock();
    }
  }

  /** Streams evicted by opens under the stream limits and by {@link #evictStream}, since the model was built. */
  public long evictedStreams() {
    lock.lock();
    try {
      return streams.evicted();
    } finally {
      lock.unlock();
    }
  }

  private StreamState stream(String id) {
    StreamState s = streams.get(id);
    if (s == null) {
      throw new java.util.NoSuchElementException("unknown stream '" + id + "' (open it with openStream)");
    }
    return s;
  }

  // ---------------------------------------------------------------- routing

  /** Routes x on a stream and returns an immutable decision (allocates; see the buffer overload). */
  public RoutingDecision route(String stream, float[] x) {
    RouteBuffer b = newRouteBuffer();
    route(stream, x, Float.NaN, null, b);
    return b.toDecision();
  }

  /** Routes x on a stream into a reusable buffer; allocates nothing. */
  public void route(String stream, float[] x, RouteBuffer outBuf) {
    route(stream, x, Float.NaN, null, outBuf);
  }

  /**
   * Routes x on a stream, with optional irregular timing and tokens for spiking attention.
   *
   * @param elapsed seconds since this stream's previous input, finite and &gt;= 0, or NaN for the
   *     default of {@code unfolds * dt}
   * @param tokens token ids for spiking attention, or null
   * @param outBuf receives the decision
   */
  public void route(String stream, float[] x, float elapsed, int[] tokens, RouteBuffer outBuf) {
    checkInput(x);
    checkElapsed(elapsed);
    checkBuffer(outBuf);
    lock.lock();
    try {
      StreamState s = stream(stream);
      checkTokens(s, tokens);
      checkCausalPolicy();
      meter.beginCall();
      routeLocked(s, x, 0, null, elapsed, tokens, outBuf);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Routes a batch of consecutive inputs of one stream. The input projections of the whole batch
   * are one matrix product; the state then advances token by token, exactly as {@code count}
   * single calls would (up to summation order).
   *
   * @param xs {@code count * inputDim} values, row after row; not modified
   * @param expertsOut receives {@code count * k} expert indices
   * @param weightsOut receives {@code count * k} mixing weights
   */
  public void routeBatch(String stream, float[] xs, int count, int[] expertsOut, float[] weightsOut) {
    if (count < 0 || (long) count * Math.max(width, topK) > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("batch size " + count + " is negative or too large for one call");
    }
    if ((long) count * in > xs.length) {
      throw new IllegalArgumentException("xs holds " + xs.length + " values, fewer than count * inputDim = "
          + (long) count * in);
    }
    for (int i = 0, n = k.allFinite(xs, 0, count * in) ? 0 : count * in; i < n; i++) {
      if (!Float.isFinite(xs[i])) {
        throw new IllegalArgumentException("input " + (i / in) + " has a non-finite value at index " + (i % in)
            + ": " + xs[i]);
      }
    }
    if (expertsOut.length < count * topK || weightsOut.length < count * topK) {
      throw new IllegalArgumentException("output arrays must hold count * k = " + count * topK + " values");
    }
    lock.lock();
    try {
      StreamState s = stream(stream);
      if (policy != null) {
        throw new IllegalStateException("routeBatch uses the built-in top-k; with the routing policy "
            + policy.name() + " use routeWindow");
      }
      meter.beginCall();
      if (batchProj.length < count * width) {
        batchProj = new float[count * width];
      }
      k.gemm(xs, count, cell.projection(), in, width, batchProj);
      RouteBuffer b = scratchRoute;
      for (int t = 0; t < count; t++) {
        routeLocked(s, xs, t * in, batchProj, Float.NaN, null, b);
        System.arraycopy(b.expertsArray(), 0, expertsOut, t * topK, topK);
        System.arraycopy(b.weightsArray(), 0, weightsOut, t * topK, topK);
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Advances the stream's cell by one input and writes the router's probabilities into
   * {@code probs[0..E)}; the effective temperature is left in {@link #lastTemperature}. When
   * {@code pre} is non-null it holds precomputed projections for the input at row
   * {@code xOff / in}; otherwise x is projected here.
   *
   * @return the integration steps taken
   */
  private int probsLocked(StreamState s, float[] x, int xOff, float[] pre, float elapsed, int[] tokens,
      float[] probs) {
    float[] p;
    int pOff;
    if (pre == null) {
      cell.project(k, x, xOff, proj, 0);
      p = proj;
      pOff = 0;
    } else {
      p = pre;
      pOff = (xOff / in) * width;
    }
    meter.add(Component.CELL, cell.projectionMacs());
    int steps = cell.advance(k, s.h, p, pOff, elapsed, invTau, drive);
    meter.add(Component.CELL, steps * cell.stepMacs());

    float gain = 1f;
    if (tokens != null && s.attention != null) {
      meter.add(Component.ATTENTION, s.attention.step(tokens, 0, tokens.length));
      gain = s.attention.gain();
    }

    // logits = R h + Q x + r
    if (config.routerUsesInput()) {
      System.arraycopy(p, pOff + 2 * hidden, logits, 0, nExperts);
      meter.add(Component.ROUTER, (long) in * nExperts);
    } else {
      Arrays.fill(logits, 0f);
    }
    k.gemv(readout, hidden, nExperts, s.h, 0, logits, 0, true);
    meter.add(Component.ROUTER, (long) hidden * nExperts);
    for (int e = 0; e < nExperts; e++) {
      float l = logits[e] + routerBias[e];
      // Huge finite inputs can overflow a logit; clamping keeps the softmax defined.
      logits[e] = l != l ? 0f : Math.max(-LOGIT_CAP, Math.min(LOGIT_CAP, l));
    }
    float temp = temperature / gain;
    lastTemperature = temp;
    // A temperature below ~3e-39 has no finite inverse; 0 * Infinity would make every probability NaN.
    k.softmax(logits, probs, nExperts, Math.min(1f / temp, Float.MAX_VALUE));
    return steps;
  }

  /**
   * Routes a window of consecutive inputs of one stream with the routing policy in force (the
   * built-in top-k when none is set), including policies that need the whole window (expert
   * choice, Sinkhorn). Padding tokens ({@code valid[t] == false}) do not advance the stream, get no
   * expert and are never counted as load. The cell advances token by token as single routes would;
   * the balancer's bias is read once, at the start of the window, and then records every valid
   * token's experts.
   *
   * @param xs {@code count * inputDim} values, row after row; padding rows may hold anything
   *     finite; not modified
   * @param valid which rows are real, or null when all are; not modified
   * @param out receives the assignment (reused across calls)
   */
  public void routeWindow(String stream, float[] xs, int count, boolean[] valid, Assignment out) {
    Objects.requireNonNull(out, "assignment");
    if (count < 0 || (long) count * Math.max(nExperts, in) > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("window size " + count + " is negative or too large for one call");
    }
    if ((long) count * in > xs.length) {
      throw new IllegalArgumentException("xs holds " + xs.length + " values, fewer than count * inputDim = "
          + (long) count * in);
    }
    if (valid != null && valid.length < count) {
      throw new IllegalArgumentException("valid must hold one flag per input");
    }
    for (int t = 0; t < count; t++) {
      if ((valid == null || valid[t]) && !k.allFinite(xs, t * in, in)) {
        throw new IllegalArgumentException("input " + t + " of the window has a non-finite value");
      }
    }
    lock.lock();
    try {
      StreamState s = stream(stream);
      RoutingPolicy pol = policy != null ? policy : builtInPolicy();
      meter.beginCall();
      windowLocked(s, xs, count, valid, false, pol, out);
      int[] chosen = scratchRoute.expertsArray();
      float[] row = scratchRoute.probabilitiesArray();
      for (int t = 0; t < count; t++) {
        if (valid != null && !valid[t]) {
          continue;
        }
        int kk = 0;
        for (int sl = out.start(t); sl < out.end(t); sl++) {
          if (out.expert(sl) != Assignment.NULL_EXPERT) {
            chosen[kk++] = out.expert(sl);
          }
        }
        System.arraycopy(windowProbs, t * nExperts, row, 0, nExperts);
        countTokenLocked(chosen, kk, row);
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Prequential learning over a window with the routing policy in force (any policy, including
   * expert choice and Sinkhorn): the window is routed as {@link #routeWindow} does, then token by
   * token in window order each real token's prediction is written to {@code yHats} and the
   * experts it was assigned and the router learn from it (the router from the cell state that
   * token was routed with). A token no expert took predicts zeros and teaches nothing.
   *
   * @param ys {@code count * outputDim} targets (padding rows ignored); not modified
   * @param yHats receives {@code count * outputDim} predictions made before learning (zeros for
   *     padding)
   * @return the summed squared error of the real tokens' predictions
   */
  public double learnWindow(String stream, float[] xs, float[] ys, int count, boolean[] valid, Assignment assigned,
      float[] yHats) {
    Objects.requireNonNull(assigned, "assignment");
    if (count < 0 || (long) count * Math.max(Math.max(nExperts, in), Math.max(hidden, out)) > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("window size " + count + " is negative or too large for one call");
    }
    if ((long) count * in > xs.length || (long) count * out > ys.length || (long) count * out > yHats.length) {
      throw new IllegalArgumentException("xs, ys and yHats must hold count * inputDim, count * outputDim and"
          + " count * outputDim values");
    }
    if (valid != null && valid.length < count) {
      throw new IllegalArgumentException("valid must hold one flag per input");
    }
    if (yHats == xs || yHats == ys) {
      throw new IllegalArgumentException("yHats must not alias xs or ys (it is overwritten)");
    }
    for (int t = 0; t < count; t++) {
      if ((valid == null || valid[t]) && !(k.allFinite(xs, t * in, in) && k.allFinite(ys, t * out, out))) {
        throw new IllegalArgumentException("input or target " + t + " of the window has a non-finite value");
      }
    }
    lock.lock();
    try {
      StreamState s = stream(stream);
      RoutingPolicy pol = policy != null ? policy : builtInPolicy();
      meter.beginCall();
      windowLocked(s, xs, count, valid, true, pol, assigned);
      RouteBuffer b = scratchRoute;
      float[] row = b.probabilitiesArray();
      double se = 0;
      int[] chosen = b.expertsArray();
      float[] w = b.weightsArray();
      for (int t = 0; t < count; t++) {
        if (valid != null && !valid[t]) {
          Arrays.fill(yHats, t * out, (t + 1) * out, 0f);
          continue;
        }
        int kk = 0;
        for (int sl = assigned.start(t); sl < assigned.end(t); sl++) {
          if (assigned.expert(sl) != Assignment.NULL_EXPERT) {
            chosen[kk] = assigned.expert(sl);
            w[kk] = assigned.weight(sl);
            kk++;
          }
        }
        System.arraycopy(windowProbs, t * nExperts, row, 0, nExperts);
        countTokenLocked(chosen, kk, row);
        b.set(kk, lastTemperature, 0);
        System.arraycopy(xs, t * in, xRow, 0, in);
        System.arraycopy(ys, t * out, yRow, 0, out);
        se += learnRoutedLocked(windowH, t * hidden, xRow, yRow, yHatRow, b);
        System.arraycopy(yHatRow, 0, yHats, t * out, out);
      }
      return se;
    } finally {
      lock.unlock();
    }
  }


  /**
   * The routing half of a window: advances the stream over the real inputs, keeps each one's
   * probabilities (and, for learning, its cell state) and lets the policy assign the window.
   */
  private void windowLocked(StreamState s, float[] xs, int count, boolean[] valid, boolean keepStates,
      RoutingPolicy pol, Assignment assigned) {
    if (windowProbs.length < count * nExperts) {
      windowProbs = new float[count * nExperts];
    }
    if (keepStates && windowH.length < count * hidden) {
      windowH = new float[count * hidden];
    }
    float[] row = scratchRoute.probabilitiesArray();
    for (int t = 0; t < count; t++) {
      if (valid == null || valid[t]) {
        probsLocked(s, xs, t * in, null, Float.NaN, null, row);
        System.arraycopy(row, 0, windowProbs, t * nExperts, nExperts);
        if (keepStates) {
          System.arraycopy(s.h, 0, windowH, t * hidden, hidden);
        }
        streams.routed(s);
      } else {
        Arrays.fill(windowProbs, t * nExperts, (t + 1) * nExperts, 0f);
      }
    }
    problem.set(count, nExperts, windowProbs, balancer.applies() ? balancer.biasArray() : null, valid);
    pol.route(problem, assigned);
    if (capacity != null) {
      capacity.apply(problem, assigned);
    }
  }

  private RoutingPolicy builtIn;

  /** Counts a routed token: balancer load, metered tokens and, when on, the routing diagnostics. */
  private void countTokenLocked(int[] chosen, int kk, float[] probs) {
    balancer.record(chosen, kk);
    meter.addTokens(1);
    if (diagnostics != null) {
      diagnostics.record(chosen, kk, probs, -1);
    }
  }

  private RoutingPolicy builtInPolicy() {
    if (builtIn == null) {
      builtIn = new dev.auramoe.routing.policy.TopKPolicy(topK);
    }
    return builtIn;
  }

  /** The routing core: probabilities, then selection (built-in top-k or the policy), balancing. */
  private void routeLocked(StreamState s, float[] x, int xOff, float[] pre, float elapsed, int[] tokens,
      RouteBuffer o) {
    float[] probs = o.probabilitiesArray();
    int steps = probsLocked(s, x, xOff, pre, elapsed, tokens, probs);
    float temp = lastTemperature;
    if (policy != null) {
      selectByPolicyLocked(s, probs, o, temp, steps);
      return;
    }
    if (balancer.applies()) {
      float[] bias = balancer.biasArray();
      for (int e = 0; e < nExperts; e++) {
        score[e] = probs[e] + bias[e];
      }
    } else {
      System.arraycopy(probs, 0, score, 0, nExperts);
    }
    int[] chosen = o.expertsArray();
    TopK.select(score, nExperts, topK, chosen, topScores);
    float[] w = o.weightsArray();
    float sum = 0f;
    for (int j = 0; j < topK; j++) {
      sum += probs[chosen[j]];
    }
    if (sum > 0f && Float.isFinite(sum)) {
      // Divide: 1 / sum overflows for a subnormal sum (bias can choose near-zero probabilities).
      for (int j = 0; j < topK; j++) {
        w[j] = probs[chosen[j]] / sum;
      }
    } else {
      Arrays.fill(w, 0, topK, 1f / topK);
    }
    countTokenLocked(chosen, topK, probs);
    streams.routed(s);
    o.set(topK, temp, steps);
  }

  /** Single-input selection by a (causal) routing policy: real slots only, null slots dropped. */
  private void selectByPolicyLocked(StreamState s, float[] probs, RouteBuffer o, float temp, int steps) {
    problem.set(1, nExperts, probs, balancer.applies() ? balancer.biasArray() : null, null);
    policy.route(problem, assignment);
    int[] chosen = o.expertsArray();
    float[] w = o.weightsArray();
    int kk = 0;
    for (int sl = assignment.start(0); sl < assignment.end(0); sl++) {
      int e = assignment.expert(sl);
      if (e != Assignment.NULL_EXPERT) {
        chosen[kk] = e;
        w[kk] = assignment.weight(sl);
        kk++;
      }
    }
    countTokenLocked(chosen, kk, probs);
    streams.routed(s);
    o.set(kk, temp, steps);
  }

  // ---------------------------------------------------------------- prediction and learning

  /**
   * Routes x and returns the mixture's prediction (allocates the result). Like every routing call it
   * advances the stream's cell state and the balancer by one input: for prequential evaluation use
   * {@link #learn}, which predicts and learns in one step, rather than predict followed by learn.
   */
  public float[] predict(String stream, float[] x) {
    float[] y = new float[out];
    predict(stream, x, y);
    return y;
  }

  /** Routes x and writes the mixture's prediction into {@code yHat}; allocates nothing. */
  public void predict(String stream, float[] x, float[] yHat) {
    predict(stream, x, yHat, null);
  }

  /**
   * As {@link #predict(String, float[], float[])}, also copying the routing (the experts and the
   * weights that made the prediction) into a buffer.
   *
   * @param routeOut receives the routing, or null
   */
  public void predict(String stream, float[] x, float[] yHat, RouteBuffer routeOut) {
    checkInput(x);
    checkLength(yHat, out, "prediction buffer");
    checkNotAliased(yHat, x, "the input x");
    if (routeOut != null) {
      checkBuffer(routeOut);
    }
    lock.lock();
    try {
      StreamState s = stream(stream);
      checkCausalPolicy();
      meter.beginCall();
      RouteBuffer b = routeOut == null ? scratchRoute : routeOut;
      routeLocked(s, x, 0, null, Float.NaN, null, b);
      mixLocked(x, b, yHat);
    } finally {
      lock.unlock();
    }
  }

  private void mixLocked(float[] x, RouteBuffer b, float[] yHat) {
    Arrays.fill(yHat, 0, out, 0f);
    int[] chosen = b.expertsArray();
    float[] w = b.weightsArray();
    long macs = 0;
    int kk = b.k();
    for (int j = 0; j < kk; j++) {
      Expert e = experts[chosen[j]];
      float[] o = expertOut[j];
      e.predict(x, o);
      macs += e.predictMacs();
      for (int i = 0; i < out; i++) {
        yHat[i] += w[j] * o[i];
      }
    }
    meter.add(Component.EXPERTS, macs + (long) kk * out);
    if (!k.allFinite(yHat, 0, out)) {
      saturateMixLocked(chosen, w, kk, yHat);
    }
  }

  /**
   * The slow path of {@link #mixLocked} when the float mixture left float range: each output is
   * mixed again in double from the experts' outputs (saturated at +-Float.MAX_VALUE, as the built-in
   * experts' own are) and saturated in turn.
   *
   * @throws IllegalStateException when an expert predicted NaN (a user's expert; the built-in ones
   *     never do for finite input)
   */
  private void saturateMixLocked(int[] chosen, float[] w, int kk, float[] yHat) {
    for (int i = 0; i < out; i++) {
      double s = 0;
      for (int j = 0; j < kk; j++) {
        float o = expertOut[j][i];
        if (o != o) {
          throw new IllegalStateException("expert '" + experts[chosen[j]].name() + "' predicted NaN at output " + i
              + " for a finite input");
        }
        s += (double) w[j] * Experts.saturate(o);
      }
      yHat[i] = Experts.saturate(s);
    }
  }

  /** The result of one {@link #learn} call. */
  public record LearnResult(float[] prediction, int[] experts, float[] weights, double squaredError) {}

  /** Prequential step: predicts y for x, then learns from (x, y). Returns what was predicted. */
  public LearnResult learn(String stream, float[] x, float[] y) {
    float[] yHat = new float[out];
    RouteBuffer b = newRouteBuffer();
    double se = learn(stream, x, y, yHat, b);
    return new LearnResult(yHat, Arrays.copyOf(b.expertsArray(), b.k()), Arrays.copyOf(b.weightsArray(), b.k()), se);
  }

  /**
   * Prequential step without allocation: writes the prediction made <em>before</em> learning into
   * {@code yHat}, then updates the chosen experts and the router.
   *
   * @return the squared error of that prediction
   */
  public double learn(String stream, float[] x, float[] y, float[] yHat) {
    return learn(stream, x, y, yHat, null);
  }

  /** As {@link #learn(String, float[], float[], float[])}, also copying the routing into a buffer. */
  public double learn(String stream, float[] x, float[] y, float[] yHat, RouteBuffer routeOut) {
    return learn(stream, x, Float.NaN, null, y, yHat, routeOut);
  }

  /**
   * The general prequential step: routes x with optional irregular timing and attention tokens
   * (as {@link #route(String, float[], float, int[], RouteBuffer)}), writes the mixture's prediction
   * into {@code yHat}, then learns from y.
   *
   * @param routeOut receives the routing, or null
   * @return the squared error of the prediction made before learning
   */
  public double learn(String stream, float[] x, float elapsed, int[] tokens, float[] y, float[] yHat,
      RouteBuffer routeOut) {
    checkInput(x);
    checkElapsed(elapsed);
    checkVector(y, out, "target y");
    checkLength(yHat, out, "prediction buffer");
    checkNotAliased(yHat, x, "the input x");
    checkNotAliased(yHat, y, "the target y");
    if (routeOut != null) {
      checkBuffer(routeOut);
    }
    lock.lock();
    try {
      StreamState s = stream(stream);
      checkTokens(s, tokens);
      checkCausalPolicy();
      meter.beginCall();
      return learnLocked(s, x, elapsed, tokens, y, yHat, routeOut == null ? scratchRoute : routeOut);
    } finally {
      lock.unlock();
    }
  }

  private double learnLocked(StreamState s, float[] x, float elapsed, int[] tokens, float[] y, float[] yHat,
      RouteBuffer b) {
    routeLocked(s, x, 0, null, elapsed, tokens, b);
    return learnRoutedLocked(s.h, 0, x, y, yHat, b);
  }

  /**
   * Predicts with the experts routed in {@code b}, then updates them and the router. {@code h}
   * from {@code hOff} is the cell state the routing was computed from (the router's features).
   */
  private double learnRoutedLocked(float[] h, int hOff, float[] x, float[] y, float[] yHat, RouteBuffer b) {
    mixLocked(x, b, yHat);
    int[] chosen = b.expertsArray();
    float[] w = b.weightsArray();
    float[] probs = b.probabilitiesArray();
    float[][] v = expertOut;
    int kk = b.k();
    double se = 0;
    for (int i = 0; i < out; i++) {
      float d = y[i] - yHat[i];
      // Both lie in float range, their difference may not: then it is taken in double.
      double dd = Float.isFinite(d) ? d : (double) y[i] - yHat[i];
      se += dd * dd;
    }
    if (kk == 0) {
      // Every slot was dropped (capacity) or taken by no expert (expert choice): nothing to learn.
      return se;
    }
    float minErr = Float.POSITIVE_INFINITY;
    float meanErr = 0f;
    for (int j = 0; j < kk; j++) {
      float e = 0f;
      for (int i = 0; i < out; i++) {
        float d = y[i] - v[j][i];
        e += d * d;
      }
      errors[j] = Float.isFinite(e) ? e : Float.MAX_VALUE;
      minErr = Math.min(minErr, errors[j]);
      meanErr += errors[j] / kk;
    }
    long learnMacs = (long) kk * out;
    // Responsibilities over the chosen experts: r_j ∝ p_j exp(-(e_j - e_min) / 2 s^2).
    if (errorScale == 0f) {
      errorScale = Math.max(meanErr, 1e-12f);
    } else {
      errorScale = Math.max(0.99f * errorScale + 0.01f * meanErr, 1e-12f);
    }
    float massChosen = 0f;
    float rsum = 0f;
    for (int j = 0; j < kk; j++) {
      float pj = probs[chosen[j]];
      massChosen += pj;
      resp[j] = pj * (float) Math.exp(-(errors[j] - minErr) / (2f * errorScale));
      rsum += resp[j];
    }
    if (!(rsum > 0f)) {
      for (int j = 0; j < kk; j++) {
        resp[j] = 1f / kk;
      }
    } else {
      for (int j = 0; j < kk; j++) {
        resp[j] /= rsum;
      }
    }
    // Experts learn from their own error.
    for (int j = 0; j < kk; j++) {
      AdaptiveExpert a = adaptive[chosen[j]];
      if (a != null) {
        float credit = config.credit() == Credit.GATE_WEIGHT ? w[j] : resp[j];
        a.learn(x, y, v[j], credit);
        learnMacs += a.learnMacs();
      }
    }
    // Router: delta rule on the logits toward the responsibility target, normalised by |z|^2.
    if (routerLearningRate > 0f) {
      float norm = 1f + k.sumOfSquares(h, hOff, hidden);
      learnMacs += hidden;
      if (config.routerUsesInput()) {
        norm += k.sumOfSquares(x, 0, in);
        learnMacs += in;
      }
      for (int j = 0; j < kk; j++) {
        int e = chosen[j];
        float delta = massChosen * resp[j] - probs[e];
        float step = routerLearningRate * delta / norm;
        if (step == 0f || !Float.isFinite(step)) {
          continue;
        }
        for (int i = 0; i < hidden; i++) {
          readout[i * nExperts + e] += step * h[hOff + i];
        }
        routerBias[e] += step;
        learnMacs += hidden + 1;
        if (config.routerUsesInput()) {
          cell.addToExtraColumn(e, step, x);
          learnMacs += in;
        }
      }
    }
    meter.add(Component.LEARNING, learnMacs);
    learnSteps++;
    return se;
  }

  /**
   * Queues a learn step on the model's learning thread. Arguments are validated and copied now: bad
   * input throws here and changes nothing. Updates run in submission order.
   *
   * @return completes with the learn result, or exceptionally if the stream was closed meanwhile
   */
  public CompletableFuture<LearnResult> learnAsync(String stream, float[] x, float[] y) {
    checkInput(x);
    checkVector(y, out, "target y");
    lock.lock();
    try {
      stream(stream);
    } finally {
      lock.unlock();
    }
    float[] xc = x.clone();
    float[] yc = y.clone();
    while (true) {
      try {
        return CompletableFuture.supplyAsync(() -> learn(stream, xc, yc), learner());
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // close() shut this learner down between learner() and the submission: the queued
        // updates drain there, and this one goes to a fresh learner.
        synchronized (learnerLock) {
          if (learner != null && learner.isShutdown()) {
            learner = null;
          }
        }
      }
    }
  }

  private ExecutorService learner() {
    synchronized (learnerLock) {
      if (learner == null) {
        learner = Executors.newSingleThreadExecutor(r -> {
          Thread t = new Thread(r, "aura-learner");
          t.setDaemon(true);
          learnerThread = t;
          return t;
        });
      }
      return learner;
    }
  }

  /**
   * Waits until every asynchronous update queued before this call has been applied. Called from the
   * learning thread itself (for example in a continuation of a {@link #learnAsync} future), it
   * returns at once: the updates queued behind the current one cannot run before it finishes.
   */
  public void awaitLearning() {
    ExecutorService l;
    synchronized (learnerLock) {
      l = learner;
    }
    if (l != null && Thread.currentThread() != learnerThread) {
      CompletableFuture.runAsync(() -> { }, l).join();
    }
  }

  /**
   * Drains queued updates and stops the learning thread. The model stays usable: synchronous calls
   * work as before, and a later {@link #learnAsync} starts a new learning thread. Called from the
   * learning thread itself it only stops accepting new updates.
   */
  @Override
  public void close() {
    ExecutorService l;
    synchronized (learnerLock) {
      l = learner;
      learner = null;
    }
    if (l == null) {
      return;
    }
    l.shutdown();
    if (Thread.currentThread() != learnerThread) {
      try {
        l.awaitTermination(1, TimeUnit.MINUTES);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  // ---------------------------------------------------------------- knobs and reports

  /** The base routing temperature. */
  public float temperature() {
    lock.lock();
    try {
      return temperature;
    } finally {
      lock.unlock();
    }
  }

  /** Sets the base routing temperature (finite, &gt; 0). */
  public void setTemperature(float t) {
    if (!(t > 0) || !Float.isFinite(t)) {
      throw new IllegalArgumentException("temperature must be finite and > 0, got " + t);
    }
    lock.lock();
    try {
      temperature = t;
    } finally {
      lock.unlock();
    }
  }

  /** The router's learning rate now. */
  public float routerLearningRate() {
    lock.lock();
    try {
      return routerLearningRate;
    } finally {
      lock.unlock();
    }
  }

  /** Sets the router's learning rate in [0, 2); 0 freezes the router. */
  public void setRouterLearningRate(float r) {
    if (!(r >= 0 && r < 2)) {
      throw new IllegalArgumentException("routerLearningRate must lie in [0, 2), got " + r);
    }
    lock.lock();
    try {
      routerLearningRate = r;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Switches the routing policy; every learned weight, the streams and the balancer are kept. Null
   * restores the built-in top-k (the allocation-free fast path). The policy instance holds scratch
   * space: give each model its own. A policy that needs the whole window (expert choice, Sinkhorn)
   * only works through {@link #routeWindow}; single-input calls then throw
   * {@link IllegalStateException}. The policy is a run-time choice and is not saved in snapshots.
   */
  public void setRoutingPolicy(RoutingPolicy p) {
    lock.lock();
    try {
      policy = p;
    } finally {
      lock.unlock();
    }
  }

  /** The routing policy in force, or null for the built-in top-k. */
  public RoutingPolicy routingPolicy() {
    lock.lock();
    try {
      return policy;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Replaces expert {@code e} by a fresh one: its learned state is reset
   * ({@link AdaptiveExpert#reset()}) and so is the router's readout for it (weights and bias to 0),
   * so that the router neither favours nor avoids it. For drift handling: a fresh expert can take
   * a new concept while the others keep theirs. The balancer's state and every stream's cell state
   * are kept. A frozen expert (not adaptive) keeps its function; its router readout is reset.
   *
   * @throws IndexOutOfBoundsException when e is not an expert index
   */
  public void resetExpert(int e) {
    Objects.checkIndex(e, nExperts);
    lock.lock();
    try {
      if (adaptive[e] != null) {
        adaptive[e].reset();
      }
      for (int i = 0; i < hidden; i++) {
        readout[i * nExperts + e] = 0f;
      }
      routerBias[e] = 0f;
      if (config.routerUsesInput()) {
        cell.resetExtraColumn(e);
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * A new model with one more expert, appended at index {@link #expertCount()}; this model is not
   * changed. Everything else carries over: the cell's weights, every stream's state, the router's
   * readout and bias for the other experts, the balancer's state, the error scale, the learn-step
   * and energy counters, the temperature, router learning rate, balancing configuration, device
   * profile, routing policy and capacity limiter; routing diagnostics, when on, restart with the
   * same window and decay (the new model's expert count differs). The new expert starts with a zero
   * router readout, bias and input column, as {@link #resetExpert} leaves one, so the router neither
   * favours nor avoids it; the balancer sees it at the others' mean load, so it starts neutral and
   * then pulls traffic to the expert while it is under-used.
   *
   * <p>The experts of the new model are copies ({@link Expert#copy()}), except {@code e}, which the
   * new model takes as it is. The routing policy and capacity limiter are the same instances, and
   * they hold scratch space: use one of the two models afterwards (a caller that replaces one by
   * the other should {@link #close()} the old one), or give the other its own policy and limiter
   * before using both. The result is a pure
   * function of this model's state and {@code e}, so replaying the same change gives a bit-identical
   * model.
   *
   * @throws IllegalArgumentException when {@code e}'s shape differs from the mixture's, or its name
   *     is taken
   */
  public MixtureOfExperts withExpert(Expert e) {
    Objects.requireNonNull(e, "expert");
    lock.lock();
    try {
      List<Expert> l = Restructuring.copies(this);
      l.add(e);
      return carryRunTimeChoices(Restructuring.rebuild(this, l, Restructuring.sameIndices(nExperts, nExperts + 1)));
    } finally {
      lock.unlock();
    }
  }

  /**
   * A new model without expert {@code e}; this model is not changed. The experts after {@code e}
   * move down one index; everything the other experts learned, and every other piece of state,
   * carries over as in {@link #withExpert}.
   *
   * @throws IndexOutOfBoundsException when e is not an expert index
   * @throws IllegalArgumentException when fewer than {@link #topK()} experts would remain
   */
  public MixtureOfExperts withoutExpert(int e) {
    Objects.checkIndex(e, nExperts);
    if (nExperts - 1 < topK) {
      throw new IllegalArgumentException("cannot remove expert '" + experts[e].name() + "': the model routes each"
          + " input to k = " + topK + " experts and would have " + (nExperts - 1));
    }
    lock.lock();
    try {
      List<Expert> l = Restructuring.copies(this);
      l.remove(e);
      int[] from = new int[nExperts - 1];
      for (int i = 0; i < from.length; i++) {
        from[i] = i < e ? i : i + 1;
      }
      return carryRunTimeChoices(Restructuring.rebuild(this, l, from));
    } finally {
      lock.unlock();
    }
  }

  /**
   * A new model in which expert {@code e} is named {@code name}; this model is not changed, and
   * nothing but the name differs (the expert is copied with {@link Expert#copy(String)}).
   *
   * @throws IndexOutOfBoundsException when e is not an expert index
   * @throws IllegalArgumentException when another expert has that name
   * @throws UnsupportedOperationException when the expert's kind cannot be copied under a new name
   */
  public MixtureOfExperts withExpertRenamed(int e, String name) {
    Objects.checkIndex(e, nExperts);
    Objects.requireNonNull(name, "name");
    lock.lock();
    try {
      List<Expert> l = Restructuring.copies(this);
      l.set(e, experts[e].copy(name));
      return carryRunTimeChoices(Restructuring.rebuild(this, l, Restructuring.sameIndices(nExperts, nExperts)));
    } finally {
      lock.unlock();
    }
  }

  /** Under the lock: gives a restructured copy this model's run-time choices, which snapshots omit. */
  private MixtureOfExperts carryRunTimeChoices(MixtureOfExperts n) {
    n.streams.carrySettings(streams);
    n.policy = policy;
    n.capacity = capacity;
    if (diagnostics != null) {
      n.diagnostics = new dev.auramoe.routing.diagnostics.RoutingDiagnostics(n.nExperts, diagnostics.window(),
          diagnostics.decay(), diagnostics.labels(), diagnostics.historyLength());
    }
    return n;
  }

  /**
   * Sets expert capacity for window calls ({@link #routeWindow}, {@link #learnWindow}), applied
   * after the routing policy; null (the default) for none. A slot dropped for capacity is simply not
   * computed: its token's other experts are renormalised, and a token left with no expert predicts
   * zeros and teaches nothing (the documented fallback). Single-input calls never overflow: a
   * window of one token has room for it in every expert. Like the policy, the limiter holds
   * scratch space (one per model), is a run-time choice and is not saved in snapshots; read its
   * {@code lastDropped()}, {@code lastRerouted()} and {@code lastCapacity()} after a call.
   */
  public void setCapacity(dev.auramoe.routing.policy.CapacityLimiter limiter) {
    lock.lock();
    try {
      capacity = limiter;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Turns on routing diagnostics for every routed token of every stream (see
   * {@link dev.auramoe.routing.diagnostics.RoutingDiagnostics}): O(E + k) per token, no
   * allocation. Restarting them discards what was recorded.
   *
   * @param window tokens per load window, &gt;= 1
   * @param decay per-token decay of the moving-average load, in [0, 1)
   */
  public void enableDiagnostics(int window, double decay) {
    var d = new dev.auramoe.routing.diagnostics.RoutingDiagnostics(nExperts, window, decay, 0);
    lock.lock();
    try {
      diagnostics = d;
    } finally {
      lock.unlock();
    }
  }

  /** Turns routing diagnostics off and discards them. */
  public void disableDiagnostics() {
    lock.lock();
    try {
      diagnostics = null;
    } finally {
      lock.unlock();
    }
  }

  /**
   * The routing diagnostics now: load, balance, entropy, experts per token, effective temperature,
   * stickiness and cache hit rate.
   *
   * @throws IllegalStateException when diagnostics are off
   */
  public dev.auramoe.routing.diagnostics.RoutingStats routingStats() {
    lock.lock();
    try {
      return requireDiagnostics().stats();
    } finally {
      lock.unlock();
    }
  }

  /**
   * The routing diagnostics over time: a summary per full load window, oldest first (the last
   * {@value dev.auramoe.routing.diagnostics.RoutingDiagnostics#DEFAULT_HISTORY} windows).
   *
   * @throws IllegalStateException when diagnostics are off
   */
  public java.util.List<dev.auramoe.routing.diagnostics.RoutingDiagnostics.WindowSummary> routingHistory() {
    lock.lock();
    try {
      return requireDiagnostics().history();
    } finally {
      lock.unlock();
    }
  }

  private dev.auramoe.routing.diagnostics.RoutingDiagnostics requireDiagnostics() {
    if (diagnostics == null) {
      throw new IllegalStateException("routing diagnostics are off: call enableDiagnostics(window, decay) first");
    }
    return diagnostics;
  }

  /** Replaces the balancing configuration; bias and loads are kept. */
  public void setBalance(BalanceConfig c) {
    lock.lock();
    try {
      balancer.setConfig(c);
    } finally {
      lock.unlock();
    }
  }

  /** The load balancer's state, exactly as in force. */
  public BalanceState balanceState() {
    lock.lock();
    try {
      return balancer.state();
    } finally {
      lock.unlock();
    }
  }

  /** Energy of the last call. */
  public EnergyReport lastCallEnergy() {
    lock.lock();
    try {
      return meter.lastCall();
    } finally {
      lock.unlock();
    }
  }

  /** Energy since creation (or load). */
  public EnergyReport cumulativeEnergy() {
    lock.lock();
    try {
      return meter.cumulative();
    } finally {
      lock.unlock();
    }
  }

  /** Opens (or restarts) a named energy window. */
  public void openEnergyWindow(String name) {
    lock.lock();
    try {
      meter.openWindow(name);
    } finally {
      lock.unlock();
    }
  }

  /** Closes a named energy window and reports it. */
  public EnergyReport closeEnergyWindow(String name) {
    lock.lock();
    try {
      return meter.closeWindow(name);
    } finally {
      lock.unlock();
    }
  }

  /** Changes the device profile of energy estimates. */
  public void setDeviceProfile(DeviceProfile p) {
    lock.lock();
    try {
      meter.setProfile(p);
    } finally {
      lock.unlock();
    }
  }

  /** A copy of the router's readout weights, input-major (hidden x experts). */
  public float[] routerReadout() {
    lock.lock();
    try {
      return readout.clone();
    } finally {
      lock.unlock();
    }
  }

  /** Learn steps applied so far. */
  public long learnSteps() {
    lock.lock();
    try {
      return learnSteps;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Float parameters the model holds: the gating cell's and the router's
   * ({@link MoeConfig#routerParameterCount(int)}) and every expert's ({@link Expert#parameterCount()}).
   * Constant for a model (a change of the expert set makes a new one); takes no lock.
   */
  public long parameterCount() {
    long p = config.routerParameterCount(experts.length);
    for (Expert e : experts) {
      p += e.parameterCount();
    }
    return p;
  }

  /**
   * The expert at an index: the live object, not a copy. Mutate it only through the model, and do
   * not read its state while other threads learn (use {@link #digest()} or a snapshot for a
   * consistent view).
   */
  public Expert expert(int i) {
    return experts[Objects.checkIndex(i, nExperts)];
  }

  LiquidCell cell() {
    return cell;
  }

  ReentrantLock lock() {
    return lock;
  }

  // ---------------------------------------------------------------- snapshots

  /** Saves the whole model atomically (temporary file, fsync, rename). See {@link Snapshots}. */
  public void save(Path file) throws IOException {
    Snapshots.save(this, file);
  }

  /** Loads a model saved with {@link #save}. See {@link Snapshots#load(Path, java.util.function.Function)}. */
  public static MixtureOfExperts load(Path file) throws IOException {
    return Snapshots.load(file, null);
  }

  /** A SHA-256 digest of the complete model state (hex), equal for bit-identical models. */
  public String digest() {
    return Snapshots.digest(this);
  }

  // ---------------------------------------------------------------- validation

  private void checkInput(float[] x) {
    checkVector(x, in, "input x");
  }

  private void checkVector(float[] v, int n, String what) {
    checkLength(v, n, what);
    if (k.allFinite(v, 0, n)) {
      return;
    }
    for (int i = 0; i < n; i++) {
      if (!Float.isFinite(v[i])) {
        throw new IllegalArgumentException(what + " has a non-finite value at index " + i + ": " + v[i]);
      }
    }
  }

  private static void checkNotAliased(float[] yHat, float[] other, String what) {
    if (yHat == other) {
      throw new IllegalArgumentException("the prediction buffer must not be " + what + " (it is overwritten)");
    }
  }

  private static void checkLength(float[] v, int n, String what) {
    Objects.requireNonNull(v, what);
    if (v.length != n) {
      throw new IllegalArgumentException(what + " must have length " + n + ", got " + v.length);
    }
  }

  private static void checkElapsed(float elapsed) {
    if (elapsed == elapsed && !(elapsed >= 0 && Float.isFinite(elapsed))) {
      throw new IllegalArgumentException("elapsed time must be finite and >= 0 (or NaN for the default), got "
          + elapsed);
    }
  }

  private void checkBuffer(RouteBuffer b) {
    Objects.requireNonNull(b, "route buffer");
    if (b.expertsArray().length < topK || b.probabilitiesArray().length != nExperts) {
      throw new IllegalArgumentException("route buffer is sized for another model; use newRouteBuffer()");
    }
  }

  /** Under the lock: a policy that needs the whole window cannot route one input at a time. */
  private void checkCausalPolicy() {
    if (policy != null && policy.needsWholeWindow()) {
      throw new IllegalStateException("the routing policy " + policy.name() + " needs the whole window of tokens"
          + " and cannot route a stream one input at a time; use routeWindow, or a token-choice policy");
    }
  }

  private void checkTokens(StreamState s, int[] tokens) {
    if (tokens == null) {
      return;
    }
    if (s.attention == null) {
      throw new IllegalArgumentException("tokens given but the model has no spiking attention (builder.attention)");
    }
    s.attention.validate(tokens, 0, tokens.length);
  }

  // ---------------------------------------------------------------- builder

  /** Builds a {@link MixtureOfExperts}. Every knob has a documented default. */
  public static final class Builder {
    private final int in;
    private final int out;
    private CellConfig cell = CellConfig.DEFAULT;
    private int topK = 2;
    private float temperature = 1f;
    private boolean routerUsesInput = true;
    private float routerLearningRate = 0.5f;
    private Credit credit = Credit.GATE_WEIGHT;
    private BalanceConfig balance = BalanceConfig.DEFAULT;
    private AttentionConfig attention;
    private DeviceProfile profile = DeviceProfile.DEFAULT;
    private long seed = 42;
    private StreamLimits streamLimits = StreamLimits.UNLIMITED;
    private StreamEvictionListener evictionListener;
    private final List<Expert> experts = new ArrayList<>();

    Builder(int in, int out) {
      this.in = in;
      this.out = out;
    }

    /** Adds experts (at least one is needed). */
    public Builder experts(List<? extends Expert> e) {
      experts.addAll(e);
      return this;
    }

    /** Adds one expert. */
    public Builder expert(Expert e) {
      experts.add(e);
      return this;
    }

    /** Gating cell (default {@link CellConfig#DEFAULT}). */
    public Builder cell(CellConfig c) {
      this.cell = c;
      return this;
    }

    /** Experts per input (default 2). */
    public Builder topK(int k) {
      this.topK = k;
      return this;
    }

    /** Base routing temperature (default 1). */
    public Builder temperature(float t) {
      this.temperature = t;
      return this;
    }

    /** Whether the router also reads x (default true). */
    public Builder routerUsesInput(boolean b) {
      this.routerUsesInput = b;
      return this;
    }

    /** Router learning rate in [0, 2) (default 0.5). */
    public Builder routerLearningRate(float r) {
      this.routerLearningRate = r;
      return this;
    }

    /** Expert credit (default gate weight). */
    public Builder credit(Credit c) {
      this.credit = c;
      return this;
    }

    /** Load balancing (default {@link BalanceConfig#DEFAULT}). */
    public Builder balance(BalanceConfig b) {
      this.balance = b;
      return this;
    }

    /** Spiking attention over tokens (default none). */
    public Builder attention(AttentionConfig a) {
      this.attention = a;
      return this;
    }

    /** Device profile for energy estimates (default 3 pJ per MAC). */
    public Builder deviceProfile(DeviceProfile p) {
      this.profile = p;
      return this;
    }

    /** Seed of the random initialisation (default 42). */
    public Builder seed(long s) {
      this.seed = s;
      return this;
    }

    /** The bound on the open streams (default {@link StreamLimits#UNLIMITED}); see {@link #setStreamLimits}. */
    public Builder streamLimits(StreamLimits l) {
      this.streamLimits = Objects.requireNonNull(l, "streamLimits");
      return this;
    }

    /** Told of each evicted stream (default none); see {@link #setStreamEvictionListener}. */
    public Builder streamEvictionListener(StreamEvictionListener l) {
      this.evictionListener = l;
      return this;
    }

    /** Builds the model; throws IllegalArgumentException for an inconsistent configuration. */
    public MixtureOfExperts build() {
      MoeConfig c = new MoeConfig(in, out, cell, topK, temperature, routerUsesInput, routerLearningRate, credit,
          balance, attention, profile, seed);
      MixtureOfExperts m = new MixtureOfExperts(c, experts);
      m.streams.setLimits(streamLimits);
      m.streams.setListener(evictionListener);
      return m;
    }
  }
}
