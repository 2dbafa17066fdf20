package dev.auramoe.engine;

import dev.auramoe.energy.Component;
import dev.auramoe.energy.EnergyMeter;
import dev.auramoe.internal.vector.KernelSupport;
import dev.auramoe.routing.RouteBuffer;
import dev.auramoe.routing.TopK;
import dev.auramoe.routing.diagnostics.RoutingDiagnostics;
import dev.auramoe.routing.policy.Assignment;
import dev.auramoe.routing.policy.CapacityLimiter;
import dev.auramoe.routing.policy.RoutingPolicy;
import dev.auramoe.routing.policy.RoutingProblem;
import dev.auramoe.routing.policy.TopKPolicy;
import java.util.Arrays;

/**
 * The routing pass of a model, and the run-time choices that shape it (routing policy, capacity
 * limiter, routing diagnostics). Per input it computes the router's probabilities:
 * <pre>
 *   project x (the cell's fused projection)  →  advance the stream's h  →  attention gain
 *   →  logits = R h + Q x + r  →  p = softmax(logits / (T / gain))
 * </pre>
 * then selects the experts: the built-in top-k of {@code p + bias} ({@link TopK}'s choice, allocation-free,
 * in vector instructions where the kernels have them),
 * or the routing policy in force; the balancer records the choice. Batches route row by row after
 * one matrix product; windows collect every row's probabilities first, so that a policy may assign
 * the whole window. Not thread-safe: the model calls it under its lock, and it owns the scratch
 * space.
 */
public final class RoutePass {

  private final ModelState m;
  private final KernelSupport k;
  private final EnergyMeter meter;
  private final int experts;
  private final int topK;
  private final float[] proj;
  private final float[] logits;
  private final float[] score;
  private final float[] topScores;
  private final RouteBuffer scratch;
  private float[] batchProj = new float[0];
  private float[] windowProbs = new float[0];
  private float[] windowH = new float[0];
  private final RoutingProblem problem = new RoutingProblem();
  private final Assignment assignment = new Assignment();
  /** The effective temperature of the last {@link #probabilities} call. */
  private float lastTemperature;
  private RoutingPolicy builtIn;
  /** The routing policy, or null for the built-in top-k (the allocation-free fast path). */
  private RoutingPolicy policy;
  private CapacityLimiter capacity;
  private RoutingDiagnostics diagnostics;

  public RoutePass(ModelState m) {
    this.m = m;
    this.k = m.k;
    this.meter = m.meter;
    this.experts = m.experts;
    this.topK = m.topK;
    this.proj = new float[m.cell.width()];
    this.logits = new float[experts];
    this.score = new float[experts];
    this.topScores = new float[topK];
    this.scratch = new RouteBuffer(experts, experts);
  }

  /** The model's own route buffer, for calls whose caller wants none. */
  public RouteBuffer scratch() {
    return scratch;
  }

  // ------------------------------------------------------------------ run-time choices

  public RoutingPolicy policy() {
    return policy;
  }

  public void setPolicy(RoutingPolicy p) {
    policy = p;
  }

  public void setCapacity(CapacityLimiter c) {
    capacity = c;
  }

  public RoutingDiagnostics diagnostics() {
    return diagnostics;
  }

  public void setDiagnostics(RoutingDiagnostics d) {
    diagnostics = d;
  }

  /**
   * Gives the routing pass of a changed model (another expert set) these run-time choices, which
   * snapshots omit: the same policy and limiter instances, and fresh diagnostics with the same
   * window and decay for its expert count.
   */
  public void carryChoicesTo(RoutePass n) {
    n.policy = policy;
    n.capacity = capacity;
    if (diagnostics != null) {
      n.diagnostics = new RoutingDiagnostics(n.experts, diagnostics.window(), diagnostics.decay(),
          diagnostics.labels(), diagnostics.historyLength());
    }
  }

  /** A policy that needs the whole window cannot route one input at a time. */
  void checkCausalPolicy() {
    if (policy != null && policy.needsWholeWindow()) {
      throw new IllegalStateException("the routing policy " + policy.name() + " needs the whole window of tokens"
          + " and cannot route a stream one input at a time; use routeWindow, or a token-choice policy");
    }
  }

