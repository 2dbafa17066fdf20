package dev.auramoe.seq;

import dev.auramoe.internal.vector.KernelProvider;
import dev.auramoe.internal.vector.KernelSupport;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * A closed-form continuous-time (CfC) cell, trained by backpropagation through time: Hasani,
 * Lechner, Amini, Liebenwein, Ray, Tschaikowski, Teschl and Rus, "Closed-form continuous-time
 * neural networks", Nature Machine Intelligence 4, 2022, as its authors' reference implementation
 * computes it ({@code ncps}, {@code ncps/torch/cfc_cell.py}, class {@code CfCCell}, one backbone
 * layer, no sparsity mask).
 *
 * <pre>
 * z   = lecun(x Wx + h Wh + bb)                  backbone: Wx in x B, Wh H x B, bb B;
 *                                                lecun(v) = 1.7159 tanh(0.666 v)
 * [a1 | a2 | ta | tb] = z Wo + bo                four heads: Wo B x 4H, bo 4H
 * ff1 = tanh(a1)   ff2 = tanh(a2)
 * ti  = sigmoid(ta * t + tb)                     t: the step's elapsed time in units of timeScale
 * h'  = ff1 (1 - ti) + ti ff2                    DEFAULT (gated)
 * h'  = ff1 + ti ff2                             NO_GATE
 * </pre>
 *
 * <p>This is the paper's gated closed form {@code x(t) = sigmoid(-f t) g + (1 - sigmoid(-f t)) h}
 * with {@code -f} the head {@code ta}, g the head {@code ff2} and h the head {@code ff1}, and, as in
 * the reference code, a fourth head {@code tb} that shifts the time gate. The reference's "pure"
 * mode (the direct solution {@code -A exp(-t (|w_tau| + |f|)) f + A} without a backbone gate) is
 * not implemented.
 *
 * <p>Time: {@code t = elapsed / timeScale}; NaN (the regular step) gives t = 1, the reference's
 * default time span, so {@code timeScale} is the length in seconds of one regular step. A step with
 * t = 0 is still a step: the closed form is not the flow of an ODE on h (its value at t = 0 is
 * {@code ff1 (1 - sigmoid(tb)) + sigmoid(tb) ff2}, not the previous h), so the input is read and
 * the gate stands at {@code sigmoid(tb)}, exactly as the reference computes a zero time span; this
 * differs from the liquid cell, where a zero gap is no step. Padding is what {@code first} is for.
 *
 * <p>Left padding ({@link SequenceLayer}): before {@code first[r]} the state stays 0 and is written
 * as zeros, the inputs and elapsed times there are neither read nor checked and their input
 * gradient is 0.
 *
 * <p>Initialisation as the reference: every weight matrix Xavier-uniform (the backbone with fan-in
 * {@code in + H} and fan-out B, the heads with fan-in B and fan-out H); the biases are zero (the
 * reference keeps PyTorch's default small uniform biases). Weights are input-major
 * ({@code Wo[i][j] = wo[i * 4H + j]}).
 *
 * <p>The products are batched on the core's kernels as in {@link TrainableLstm}: {@code X Wx} once
 * for every step, {@code H_{t-1} Wh} and {@code Z_t Wo} per step over the batch; backward
 * {@code dHeads_t Wo^T} and {@code dPre_t Wh^T} per step, then {@code Z^T dHeads}, {@code X^T dPre},
 * {@code H_prev^T dPre} and {@code dPre Wx^T} once, on transposed copies made once per pass. No
 * allocation once the workspaces have grown. Not thread-safe.
 */
public final class TrainableCfcCell extends RecurrentLayer {

  /** Which closed form: the reference's {@code default} or {@code no_gate} mode. */
  public enum Mode {
    /** h' = ff1 (1 - ti) + ti ff2. */
    DEFAULT,
    /** h' = ff1 + ti ff2. */
    NO_GATE
  }

  /** The LeCun tanh's scales: lecun(v) = A tanh(S v). */
  static final float LECUN_A = 1.7159f;
  static final float LECUN_S = 0.666f;

  private final int units;
  private final Mode mode;
  private final float timeScale;
  private final Parameter wx;
  private final Parameter wh;
  private final Parameter bb;
  private final Parameter wo;
  private final Parameter bo;
  private final List<Parameter> parameters;

  // The tape of the last forward pass.
  private int batch;
  private int steps;
  private int[] firsts = new int[0];
  /** Inputs, zero at padding. */
  private float[] xs = new float[0];
  /** Per cell: t, the elapsed time in units of timeScale. */
  private float[] ts = new float[0];
  /** Per cell, B: the backbone's pre-activation, then (backward) its gradient. */
  private float[] pre = new float[0];
  /** Per cell, B: the backbone's output z; zero at padding. */
  private float[] zs = new float[0];
  /** Per cell, 4H: the heads, then ff1, ff2, ti in the first three blocks; backward: their gradient. */
  private float[] heads = new float[0];
  /** Per cell, H: h; zero at padding. */
  private float[] hh = new float[0];
  // The backward pass's workspaces.
  private float[] dHeads = new float[0];
  private float[] dhCarry = new float[0];
  private float[] woT = new float[0];
  private float[] whT = new float[0];
  private float[] wxT = new float[0];
  private float[] xT = new float[0];
  private float[] zT = new float[0];
  private float[] hT = new float[0];
  /** The single step's input row, backbone and heads. */
  private float[] stepX = new float[0];
  private float[] stepZ = new float[0];
  private float[] stepHeads = new float[0];

  /**
   * A cell with seeded weights (see the class comment).
   *
   * @param name prefix of the parameters' names ({@code name.backbone.Wx}, {@code .Wh}, {@code .b},
   *     {@code name.heads.W}, {@code name.heads.b})
   * @param inputDim features per step, &gt; 0
   * @param hidden state size H, &gt; 0
   * @param backboneUnits the backbone's width B, &gt; 0 (the reference's default is 128)
   * @param mode {@link Mode#DEFAULT} (gated) or {@link Mode#NO_GATE}
   * @param timeScale seconds per unit of t, finite and &gt; 0: a regular step (NaN elapsed time)
   *     counts as t = 1, an elapsed time e as t = e / timeScale
   */
  public TrainableCfcCell(String name, int inputDim, int hidden, int backboneUnits, Mode mode, float timeScale,
      long seed) {
    this(name, inputDim, hidden, backboneUnits, mode, timeScale, seed, KernelProvider.get());
  }

  /** A cell on the given kernels (tests compare the scalar and the Vector API ones). */
  TrainableCfcCell(String name, int inputDim, int hidden, int backboneUnits, Mode mode, float timeScale, long seed,
      KernelSupport kernels) {
    super("CfC cell", name, inputDim, hidden, kernels);
    this.mode = Objects.requireNonNull(mode, "mode");
    if (backboneUnits <= 0) {
      throw new IllegalArgumentException(label + " needs backboneUnits > 0, got " + backboneUnits);
    }
    if (!(timeScale > 0) || !Float.isFinite(timeScale)) {
      throw new IllegalArgumentException(label + ": timeScale must be finite and > 0, got " + timeScale);
    }
    this.units = backboneUnits;
    this.timeScale = timeScale;
    this.wx = new Parameter(name + ".backbone.Wx", in, units);
    this.wh = new Parameter(name + ".backbone.Wh", hidden, units);
    this.bb = new Parameter(name + ".backbone.b", units);
    this.wo = new Parameter(name + ".heads.W", units, Math.multiplyExact(4, hidden));
    this.bo = new Parameter(name + ".heads.b", 4 * hidden);
    this.parameters = List.of(wx, wh, bb, wo, bo);
    Random r = new Random(seed);
    Init.xavierUniform(wx.values(), in + hidden, units, 1f, r);
    Init.xavierUniform(wh.values(), in + hidden, units, 1f, r);
    Init.xavierUniform(wo.values(), units, hidden, 1f, r);
  }

  /** The backbone's width B. */
  public int backboneUnits() {
    return units;
  }

  /** The closed form computed. */
  public Mode mode() {
    return mode;
  }

  /** Seconds per unit of t (a regular step is t = 1). */
  public float timeScale() {
    return timeScale;
  }

  /** The backbone's input weights Wx, {@code in x B}. */
  public Parameter backboneInputWeights() {
    return wx;
  }

  /** The backbone's recurrent weights Wh, {@code H x B}. */
  public Parameter backboneRecurrentWeights() {
    return wh;
  }

  /** The backbone's bias, B. */
  public Parameter backboneBias() {
    return bb;
  }

  /** The heads' weights Wo, {@code B x 4H}, column blocks [ff1 | ff2 | time_a | time_b]. */
  public Parameter headWeights() {
    return wo;
  }

  /** The heads' biases, 4H, blocks [ff1 | ff2 | time_a | time_b]. */
  public Parameter headBias() {
    return bo;
  }

  @Override
  public List<Parameter> parameters() {
    return parameters;
  }

  /**
   * {@inheritDoc}
   *
   * @return the number of real (not padded) steps run over the batch
   */
  @Override
  public long forward(float[] x, float[] elapsed, int[] first, int batch, int steps, float[] hs) {
    int cells = SequenceInputs.checkForward(label, in, hidden, x, elapsed, first, batch, steps, hs, true);
    if (elapsed != null) {
      for (int k = 0; k < cells; k++) {
        // A finite gap over a tiny time scale can still overflow t; refused before anything changes.
        boolean real = k / batch >= SequenceInputs.first(first, k % batch);
        if (real && elapsed[k] / timeScale == Float.POSITIVE_INFINITY) {
          throw new IllegalArgumentException(label + ": elapsed time " + elapsed[k] + " at step " + k / batch
              + " of sequence " + k % batch + " over the time scale " + timeScale + " overflows a float");
        }
      }
    }
    int hd = hidden;
    int g4 = 4 * hd;
    int bu = units;
    int headValues = Math.multiplyExact(cells, g4);
    int unitValues = Math.multiplyExact(cells, bu);
    firsts = Buffers.grow(firsts, batch);
    xs = Buffers.grow(xs, cells * in);
    ts = Buffers.grow(ts, cells);
    pre = Buffers.grow(pre, unitValues);
    zs = Buffers.grow(zs, unitValues);
    heads = Buffers.grow(heads, headValues);
    hh = Buffers.grow(hh, cells * hd);
    this.batch = batch;
    this.steps = steps;
    SequenceInputs.tapeInputs(x, first, batch, steps, in, firsts, xs);
    for (int t = 0; t < steps; t++) {
      for (int r = 0; r < batch; r++) {
        int k = t * batch + r;
        if (t < firsts[r]) {
          ts[k] = 0f;
        } else {
          float e = elapsed == null ? Float.NaN : elapsed[k];
          ts[k] = e != e ? 1f : e / timeScale;
        }
      }
    }
    float[] wxv = wx.values();
    float[] whv = wh.values();
    float[] bbv = bb.values();
    float[] wov = wo.values();
    float[] bov = bo.values();
    kern.gemm(xs, 0, cells, wxv, in, bu, pre, 0, false);
    long work = 0;
    for (int t = 0; t < steps; t++) {
      int bo0 = t * batch * bu;
      if (t > 0) {
        kern.gemm(hh, (t - 1) * batch * hd, batch, whv, hd, bu, pre, bo0, true);
      }
      for (int r = 0; r < batch; r++) {
        int zo = (t * batch + r) * bu;
        if (t < firsts[r]) {
          Arrays.fill(zs, zo, zo + bu, 0f);
          continue;
        }
        for (int j = 0; j < bu; j++) {
          zs[zo + j] = LECUN_A * SequenceInputs.tanh(LECUN_S * (pre[zo + j] + bbv[j]));
        }
      }
      kern.gemm(zs, bo0, batch, wov, bu, g4, heads, t * batch * g4, false);
      for (int r = 0; r < batch; r++) {
        int k = t * batch + r;
        int so = k * hd;
        int ao = k * g4;
        if (t < firsts[r]) {
          Arrays.fill(hh, so, so + hd, 0f);
          continue;
        }
        work++;
        float tk = ts[k];
        for (int j = 0; j < hd; j++) {
          float ff1 = SequenceInputs.tanh(heads[ao + j] + bov[j]);
          float ff2 = SequenceInputs.tanh(heads[ao + hd + j] + bov[hd + j]);
          float ta = heads[ao + 2 * hd + j] + bov[2 * hd + j];
          float tb = heads[ao + 3 * hd + j] + bov[3 * hd + j];
          float ti = SequenceInputs.sigmoid(Math.fma(ta, tk, tb));
          heads[ao + j] = ff1;
          heads[ao + hd + j] = ff2;
          heads[ao + 2 * hd + j] = ti;
          hh[so + j] = mode == Mode.DEFAULT ? Math.fma(ti, ff2 - ff1, ff1) : Math.fma(ti, ff2, ff1);
        }
      }
      System.arraycopy(hh, t * batch * hd, hs, t * batch * hd, batch * hd);
    }
    return work;
  }

  /**
   * {@inheritDoc}
   *
   * <p>The forward pass's formulas on one row: the backbone {@code lecun(x Wx + h Wh + bb)}, the
   * four heads, {@code t = elapsed / timeScale} (1 for NaN) and the gated or ungated closed form.
   * The state is h; an elapsed time of 0 is still a step, as in {@link #forward}.
   */
  @Override
  public void step(float[] x, int xOff, float elapsed, float[] state, int stateOff) {
    int hd = hidden;
    int g4 = 4 * hd;
    int bu = units;
    SequenceInputs.checkStep(label, in, hd, x, xOff, elapsed, state, stateOff);
    if (elapsed / timeScale == Float.POSITIVE_INFINITY) {
      throw new IllegalArgumentException(label + ": elapsed time " + elapsed + " over the time scale " + timeScale
          + " overflows a float");
    }
    stepX = Buffers.grow(stepX, in);
    stepZ = Buffers.grow(stepZ, bu);
    stepHeads = Buffers.grow(stepHeads, g4);
    System.arraycopy(x, xOff, stepX, 0, in);
    float tk = elapsed != elapsed ? 1f : elapsed / timeScale;
    float[] bbv = bb.values();
    float[] bov = bo.values();
    kern.gemm(stepX, 0, 1, wx.values(), in, bu, stepZ, 0, false);
    kern.gemm(state, stateOff, 1, wh.values(), hd, bu, stepZ, 0, true);
    for (int j = 0; j < bu; j++) {
      stepZ[j] = LECUN_A * SequenceInputs.tanh(LECUN_S * (stepZ[j] + bbv[j]));
    }
    kern.gemm(stepZ, 0, 1, wo.values(), bu, g4, stepHeads, 0, false);
    for (int j = 0; j < hd; j++) {
      float ff1 = SequenceInputs.tanh(stepHeads[j] + bov[j]);
      float ff2 = SequenceInputs.tanh(stepHeads[hd + j] + bov[hd + j]);
      float ta = stepHeads[2 * hd + j] + bov[2 * hd + j];
      float tb = stepHeads[3 * hd + j] + bov[3 * hd + j];
      float ti = SequenceInputs.sigmoid(Math.fma(ta, tk, tb));
      state[stateOff + j] = mode == Mode.DEFAULT ? Math.fma(ti, ff2 - ff1, ff1) : Math.fma(ti, ff2, ff1);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <pre>
   * dh   = dHs + (dPre_next Wh^T)
   * DEFAULT: dff1 = dh (1 - ti)   dff2 = dh ti   dti = dh (ff2 - ff1)
   * NO_GATE: dff1 = dh            dff2 = dh ti   dti = dh ff2
   * da1 = dff1 (1 - ff1^2)   da2 = dff2 (1 - ff2^2)   dtb = dti ti (1 - ti)   dta = dtb t
   * dz   = dHeads Wo^T        dPre = dz lecun'(pre) = dz A S (1 - (z / A)^2)
   * dWo += z^T dHeads  dbo += dHeads  dWx += x^T dPre  dWh += h_prev^T dPre  dbb += dPre  dx = dPre Wx^T
   * </pre>
   */
  @Override
  public void backward(float[] dHs, float[] dXs) {
    int bt = batch;
    int st = steps;
    SequenceInputs.checkBackward(label, in, hidden, bt, st, dHs, dXs);
    int cells = bt * st;
    int hd = hidden;
    int g4 = 4 * hd;
    int bu = units;
    dHeads = Buffers.grow(dHeads, cells * g4);
    dhCarry = Buffers.grow(dhCarry, bt * hd);
    Arrays.fill(dhCarry, 0, bt * hd, 0f);
    woT = Buffers.transpose(wo.values(), bu, g4, woT);
    whT = Buffers.transpose(wh.values(), hd, bu, whT);
    boolean gated = mode == Mode.DEFAULT;
    float slope = LECUN_A * LECUN_S;
    float invA = 1f / LECUN_A;
    for (int t = st - 1; t >= 0; t--) {
      for (int r = 0; r < bt; r++) {
        int k = t * bt + r;
        int ao = k * g4;
        int so = k * hd;
        int ro = r * hd;
        if (t < firsts[r]) {
          Arrays.fill(dHeads, ao, ao + g4, 0f);
          continue;
        }
        float tk = ts[k];
        for (int j = 0; j < hd; j++) {
          float ff1 = heads[ao + j];
          float ff2 = heads[ao + hd + j];
          float ti = heads[ao + 2 * hd + j];
          float dh = dHs[so + j] + dhCarry[ro + j];
          float dff1 = gated ? dh * (1f - ti) : dh;
          float dff2 = dh * ti;
          float dti = gated ? dh * (ff2 - ff1) : dh * ff2;
          float dtb = dti * ti * (1f - ti);
          dHeads[ao + j] = dff1 * (1f - ff1 * ff1);
          dHeads[ao + hd + j] = dff2 * (1f - ff2 * ff2);
          dHeads[ao + 2 * hd + j] = dtb * tk;
          dHeads[ao + 3 * hd + j] = dtb;
        }
      }
      // dz = dHeads_t Wo^T over the batch, then through the LeCun tanh (z = A tanh(S v)), in place;
      // padded rows have dHeads = 0 and z = 0, so their dPre is 0.
      int bo0 = t * bt * bu;
      kern.gemm(dHeads, t * bt * g4, bt, woT, g4, bu, pre, bo0, false);
      for (int q = bo0; q < bo0 + bt * bu; q++) {
        float s = zs[q] * invA;
        pre[q] *= slope * (1f - s * s);
      }
      if (t > 0) {
        kern.gemm(pre, bo0, bt, whT, bu, hd, dhCarry, 0, false);
      }
    }
    float[] gbo = bo.gradient();
    for (int k = 0; k < cells; k++) {
      kern.axpy(1f, dHeads, k * g4, gbo, 0, g4);
    }
    float[] gbb = bb.gradient();
    for (int k = 0; k < cells; k++) {
      kern.axpy(1f, pre, k * bu, gbb, 0, bu);
    }
    zT = Buffers.transpose(zs, cells, bu, zT);
    kern.gemm(zT, 0, bu, dHeads, cells, g4, wo.gradient(), 0, true);
    xT = Buffers.transpose(xs, cells, in, xT);
    kern.gemm(xT, 0, in, pre, cells, bu, wx.gradient(), 0, true);
    if (st > 1) {
      hT = SequenceInputs.previousStatesTransposed(hh, bt, cells, hd, hT);
      kern.gemm(hT, 0, hd, pre, cells, bu, wh.gradient(), 0, true);
    }
    if (dXs != null) {
      wxT = Buffers.transpose(wx.values(), in, bu, wxT);
      kern.gemm(pre, 0, cells, wxT, bu, in, dXs, 0, false);
    }
  }
}
