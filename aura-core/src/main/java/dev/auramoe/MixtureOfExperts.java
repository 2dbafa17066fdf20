package dev.auramoe;

import dev.auramoe.balance.BalanceConfig;
import dev.auramoe.balance.BalanceState;
import dev.auramoe.cell.CellConfig;
import dev.auramoe.cell.GatingCell;
import dev.auramoe.cell.LiquidCell;
import dev.auramoe.energy.DeviceProfile;
import dev.auramoe.energy.EnergyReport;
import dev.auramoe.engine.Arguments;
import dev.auramoe.engine.AsyncLearner;
import dev.auramoe.engine.LearnPass;
import dev.auramoe.engine.ModelState;
import dev.auramoe.engine.RoutePass;
import dev.auramoe.engine.Streams;
import dev.auramoe.experts.Expert;
import dev.auramoe.routing.RouteBuffer;
import dev.auramoe.routing.RoutingDecision;
import dev.auramoe.routing.diagnostics.RoutingDiagnostics;
import dev.auramoe.routing.diagnostics.RoutingStats;
import dev.auramoe.routing.policy.Assignment;
import dev.auramoe.routing.policy.CapacityLimiter;
import dev.auramoe.routing.policy.RoutingPolicy;
import dev.auramoe.spiking.SpikingAttention;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

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
 * <p>Each stream owns its cell state h (and attention state); everything else is shared. The stream
 * {@value #DEFAULT_STREAM} always exists; others are opened with {@link #openStream}.
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
 * <h2>Bad input</h2>
 * Wrong dimensions, NaN or infinite values, unknown streams and out-of-vocabulary tokens raise an
 * {@link IllegalArgumentException} (or {@link java.util.NoSuchElementException} for streams) before
 * anything is changed. Expert code runs after routing: an exception thrown by a user's
 * {@link dev.auramoe.experts.FunctionExpert} propagates, and the routing of that input (the stream's
 * cell state, the balancer, the energy counters) has then already happened. Predictions saturate
 * at float range (see the package documentation).
 *
 * <p>The package documentation has an example and the contracts that span several methods. This
 * class checks arguments, takes the lock and delegates to the internal engine ({@code dev.auramoe.engine}).
 */
public final class MixtureOfExperts implements AutoCloseable {

  /** The stream that always exists. */
  public static final String DEFAULT_STREAM = "default";

  private final ModelState state;
  private final Streams streams;
  private final RoutePass routing;
  private final LearnPass learning;
  private final Arguments check;
  private final AsyncLearner learner = new AsyncLearner();
  private final ReentrantLock lock = new ReentrantLock();
  private final Unlock unlock = lock::unlock;

  MixtureOfExperts(ModelState state) {
    this.state = state;
    this.streams = state.streams();
    this.routing = new RoutePass(state);
    this.learning = new LearnPass(state, routing);
    this.check = new Arguments(state);
  }

  /** A builder for a mixture from {@code inputDim} to {@code outputDim}. */
  public static Builder builder(int inputDim, int outputDim) {
    return new Builder(inputDim, outputDim);
  }

  /** The configuration (temperature, router learning rate and balance as built; see accessors for live values). */
  public MoeConfig config() {
    return state.config();
  }

  /** Input dimension. */
  public int inputDim() {
    return config().inputDim();
  }

  /** Output dimension. */
  public int outputDim() {
    return config().outputDim();
  }

  /** Number of experts. */
  public int expertCount() {
    return state.pool().size();
  }

  /** Experts per input. */
  public int topK() {
    return config().topK();
  }

  /** Hidden size of the cell. */
  public int hidden() {
    return state.cell().hidden();
  }

  /** Expert names in index order. */
  public List<String> expertNames() {
    return state.pool().names();
  }

  /** Index of a named expert ({@link java.util.NoSuchElementException} when there is none). */
  public int expertIndex(String name) {
    return state.pool().index(name);
  }

  /** The expert at an index: the live object (change it only through the model). */
  public Expert expert(int i) {
    return state.pool().get(Objects.checkIndex(i, expertCount()));
  }

  /** Name of the kernels in use ({@code scalar} or {@code panama-...}). */
  public String kernels() {
    return state.kernels().name();
  }

  /** A route buffer sized for this model. */
  public RouteBuffer newRouteBuffer() {
    return new RouteBuffer(expertCount(), expertCount());
  }

  /**
   * Opens a stream with a zero state; {@link IllegalArgumentException} for a blank or open id. At the
   * cap of the {@link StreamLimits} it first evicts idle streams or throws {@link StreamCapacityException}.
   */
  public void openStream(String id) {
    lockedDo(() -> streams.open(id));
  }

  /** Opens a stream as {@link #openStream(String)} does, as used at {@code stamp} (see {@link StreamLimits}). */
  public void openStream(String id, long stamp) {
    lockedDo(() -> streams.open(id, stamp));
  }

  /** Opens a stream unless it is open already. */
  public void ensureStream(String id) {
    lockedDo(() -> streams.ensure(id));
  }

  /** Closes a stream and drops its state; the default stream cannot be closed. */
  public void closeStream(String id) {
    lockedDo(() -> streams.close(id));
  }

  /** Open stream ids in opening order: a copy, which takes time and memory in the number of streams. */
  public List<String> streams() {
    return locked(streams::ids);
  }

  /**
   * Up to {@code limit} (&gt;= 1) open stream ids after {@code after} (need not be open; null: from the
   * first) in code-unit order, so that paging lists every stream open throughout once; log n + limit.
   */
  public List<String> streams(String after, int limit) {
    return locked(() -> streams.idsAfter(after, limit));
  }

  /** Whether a stream is open; constant time. */
  public boolean hasStream(String id) {
    try (var _ = hold()) {
      return streams.contains(id);
    }
  }

  /** The number of open streams, the default stream included; constant time. */
  public int streamCount() {
    try (var _ = hold()) {
      return streams.size();
    }
  }

  /** Makes an open stream the newest with {@code stamp} (false if not open); O(1), no allocation; see package docs. */
  public boolean touchStream(String id, long stamp) {
    try (var _ = hold()) {
      return streams.touch(id, stamp);
    }
  }

  /** The open stream other than the default one used least recently, or null; constant time. */
  public String leastRecentlyUsedStream() {
    return locked(streams::leastRecentlyUsed);
  }

  /** The latest stamp of the n (&gt;= 1) least recently used non-default streams, or Long.MIN_VALUE; O(n). */
  public long latestStampOfLeastRecentlyUsed(int n) {
    try (var _ = hold()) {
      return streams.latestStampOfLeastRecentlyUsed(n);
    }
  }

  /** Gives every open stream the stamp {@code stamp}, keeping their recency order. */
  public void stampStreams(long stamp) {
    lockedDo(() -> streams.stampAll(stamp));
  }

  /** Takes over the recency of a model this one replaces; streams only here become the newest, with {@code stamp}. */
  public void copyStreamRecency(MixtureOfExperts from, long stamp) {
    if (from != this) {
      lockedDo(() -> from.lockedDo(() -> streams.copyRecency(from.streams, stamp)));
    }
  }

  /** The stamp of a stream's last {@link #touchStream} (0 since it was opened or loaded). */
  public long streamStamp(String id) {
    return locked(() -> streams.stamp(id));
  }

  /** Resets one stream's state to zero (cell state and attention). */
  public void resetStream(String id) {
    lockedDo(() -> streams.reset(id));
  }

  /** Resets every stream's state. */
  public void resetAllStreams() {
    lockedDo(streams::resetAll);
  }

  /** A copy of a stream's cell state. */
  public float[] state(String id) {
    return locked(() -> streams.state(id));
  }

  /**
   * A copy of a stream's experts' recent errors (the router's input that says how each expert has done
   * on this stream lately); empty when the router reads none.
   */
  public float[] recentErrors(String id) {
    return locked(() -> streams.recentErrors(id));
  }

  /**
   * Sets a stream's experts' recent errors: for learners that take the experts' errors outside the
   * model (the expert-parallel Flink job learns them downstream of the route and sets them back).
   *
   * @throws IllegalArgumentException for another length than {@link #recentErrors}'s or a value that
   *     is not finite and &gt;= 0 (nothing changed)
   * @throws java.util.NoSuchElementException for a stream that is not open
   */
  public void setRecentErrors(String id, float[] recent) {
    lockedDo(() -> streams.setRecentErrors(id, recent));
  }

  /** A copy of the stream's spiking attention, or null when attention is not configured. */
  public SpikingAttention attention(String id) {
    return locked(() -> streams.attention(id));
  }

  /**
   * One stream's state as versioned, checksummed bytes (see <a href="package-summary.html#stream-state">stream
   * state</a>); {@link IllegalStateException} when it holds a non-finite value.
   */
  public byte[] exportStream(String id) {
    return locked(() -> streams.exportState(id));
  }

  /** Sets, or opens under the stream limits, a stream with an {@linkplain #exportStream exported} state. */
  public void importStream(String id, byte[] state) {
    lockedDo(() -> streams.importState(id, state));
  }

  /** {@link #importStream(String, byte[])}, the stream counting as used at {@code stamp}. */
  public void importStream(String id, byte[] state, long stamp) {
    lockedDo(() -> streams.importState(id, state, stamp));
  }

  /** Sets the bound on the open streams (default {@link StreamLimits#UNLIMITED}); lowering it evicts nothing now. */
  public void setStreamLimits(StreamLimits limits) {
    lockedDo(() -> streams.setLimits(limits));
  }

  /** The bound on the open streams in force. */
  public StreamLimits streamLimits() {
    return locked(streams::limits);
  }

  /** Sets the {@link StreamEvictionListener} told of each eviction; null for none (the default). */
  public void setStreamEvictionListener(StreamEvictionListener listener) {
    lockedDo(() -> streams.setListener(listener));
  }

  /** The streams that opening one more at {@code stamp} would evict, least recently used first; changes nothing. */
  public List<String> streamsToEvict(long stamp) {
    return locked(() -> streams.toEvict(stamp, Integer.MAX_VALUE));
  }

  /**
   * {@link #streamsToEvict(long)} under a cap of at most {@code maxStreams} (&gt;= 1), for a caller whose
   * own budget has room for fewer streams than the limits allow; their idle rule and refusal apply.
   */
  public List<String> streamsToEvict(long stamp, int maxStreams) {
    return locked(() -> streams.toEvict(stamp, maxStreams));
  }

  /** Evicts an open stream other than the default one: tells the listener (with its state), then closes it. */
  public void evictStream(String id) {
    lockedDo(() -> streams.evict(id));
  }

  /** Streams evicted by opens under the stream limits and by {@link #evictStream}, since the model was built. */
  public long evictedStreams() {
    return locked(streams::evicted);
  }

  /**
   * The cell's H time constants (seconds) for x, changing nothing: the built-in cell's {@code tau(x)};
   * {@link UnsupportedOperationException} for a cell without them.
   */
  public float[] timeConstants(float[] x) {
    check.input(x);
    float[] tau = new float[hidden()];
    lockedDo(() -> state.cell().timeConstants(x, tau));
    return tau;
  }

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
   * Routes x on a stream into {@code outBuf}, {@code elapsed} seconds (&gt;= 0; NaN: the default
   * {@code unfolds * dt}) after its previous input, with tokens for spiking attention (or null).
   */
  public void route(String stream, float[] x, float elapsed, int[] tokens, RouteBuffer outBuf) {
    check.route(x, elapsed, outBuf);
    try (var _ = hold()) {
      routing.route(stream, x, elapsed, tokens, outBuf);
    }
  }

  /**
   * Routes {@code count} inputs of a stream (rows of {@code xs}) with the built-in top-k: one matrix
   * product projects them, then the state advances as single calls would; {@code count * k} experts
   * and weights out. {@link IllegalStateException} when a routing policy is set.
   */
  public void routeBatch(String stream, float[] xs, int count, int[] expertsOut, float[] weightsOut) {
    check.batch(xs, count, expertsOut, weightsOut);
    try (var _ = hold()) {
      routing.routeBatch(stream, xs, count, expertsOut, weightsOut);
    }
  }

  /**
   * Routes {@code count} inputs of many streams (row t of {@code xs} on stream {@code streams[t]},
   * each open) with the built-in top-k, bit for bit as {@code count} calls of {@link #route} in this
   * order would; {@code count * k} experts and weights out. A stream may come several times: its
   * inputs advance it in order. The streams' cells advance together (their recurrent products as one
   * matrix product per wave), which is what makes many streams per call faster than one call each.
   * Nothing changes when a stream is not open ({@link java.util.NoSuchElementException}), an argument
   * is refused, or a routing policy is set ({@link IllegalStateException}).
   */
  public void routeMany(String[] streams, float[] xs, int count, int[] expertsOut, float[] weightsOut) {
    check.many(streams, xs, count, expertsOut, weightsOut);
    try (var _ = hold()) {
      routing.routeMany(streams, xs, count, expertsOut, weightsOut);
    }
  }

  /**
   * Prequential learning over {@code count} inputs of many streams (row t of {@code xs} and
   * {@code ys} on stream {@code streams[t]}, each open), bit for bit as {@code count} calls of
   * {@link #learn(String, float[], float[], float[])} in this order would: each prediction, made
   * before its step, into row t of {@code yHats}; returns the summed squared error. When the router
   * does not read x the streams' cells advance together first (the cell is not learned) and the
   * experts and the router then learn input by input; a router that reads x learns its readout of x
   * in the cell's projection, so then each input is routed and learned in turn (one lock and one
   * check of the arguments for the call). A causal routing policy in force routes; one that needs whole windows is refused
   * ({@link IllegalStateException}). Nothing changes when a stream is not open or an argument is refused.
   */
  public double learnMany(String[] streams, float[] xs, float[] ys, int count, float[] yHats) {
    check.learnMany(streams, xs, ys, count, yHats);
    try (var _ = hold()) {
      return learning.learnMany(streams, xs, ys, count, yHats);
    }
  }

  /**
   * Routes a window of {@code count} inputs (rows of {@code xs}; {@code valid} marks the real ones,
   * null: all) with the policy in force into {@code out}; see <a href="package-summary.html#policies">windows</a>.
   */
  public void routeWindow(String stream, float[] xs, int count, boolean[] valid, Assignment out) {
    check.window(xs, count, valid, out);
    try (var _ = hold()) {
      routing.routeWindow(stream, xs, count, valid, out);
    }
  }

  /**
   * Routes a window as {@link #routeWindow}, then per real token predicts into {@code yHats} (zeros
   * for padding and tokens no expert took) and learns from {@code ys}; returns the summed squared error.
   */
  public double learnWindow(String stream, float[] xs, float[] ys, int count, boolean[] valid, Assignment assigned,
      float[] yHats) {
    check.learnWindow(xs, ys, count, valid, assigned, yHats);
    try (var _ = hold()) {
      return learning.learnWindow(stream, xs, ys, count, valid, assigned, yHats);
    }
  }

  /** Routes x and returns the prediction (allocates); prequential evaluation wants {@link #learn}, not both. */
  public float[] predict(String stream, float[] x) {
    float[] y = new float[outputDim()];
    predict(stream, x, y);
    return y;
  }

  /** Routes x and writes the mixture's prediction into {@code yHat}; allocates nothing. */
  public void predict(String stream, float[] x, float[] yHat) {
    predict(stream, x, yHat, null);
  }

  /** As {@link #predict(String, float[], float[])}, also copying the routing into {@code routeOut} (or null). */
  public void predict(String stream, float[] x, float[] yHat, RouteBuffer routeOut) {
    check.predict(x, yHat, routeOut);
    try (var _ = hold()) {
      learning.predict(stream, x, yHat, routeOut == null ? routing.scratch() : routeOut);
    }
  }

  /** The result of one {@link #learn} call. */
  public record LearnResult(float[] prediction, int[] experts, float[] weights, double squaredError) {}

  /** Prequential step: predicts y for x, then learns from (x, y). Returns what was predicted. */
  public LearnResult learn(String stream, float[] x, float[] y) {
    float[] yHat = new float[outputDim()];
    RouteBuffer b = newRouteBuffer();
    double se = learn(stream, x, y, yHat, b);
    return new LearnResult(yHat, Arrays.copyOf(b.expertsArray(), b.k()), Arrays.copyOf(b.weightsArray(), b.k()), se);
  }

  /** Prequential step, allocation-free: predicts into {@code yHat}, then learns; returns the squared error. */
  public double learn(String stream, float[] x, float[] y, float[] yHat) {
    return learn(stream, x, y, yHat, null);
  }

  /** As {@link #learn(String, float[], float[], float[])}, also copying the routing into a buffer. */
  public double learn(String stream, float[] x, float[] y, float[] yHat, RouteBuffer routeOut) {
    return learn(stream, x, Float.NaN, null, y, yHat, routeOut);
  }

  /**
   * The general prequential step: routes as {@link #route(String, float[], float, int[], RouteBuffer)}
   * (into {@code routeOut} or none), predicts into {@code yHat}, learns; returns the squared error.
   */
  public double learn(String stream, float[] x, float elapsed, int[] tokens, float[] y, float[] yHat,
      RouteBuffer routeOut) {
    check.learn(x, elapsed, y, yHat, routeOut);
    try (var _ = hold()) {
      return learning.learn(stream, x, elapsed, tokens, y, yHat, routeOut == null ? routing.scratch() : routeOut);
    }
  }

  /** Queues a learn step (in submission order), checking and copying the arguments now. */
  public CompletableFuture<LearnResult> learnAsync(String stream, float[] x, float[] y) {
    check.input(x);
    check.target(y);
    lockedDo(() -> streams.require(stream));
    float[] xc = x.clone();
    float[] yc = y.clone();
    return learner.submit(() -> learn(stream, xc, yc));
  }

  /** Waits for every update queued before this call (from the learning thread itself: returns at once). */
  public void awaitLearning() {
    learner.await();
  }

  /** Drains queued updates and stops the learning thread; the model stays usable (learnAsync restarts it). */
  @Override
  public void close() {
    learner.close();
  }

  /**
   * The number of parameters the router learns: its readout of the cell state ({@code hidden x experts}),
   * its readout of the input ({@code inputDim x experts}, when it reads the input) and its bias
   * ({@code experts}); the length of {@link #routerParameters()}.
   */
  public int routerParameterCount() {
    return locked(() -> state.router().flatSize());
  }

  /**
   * A copy of every parameter the router learns, flat: the readout of the cell state ({@code hidden x
   * experts}, input-major), then the readout of the input ({@code inputDim x experts}, input-major) when
   * the router reads it, then the logit bias. With {@link #setRouterParameters} it anchors and rolls back
   * the router.
   */
  public float[] routerParameters() {
    return locked(() -> {
      float[] p = new float[state.router().flatSize()];
      state.router().copyParameters(p);
      return p;
    });
  }

  /**
   * Sets every parameter the router learns from the layout of {@link #routerParameters()}: bit for bit,
   * so that a copy taken earlier restores the router exactly. The experts, the cell's own weights and the
   * streams are not touched.
   *
   * @throws IllegalArgumentException for another length or a non-finite value (nothing changed)
   */
  public void setRouterParameters(float[] p) {
    lockedDo(() -> {
      check.vector(p, state.router().flatSize(), "router parameters");
      state.router().setParameters(p);
    });
  }

  /**
   * Teaches the router directly, without the experts: for destinations whose outcome comes as a label
   * or a reward, not as a target the experts predict (a text router's named experts, feedback that
   * arrives later). {@code h} and {@code x} are the router's features of one routing decision: the
   * stream's state after the route ({@link #state(String)}) and the input. Expert e's logit of these
   * features moves by {@code routerLearningRate * delta[e]} (its parameters by that times
   * {@code (h, x, 1) / (1 + |h|^2 + |x|^2)}, x only when the router reads it): the normalised delta rule of {@link #learn}, here toward
   * the caller's target (for a label: one-hot minus the route's probabilities). The change is scaled
   * down, when needed, so that its Euclidean norm over {@link #routerParameters()} is at most
   * {@code maxChange}. Features too large for their squared norm in float change nothing (0 is returned).
   *
   * @param maxChange the largest norm of the change, &gt; 0 ({@link Double#POSITIVE_INFINITY}: no bound)
   * @return the norm of the change made
   * @throws IllegalArgumentException for wrong lengths, non-finite values or a bad bound (nothing changed)
   */
  public double teachRouter(float[] h, float[] x, float[] delta, double maxChange) {
    check.teach(h, x, delta, maxChange);
    try (var _ = hold()) {
      return state.router().teach(state.kernels(), state.routerLearningRate(), h, x, delta, maxChange);
    }
  }

  /** The base routing temperature. */
  public float temperature() {
    return locked(state::temperature);
  }

  /** Sets the base routing temperature (finite, &gt; 0). */
  public void setTemperature(float t) {
    MoeConfig.checkTemperature(t);
    lockedDo(() -> state.setTemperature(t));
  }

  /** The router's learning rate now. */
  public float routerLearningRate() {
    return locked(state::routerLearningRate);
  }

  /** Sets the router's learning rate in [0, 2); 0 freezes the router. */
  public void setRouterLearningRate(float r) {
    MoeConfig.checkRouterLearningRate(r);
    lockedDo(() -> state.setRouterLearningRate(r));
  }

  /** Switches the routing policy (null: built-in top-k); see <a href="package-summary.html#policies">policies</a>. */
  public void setRoutingPolicy(RoutingPolicy p) {
    lockedDo(() -> routing.setPolicy(p));
  }

  /** The routing policy in force, or null for the built-in top-k. */
  public RoutingPolicy routingPolicy() {
    return locked(routing::policy);
  }

  /** Sets expert capacity for window calls (null: none); see <a href="package-summary.html#policies">capacity</a>. */
  public void setCapacity(CapacityLimiter limiter) {
    lockedDo(() -> routing.setCapacity(limiter));
  }

  /**
   * Makes expert {@code e} fresh (for drift): its learned state and router weights reset, all else kept;
   * {@link IndexOutOfBoundsException} for an index that is not an expert's.
   */
  public void resetExpert(int e) {
    Objects.checkIndex(e, expertCount());
    lockedDo(() -> state.resetExpert(e));
  }

  /**
   * A new model with expert {@code e} appended (see <a href="package-summary.html#expert-set">expert set</a>);
   * {@link IllegalArgumentException} when its shape differs from the mixture's or its name is taken.
   */
  public MixtureOfExperts withExpert(Expert e) {
    Objects.requireNonNull(e, "expert");
    return changed(() -> state.withExpertAdded(e));
  }

  /**
   * A new model without expert {@code e}, the later ones moving down one index; {@link IndexOutOfBoundsException}
   * for a bad index, {@link IllegalArgumentException} when fewer than k experts would remain.
   */
  public MixtureOfExperts withoutExpert(int e) {
    Objects.checkIndex(e, expertCount());
    return changed(() -> state.withExpertRemoved(e));
  }

  /**
   * A new model in which expert {@code e} is named {@code name} ({@link Expert#copy(String)});
   * {@link IllegalArgumentException} when the name is taken, {@link UnsupportedOperationException} when the
   * expert's kind cannot be copied under a new name.
   */
  public MixtureOfExperts withExpertRenamed(int e, String name) {
    Objects.checkIndex(e, expertCount());
    Objects.requireNonNull(name, "name");
    return changed(() -> state.withExpertRenamed(e, name));
  }

  /** A model of the changed state, with this one's run-time routing choices. */
  private MixtureOfExperts changed(Supplier<ModelState> change) {
    try (var _ = hold()) {
      MixtureOfExperts n = new MixtureOfExperts(change.get());
      routing.carryChoicesTo(n.routing);
      return n;
    }
  }

  /** Turns on (or restarts) {@link RoutingDiagnostics}: load windows of {@code window} tokens, decay in [0, 1). */
  public void enableDiagnostics(int window, double decay) {
    var d = new RoutingDiagnostics(expertCount(), window, decay, 0);
    lockedDo(() -> routing.setDiagnostics(d));
  }

  /** Turns routing diagnostics off and discards them. */
  public void disableDiagnostics() {
    lockedDo(() -> routing.setDiagnostics(null));
  }

  /** The routing diagnostics now; {@link IllegalStateException} when they are off. */
  public RoutingStats routingStats() {
    return locked(() -> diagnostics().stats());
  }

  /** A summary per full load window, oldest first; {@link IllegalStateException} when diagnostics are off. */
  public List<RoutingDiagnostics.WindowSummary> routingHistory() {
    return locked(() -> diagnostics().history());
  }

  private RoutingDiagnostics diagnostics() {
    if (routing.diagnostics() == null) {
      throw new IllegalStateException("routing diagnostics are off: call enableDiagnostics(window, decay) first");
    }
    return routing.diagnostics();
  }

  /** Replaces the balancing configuration; bias and loads are kept. */
  public void setBalance(BalanceConfig c) {
    lockedDo(() -> state.balancer().setConfig(c));
  }

  /** The load balancer's state, exactly as in force. */
  public BalanceState balanceState() {
    return locked(state.balancer()::state);
  }

  /** Energy of the last call. */
  public EnergyReport lastCallEnergy() {
    return locked(state.meter()::lastCall);
  }

  /** Energy since creation (or load). */
  public EnergyReport cumulativeEnergy() {
    return locked(state.meter()::cumulative);
  }

  /** Opens (or restarts) a named energy window. */
  public void openEnergyWindow(String name) {
    lockedDo(() -> state.meter().openWindow(name));
  }

  /** Closes a named energy window and reports it. */
  public EnergyReport closeEnergyWindow(String name) {
    return locked(() -> state.meter().closeWindow(name));
  }

  /** Changes the device profile of energy estimates. */
  public void setDeviceProfile(DeviceProfile p) {
    lockedDo(() -> state.meter().setProfile(p));
  }

  /** A copy of the router's readout weights, input-major (hidden x experts). */
  public float[] routerReadout() {
    return locked(() -> state.router().readout().clone());
  }

  /** Learn steps applied so far. */
  public long learnSteps() {
    return locked(() -> state.learnSteps);
  }

  /**
   * Float parameters the model holds: the gating cell's ({@link GatingCell#parameterCount()}), the
   * router's and every expert's ({@link Expert#parameterCount()}); with the built-in cell, what
   * {@link MoeConfig#routerParameterCount(int)} and the experts' shape formulas estimate before building.
   */
  public long parameterCount() {
    long p = state.cell().parameterCount() + state.router().parameterCount();
    for (int i = 0; i < state.pool().size(); i++) {
      p += state.pool().get(i).parameterCount();
    }
    return p;
  }

  /** Saves the whole model atomically; see {@link Snapshots} (not for a custom {@link GatingCell}). */
  public void save(Path file) throws IOException {
    Snapshots.save(this, file);
  }

  /** Loads a model saved with {@link #save}. See {@link Snapshots#load(Path, java.util.function.Function)}. */
  public static MixtureOfExperts load(Path file) throws IOException {
    return Snapshots.load(file, null);
  }

  /** A SHA-256 digest (hex) of the whole state, equal for bit-identical models (not for a custom cell). */
  public String digest() {
    return Snapshots.digest(this);
  }

  /** The engine's state: for snapshots, and for tests that look inside. */
  ModelState state() {
    return state;
  }

  /** Takes the lock until the returned guard is closed (try-with-resources); allocates nothing. */
  private Unlock hold() {
    lock.lock();
    return unlock;
  }

  /** Releases the lock when closed; throws nothing. */
  private interface Unlock extends AutoCloseable {
    void close();
  }

  ReentrantLock lock() {
    return lock;
  }

  <T> T locked(Supplier<T> f) {
    try (var _ = hold()) {
      return f.get();
    }
  }

  private void lockedDo(Runnable r) {
    try (var _ = hold()) {
      r.run();
    }
  }

  /** Builds a {@link MixtureOfExperts}. Every knob has a documented default. */
  public static final class Builder extends ModelBuilder {

    Builder(int in, int out) {
      super(in, out);
    }

    /** Builds the model; throws IllegalArgumentException for an inconsistent configuration. */
    public MixtureOfExperts build() {
      CellConfig cc = gatingCell instanceof LiquidCell l ? l.config()
          : gatingCell == null || cell == null ? cell : cell.withHidden(gatingCell.hidden());
      MoeConfig c = new MoeConfig(in, out, cc, topK, temperature, routerUsesInput, routerLearningRate, credit,
          recentErrors, balance, attention, profile, seed);
      MixtureOfExperts m = new MixtureOfExperts(new ModelState(c, experts, gatingCell));
      m.streams.setLimits(streamLimits);
      m.streams.setListener(evictionListener);
      return m;
    }
  }
}