  // ------------------------------------------------------------------ single inputs

  /**
   * Routes one input of an open stream (a call of its own: its energy is metered as one call).
   *
   * @throws java.util.NoSuchElementException for a stream that is not open
   * @throws IllegalArgumentException for tokens the stream's attention refuses
   * @throws IllegalStateException when the routing policy needs whole windows
   */
  public void route(String stream, float[] x, float elapsed, int[] tokens, RouteBuffer o) {
    StreamState s = m.streams.advancing(stream);
    s.checkTokens(tokens);
    checkCausalPolicy();
    meter.beginCall();
    route(s, x, 0, null, elapsed, tokens, o);
  }

  /**
   * Advances the stream's cell by one input and writes the router's probabilities into
   * {@code probs[0..E)}; the effective temperature is left in {@link #lastTemperature}. When
   * {@code pre} is non-null it holds precomputed projection rows, the one of this input at row
   * {@code xOff / inputDim}; otherwise x is projected here.
   *
   * @return the integration steps taken
   */
  private int probabilities(StreamState s, float[] x, int xOff, float[] pre, float elapsed, int[] tokens,
      float[] probs) {
    float[] p;
    int pOff;
    if (pre == null) {
      m.cell.project(x, xOff, proj, 0);
      p = proj;
      pOff = 0;
    } else {
      p = pre;
      pOff = (xOff / m.in) * proj.length;
    }
    meter.add(Component.CELL, m.cell.projectionMacs());
    int steps = m.cell.advance(s.h, p, pOff, elapsed);
    meter.add(Component.CELL, steps * m.cell.stepMacs());
    float gain = 1f;
    if (tokens != null && s.attention != null) {
      meter.add(Component.ATTENTION, s.attention.step(tokens, 0, tokens.length));
      gain = s.attention.gain();
    }
    readout(s, p, pOff, s.h, 0, gain, probs);
    return steps;
  }

  /**
   * The router's probabilities from an advanced state ({@code h} from {@code hOff}) and the input's
   * projection row; the effective temperature is left in {@link #lastTemperature}.
   */
  private void readout(StreamState s, float[] p, int pOff, float[] h, int hOff, float gain, float[] probs) {
    m.router.logits(k, p, pOff, h, hOff, s.recent, logits, meter);
    float temp = m.temperature / gain;
    lastTemperature = temp;
    // A temperature below ~3e-39 has no finite inverse; 0 * Infinity would make every probability NaN.
    k.softmax(logits, probs, experts, Math.min(1f / temp, Float.MAX_VALUE));
  }

  /** Probabilities, then selection (the built-in top-k or the policy), recorded by the balancer. */
  void route(StreamState s, float[] x, int xOff, float[] pre, float elapsed, int[] tokens, RouteBuffer o) {
    float[] probs = o.probabilitiesArray();
    int steps = probabilities(s, x, xOff, pre, elapsed, tokens, probs);
    select(s, probs, lastTemperature, steps, o);
  }

  /** Selection from the probabilities in {@code o}: the built-in top-k or the policy, recorded by the balancer. */
  private void select(StreamState s, float[] probs, float temp, int steps, RouteBuffer o) {
    if (policy != null) {
      selectByPolicy(s, probs, o, temp, steps);
      return;
    }
    int[] chosen = o.expertsArray();
    k.selectTopK(probs, 0, m.balancer.applies() ? m.balancer.biasArray() : null, experts, topK, score, chosen,
        topScores);
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
    countToken(chosen, topK, probs);
    m.streams.routed(s);
    o.set(topK, temp, steps);
  }

  /** Single-input selection by a (causal) routing policy: real slots only, null slots dropped. */
  private void selectByPolicy(StreamState s, float[] probs, RouteBuffer o, float temp, int steps) {
    problem.set(1, experts, probs, m.balancer.applies() ? m.balancer.biasArray() : null, null);
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
    countToken(chosen, kk, probs);
    m.streams.routed(s);
    o.set(kk, temp, steps);
  }

  /** Counts a routed token: balancer load, metered tokens and, when on, the routing diagnostics. */
  private void countToken(int[] chosen, int kk, float[] probs) {
    m.balancer.record(chosen, kk);
    meter.addTokens(1);
    if (diagnostics != null) {
      diagnostics.record(chosen, kk, probs, -1);
    }
  }

