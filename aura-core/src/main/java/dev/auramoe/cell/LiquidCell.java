package dev.auramoe.cell;

import dev.auramoe.internal.vector.Bf16;
import dev.auramoe.internal.vector.KernelProvider;
import dev.auramoe.internal.vector.KernelSupport;
import java.util.Random;

/**
 * The gating cell's weights and its update, shared by every stream of a model (each stream owns
 * only its state vector h).
 *
 * <p>The input projection is fused: one input-major matrix of {@code inputDim x width} produces
 * U x (columns [0, H)), V x (columns [H, 2H)) and {@code extra} columns a caller may use for its
 * own readout of x (the router's input logits), so every input is read from memory once.
 *
 * <p>The weights are a fixed random reservoir (seeded): the product learns only readouts and
 * experts, never through the cell.
 *
 * <p>Call order per input: {@link #project} (or a batched product with {@link #projection()}) →
 * {@link #advance}. Not thread-safe: the model serialises calls.
 *
 * <p>One class integrates both {@link CellType}s: the liquid and the closed-form cell share every
 * weight, their initialisation, the fused projection and their snapshot layout, and differ only in
 * the step schedule and update of {@link #advance}; the Euler integration itself takes one
 * closed-form step over the tail of a gap longer than {@code maxStepsPerInput} steps. The type is
 * part of the {@link CellConfig}, so a snapshot restores whichever integrator it was saved with.
 *
 * <p>The {@link GatingCell} methods use the kernels selected for this JVM and the cell's own
 * scratch space; the methods that take a {@link KernelSupport} run with the given kernels (tests
 * observe the integration through them).
 */
public final class LiquidCell implements GatingCell {

  private final CellConfig config;
  private final int in;
  private final int hidden;
  private final int width;
  private final float[] proj;
  private final float[] wt;
  private final float[] b;
  private final float[] c;
  /** Derived: the U and V columns as packed bf16, or null when they are not all bf16-exact. */
  private int[] packed;
  /** Derived: the extra columns alone, input-major (in x extra), for the fused single-input pass. */
  private final float[] extraW;
  /** Closed form only: the state at the start of a step, to keep the bound through rounding. */
  private final float[] before;
  /** The kernels of the {@link GatingCell} methods, and their scratch space (length H each). */
  private final KernelSupport k = KernelProvider.get();
  private final float[] invTau;
  private final float[] drive;
  /** Scratch of {@link #advanceEach}: one drive and one inverse time constant row per stream, grown on demand. */
  private float[][] drives = new float[0][];
  private float[][] invTaus = new float[0][];

  /**
   * A cell with seeded random weights.
   *
   * @param extra additional projection columns for the caller's readout of x
   */
  public LiquidCell(CellConfig config, int inputDim, int extra, long seed) {
    this.config = config;
    if (inputDim <= 0 || extra < 0) {
      throw new IllegalArgumentException("inputDim must be > 0 and extra >= 0");
    }
    this.in = inputDim;
    this.hidden = config.hidden();
    this.width = 2 * hidden + extra;
    this.proj = new float[in * width];
    this.wt = new float[hidden * hidden];
    this.b = new float[hidden];
    this.c = new float[hidden];
    this.before = new float[hidden];
    this.invTau = new float[hidden];
    this.drive = new float[hidden];
    this.extraW = new float[extra * inputDim];
    Random r = new Random(seed);
    float us = (float) (config.inputScale() / Math.sqrt(in));
    float vs = (float) (0.5 / Math.sqrt(in));
    for (int i = 0; i < in; i++) {
      for (int j = 0; j < hidden; j++) {
        // bf16-exact reservoir values: the single-input path streams a packed bf16 copy (half the
        // bytes) and still computes exactly these products.
        proj[i * width + j] = Bf16.round((float) r.nextGaussian() * us);
        proj[i * width + hidden + j] = Bf16.round((float) r.nextGaussian() * vs);
      }
    }
    float ws = (float) (config.recurrentScale() / Math.sqrt(hidden));
    for (int i = 0; i < wt.length; i++) {
      wt[i] = (float) r.nextGaussian() * ws;
    }
    for (int j = 0; j < hidden; j++) {
      b[j] = (float) (r.nextGaussian() * 0.1);
    }
    restingTimeConstantBiases(c, config.tauMin(), config.tauMax());
    refreshCaches();
  }

