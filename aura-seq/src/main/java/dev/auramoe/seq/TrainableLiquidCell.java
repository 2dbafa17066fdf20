package dev.auramoe.seq;

import dev.auramoe.cell.CellConfig;
import dev.auramoe.cell.CellType;
import dev.auramoe.cell.LiquidCell;
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
 * LiquidCell on the same weights, up to the rounding of tanh, exp and log (the core uses its own
 * float approximations, this cell {@link StrictMath} in double, rounded to float: reproducible bit
 * for bit in every JIT tier, and exactly differentiable).
 *
 * <p>The products (U x, V x, W h and their backward products) run on the core's kernels, the Vector
 * API ones when {@code aura-simd} is on the class path and {@code --add-modules jdk.incubator.vector}
 * is given, else the scalar ones ({@code -Daura.kernels=scalar} forces them); the two agree up to
 * summation order, and each gives the same bits for the same seed.
 *
 * <p>Usage, one mini-batch of {@code batch} sequences of {@code steps} inputs, time-major:
 * <pre>{@code
 * cell.zeroGradients();
 * cell.forward(xs, elapsed, batch, steps, hs);   // hs: every state, [steps][batch][H]
 * ... loss on hs, its gradient dHs of the same shape ...
 * cell.backward(dHs, dXs);                      // dXs may be null
 * }</pre>
 * {@link #forward} keeps what {@link #backward} needs in workspaces that grow to the largest batch
 * shape seen and are then reused: neither pass allocates once they have grown. Not thread-safe.
 */
public final class TrainableLiquidCell implements SequenceLayer {

  private final CellConfig config;
  private final int in;
  private final int hidden;
  private final Parameter u;
  private final Parameter v;
  private final Parameter w;
  private final Parameter b;
  private final Parameter c;
  private final List<Parameter> parameters;
  /** The core's kernels (Vector API when aura-simd and jdk.incubator.vector are present, else scalar). */
  private final KernelSupport kern;

  // The tape of the last forward pass.
  private int batch;
  private int steps;
  private float[] xs = new float[0];
  /** Per (t, r): a = V x + c, and p = U x + b; H values each. */
  private float[] pre = new float[0];
  private float[] drv = new float[0];
  /** Per (t, r): 1 / tau, and d tau / d a (sigmoid(a), or 0 where the clamp binds). */
  private float[] invTau = new float[0];
  private float[] tauSlope = new float[0];
  /** Per (t, r): the first unfold's index in the per-unfold arrays, and the number of unfolds. */
  private int[] unfoldStart = new int[0];
  private int[] unfoldCount = new int[0];
  /**
   * Per (t, r): the Euler step length, the number of Euler unfolds (the rest are closed-form
   * steps), and the length of each closed-form step.
   */
  private float[] stepDt = new float[0];
  private int[] eulerCount = new int[0];
  private float[] closedDelta = new float[0];
  /** Per unfold: h before it, and s = tanh(W h + p); H values each. */
  private float[] hBefore = new float[0];
  private float[] act = new float[0];
  /** Per sequence: the running state (forward) or its gradient (backward). */
  private float[] state = new float[0];
  // Per-sequence scratch of the backward pass, H values each.
  private final float[] gNext;
  private final float[] gPrev;
  private final float[] gDrive;
  private final float[] gInvTau;
  private final float[] gP;
  /** Transposed copies of W, U and V, made once per backward pass. */
  private float[] wT = new float[0];
  // Left padding ({@link SequenceLayer}): inputs and elapsed times with the padding replaced by
  // zeros and 0 s (no step, so the state stays 0), and the first real steps of the last pass.
  private float[] padX = new float[0];
  private float[] padE = new float[0];
  private int[] padFirst = new int[0];
  private boolean padded;
  private float[] uT = new float[0];
  private float[] vT = new float[0];

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
    this(config, inputDim, seed, KernelProvider.get());
  }

  /** A cell on the given kernels (tests compare the scalar and the Vector API ones). */
  TrainableLiquidCell(CellConfig config, int inputDim, long seed, KernelSupport kernels) {
    this.kern = Objects.requireNonNull(kernels, "kernels");
    this.config = Objects.requireNonNull(config, "config");
    if (inputDim <= 0) {
      throw new IllegalArgumentException("inputDim must be > 0, got " + inputDim);
    }
    this.in = inputDim;
    this.hidden = config.hidden();
    this.u = new Parameter("liquid.U", in, hidden);
    this.v = new Parameter("liquid.V", in, hidden);
    this.w = new Parameter("liquid.W", hidden, hidden);
    this.b = new Parameter("liquid.b", hidden);
    this.c = new Parameter("liquid.c", hidden);
    this.parameters = List.of(u, v, w, b, c);
    Random r = new Random(seed);
    Init.xavierUniform(u.values(), in, hidden, config.inputScale(), r);
    Init.scaledNormal(v.values(), 0.5 / Math.sqrt(in), r);
    Init.orthogonal(w.values(), hidden, config.recurrentScale(), r);
    dev.auramoe.cell.LiquidCell.restingTimeConstantBiases(c.values(), config.tauMin(), config.tauMax());
    this.gNext = new float[hidden];
    this.gPrev = new float[hidden];
    this.gDrive = new float[hidden];
    this.gInvTau = new float[hidden];
    this.gP = new float[hidden];
  }

  /** The configuration. */
  public CellConfig config() {
    return config;
  }

  /** Input dimension. */
  public int inputDim() {
    return in;
  }

  /** State size H. */
  public int hidden() {
    return hidden;
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
   *
   * @param x inputs, time-major: input i of sequence r at step t is {@code x[(t * batch + r) * in + i]};
   *     not modified (copied to the tape)
   * @param elapsed seconds since each sequence's previous input, {@code elapsed[t * batch + r]},
   *     finite and &gt;= 0, or NaN for the default {@code unfolds * dt}; null means NaN everywhere;
   *     not modified
   * @param hs receives every state after every step, {@code hs[(t * batch + r) * H + j]}
   * @return the total number of integration steps over the batch
   */
  public long forward(float[] x, float[] elapsed, int batch, int steps, float[] hs) {
    if (batch <= 0 || steps <= 0) {
      throw new IllegalArgumentException("batch and steps must be > 0, got " + batch + ", " + steps);
    }
    int cells = Math.multiplyExact(batch, steps);
    int hd = hidden;
    if (x.length < Math.multiplyExact(cells, in) || hs.length < Math.multiplyExact(cells, hd)
        || (elapsed != null && elapsed.length < cells)) {
      throw new IllegalArgumentException("liquid cell: " + steps + " steps of " + batch + " sequences need "
          + (long) cells * in + " inputs, " + (long) cells * hd + " states and " + cells + " elapsed times");
    }
    // Bad inputs fail before anything changes: the tape of the previous pass stays usable.
    for (int k = 0; k < cells; k++) {
      float e = elapsed == null ? Float.NaN : elapsed[k];
      if (e < 0 || e == Float.POSITIVE_INFINITY) {
        throw new IllegalArgumentException("elapsed time at step " + k / batch + " of sequence " + k % batch
            + " must be finite and >= 0 (or NaN for the default step), got " + e);
      }
    }
    for (int k = 0; k < cells * in; k++) {
      if (!Float.isFinite(x[k])) {
        throw new IllegalArgumentException("input " + k % in + " at step " + k / in / batch + " of sequence "
            + k / in % batch + " is not finite: " + x[k]);
      }
    }
    // The schedule sizes the per-unfold tape: counted first, so that a batch whose tape no array
    // can hold is refused before the previous pass's schedule is overwritten.
    long total = 0;
    for (int k = 0; k < cells; k++) {
      total += schedule(-1, elapsed == null ? Float.NaN : elapsed[k]);
    }
    if (total > (Integer.MAX_VALUE - 8) / hd) {
      throw new IllegalArgumentException("liquid cell: " + steps + " steps of " + batch + " sequences take " + total
          + " unfolds, whose tape of " + total + " x " + hd + " states exceeds an array; use shorter gaps, a smaller"
          + " maxStepsPerInput or smaller batches");
    }
    unfoldStart = grow(unfoldStart, cells);
    unfoldCount = grow(unfoldCount, cells);
    stepDt = grow(stepDt, cells);
    eulerCount = grow(eulerCount, cells);
    closedDelta = grow(closedDelta, cells);
    total = 0;
    for (int k = 0; k < cells; k++) {
      schedule(k, elapsed == null ? Float.NaN : elapsed[k]);
      unfoldStart[k] = (int) total;
      total += unfoldCount[k];
    }
    this.batch = batch;
    this.steps = steps;
    padded = false;
    int units = Math.toIntExact(total);
    xs = grow(xs, cells * in);
    System.arraycopy(x, 0, xs, 0, cells * in);
    pre = grow(pre, cells * hd);
    drv = grow(drv, cells * hd);
    invTau = grow(invTau, cells * hd);
    tauSlope = grow(tauSlope, cells * hd);
    hBefore = grow(hBefore, Math.multiplyExact(units, hd));
    act = grow(act, Math.multiplyExact(units, hd));
    state = grow(state, batch * hd);
    Arrays.fill(state, 0, batch * hd, 0f);
    float[] uv = u.values();
    float[] vv = v.values();
    float[] wv = w.values();
    float[] bv = b.values();
    float[] cv = c.values();
    float tauMin = config.tauMin();
    float tauMax = config.tauMax();
    for (int t = 0; t < steps; t++) {
      for (int r = 0; r < batch; r++) {
        int k = t * batch + r;
        int ko = k * hd;
        int xo = k * in;
        // p = U x + b and a = V x + c, summed in the core's order (input by input, then the bias).
        kern.gemv(uv, in, hd, xs, xo, drv, ko, false);
        kern.gemv(vv, in, hd, xs, xo, pre, ko, false);
        for (int j = 0; j < hd; j++) {
          drv[ko + j] += bv[j];
          pre[ko + j] += cv[j];
          // softplus(a) = max(a, 0) + log1p(e) and softplus'(a) = sigmoid(a), with e = exp(-|a|)
          // computed once; the backward pass reads the derivative from the tape.
          double a = pre[ko + j];
          double e = StrictMath.exp(-Math.abs(a));
          float tau = tauMin + (float) (Math.max(a, 0) + StrictMath.log1p(e));
          boolean clamped = tau > tauMax || tau < tauMin;
          invTau[ko + j] = 1f / Math.min(Math.max(tau, tauMin), tauMax);
          tauSlope[ko + j] = clamped ? 0f : (float) (a >= 0 ? 1 / (1 + e) : e / (1 + e));
        }
        int so = r * hd;
        int n = unfoldCount[k];
        float delta = closedDelta[k];
        int euler = eulerCount[k];
        for (int q = 0; q < n; q++) {
          int uo = (unfoldStart[k] + q) * hd;
          System.arraycopy(state, so, hBefore, uo, hd);
          // s = tanh(W h + p), the recurrent product input by input as the core's gemv.
          System.arraycopy(drv, ko, act, uo, hd);
          kern.gemv(wv, hd, hd, state, so, act, uo, true);
          for (int j = 0; j < hd; j++) {
            act[uo + j] = tanh(act[uo + j]);
          }
          if (q < euler) {
            float dt = stepDt[k];
            for (int j = 0; j < hd; j++) {
              float hj = state[so + j];
              float next = Math.fma(dt, act[uo + j] - hj * invTau[ko + j], hj);
              float lim = Math.max(Math.abs(hj), tauMax);
              state[so + j] = Math.min(Math.max(next, -lim), lim);
            }
          } else {
            for (int j = 0; j < hd; j++) {
              float hj = state[so + j];
              float it = invTau[ko + j];
              float g = (float) StrictMath.exp(-delta * it);
              float next = g * hj + (1f - g) * (act[uo + j] / it);
              float lim = Math.max(Math.abs(hj), tauMax);
              state[so + j] = Math.min(Math.max(next, -lim), lim);
            }
          }
        }
        System.arraycopy(state, so, hs, ko, hd);
      }
    }
    return total;
  }

  /**
   * Backpropagation through time over the last {@link #forward} pass: adds the gradients of the
   * loss with respect to U, V, W, b and c to the parameters' gradients.
   *
   * @param dHs the loss's gradient with respect to every state of {@code hs}, same layout; not
   *     modified
   * @param dXs receives the gradient with respect to every input, the layout of {@code x}
   *     (overwritten), or null when not needed
   */
  public void backward(float[] dHs, float[] dXs) {
    int bt = batch;
    int st = steps;
    if (bt == 0) {
      throw new IllegalStateException("backward needs a forward pass first");
    }
    int cells = bt * st;
    int hd = hidden;
    if (dHs.length < cells * hd || (dXs != null && dXs.length < cells * in)) {
      throw new IllegalArgumentException("liquid cell backward: " + cells + " steps need " + (long) cells * hd
          + " state gradients and " + (long) cells * in + " input gradients");
    }
    float[] uv = u.values();
    float[] vv = v.values();
    float[] wv = w.values();
    float[] gu = u.gradient();
    float[] gv = v.gradient();
    float[] gw = w.gradient();
    float[] gb = b.gradient();
    float[] gc = c.gradient();
    float tauMin = config.tauMin();
    float tauMax = config.tauMax();
    wT = transpose(wv, hd, hd, wT);
    if (dXs != null) {
      uT = transpose(uv, in, hd, uT);
      vT = transpose(vv, in, hd, vT);
    }
    // state[r] holds dL/dh of sequence r after the step being undone.
    Arrays.fill(state, 0, bt * hd, 0f);
    for (int t = st - 1; t >= 0; t--) {
      for (int r = 0; r < bt; r++) {
        int k = t * bt + r;
        int ko = k * hd;
        int so = r * hd;
        for (int j = 0; j < hd; j++) {
          gNext[j] = state[so + j] + dHs[ko + j];
        }
        Arrays.fill(gInvTau, 0f);
        Arrays.fill(gP, 0f);
        int n = unfoldCount[k];
        float delta = closedDelta[k];
        int euler = eulerCount[k];
        for (int q = n - 1; q >= 0; q--) {
          int uo = (unfoldStart[k] + q) * hd;
          for (int j = 0; j < hd; j++) {
            float hj = hBefore[uo + j];
            float s = act[uo + j];
            float it = invTau[ko + j];
            float g = gNext[j];
            float next;
            float dNextDh;
            float dNextDs;
            float dNextDit;
            if (q < euler) {
              float dt = stepDt[k];
              next = Math.fma(dt, s - hj * it, hj);
              dNextDh = 1f - dt * it;
              dNextDs = dt;
              dNextDit = -dt * hj;
            } else {
              float e = (float) StrictMath.exp(-delta * it);
              next = e * hj + (1f - e) * (s / it);
              dNextDh = e;
              dNextDs = (1f - e) / it;
              // d/d(it) of e h + (1 - e) s / it, with de/d(it) = -delta e.
              dNextDit = -delta * e * hj + delta * e * s / it - (1f - e) * s / (it * it);
            }
            float lim = Math.max(Math.abs(hj), tauMax);
            float gh;
            float gs;
            if (next > lim || next < -lim) {
              // Clamped: h' = +-lim; it follows h only where lim = |h| > tauMax.
              gh = Math.abs(hj) > tauMax ? g * Math.signum(next) * Math.signum(hj) : 0f;
              gs = 0f;
            } else {
              gh = g * dNextDh;
              gs = g * dNextDs;
              gInvTau[j] += g * dNextDit;
            }
            float gd = gs * (1f - s * s);
            gDrive[j] = gd;
            gP[j] += gd;
            gPrev[j] = gh;
          }
          // Through W h: dW[i][j] += h_i dDrive_j (one axpy per row), and dh = W dDrive as an
          // input-major product over the transposed copy: the same streaming kernel as the forward
          // pass, where a dot product per row would be a reduction per row.
          for (int i = 0; i < hd; i++) {
            kern.axpy(hBefore[uo + i], gDrive, 0, gw, i * hd, hd);
          }
          System.arraycopy(gPrev, 0, gNext, 0, hd);
          kern.gemv(wT, hd, hd, gDrive, 0, gNext, 0, true);
        }
        System.arraycopy(gNext, 0, state, so, hd);
        // Through tau: d(1/tau) = -dtau / tau^2, softplus' = sigmoid, zero where the clamp binds.
        for (int j = 0; j < hd; j++) {
          float it = invTau[ko + j];
          float ga = -gInvTau[j] * it * it * tauSlope[ko + j];
          gInvTau[j] = ga;
          gc[j] += ga;
          gb[j] += gP[j];
        }
        int xo = k * in;
        for (int i = 0; i < in; i++) {
          float xi = xs[xo + i];
          int wo = i * hd;
          kern.axpy(xi, gInvTau, 0, gv, wo, hd);
          kern.axpy(xi, gP, 0, gu, wo, hd);
        }
        if (dXs != null) {
          // dx = V da + U dp, column by column over the transposed copies as above.
          Arrays.fill(dXs, xo, xo + in, 0f);
          for (int j = 0; j < hd; j++) {
            float ga = gInvTau[j];
            float gp = gP[j];
            int to = j * in;
            for (int i = 0; i < in; i++) {
              dXs[xo + i] = Math.fma(vT[to + i], ga, Math.fma(uT[to + i], gp, dXs[xo + i]));
            }
          }
        }
      }
    }
    if (padded && dXs != null) {
      for (int r = 0; r < bt; r++) {
        for (int t = 0; t < padFirst[r]; t++) {
          Arrays.fill(dXs, (t * bt + r) * in, (t * bt + r + 1) * in, 0f);
        }
      }
    }
  }

  /**
   * {@link SequenceLayer#forward} with left padding: the padded steps run as inputs of zeros with
   * an elapsed time of 0 (no step), so the state stays the initial 0 there, and {@link #backward}
   * writes zeros to their input gradients.
   */
  @Override
  public long forward(float[] x, float[] elapsed, int[] first, int batch, int steps, float[] hs) {
    if (first == null) {
      return forward(x, elapsed, batch, steps, hs);
    }
    if (batch <= 0 || steps <= 0) {
      throw new IllegalArgumentException("batch and steps must be > 0, got " + batch + ", " + steps);
    }
    int cells = Math.multiplyExact(batch, steps);
    if (first.length < batch || x.length < Math.multiplyExact(cells, in) || (elapsed != null && elapsed.length < cells)) {
      throw new IllegalArgumentException("liquid cell: " + steps + " steps of " + batch + " sequences need "
          + (long) cells * in + " inputs, " + cells + " elapsed times and " + batch + " first steps");
    }
    for (int r = 0; r < batch; r++) {
      if (first[r] < 0 || first[r] >= steps) {
        throw new IllegalArgumentException("first step " + first[r] + " of sequence " + r + " is outside [0, "
            + steps + ")");
      }
    }
    padX = grow(padX, cells * in);
    padE = grow(padE, cells);
    System.arraycopy(x, 0, padX, 0, cells * in);
    if (elapsed == null) {
      Arrays.fill(padE, 0, cells, Float.NaN);
    } else {
      System.arraycopy(elapsed, 0, padE, 0, cells);
    }
    for (int r = 0; r < batch; r++) {
      for (int t = 0; t < first[r]; t++) {
        int k = t * batch + r;
        Arrays.fill(padX, k * in, (k + 1) * in, 0f);
        padE[k] = 0f;
      }
    }
    long work = forward(padX, padE, batch, steps, hs);
    padFirst = grow(padFirst, batch);
    System.arraycopy(first, 0, padFirst, 0, batch);
    padded = true;
    return work;
  }

  /**
   * The schedule for elapsed time e (the core's LiquidCell.advance): fills tape cell k's entry when
   * k &gt;= 0, and returns its number of unfolds.
   */
  private int schedule(int k, float e) {
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
    int count = !closedForm && rem > 0f ? n + 1 : n;
    if (k < 0) {
      return count;
    }
    stepDt[k] = dt;
    eulerCount[k] = closedForm ? 0 : n;
    closedDelta[k] = closedForm ? dt : rem;
    unfoldCount[k] = count;
    return count;
  }

  /** softplus in double, rounded to float: the forward pass's formula (inlined there with its derivative). */
  static float softplus(float a) {
    double x = a;
    return (float) (Math.max(x, 0) + StrictMath.log1p(StrictMath.exp(-Math.abs(x))));
  }

  static float tanh(float a) {
    return (float) StrictMath.tanh(a);
  }

  /** {@code t[j * rows + i] = m[i * cols + j]}, into t when it is large enough. */
  private static float[] transpose(float[] m, int rows, int cols, float[] t) {
    float[] out = grow(t, rows * cols);
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        out[j * rows + i] = m[i * cols + j];
      }
    }
    return out;
  }

  private static float[] grow(float[] a, int n) {
    return a.length >= n ? a : new float[n];
  }

  private static int[] grow(int[] a, int n) {
    return a.length >= n ? a : new int[n];
  }
}