  // ------------------------------------------------------------------ many streams

  /**
   * Inputs per chunk of a many-stream call: a chunk's projection rows and states stay in the L2
   * cache, and its scratch space is bounded whatever the call's length.
   */
  static final int CHUNK = 256;
  private StreamState[] manyStates = new StreamState[0];
  /** The chunk's projection rows, one per input (allocated by the first many-stream call). */
  private float[] manyProj;
  /** Each input's cell state right after its advance, one row per input of the chunk. */
  private float[] manyH;
  private int[] manySteps;
  /** The router's probabilities of each input of the chunk, one row per input ({@link #readoutChunk}). */
  private float[] manyProbs;
  private int[] manyOccurrence;
  /** The chunk's inputs ordered by wave (the k-th input of each stream is in wave k), and where each wave starts. */
  private int[] manyOrder;
  private int[] manyWaves;
  private float[][] waveH;
  private int[] waveRows;
  private int[] waveSteps;

  /**
   * Routes {@code count} inputs of many streams with the built-in top-k: input t of stream
   * {@code streams[t]}, bit for bit as {@code count} single routes in this order would (a stream
   * may come several times; its inputs advance it in order). Per chunk of inputs one matrix product
   * projects them, then the streams advance together (wave k holds the k-th input of each stream, so
   * its streams are distinct and their recurrent products one matrix product), then every input of
   * the chunk is read out (logits and softmax), and only then is each selected and counted, in order.
   * The read-out needs nothing that selecting changes (the router's weights, the streams' recent
   * errors and the temperature stay as they are for the whole call; only the balancer's bias moves
   * from token to token, and only selection reads it), so reading the chunk out first gives the
   * single routes' bits, and its independent per-input steps run back to back, where the processor
   * overlaps them, rather than between selections, whose chain through the bias it cannot.
   *
   * @throws java.util.NoSuchElementException for a stream that is not open (nothing changed)
   * @throws IllegalStateException when a routing policy is set (nothing changed)
   */
  public void routeMany(String[] streams, float[] xs, int count, int[] expertsOut, float[] weightsOut) {
    StreamState[] states = resolveMany(streams, count);
    try {
      if (policy != null) {
        throw new IllegalStateException("routeMany uses the built-in top-k; with the routing policy "
            + policy.name() + " route the inputs one by one");
      }
      meter.beginCall();
      RouteBuffer b = scratch;
      float[] probs = b.probabilitiesArray();
      // The gain of a many-stream route is 1 (no attention), and temperature / 1 is the temperature.
      float temp = m.temperature;
      lastTemperature = temp;
      for (int from = 0; from < count; from += CHUNK) {
        int n = Math.min(CHUNK, count - from);
        advanceChunk(states, from, n, xs);
        readoutChunk(states, from, n, temp);
        for (int t = 0; t < n; t++) {
          System.arraycopy(manyProbs, t * experts, probs, 0, experts);
          select(states[from + t], probs, temp, manySteps[t], b);
          System.arraycopy(b.expertsArray(), 0, expertsOut, (from + t) * topK, topK);
          System.arraycopy(b.weightsArray(), 0, weightsOut, (from + t) * topK, topK);
        }
      }
    } finally {
      java.util.Arrays.fill(states, 0, count, null);
    }
  }

  /**
   * Every input's open stream, looked up before anything changes.
   *
   * @throws java.util.NoSuchElementException for a stream that is not open
   * @throws IllegalStateException while the eviction listener runs
   */
  StreamState[] resolveMany(String[] streams, int count) {
    if (manyStates.length < count) {
      manyStates = new StreamState[Math.max(count, Math.min(2 * manyStates.length, Integer.MAX_VALUE - 8))];
    }
    StreamState[] states = manyStates;
    try {
      for (int t = 0; t < count; t++) {
        states[t] = m.streams.advancing(streams[t]);
      }
    } catch (RuntimeException e) {
      java.util.Arrays.fill(states, 0, count, null);
      throw e;
    }
    if (manyProj == null) {
      manyProj = new float[CHUNK * proj.length];
      manyH = new float[CHUNK * m.hidden];
      manySteps = new int[CHUNK];
      manyProbs = new float[CHUNK * experts];
      manyOccurrence = new int[CHUNK];
      manyOrder = new int[CHUNK];
      manyWaves = new int[CHUNK + 2];
      waveH = new float[CHUNK][];
      waveRows = new int[CHUNK];
      waveSteps = new int[CHUNK];
    }
    return states;
  }