  /**
   * Biases c of the time constants such that, for a zero input, unit j's time constant is
   * {@code tau_j = tauMin + softplus(c_j)}, spread log-uniformly over [min(2.5 tauMin, tauMax),
   * 0.75 tauMax] from the first unit to the last: a multi-rate reservoir whose slow units remember
   * regimes and fast units follow the input. The cell's own initialisation, and that of cells trained
   * elsewhere.
   *
   * @param c overwritten, one bias per unit
   */
  public static void restingTimeConstantBiases(float[] c, float tauMin, float tauMax) {
    int h = c.length;
    double lo = Math.log(Math.min(tauMax, 2.5 * tauMin));
    double hi = Math.log(Math.max(Math.exp(lo), 0.75 * tauMax));
    for (int j = 0; j < h; j++) {
      double frac = h == 1 ? 0.5 : (double) j / (h - 1);
      double tau = Math.exp(lo + frac * (hi - lo));
      double sp = Math.max(tau - tauMin, 1e-4);
      c[j] = (float) (sp > 20 ? sp : Math.log(Math.expm1(sp)));
    }
  }

  /** A copy of {@code src} whose extra column j is {@code src}'s column {@code from[j]}, or zeros. */
  private LiquidCell(LiquidCell src, int[] from) {
    this.config = src.config;
    this.in = src.in;
    this.hidden = src.hidden;
    this.width = 2 * hidden + from.length;
    this.proj = new float[in * width];
    this.wt = src.wt.clone();
    this.b = src.b.clone();
    this.c = src.c.clone();
    this.before = new float[hidden];
    this.invTau = new float[hidden];
    this.drive = new float[hidden];
    this.extraW = new float[from.length * in];
    int extra = src.width - 2 * hidden;
    for (int i = 0; i < in; i++) {
      System.arraycopy(src.proj, i * src.width, proj, i * width, 2 * hidden);
      for (int j = 0; j < from.length; j++) {
        if (from[j] >= extra) {
          throw new IndexOutOfBoundsException("extra column " + from[j] + " of " + extra);
        }
        proj[i * width + 2 * hidden + j] = from[j] >= 0 ? src.proj[i * src.width + 2 * hidden + from[j]] : 0f;
      }
    }
    refreshCaches();
  }

  /**
   * Rebuilds the derived copies of the projection (packed bf16 U and V, the extra columns alone).
   * Call it after writing to {@link #projection()} directly; {@link #setWeights} and
   * {@link #addToExtraColumn} keep them in step themselves.
   */
  public void refreshCaches() {
    packed = Bf16.packOrNull(proj, in, width, 0, 2 * hidden);
    int extra = width - 2 * hidden;
    for (int e = 0; e < extra; e++) {
      for (int i = 0; i < in; i++) {
        extraW[i * extra + e] = proj[i * width + 2 * hidden + e];
      }
    }
  }

  /**
   * Adds {@code step * x} to extra column {@code e} (a caller's learned readout of x), keeping the
   * derived copy in step. x not modified.
   */
  @Override
  public void addToExtraColumn(int e, float step, float[] x) {
    int col = 2 * hidden + e;
    int extra = width - 2 * hidden;
    for (int i = 0; i < in; i++) {
      float v = proj[i * width + col] + step * x[i];
      proj[i * width + col] = v;
      extraW[i * extra + e] = v;
    }
  }

  @Override
  public void extraColumn(int e, float[] out) {
    int extra = width - 2 * hidden;
    for (int i = 0; i < in; i++) {
      out[i] = extraW[i * extra + e];
    }
  }

  @Override
  public void setExtraColumn(int e, float[] column) {
    int col = 2 * hidden + e;
    int extra = width - 2 * hidden;
    for (int i = 0; i < in; i++) {
      proj[i * width + col] = column[i];
      extraW[i * extra + e] = column[i];
    }
  }

  @Override
  public LiquidCell withExtraColumns(int[] from) {
    return new LiquidCell(this, from);
  }

  /** Sets extra column {@code e} to zero, keeping the derived copy in step. */
  public void resetExtraColumn(int e) {
    int col = 2 * hidden + e;
    int extra = width - 2 * hidden;
    for (int i = 0; i < in; i++) {
      proj[i * width + col] = 0f;
      extraW[i * extra + e] = 0f;
    }
  }

  /** Whether the single-input path uses the packed bf16 copy of U and V. */
  public boolean usesPackedProjection() {
    return packed != null;
  }

  /** The configuration. */
  public CellConfig config() {
    return config;
  }

  /** Input dimension. */
  @Override
  public int inputDim() {
    return in;
  }

  /** Hidden size H. */
  @Override
  public int hidden() {
    return hidden;
  }

  /** Projection width: 2H + extra. */
  @Override
  public int width() {
    return width;
  }

  @Override
  public int extraColumns() {
    return width - 2 * hidden;
  }

  /** The fused input-major projection (live array; the caller may train its extra columns). */
  public float[] projection() {
    return proj;
  }

