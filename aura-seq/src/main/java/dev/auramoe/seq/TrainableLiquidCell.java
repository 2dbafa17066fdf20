package dev.auramoe.seq;

import static dev.auramoe.seq.Buffers.grow;
import static dev.auramoe.seq.Buffers.transpose;

import dev.auramoe.cell.CellConfig;
import dev.auramoe.cell.CellType;
import dev.auramoe.cell.LiquidCell;
import dev.auramoe.internal.vector.Approx;
import dev.auramoe.internal.vector.KernelProvider;
import dev.auramoe.internal.vector.KernelSupport;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * The seed's liquid time-constant cell with every weight trainable, run over a batch of sequences and
 * trained by backpropagation through time through every unfold, for both of the core's integrators
 * ({@link CellType#LIQUID}: explicit Euler; {@link CellType#CLOSED_FORM}: the CfC-style exact step
 * with the drive held constant).
 *
 * <pre>
 * Hasani, Lechner, Amini, Rus and Grosu, "Liquid Time-constant Networks", AAAI 2021
 * (here with the input-dependent time constant of the core's LiquidCell).
 *
 * p     = U x + b                                       (per input)
 * a     = V x + c
 * tau   = clamp(tauMin + softplus(a), tauMin, tauMax)   (gradient 0 where it clamps)
 * per unfold of length dt':
 *   s   = tanh(W h + p)
 *   h'  = h + dt' (s - h / tau)                       (Euler)
 *   h'  = g h + (1 - g) tau s,  g = exp(-dt' / tau)    (closed form)
 *   then clamped to +-max(|h|, tauMax) as the core does
 * </pre>
 *
 * <p>The clamp's gradient is passed straight through (the backward pass differentiates the
 * unclamped update): an Euler step is no longer than tauMin &lt;= tau ({@code CellConfig} refuses
 * dt &gt; tauMin, the schedule never exceeds tauMin) and a closed-form step is a convex combination
 * of h and tau s, so in exact arithmetic |h'| &lt;= max(|h|, tau) and the clamp never binds; in float
 * it binds only by rounding, by an ulp, where the unclamped derivative is the exact function's.
 *
 * <p>The step schedule per input is the core's ({@code LiquidCell.advance}), driven by the elapsed
 * time e since the sequence's previous input:
 * <ul>
 *   <li>e is NaN: {@code unfolds} steps of {@code dt} (regular sampling);
 *   <li>e = 0: no step, h is unchanged;
 *   <li>closed form: {@code unfolds} closed-form steps of e / unfolds;
 *   <li>liquid: n = ceil(e / tauMin) Euler steps of {@code min(tauMin, e / n)}; beyond
 *       {@code maxStepsPerInput} steps, that many steps of tauMin and one closed-form step over the
 *       rest of the gap.
 * </ul>
 * Each sequence of a batch has its own elapsed times (irregular sampling), hence its own number of
 * unfolds per input; the backward pass runs through every one of them.
 *
 * <p>Weights are stored as the core stores them, input-major: U and V are {@code in x H}, W is
 * {@code H x H} with {@code W[i][j]} the weight from h_i to unit j, so the forward pass is the core's
 * LiquidCell on the same weights, up to summation order. tanh, exp and softplus are the core's
 * float functions ({@code Approx}: fixed sequences of exactly rounded IEEE operations, so the same
 * bits in the interpreter, C1 and C2; tanh within 6 ulp), and the backward pass uses 1 - s^2 and
 * sigmoid(a) at the forward's own values.
 *
 * <p>The products run on the core's kernels as matrix products over the batch: U x and V x as one
 * {@code gemm} each over every step of every sequence; per step, the rows are sorted by their number
 * of unfolds (most first, ties in sequence order), so that at unfold slot q the sequences still
 * integrating are a prefix and W h is one {@code gemm} over them; the backward pass runs
 * {@code dh += dDrive W^T} per slot the same way, and {@code dW}, {@code dU}, {@code dV} and
 * {@code dX} as one product each over the whole pass (over transposed copies made once per pass).
 * The element-wise Euler step and its backward pass, and the time constants, are kernels too. The
 * Vector API kernels are used when {@code aura-simd} is on the class path and
 * {@code --add-modules jdk.incubator.vector} is given, else the scalar ones
 * ({@code -Daura.kernels=scalar} forces them); the two agree up to summation order, and each gives
 * the same bits for the same seed.
 *
 * <p>Usage, one mini-batch of {@code batch} sequences of {@code steps} inputs, time-major:
 * <pre>{@code
 * cell.zeroGradients();
 * cell.forward(xs, elapsed, first, batch, steps, hs);   // hs: every state, [steps][batch][H]
 * ... loss on hs, its gradient dHs of the same shape ...
 * cell.backward(dHs, dXs);                      // dXs may be null
 * }</pre>
 * {@link #forward} keeps what {@link #backward} needs in workspaces that grow to the largest batch
 * shape seen and are then reused: neither pass allocates once they have grown. Not thread-safe.
 */
public final class TrainableLiquidCell extends RecurrentLayer {

  private final CellConfig config;
  private final Parameter u;
  private final Parameter v;
  private final Parameter w;
  private final Parameter b;
  private final Parameter c;
  private final List<Parameter> parameters;

  // The tape of the last forward pass. Per step, the batch's rows are kept in "slot order": sorted
  // by their number of unfolds, most first (stable), so that the rows still integrating at unfold
  // slot u are a prefix of the batch and every product runs over contiguous rows.
  private int batch;
  private int steps;
  /** Per (t, i): the sequence at slot-order row i of step t. */
  private int[] order = new int[0];
  /** Per (t, i), slot order: the number of unfolds (0 at padding), of Euler unfolds, the Euler step, the closed-form step. */
  private int[] unfoldCount = new int[0];
  private int[] eulerCount = new int[0];
  private float[] stepDt = new float[0];
  private float[] closedDelta = new float[0];
  /** Per step t: its first row in the per-unfold arrays (steps + 1 values). */
  private int[] stepUnit = new int[0];
  /** Per (t, i), slot order: the input (zeros at padding), p = U x + b, a = V x + c, 1 / tau, d tau / d a. */
  private float[] xs = new float[0];
  private float[] drv = new float[0];
  private float[] pre = new float[0];
  private float[] invTau = new float[0];
  private float[] tauSlope = new float[0];
  /** Per unfold row: h before it, and s = tanh(W h + p); H values each. */
  private float[] hBefore = new float[0];
  private float[] act = new float[0];
  /** Per sequence: the running state (forward) or its gradient (backward), in sequence order. */
  private float[] state = new float[0];
  /** The same for the rows of the current step, in slot order. */
  private float[] slotState = new float[0];
  // Sorting scratch: each sequence's unfolds at the current step, and the merge buffer.
  private int[] rowCount = new int[0];
  private int[] sortTmp = new int[0];
  // The backward pass's workspaces: per unfold row dL/d(W h + p); per (t, i) dL/dp and dL/da
  // (first dL/d(1/tau)); transposed copies of h before each unfold, of the inputs, and of W, U and V.
  private float[] dDrive = new float[0];
  private float[] gP = new float[0];
  private float[] gA = new float[0];
  private float[] hBeforeT = new float[0];
  private float[] xsT = new float[0];
  private float[] dxSlot = new float[0];
  private float[] wT = new float[0];
  private float[] uT = new float[0];
  private float[] vT = new float[0];
  // The schedule of one input (plan), and the single-step workspaces of step.
  private int planEuler;
  private float planDt;
  private float planClosed;
  private float[] stepDrive = new float[0];
  private float[] stepPre = new float[0];
  private float[] stepInvTau = new float[0];
  private float[] stepSlope = new float[0];
  private float[] stepAct = new float[0];

  /**
   * A cell with seeded weights: U Xavier-uniform scaled by {@code inputScale}, V normal with
   * standard deviation {@code 0.5 / sqrt(in)} (as the core), W orthogonal times
   * {@code recurrentScale}, b zero, c spreading the time constants log-uniformly
   * ({@link dev.auramoe.cell.LiquidCell#restingTimeConstantBiases}).
   *
   * @param config the core's cell configuration: {@link CellType#LIQUID} (Euler) or
   *     {@link CellType#CLOSED_FORM}
   */
  public TrainableLiquidCell(CellConfig config, int inputDim, long seed) {
    this("liquid", config, inputDim, seed);
  }

  /**
   * The same cell with its parameters named {@code name.U}, {@code name.V}, {@code name.W},
   * {@code name.b} and {@code name.c} (a model of several cells names each its own way).
   */
  public TrainableLiquidCell(String name, CellConfig config, int inputDim, long seed) {
    this(name, config, inputDim, seed, KernelProvider.get());
  }

  /** A cell on the given kernels (tests compare the scalar and the Vector API ones). */
  TrainableLiquidCell(CellConfig config, int inputDim, long seed, KernelSupport kernels) {
    this("liquid", config, inputDim, seed, kernels);
  }

  private TrainableLiquidCell(String name, CellConfig config, int inputDim, long seed, KernelSupport kernels) {
    super("liquid cell", name, inputDim, Objects.requireNonNull(config, "config").hidden(), kernels);
    this.config = config;
    this.u = new Parameter(name + ".U", in, hidden);
    this.v = new Parameter(name + ".V", in, hidden);
    this.w = new Parameter(name + ".W", hidden, hidden);
    this.b = new Parameter(name + ".b", hidden);
    this.c = new Parameter(name + ".c", hidden);
    this.parameters = List.of(u, v, w, b, c);
    Random r = new Random(seed);
    Init.xavierUniform(u.values(), in, hidden, config.inputScale(), r);
    Init.scaledNormal(v.values(), 0.5 / Math.sqrt(in), r);
    Init.orthogonal(w.values(), hidden, config.recurrentScale(), r);
    dev.auramoe.cell.LiquidCell.restingTimeConstantBiases(c.values(), config.tauMin(), config.tauMax());
  }

  /** The configuration. */
  public CellConfig config() {
    return config;
  }

  /** U, {@code in x H}. */
  public Parameter inputWeights() {
    return u;
  }

  /** V, {@code in x H}: the time constants' input weights. */
  public Parameter tauWeights() {
    return v;
  }

  /** W, {@code H x H}, input-major (the core's {@code recurrent()} layout). */
  public Parameter recurrentWeights() {
    return w;
  }

  /** b, the drive's bias. */
  public Parameter driveBias() {
    return b;
  }

  /** c, the time constants' bias. */
  public Parameter tauBias() {
    return c;
  }

  @Override
  public List<Parameter> parameters() {
    return parameters;
  }

  /**
   * The core's {@link LiquidCell} with this cell's current weights (copied), ready to serve as the
   * gating cell of an on-line mixture: its state follows this cell's forward pass up to the
   * rounding of tanh, exp and log. Its {@code extra} router columns start at zero.
   *
   * @param extra the router's extra projection columns (one per expert when the router reads x)
   */
  public LiquidCell toGatingCell(int extra) {
    if (extra < 0) {
      throw new IllegalArgumentException("extra must be >= 0, got " + extra);
    }
    // The seed only fills weights that setWeights replaces at once.
    LiquidCell cell = new LiquidCell(config, in, extra, 0L);
    int width = 2 * hidden + extra;
    float[] proj = new float[in * width];
    for (int i = 0; i < in; i++) {
      System.arraycopy(u.values(), i * hidden, proj, i * width, hidden);
      System.arraycopy(v.values(), i * hidden, proj, i * width + hidden, hidden);
    }
    cell.setWeights(proj, w.values(), b.values(), c.values());
    return cell;
  }

  /**
   * Runs the cell over a batch of sequences from h = 0 and keeps the tape for {@link #backward}.
   * Layout and left padding as {@link SequenceLayer} describes; the first real step of a sequence
   * integrates from h = 0 over its own elapsed time.
   *
   * @param x inputs, time-major: input i of sequence r at step t is {@code x[(t * batch + r) * in + i]};
   *     not modified (copied to the tape); ignored before each sequence's first step
   * @param elapsed seconds since each sequence's previous input, {@code elapsed[t * batch + r]},
   *     finite and &gt;= 0, or NaN for the default {@code unfolds * dt}; null means NaN everywhere;
   *     not modified; ignored before each sequence's first step
   * @param first each sequence's first real step, in [0, steps), or null for 0 everywhere
   * @param hs receives every state after every step, {@code hs[(t * batch + r) * H + j]} (zeros
   *     before a sequence's first step)
   * @return the total number of integration steps over the batch
   */
  @Override
  public long forward(float[] x, float[] elapsed, int[] first, int batch, int steps, float[] hs) {
    // Bad inputs fail before anything changes: the tape of the previous pass stays usable.
    int cells = SequenceInputs.checkForward(label, in, hidden, x, elapsed, first, batch, steps, hs, true);
    int hd = hidden;
    // The schedule sizes the per-unfold tape: counted first, so that a batch whose tape no array
    // can hold is refused before the previous pass's schedule is overwritten.
    long total = 0;
    for (int k = 0; k < cells; k++) {
      if (k / batch >= SequenceInputs.first(first, k % batch)) {
        total += schedule(-1, elapsed == null ? Float.NaN : elapsed[k]);
      }
    }
    if (total > (Integer.MAX_VALUE - 8) / hd) {
      throw new IllegalArgumentException(label + ": " + steps + " steps of " + batch + " sequences take " + total
          + " unfolds, whose tape of " + total + " x " + hd + " states exceeds an array; use shorter gaps, a smaller"
          + " maxStepsPerInput or smaller batches");
    }
    int units = (int) total;
    order = grow(order, cells);
    unfoldCount = grow(unfoldCount, cells);
    eulerCount = grow(eulerCount, cells);
    stepDt = grow(stepDt, cells);
    closedDelta = grow(closedDelta, cells);
    stepUnit = grow(stepUnit, steps + 1);
    rowCount = grow(rowCount, batch);
    sortTmp = grow(sortTmp, batch);
    xs = grow(xs, cells * in);
    drv = grow(drv, cells * hd);
    pre = grow(pre, cells * hd);
    invTau = grow(invTau, cells * hd);
    tauSlope = grow(tauSlope, cells * hd);
    hBefore = grow(hBefore, units * hd);
    act = grow(act, units * hd);
    state = grow(state, batch * hd);
    slotState = grow(slotState, batch * hd);
    this.batch = batch;
    this.steps = steps;
    int unit = 0;
    for (int t = 0; t < steps; t++) {
      int k0 = t * batch;
      for (int r = 0; r < batch; r++) {
        rowCount[r] = t < SequenceInputs.first(first, r) ? 0 : schedule(-1, elapsed == null ? Float.NaN : elapsed[k0 + r]);
      }
      sortByCountDescending(rowCount, order, k0, sortTmp, batch);
      stepUnit[t] = unit;
      for (int i = 0; i < batch; i++) {
        int k = k0 + i;
        int r = order[k];
        int xo = k * in;
        if (t < SequenceInputs.first(first, r)) {
          unfoldCount[k] = 0;
          eulerCount[k] = 0;
          stepDt[k] = 0f;
          closedDelta[k] = 0f;
          // Zeros, not the caller's padding: the padding's gradients are products with these.
          Arrays.fill(xs, xo, xo + in, 0f);
        } else {
          unit += schedule(k, elapsed == null ? Float.NaN : elapsed[k0 + r]);
          System.arraycopy(x, (k0 + r) * in, xs, xo, in);
        }
      }
    }
    stepUnit[steps] = unit;
    float[] wv = w.values();
    float[] bv = b.values();
    float[] cv = c.values();
    float tauMax = config.tauMax();
    // p = U x + b and a = V x + c for every step of every sequence: two products over the batch.
    kern.gemm(xs, 0, cells, u.values(), in, hd, drv, 0, false);
    kern.gemm(xs, 0, cells, v.values(), in, hd, pre, 0, false);
    for (int k = 0; k < cells; k++) {
      int ko = k * hd;
      for (int j = 0; j < hd; j++) {
        drv[ko + j] += bv[j];
        pre[ko + j] += cv[j];
      }
    }
    kern.liquidTimeConstants(pre, 0, invTau, 0, tauSlope, 0, cells * hd, config.tauMin(), tauMax);
    Arrays.fill(state, 0, batch * hd, 0f);
    for (int t = 0; t < steps; t++) {
      int k0 = t * batch;
      for (int i = 0; i < batch; i++) {
        System.arraycopy(state, order[k0 + i] * hd, slotState, i * hd, hd);
      }
      int uo = stepUnit[t];
      int m = batch;
      for (int q = 0; q < unfoldCount[k0]; q++) {
        // The rows still integrating at unfold q: a prefix of the slot order.
        while (unfoldCount[k0 + m - 1] <= q) {
          m--;
        }
        int ao = uo * hd;
        System.arraycopy(slotState, 0, hBefore, ao, m * hd);
        // s = tanh(W h + p) for the m rows at once, then the update, row runs of one kind at a time.
        System.arraycopy(drv, k0 * hd, act, ao, m * hd);
        kern.gemm(slotState, 0, m, wv, hd, hd, act, ao, true);
        for (int i = 0; i < m; ) {
          int k = k0 + i;
          if (q < eulerCount[k]) {
            float dt = stepDt[k];
            int end = i + 1;
            while (end < m && q < eulerCount[k0 + end] && stepDt[k0 + end] == dt) {
              end++;
            }
            kern.liquidEulerForward(slotState, i * hd, act, ao + i * hd, invTau, k * hd, dt, tauMax, (end - i) * hd);
            i = end;
          } else {
            closedFormForward(slotState, i * hd, act, ao + i * hd, invTau, k * hd, closedDelta[k], tauMax);
            i++;
          }
        }
        uo += m;
      }
      for (int i = 0; i < batch; i++) {
        int r = order[k0 + i];
        System.arraycopy(slotState, i * hd, state, r * hd, hd);
        System.arraycopy(slotState, i * hd, hs, (k0 + r) * hd, hd);
      }
    }
    return total;
  }

  /**
   * {@inheritDoc}
   *
   * <p>The forward pass's arithmetic on one row: {@code p = U x + b}, {@code a = V x + c} and the
   * time constants on the same kernels, the same schedule (Euler unfolds of
   * {@code min(tauMin, e / n)}, the cap and the closed-form tail of a long gap, or the closed-form
   * steps), and per unfold {@code s = tanh(W h + p)} with the same Euler and closed-form updates.
   * The state is h (H values); an elapsed time of 0 leaves it unchanged.
   */
  @Override
  public void step(float[] x, int xOff, float elapsed, float[] state, int stateOff) {
    int hd = hidden;
    SequenceInputs.checkStep(label, in, hd, x, xOff, elapsed, state, stateOff);
    int count = plan(elapsed);
    if (count == 0) {
      return;
    }
    int euler = planEuler;
    float dt = planDt;
    float closed = planClosed;
    stepDrive = grow(stepDrive, hd);
    stepPre = grow(stepPre, hd);
    stepInvTau = grow(stepInvTau, hd);
    stepSlope = grow(stepSlope, hd);
    stepAct = grow(stepAct, Math.max(hd, in));
    float[] bv = b.values();
    float[] cv = c.values();
    float tauMax = config.tauMax();
    // The input at offset 0, as the kernels read a row.
    System.arraycopy(x, xOff, stepAct, 0, in);
    kern.gemm(stepAct, 0, 1, u.values(), in, hd, stepDrive, 0, false);
    kern.gemm(stepAct, 0, 1, v.values(), in, hd, stepPre, 0, false);
    for (int j = 0; j < hd; j++) {
      stepDrive[j] += bv[j];
      stepPre[j] += cv[j];
    }
    kern.liquidTimeConstants(stepPre, 0, stepInvTau, 0, stepSlope, 0, hd, config.tauMin(), tauMax);
    float[] wv = w.values();
    for (int q = 0; q < count; q++) {
      System.arraycopy(stepDrive, 0, stepAct, 0, hd);
      kern.gemm(state, stateOff, 1, wv, hd, hd, stepAct, 0, true);
      if (q < euler) {
        kern.liquidEulerForward(state, stateOff, stepAct, 0, stepInvTau, 0, dt, tauMax, hd);
      } else {
        closedFormForward(state, stateOff, stepAct, 0, stepInvTau, 0, closed, tauMax);
      }
    }
  }

  /**
   * Backpropagation through time over the last {@link #forward} pass: adds the gradients of the
   * loss with respect to U, V, W, b and c to the parameters' gradients.
   *
   * @param dHs the loss's gradient with respect to every state of {@code hs}, same layout; not
   *     modified
   * @param dXs receives the gradient with respect to every input, the layout of {@code x}
   *     (overwritten; zeros before a sequence's first step), or null when not needed
   */
  @Override
  public void backward(float[] dHs, float[] dXs) {
    int bt = batch;
    int st = steps;
    SequenceInputs.checkBackward(label, in, hidden, bt, st, dHs, dXs);
    int cells = bt * st;
    int hd = hidden;
    int units = stepUnit[st];
    dDrive = grow(dDrive, units * hd);
    gP = grow(gP, cells * hd);
    gA = grow(gA, cells * hd);
    Arrays.fill(gP, 0, cells * hd, 0f);
    Arrays.fill(gA, 0, cells * hd, 0f);
    wT = transpose(w.values(), hd, hd, wT);
    // state[r] holds dL/dh of sequence r after the step being undone.
    Arrays.fill(state, 0, bt * hd, 0f);
    for (int t = st - 1; t >= 0; t--) {
      int k0 = t * bt;
      for (int i = 0; i < bt; i++) {
        int r = order[k0 + i];
        int so = r * hd;
        int go = i * hd;
        int dho = (k0 + r) * hd;
        for (int j = 0; j < hd; j++) {
          slotState[go + j] = state[so + j] + dHs[dho + j];
        }
      }
      int uo = stepUnit[t + 1];
      int m = 0;
      for (int q = unfoldCount[k0] - 1; q >= 0; q--) {
        while (m < bt && unfoldCount[k0 + m] > q) {
          m++;
        }
        uo -= m;
        int ao = uo * hd;
        for (int i = 0; i < m; ) {
          int k = k0 + i;
          if (q < eulerCount[k]) {
            float dt = stepDt[k];
            int end = i + 1;
            while (end < m && q < eulerCount[k0 + end] && stepDt[k0 + end] == dt) {
              end++;
            }
            int n = (end - i) * hd;
            kern.liquidEulerBackward(slotState, i * hd, hBefore, ao + i * hd, act, ao + i * hd, invTau, k * hd, dt,
                dDrive, ao + i * hd, gP, k * hd, gA, k * hd, n);
            i = end;
          } else {
            closedFormBackward(slotState, i * hd, ao + i * hd, k * hd, closedDelta[k]);
            i++;
          }
        }
        // Through W h: dh += dDrive W^T for the m rows at once (dW waits for the whole pass).
        kern.gemm(dDrive, ao, m, wT, hd, hd, slotState, 0, true);
      }
      for (int i = 0; i < bt; i++) {
        System.arraycopy(slotState, i * hd, state, order[k0 + i] * hd, hd);
      }
    }
    // Through tau: d(1/tau) = -dtau / tau^2, softplus' = sigmoid, zero where the clamp binds.
    float[] gb = b.gradient();
    float[] gc = c.gradient();
    for (int k = 0; k < cells; k++) {
      int ko = k * hd;
      for (int j = 0; j < hd; j++) {
        float it = invTau[ko + j];
        float ga = -gA[ko + j] * it * it * tauSlope[ko + j];
        gA[ko + j] = ga;
        gc[j] += ga;
        gb[j] += gP[ko + j];
      }
    }
    // dW += sum over unfolds of h dDrive^T, dU += X^T dP, dV += X^T dA: products over the whole pass.
    hBeforeT = transpose(hBefore, units, hd, hBeforeT);
    kern.gemm(hBeforeT, 0, hd, dDrive, units, hd, w.gradient(), 0, true);
    xsT = transpose(xs, cells, in, xsT);
    kern.gemm(xsT, 0, in, gP, cells, hd, u.gradient(), 0, true);
    kern.gemm(xsT, 0, in, gA, cells, hd, v.gradient(), 0, true);
    if (dXs != null) {
      // dX = dP U^T + dA V^T in slot order, then each row to its sequence (zeros at padding).
      uT = transpose(u.values(), in, hd, uT);
      vT = transpose(v.values(), in, hd, vT);
      dxSlot = grow(dxSlot, cells * in);
      kern.gemm(gP, 0, cells, uT, hd, in, dxSlot, 0, false);
      kern.gemm(gA, 0, cells, vT, hd, in, dxSlot, 0, true);
      for (int t = 0; t < st; t++) {
        int k0 = t * bt;
        for (int i = 0; i < bt; i++) {
          int k = k0 + i;
          int xo = (k0 + order[k]) * in;
          if (unfoldCount[k] == 0) {
            // No unfold (padding, or an elapsed time of 0): x does not reach the loss.
            Arrays.fill(dXs, xo, xo + in, 0f);
          } else {
            System.arraycopy(dxSlot, k * in, dXs, xo, in);
          }
        }
      }
    }
  }

  /**
   * One closed-form step of one row (the tail of a long gap, or every step of
   * {@link CellType#CLOSED_FORM}): s = tanh(drive) kept in place of the drive,
   * h' = g h + (1 - g) s / invTau with g = exp(-delta invTau), clamped as the Euler step.
   */
  private void closedFormForward(float[] h, int ho, float[] drive, int dOff, float[] it, int io, float delta,
      float bound) {
    for (int j = 0; j < hidden; j++) {
      float s = Approx.tanh(drive[dOff + j]);
      drive[dOff + j] = s;
      float hj = h[ho + j];
      float itj = it[io + j];
      float g = Approx.exp(-delta * itj);
      float next = g * hj + (1f - g) * (s / itj);
      float lim = Math.max(Math.abs(hj), bound);
      h[ho + j] = Math.min(Math.max(next, -lim), lim);
    }
  }

  /** The backward pass of {@link #closedFormForward} for one row (clamp passed straight through). */
  private void closedFormBackward(float[] grad, int go, int ao, int ko, float delta) {
    for (int j = 0; j < hidden; j++) {
      float g = grad[go + j];
      float hj = hBefore[ao + j];
      float s = act[ao + j];
      float it = invTau[ko + j];
      float e = Approx.exp(-delta * it);
      // d/d(it) of e h + (1 - e) s / it, with de/d(it) = -delta e.
      float dNextDit = -delta * e * hj + delta * e * s / it - (1f - e) * s / (it * it);
      float dd = g * ((1f - e) / it) * (1f - s * s);
      dDrive[ao + j] = dd;
      gP[ko + j] += dd;
      gA[ko + j] += g * dNextDit;
      grad[go + j] = g * e;
    }
  }

  /**
   * Writes into {@code order[off .. off + n)} the rows 0..n-1 sorted by {@code count}, largest
   * first, ties in row order (a stable merge sort on the scratch {@code tmp}; no allocation).
   */
  static void sortByCountDescending(int[] count, int[] order, int off, int[] tmp, int n) {
    boolean sorted = true;
    for (int r = 0; r < n; r++) {
      order[off + r] = r;
      sorted &= r == 0 || count[r - 1] >= count[r];
    }
    if (sorted) {
      return;
    }
    for (int width = 1; width < n; width *= 2) {
      for (int lo = 0; lo < n - width; lo += 2 * width) {
        int mid = lo + width;
        int hi = Math.min(lo + 2 * width, n);
        System.arraycopy(order, off + lo, tmp, lo, hi - lo);
        int a = lo;
        int b = mid;
        int o = off + lo;
        while (a < mid && b < hi) {
          // Take from the right run only when strictly larger: stable.
          order[o++] = count[tmp[b]] > count[tmp[a]] ? tmp[b++] : tmp[a++];
        }
        while (a < mid) {
          order[o++] = tmp[a++];
        }
        while (b < hi) {
          order[o++] = tmp[b++];
        }
      }
    }
  }

  /**
   * The schedule for elapsed time e (the core's LiquidCell.advance): fills tape cell k's entry when
   * k &gt;= 0, and returns its number of unfolds.
   */
  private int schedule(int k, float e) {
    int count = plan(e);
    if (k >= 0) {
      stepDt[k] = planDt;
      eulerCount[k] = planEuler;
      closedDelta[k] = planClosed;
      unfoldCount[k] = count;
    }
    return count;
  }

  /**
   * The schedule for elapsed time e, the one rule of {@link #forward} and {@link #step}: returns the
   * number of unfolds and leaves in {@link #planEuler}, {@link #planDt} and {@link #planClosed} the
   * Euler unfolds (the first ones), their step, and the closed-form step of the rest.
   */
  private int plan(float e) {
    boolean closedForm = config.type() == CellType.CLOSED_FORM;
    float rem = 0f;
    int n;
    float dt;
    if (e != e) {
      n = config.unfolds();
      dt = config.dt();
    } else if (e == 0f) {
      n = 0;
      dt = 0f;
    } else if (closedForm) {
      n = config.unfolds();
      dt = e / n;
    } else {
      float tauMin = config.tauMin();
      double s = Math.ceil(e / tauMin);
      if (s > config.maxStepsPerInput()) {
        n = config.maxStepsPerInput();
        dt = tauMin;
        rem = (float) (e - (double) n * tauMin);
      } else {
        n = Math.max(1, (int) s);
        dt = Math.min(tauMin, e / n);
      }
    }
    planDt = dt;
    planEuler = closedForm ? 0 : n;
    planClosed = closedForm ? dt : rem;
    return !closedForm && rem > 0f ? n + 1 : n;
  }
}