  /**
   * Projects inputs {@code [from, from + n)} (n at most a chunk) and advances their streams, wave
   * after wave; input t's state after its advance is kept in row t of {@link #manyH}.
   */
  void advanceChunk(StreamState[] states, int from, int n, float[] xs) {
    m.cell.projectRows(xs, from * m.in, n, manyProj);
    for (int t = 0; t < n; t++) {
      states[from + t].pending = 0;
    }
    int waves = 0;
    for (int t = 0; t < n; t++) {
      int o = states[from + t].pending++;
      manyOccurrence[t] = o;
      waves = Math.max(waves, o + 1);
    }
    // Counting sort by wave, stable: manyWaves[w] is where wave w starts in manyOrder.
    int[] start = manyWaves;
    java.util.Arrays.fill(start, 0, waves + 1, 0);
    for (int t = 0; t < n; t++) {
      start[manyOccurrence[t] + 1]++;
    }
    for (int w = 0; w < waves; w++) {
      start[w + 1] += start[w];
    }
    for (int t = 0; t < n; t++) {
      manyOrder[start[manyOccurrence[t]]++] = t;
    }
    // The placing moved each start to the next wave's; shift back.
    for (int w = waves; w > 0; w--) {
      start[w] = start[w - 1];
    }
    start[0] = 0;
    int hidden = m.hidden;
    for (int w = 0; w < waves; w++) {
      int first = start[w];
      int size = start[w + 1] - first;
      for (int r = 0; r < size; r++) {
        int t = manyOrder[first + r];
        waveH[r] = states[from + t].h;
        waveRows[r] = t;
      }
      m.cell.advanceEach(waveH, size, manyProj, waveRows, waveSteps);
      for (int r = 0; r < size; r++) {
        int t = waveRows[r];
        manySteps[t] = waveSteps[r];
        System.arraycopy(waveH[r], 0, manyH, t * hidden, hidden);
      }
    }
    java.util.Arrays.fill(waveH, 0, n, null);
  }

  /**
   * Reads out, selects and counts input t of the last {@link #advanceChunk} (its stream s) into
   * {@code o}, as a single route would after advancing s.
   */
  void routeAdvanced(StreamState s, int t, RouteBuffer o) {
    int width = proj.length;
    int steps = manySteps[t];
    meter.add(Component.CELL, m.cell.projectionMacs());
    meter.add(Component.CELL, steps * m.cell.stepMacs());
    float[] probs = o.probabilitiesArray();
    readout(s, manyProj, t * width, manyH, t * m.hidden, 1f, probs);
    select(s, probs, lastTemperature, steps, o);
  }

  /**
   * The router's probabilities of every input of the last {@link #advanceChunk} (input t of stream
   * {@code states[from + t]}) into row t of {@link #manyProbs}, metered as single routes are, at
   * temperature {@code temp} (gain 1): every input's logits first, then one softmax over the rows.
   */
  private void readoutChunk(StreamState[] states, int from, int n, float temp) {
    int width = proj.length;
    int hidden = m.hidden;
    long projectionMacs = m.cell.projectionMacs();
    long stepMacs = m.cell.stepMacs();
    for (int t = 0; t < n; t++) {
      meter.add(Component.CELL, projectionMacs);
      meter.add(Component.CELL, manySteps[t] * stepMacs);
      m.router.logits(k, manyProj, t * width, manyH, t * hidden, states[from + t].recent, logits, meter);
      System.arraycopy(logits, 0, manyProbs, t * experts, experts);
    }
    k.softmaxRows(manyProbs, manyProbs, n, experts, Math.min(1f / temp, Float.MAX_VALUE));
  }

  /** The cell states kept by the last {@link #advanceChunk}, one row per input. */
  float[] manyStates() {
    return manyH;
  }

