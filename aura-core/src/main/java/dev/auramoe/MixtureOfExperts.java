package dev.auramoe;

import dev.auramoe.balance.BalanceConfig;
import dev.auramoe.balance.BalanceState;
import dev.auramoe.cell.CellConfig;
import dev.auramoe.cell.GatingCell;
import dev.auramoe.energy.DeviceProfile;
import dev.auramoe.energy.EnergyReport;
import dev.auramoe.engine.Arguments;
import dev.auramoe.engine.AsyncLearner;
import dev.auramoe.engine.LearnPass;
import dev.auramoe.engine.ModelState;
import dev.auramoe.engine.RoutePass;
import dev.auramoe.engine.Streams;
import dev.auramoe.experts.AdaptiveExpert;
import dev.auramoe.experts.Expert;
import dev.auramoe.routing.RouteBuffer;
import dev.auramoe.routing.RoutingDecision;
import dev.auramoe.routing.diagnostics.RoutingDiagnostics;
import dev.auramoe.routing.diagnostics.RoutingStats;
import dev.auramoe.routing.policy.Assignment;
import dev.auramoe.routing.policy.CapacityLimiter;
import dev.auramoe.routing.policy.RoutingPolicy;
import dev.auramoe.spiking.AttentionConfig;
import dev.auramoe.spiking.SpikingAttention;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
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
 *
 * <h2>Inside</h2>
 * This class checks arguments, takes the lock and delegates to the internal engine (package
 * {@code dev.auramoe.engine}): what a model holds is declared once in {@code ModelState}; a route
 * runs through {@code RoutePass}, a prediction or a learn step through {@code LearnPass}.
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

  // ---------------------------------------------------------------- accessors

  /** The configuration (temperature, router learning rate and balance as built; see accessors for live values). */
  public MoeConfig config() {
    return state.config();
  }

  /** Input dimension. */
  public int inputDim() {
    return state.config().inputDim();
  }

  /** Output dimension. */
  public int outputDim() {
    return state.config().outputDim();
  }

  /** Number of experts. */
  public int expertCount() {
    return state.pool().size();
  }

  /** Experts per input. */
  public int topK() {
    return state.config().topK();
  }

  /** Hidden size of the cell. */
  public int hidden() {
    return state.cell().hidden();
  }

  /** Expert names in index order. */
  public List<String> expertNames() {
    return state.pool().names();
  }

  /** Index of a named expert ({@link NoSuchElementException} when there is none). */
  public int expertIndex(String name) {
    return state.pool().index(name);
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
   * The expert at an index: the live object, not a copy. Mutate it only through the model, and do
   * not read its state while other threads learn (use {@link #digest()} or a snapshot for a
   * consistent view).
   */
  public Expert expert(int i) {
    return state.pool().get(Objects.checkIndex(i, expertCount()));
  }

  // ---------------------------------------------------------------- streams

  /**
   * Opens a stream with a zero state; opening an open stream is an error.
   *
   * @throws IllegalArgumentException for a blank or already open id
   */
  public void openStream(String id) {
    if (id == null || id.isBlank()) {
      throw new IllegalArgumentException("stream id must not be blank");
    }
    lockedDo(() -> streams.open(id));
  }

  /** Opens a stream unless it is open already. */
  public void ensureStream(String id) {
    lockedDo(() -> {
      if (!streams.contains(id)) {
        openStream(id);
      }
    });
  }

  /** Closes a stream and drops its state; the default stream cannot be closed. */
  public void closeStream(String id) {
    if (DEFAULT_STREAM.equals(id)) {
      throw new IllegalArgumentException("the default stream cannot be closed");
    }
    lockedDo(() -> streams.close(id));
  }

  /** Open stream ids in opening order: a copy, which takes time and memory in the number of streams. */
  public List<String> streams() {
    return locked(streams::ids);
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
    return locked(() -> streams.idsAfter(after, limit));
  }

  /** Whether a stream is open; constant time. */
  public boolean hasStream(String id) {
    lock.lock();
    try {
      return streams.contains(id);
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
   * stream counts as a use with stamp 0. The order is bookkeeping for callers that bound the number
   * of streams ({@link #leastRecentlyUsedStream}); it is not model state, so snapshots and digests
   * leave it out and a loaded model starts with its streams in opening order. Constant time, and
   * allocates nothing.
   *
   * @return false, changing nothing, when the stream is not open
   */
  public boolean touchStream(String id, long stamp) {
    lock.lock();
    try {
      return streams.touch(id, stamp);
    } finally {
      lock.unlock();
    }
  }

  /**
   * The open stream, other than the default one, used least recently (see {@link #touchStream}), or
   * null when only the default stream is open. Constant time.
   */
  public String leastRecentlyUsedStream() {
    return locked(streams::leastRecentlyUsed);
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
    lockedDo(() -> streams.stampAll(stamp));
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
    lockedDo(() -> from.lockedDo(() -> streams.copyRecency(from.streams, stamp)));
  }

  /**
   * The stamp of a stream's last {@link #touchStream} (0 when it was not touched since it was opened
   * or loaded).
   *
   * @throws NoSuchElementException for a stream that is not open
   */
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

  /** A copy of the stream's spiking attention, or null when attention is not configured. */
  public SpikingAttention attention(String id) {
    return locked(() -> streams.attention(id));
  }

  /**
   * The cell's time constants for an input: {@code tau = clamp(tau_min + softplus(V x + c))}. Pure:
   * changes no state and meters nothing.
   *
   * @param x input, not modified
   * @return a new array of H time constants in seconds
   * @throws UnsupportedOperationException for a custom gating cell without time constants
   */
  public float[] timeConstants(float[] x) {
    check.input(x);
    float[] tau = new float[hidden()];
    lockedDo(() -> state.cell().timeConstants(x, tau));
    return tau;
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
    check.input(x);
    Arguments.elapsed(elapsed);
    check.buffer(outBuf, false);
    lock.lock();
    try {
      routing.route(stream, x, elapsed, tokens, outBuf);
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
   * @throws IllegalStateException when a routing policy is set (use {@link #routeWindow})
   */
  public void routeBatch(String stream, float[] xs, int count, int[] expertsOut, float[] weightsOut) {
    check.batch(xs, count, expertsOut, weightsOut);
    lock.lock();
    try {
      routing.routeBatch(stream, xs, count, expertsOut, weightsOut);
    } finally {
      lock.unlock();
    }
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
    check.window(xs, count, valid, out);
    lockedDo(() -> routing.routeWindow(stream, xs, count, valid, out));
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
    check.learnWindow(xs, ys, count, valid, assigned, yHats);
    return locked(() -> learning.learnWindow(stream, xs, ys, count, valid, assigned, yHats));
  }

  // ---------------------------------------------------------------- prediction and learning

  /**
   * Routes x and returns the mixture's prediction (allocates the result). Like every routing call it
   * advances the stream's cell state and the balancer by one input: for prequential evaluation use
   * {@link #learn}, which predicts and learns in one step, rather than predict followed by learn.
   */
  public float[] predict(String stream, float[] x) {
    float[] y = new float[outputDim()];
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
    check.input(x);
    check.prediction(yHat, x, null);
    check.buffer(routeOut, true);
    lock.lock();
    try {
      learning.predict(stream, x, yHat, routeOut == null ? routing.scratch() : routeOut);
    } finally {
      lock.unlock();
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
    check.input(x);
    Arguments.elapsed(elapsed);
    check.target(y);
    check.prediction(yHat, x, y);
    check.buffer(routeOut, true);
    lock.lock();
    try {
      return learning.learn(stream, x, elapsed, tokens, y, yHat, routeOut == null ? routing.scratch() : routeOut);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Queues a learn step on the model's learning thread. Arguments are validated and copied now: bad
   * input throws here and changes nothing. Updates run in submission order.
   *
   * @return completes with the learn result, or exceptionally if the stream was closed meanwhile
   */
  public CompletableFuture<LearnResult> learnAsync(String stream, float[] x, float[] y) {
    check.input(x);
    check.target(y);
    lockedDo(() -> streams.require(stream));
    float[] xc = x.clone();
    float[] yc = y.clone();
    return learner.submit(() -> learn(stream, xc, yc));
  }

  /**
   * Waits until every asynchronous update queued before this call has been applied. Called from the
   * learning thread itself (for example in a continuation of a {@link #learnAsync} future), it
   * returns at once: the updates queued behind the current one cannot run before it finishes.
   */
  public void awaitLearning() {
    learner.await();
  }

  /**
   * Drains queued updates and stops the learning thread. The model stays usable: synchronous calls
   * work as before, and a later {@link #learnAsync} starts a new learning thread. Called from the
   * learning thread itself it only stops accepting new updates.
   */
  @Override
  public void close() {
    learner.close();
  }

  // ---------------------------------------------------------------- settings and the expert set

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

  /**
   * Switches the routing policy; every learned weight, the streams and the balancer are kept. Null
   * restores the built-in top-k (the allocation-free fast path). The policy instance holds scratch
   * space: give each model its own. A policy that needs the whole window (expert choice, Sinkhorn)
   * only works through {@link #routeWindow}; single-input calls then throw
   * {@link IllegalStateException}. The policy is a run-time choice and is not saved in snapshots.
   */
  public void setRoutingPolicy(RoutingPolicy p) {
    lockedDo(() -> routing.setPolicy(p));
  }

  /** The routing policy in force, or null for the built-in top-k. */
  public RoutingPolicy routingPolicy() {
    return locked(routing::policy);
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
    Objects.checkIndex(e, expertCount());
    lockedDo(() -> state.resetExpert(e));
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
   * before using both. The result is a pure function of this model's state and {@code e}, so
   * replaying the same change gives a bit-identical model.
   *
   * @throws IllegalArgumentException when {@code e}'s shape differs from the mixture's, or its name
   *     is taken
   */
  public MixtureOfExperts withExpert(Expert e) {
    Objects.requireNonNull(e, "expert");
    return withExperts(l -> l.add(e), kept(expertCount(), expertCount() + 1));
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
    int n = expertCount();
    Objects.checkIndex(e, n);
    if (n - 1 < topK()) {
      throw new IllegalArgumentException("cannot remove expert '" + expert(e).name() + "': the model routes each"
          + " input to k = " + topK() + " experts and would have " + (n - 1));
    }
    int[] from = new int[n - 1];
    for (int i = 0; i < from.length; i++) {
      from[i] = i < e ? i : i + 1;
    }
    return withExperts(l -> l.remove(e), from);
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
    Objects.checkIndex(e, expertCount());
    Objects.requireNonNull(name, "name");
    return withExperts(l -> l.set(e, expert(e).copy(name)), kept(expertCount(), expertCount()));
  }

  /** {@code from} for a model whose first {@code kept} experts keep their index, the rest fresh. */
  private static int[] kept(int kept, int length) {
    int[] from = new int[length];
    for (int i = 0; i < length; i++) {
      from[i] = i < kept ? i : -1;
    }
    return from;
  }

  /** Under the lock: a model with the changed copies of the experts, its state carried per {@code from}. */
  private MixtureOfExperts withExperts(Consumer<List<Expert>> change, int[] from) {
    lock.lock();
    try {
      List<Expert> l = state.pool().copies();
      change.accept(l);
      MixtureOfExperts n = new MixtureOfExperts(state.withExperts(l, from));
      routing.carryChoicesTo(n.routing);
      return n;
    } finally {
      lock.unlock();
    }
  }

  // ---------------------------------------------------------------- capacity, diagnostics, balance, energy

  /**
   * Sets expert capacity for window calls ({@link #routeWindow}, {@link #learnWindow}), applied
   * after the routing policy; null (the default) for none. A slot dropped for capacity is simply not
   * computed: its token's other experts are renormalised, and a token left with no expert predicts
   * zeros and teaches nothing (the documented fallback). Single-input calls never overflow: a
   * window of one token has room for it in every expert. Like the policy, the limiter holds
   * scratch space (one per model), is a run-time choice and is not saved in snapshots; read its
   * {@code lastDropped()}, {@code lastRerouted()} and {@code lastCapacity()} after a call.
   */
  public void setCapacity(CapacityLimiter limiter) {
    lockedDo(() -> routing.setCapacity(limiter));
  }

  /**
   * Turns on routing diagnostics for every routed token of every stream (see
   * {@link RoutingDiagnostics}): O(E + k) per token, no allocation. Restarting them discards what
   * was recorded.
   *
   * @param window tokens per load window, &gt;= 1
   * @param decay per-token decay of the moving-average load, in [0, 1)
   */
  public void enableDiagnostics(int window, double decay) {
    var d = new RoutingDiagnostics(expertCount(), window, decay, 0);
    lockedDo(() -> routing.setDiagnostics(d));
  }

  /** Turns routing diagnostics off and discards them. */
  public void disableDiagnostics() {
    lockedDo(() -> routing.setDiagnostics(null));
  }

  /**
   * The routing diagnostics now: load, balance, entropy, experts per token, effective temperature,
   * stickiness and cache hit rate.
   *
   * @throws IllegalStateException when diagnostics are off
   */
  public RoutingStats routingStats() {
    return locked(() -> requireDiagnostics().stats());
  }

  /**
   * The routing diagnostics over time: a summary per full load window, oldest first (the last
   * {@value RoutingDiagnostics#DEFAULT_HISTORY} windows).
   *
   * @throws IllegalStateException when diagnostics are off
   */
  public List<RoutingDiagnostics.WindowSummary> routingHistory() {
    return locked(() -> requireDiagnostics().history());
  }

  private RoutingDiagnostics requireDiagnostics() {
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

  // ---------------------------------------------------------------- snapshots

  /**
   * Saves the whole model atomically (temporary file, fsync, rename). See {@link Snapshots}.
   *
   * @throws UnsupportedOperationException for a model with a custom gating cell ({@link GatingCell})
   */
  public void save(Path file) throws IOException {
    Snapshots.save(this, file);
  }

  /** Loads a model saved with {@link #save}. See {@link Snapshots#load(Path, java.util.function.Function)}. */
  public static MixtureOfExperts load(Path file) throws IOException {
    return Snapshots.load(file, null);
  }

  /**
   * A SHA-256 digest of the complete model state (hex), equal for bit-identical models.
   *
   * @throws UnsupportedOperationException for a model with a custom gating cell ({@link GatingCell})
   */
  public String digest() {
    return Snapshots.digest(this);
  }

  /** The engine's state: for snapshots, and for tests that look inside. */
  ModelState state() {
    return state;
  }

  ReentrantLock lock() {
    return lock;
  }

  private <T> T locked(Supplier<T> f) {
    lock.lock();
    try {
      return f.get();
    } finally {
      lock.unlock();
    }
  }

  private void lockedDo(Runnable r) {
    lock.lock();
    try {
      r.run();
    } finally {
      lock.unlock();
    }
  }

  // ---------------------------------------------------------------- builder

  /** Builds a {@link MixtureOfExperts}. Every knob has a documented default. */
  public static final class Builder {
    private final int in;
    private final int out;
    private CellConfig cell = CellConfig.DEFAULT;
    private GatingCell gatingCell;
    private int topK = 2;
    private float temperature = 1f;
    private boolean routerUsesInput = true;
    private float routerLearningRate = 0.5f;
    private Credit credit = Credit.GATE_WEIGHT;
    private BalanceConfig balance = BalanceConfig.DEFAULT;
    private AttentionConfig attention;
    private DeviceProfile profile = DeviceProfile.DEFAULT;
    private long seed = 42;
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

    /**
     * A gating cell built elsewhere, for example trained offline, instead of the built-in one (null,
     * the default, for the built-in cell of {@link #cell(CellConfig)}). It must read
     * {@code inputDim} inputs and carry one extra column per expert when the router reads the input
     * ({@link #routerUsesInput}, the default), none otherwise; the router starts from the extra
     * columns as the cell holds them. The model's {@code config().cell()} is then the cell
     * configuration of this builder with the custom cell's hidden size. A model with a custom cell
     * cannot be saved or digested (see {@link GatingCell}).
     */
    public Builder gatingCell(GatingCell c) {
      this.gatingCell = c;
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

    /** Builds the model; throws IllegalArgumentException for an inconsistent configuration. */
    public MixtureOfExperts build() {
      CellConfig cc = gatingCell == null || cell == null ? cell : cell.withHidden(gatingCell.hidden());
      MoeConfig c = new MoeConfig(in, out, cc, topK, temperature, routerUsesInput, routerLearningRate, credit,
          balance, attention, profile, seed);
      return new MixtureOfExperts(new ModelState(c, experts, gatingCell));
    }
  }
}