  /** W transposed, input-major (live array). */
  public float[] recurrent() {
    return wt;
  }

  /** Bias b of the drive (live array). */
  public float[] driveBias() {
    return b;
  }

  /** Bias c of the time constants (live array). */
  public float[] tauBias() {
    return c;
  }

  @Override
  public void project(float[] x, int xOff, float[] out, int outOff) {
    project(k, x, xOff, out, outOff);
  }

  @Override
  public void projectBatch(float[] xs, int count, float[] out) {
    k.gemm(xs, count, proj, in, width, out);
  }

  @Override
  public int advance(float[] h, float[] p, int pOff, float elapsed) {
    return advance(k, h, p, pOff, elapsed, invTau, drive);
  }

  @Override
  public void projectRows(float[] xs, int xOff, int count, float[] out) {
    int[] pk = packed;
    if (pk == null) {
      GatingCell.super.projectRows(xs, xOff, count, out);
      return;
    }
    k.gemvBf16DenseRows(pk, 2 * hidden, extraW, width - 2 * hidden, proj, in, xs, xOff, count, out, 0);
  }

  /**
   * Advances the streams together: per step the recurrent products W h of all of them are one
   * product over the streams ({@link KernelSupport#gemvEach}, the single-stream bits), the rest is
   * the single-stream code per stream.
   */
  @Override
  public void advanceEach(float[][] hs, int n, float[] p, int[] pRows, int[] stepsOut) {
    int hd = hidden;
    if (drives.length < n) {
      int cap = Math.max(n, 2 * drives.length);
      float[][] d = java.util.Arrays.copyOf(drives, cap);
      float[][] t = java.util.Arrays.copyOf(invTaus, cap);
      for (int r = drives.length; r < cap; r++) {
        d[r] = new float[hd];
        t[r] = new float[hd];
      }
      drives = d;
      invTaus = t;
    }
    float[][] dr = drives;
    float[][] it = invTaus;
    for (int r = 0; r < n; r++) {
      addBiases(k, p, pRows[r] * width);
      k.inverseTau(p, pRows[r] * width + hd, it[r], hd, config.tauMin(), config.tauMax());
    }
    // The default step of advance (elapsed NaN): unfolds Euler (or closed-form) steps of dt.
    int steps = config.unfolds();
    boolean liquid = config.type() == CellType.LIQUID;
    for (int s = 0; s < steps; s++) {
      for (int r = 0; r < n; r++) {
        System.arraycopy(p, pRows[r] * width, dr[r], 0, hd);
      }
      k.gemvEach(wt, hd, hd, hs, dr, n, true);
      for (int r = 0; r < n; r++) {
        update(k, hs[r], dr[r], it[r], config.dt(), liquid);
      }
    }
    java.util.Arrays.fill(stepsOut, 0, n, steps);
  }

  /** {@code out[0..width) = x . P}. */
  void project(KernelSupport k, float[] x, int xOff, float[] out, int outOff) {
    int[] pk = packed;
    if (pk == null) {
      k.gemv(proj, in, width, x, xOff, out, outOff, false);
      return;
    }
    k.gemvBf16Dense(pk, 2 * hidden, extraW, width - 2 * hidden, in, x, xOff, out, outOff);
  }

  /**
   * Steps the state over one input whose projection sits at {@code p[pOff..pOff+width)}.
   *
   * @param h the stream's state, modified
   * @param p projections, columns [pOff, pOff+2H) are modified (biases added)
   * @param elapsed seconds since the previous input, or NaN for the default {@code unfolds * dt}
   * @param invTau scratch of length H
   * @param drive scratch of length H
   * @return the number of integration steps taken (for a gap longer than maxStepsPerInput Euler
   *     steps, those steps plus one closed-form step over the rest of the gap)
   */
  int advance(KernelSupport k, float[] h, float[] p, int pOff, float elapsed, float[] invTau, float[] drive) {
    int hd = hidden;
    addBiases(k, p, pOff);
    k.inverseTau(p, pOff + hd, invTau, hd, config.tauMin(), config.tauMax());
    int steps;
    float stepDt;
    float remainder = 0f;
    if (elapsed != elapsed) {
      steps = config.unfolds();
      stepDt = config.dt();
    } else if (elapsed == 0f) {
      return 0;
    } else if (config.type() == CellType.CLOSED_FORM) {
      steps = config.unfolds();
      stepDt = elapsed / steps;
    } else {
      double s = Math.ceil(elapsed / config.tauMin());
      if (s > config.maxStepsPerInput()) {
        steps = config.maxStepsPerInput();
        stepDt = config.tauMin();
        remainder = (float) (elapsed - (double) steps * config.tauMin());
      } else {
        steps = Math.max(1, (int) s);
        stepDt = Math.min(config.tauMin(), elapsed / steps);
      }
    }
    boolean liquid = config.type() == CellType.LIQUID;
    for (int s = 0; s < steps; s++) {
      step(k, h, p, pOff, invTau, drive, stepDt, liquid);
    }
    if (remainder > 0f) {
      // A gap longer than maxStepsPerInput steps: the rest of it is integrated in closed form (the
      // exact solution with the drive held at its current value), which is stable for any length
      // and keeps the same bound, instead of being dropped.
      step(k, h, p, pOff, invTau, drive, remainder, false);
      steps++;
    }
    return steps;
  }