  // ------------------------------------------------------------------ batches and windows

  /**
   * Routes {@code count} consecutive inputs of one stream with the built-in top-k: one matrix
   * product projects them all, then the state advances row by row as single routes would.
   *
   * @throws IllegalStateException when a routing policy is set
   */
  public void routeBatch(String stream, float[] xs, int count, int[] expertsOut, float[] weightsOut) {
    StreamState s = m.streams.advancing(stream);
    if (policy != null) {
      throw new IllegalStateException("routeBatch uses the built-in top-k; with the routing policy "
          + policy.name() + " use routeWindow");
    }
    meter.beginCall();
    int width = proj.length;
    if (batchProj.length < count * width) {
      batchProj = new float[count * width];
    }
    m.cell.projectBatch(xs, count, batchProj);
    RouteBuffer b = scratch;
    for (int t = 0; t < count; t++) {
      route(s, xs, t * m.in, batchProj, Float.NaN, null, b);
      System.arraycopy(b.expertsArray(), 0, expertsOut, t * topK, topK);
      System.arraycopy(b.weightsArray(), 0, weightsOut, t * topK, topK);
    }
  }

  /**
   * Routes a window with the policy in force (the built-in top-k when none is set) and counts each
   * real token's experts; see {@code MixtureOfExperts#routeWindow}.
   */
  public void routeWindow(String stream, float[] xs, int count, boolean[] valid, Assignment out) {
    StreamState s = m.streams.advancing(stream);
    meter.beginCall();
    window(s, xs, count, valid, false, out);
    for (int t = 0; t < count; t++) {
      if (valid == null || valid[t]) {
        windowToken(t, out, scratch);
      }
    }
  }

  /**
   * The routing half of a window: advances the stream over the real inputs, keeps each one's
   * probabilities (and, for learning, its cell state) and lets the policy in force assign the
   * window, then the capacity limiter, if any, drop what overflows.
   */
  void window(StreamState s, float[] xs, int count, boolean[] valid, boolean keepStates, Assignment assigned) {
    RoutingPolicy pol = policy != null ? policy : builtInPolicy();
    int hidden = m.hidden;
    if (windowProbs.length < count * experts) {
      windowProbs = new float[count * experts];
    }
    if (keepStates && windowH.length < count * hidden) {
      windowH = new float[count * hidden];
    }
    float[] row = scratch.probabilitiesArray();
    for (int t = 0; t < count; t++) {
      if (valid == null || valid[t]) {
        probabilities(s, xs, t * m.in, null, Float.NaN, null, row);
        System.arraycopy(row, 0, windowProbs, t * experts, experts);
        if (keepStates) {
          System.arraycopy(s.h, 0, windowH, t * hidden, hidden);
        }
        m.streams.routed(s);
      } else {
        Arrays.fill(windowProbs, t * experts, (t + 1) * experts, 0f);
      }
    }
    problem.set(count, experts, windowProbs, m.balancer.applies() ? m.balancer.biasArray() : null, valid);
    pol.route(problem, assigned);
    if (capacity != null) {
      capacity.apply(problem, assigned);
    }
  }

  /**
   * Fills {@code b} with window token t's routing from {@code assigned} (real slots only) and its
   * probabilities, and counts the token.
   */
  void windowToken(int t, Assignment assigned, RouteBuffer b) {
    int[] chosen = b.expertsArray();
    float[] w = b.weightsArray();
    float[] row = b.probabilitiesArray();
    int kk = 0;
    for (int sl = assigned.start(t); sl < assigned.end(t); sl++) {
      if (assigned.expert(sl) != Assignment.NULL_EXPERT) {
        chosen[kk] = assigned.expert(sl);
        w[kk] = assigned.weight(sl);
        kk++;
      }
    }
    System.arraycopy(windowProbs, t * experts, row, 0, experts);
    countToken(chosen, kk, row);
    b.set(kk, lastTemperature, 0);
  }

  /** The cell states kept by the last {@link #window} with {@code keepStates}, row per token. */
  float[] windowStates() {
    return windowH;
  }

  private RoutingPolicy builtInPolicy() {
    if (builtIn == null) {
      builtIn = new TopKPolicy(topK);
    }
    return builtIn;
  }
}