  /** Adds the drive bias b and the time-constant bias c to the projection row at {@code pOff}. */
  private void addBiases(KernelSupport k, float[] p, int pOff) {
    // fma(1, b, p) rounds b + p once, as the plain sum does: the same bits, in vector kernels.
    k.axpy(1f, b, 0, p, pOff, hidden);
    k.axpy(1f, c, 0, p, pOff + hidden, hidden);
  }

  private void step(KernelSupport k, float[] h, float[] p, int pOff, float[] invTau, float[] drive, float dt,
      boolean euler) {
    int hd = hidden;
    System.arraycopy(p, pOff, drive, 0, hd);
    k.gemv(wt, hd, hd, h, 0, drive, 0, true);
    update(k, h, drive, invTau, dt, euler);
  }

  /** The state update of one step from its drive {@code U x + b + W h}: Euler, or closed form with its clamp. */
  private void update(KernelSupport k, float[] h, float[] drive, float[] invTau, float dt, boolean euler) {
    int hd = hidden;
    if (euler) {
      k.liquidEuler(h, drive, invTau, dt, config.tauMax(), hd);
      return;
    }
    System.arraycopy(h, 0, before, 0, hd);
    k.closedForm(h, drive, invTau, dt, hd);
    // Exactly, h' is a convex combination of h and s * tau, so |h'| <= max(|h|, tauMax); in
    // floats s / invTau can exceed tau by an ulp, so clamp as the Euler kernel does.
    float tauMax = config.tauMax();
    for (int j = 0; j < hd; j++) {
      float lim = Math.max(Math.abs(before[j]), tauMax);
      h[j] = Math.min(Math.max(h[j], -lim), lim);
    }
  }

  /**
   * The time constants for an input, {@code tau = clamp(tau_min + softplus(V x + c))}, without
   * touching any state.
   *
   * @param x input, not modified
   * @param tauOut receives H time constants in seconds
   */
  void timeConstants(KernelSupport k, float[] x, float[] tauOut) {
    float[] p = new float[width];
    project(k, x, 0, p, 0);
    for (int j = 0; j < hidden; j++) {
      p[hidden + j] += c[j];
    }
    k.inverseTau(p, hidden, tauOut, hidden, config.tauMin(), config.tauMax());
    for (int j = 0; j < hidden; j++) {
      tauOut[j] = 1f / tauOut[j];
    }
  }

  /** Time constants with this JVM's kernels: {@link #timeConstants(KernelSupport, float[], float[])}. */
  @Override
  public void timeConstants(float[] x, float[] tauOut) {
    timeConstants(k, x, tauOut);
  }

  /** MACs of the input projection for the cell's own columns (U x and V x). */
  @Override
  public long projectionMacs() {
    return 2L * in * hidden;
  }

  /**
   * MACs of one integration step: W h plus two per unit for the state update. The same count is
   * used for a closed-form step, whose per-unit exp and division are not multiply-accumulates and
   * are not metered (the estimate covers MACs only).
   */
  @Override
  public long stepMacs() {
    return (long) hidden * hidden + 2L * hidden;
  }

  /** The fused projection (U, V and the extra columns), the recurrent weights W and the biases b and c. */
  @Override
  public long parameterCount() {
    return (long) in * width + (long) hidden * hidden + 2L * hidden;
  }

  /** Replaces every weight; lengths must match. */
  public void setWeights(float[] projection, float[] recurrent, float[] driveBias, float[] tauBias) {
    if (projection.length != proj.length || recurrent.length != wt.length || driveBias.length != b.length
        || tauBias.length != c.length) {
      throw new IllegalArgumentException("cell weights have the wrong shape");
    }
    System.arraycopy(projection, 0, proj, 0, proj.length);
    System.arraycopy(recurrent, 0, wt, 0, wt.length);
    System.arraycopy(driveBias, 0, b, 0, b.length);
    System.arraycopy(tauBias, 0, c, 0, c.length);
    refreshCaches();
  }
}
