package dev.auramoe.internal.vector;

/**
 * Stateless numeric kernels behind {@link dev.auramoe.math.VectorMath} and the model's hot path.
 *
 * <p>Two implementations exist: {@link ScalarKernelSupport} (plain Java, always available) and
 * {@code dev.auramoe.simd.PanamaKernelSupport} in the {@code aura-simd} module (JDK Vector API,
 * used when {@code jdk.incubator.vector} is in the boot layer). {@link KernelProvider} picks one
 * at start-up.
 *
 * <p>Contract for every implementation:
 * <ul>
 *   <li>No argument checking: callers (the facade, the model) have validated shapes and offsets.
 *   <li>No allocation, no global state: kernels may be called from any thread.
 *   <li>Results agree with the scalar reference within a small relative tolerance (summation order
 *       and the transcendental approximations may differ); the equivalence tests pin that.
 * </ul>
 *
 * <p>Weight matrices are stored <em>input-major</em>: a matrix mapping {@code rows} inputs to
 * {@code cols} outputs keeps weight (input i, output j) at {@code w[i * cols + j]}. A matrix-vector
 * product then streams the weights once while broadcasting one input at a time, which is the layout
 * that lets one pass over x produce every output (U x, V x and the router's input logits together).
 *
 * <p>This is an internal interface; it is not part of the public API.
 */
public interface KernelSupport {

  /** Short name for diagnostics: {@code "scalar"} or {@code "panama-<bits>"}. */
  String name();

  /** {@code sum_i a[aOff+i] * b[bOff+i]} for {@code i < n}. Arrays not modified. */
  float dot(float[] a, int aOff, float[] b, int bOff, int n);

  /** {@code sum_i a[off+i]^2} for {@code i < n}. Not modified. */
  float sumOfSquares(float[] a, int off, int n);

  /** Whether every {@code a[off+i]}, {@code i < n}, is finite (neither NaN nor infinite). Not modified. */
  boolean allFinite(float[] a, int off, int n);

  /** {@code y[yOff+i] += alpha * x[xOff+i]} for {@code i < n}. x not modified; y modified. */
  void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n);

  /**
   * Input-major matrix-vector product.
   *
   * <pre>y[yOff + j] (= or +=) sum_{i &lt; rows} x[xOff + i] * w[i * cols + j],   j &lt; cols</pre>
   *
   * @param accumulate when true the product is added to y, otherwise y is overwritten
   */
  void gemv(float[] w, int rows, int cols, float[] x, int xOff, float[] y, int yOff, boolean accumulate);

  /**
   * Input-major matrix-vector product with bf16 weights packed as {@link Bf16} describes.
   *
   * <pre>y[yOff + j] (= or +=) sum_{i &lt; rows} x[xOff + i] * w(i, j),   j &lt; cols</pre>
   *
   * packed and x not modified; y modified in [yOff, yOff + cols) only.
   */
  void gemvBf16(int[] packed, int rows, int cols, float[] x, int xOff, float[] y, int yOff, boolean accumulate);

  /**
   * Two input-major products over the same x in one pass: packed bf16 weights for the first
   * {@code packedCols} outputs, then fp32 weights for the next {@code denseCols}.
   *
   * <pre>
   * y[yOff + j]              = sum_i x[xOff + i] * wPacked(i, j),              j &lt; packedCols
   * y[yOff + packedCols + j] = sum_i x[xOff + i] * dense[i * denseCols + j],    j &lt; denseCols
   * </pre>
   *
   * packed, dense and x not modified; y overwritten in [yOff, yOff + packedCols + denseCols).
   */
  void gemvBf16Dense(int[] packed, int packedCols, float[] dense, int denseCols, int rows, float[] x, int xOff,
      float[] y, int yOff);

  /**
   * Input-major matrix-matrix product over a batch of row vectors.
   *
   * <pre>y[t * cols + j] = sum_{i &lt; rows} x[t * rows + i] * w[i * cols + j],   t &lt; tokens, j &lt; cols</pre>
   *
   * x and w not modified; y overwritten.
   */
  void gemm(float[] x, int tokens, float[] w, int rows, int cols, float[] y);

  /**
   * Input-major matrix-matrix product over a batch of row vectors at offsets, overwriting or
   * accumulating: the training layers' product (forward {@code X W}, and with transposed copies
   * {@code dY W^T} and {@code X^T dY}).
   *
   * <pre>y[yOff + t * cols + j] (= or +=) sum_{i &lt; rows} x[xOff + t * rows + i] * w[i * cols + j],   t &lt; tokens, j &lt; cols</pre>
   *
   * x and w not modified; y modified in [yOff, yOff + tokens * cols) only.
   *
   * @param accumulate when true the product is added to y, otherwise y is overwritten
   */
  void gemm(float[] x, int xOff, int tokens, float[] w, int rows, int cols, float[] y, int yOff, boolean accumulate);

  /**
   * {@link #gemvBf16Dense} over {@code tokens} rows of x: row t of x (from {@code xOff + t * rows})
   * to row t of y (from {@code yOff + t * (packedCols + denseCols)}), each bit for bit what
   * {@link #gemvBf16Dense} gives for that row alone. {@code full} is the same matrix in fp32,
   * input-major ({@code rows x (packedCols + denseCols)}: the packed columns, then the dense ones),
   * which an implementation may read instead where its matrix-matrix product sums in the same order.
   *
   * <p>The many-stream route projects every input with this, and must route as single inputs do.
   * packed, dense, full and x not modified; y overwritten in its {@code tokens} rows.
   */
  void gemvBf16DenseRows(int[] packed, int packedCols, float[] dense, int denseCols, float[] full, int rows,
      float[] x, int xOff, int tokens, float[] y, int yOff);

  /**
   * {@link #gemv} over {@code n} vectors: {@code ys[r] (= or +=) xs[r] . w} from offset 0, each bit for
   * bit what {@code gemv(w, rows, cols, xs[r], 0, ys[r], 0, accumulate)} gives. The vectors are
   * separate arrays (the states of different streams), none of them a y of another. w and every
   * xs[r] not modified; ys[r] modified in [0, cols).
   */
  void gemvEach(float[] w, int rows, int cols, float[][] xs, float[][] ys, int n, boolean accumulate);

  /** {@code a[off+i] = tanh(a[off+i])} in place. */
  void tanh(float[] a, int off, int n);

  /**
   * Inverse liquid time constants.
   *
   * <pre>tau_i = clamp(tauMin + softplus(pre[preOff + i]), tauMin, tauMax);  invTau[i] = 1 / tau_i</pre>
   *
   * A NaN pre-activation (only possible after an overflowing sum of huge finite inputs) maps to
   * {@code tauMax}. pre not modified; invTau overwritten.
   */
  void inverseTau(float[] pre, int preOff, float[] invTau, int n, float tauMin, float tauMax);

  /**
   * One explicit Euler step of the liquid cell with a fused activation.
   *
   * <pre>
   * s_i  = tanh(drive_i)                       (NaN drive counts as 0)
   * h_i' = h_i + dt * (s_i - h_i * invTau_i)
   * h_i' = clamp(h_i', -max(|h_i|, bound), max(|h_i|, bound))
   * </pre>
   *
   * With {@code dt <= tau_i} the clamp never binds in exact arithmetic (|h'| is at most
   * max(|h|, tau_i)); it only absorbs rounding, so the bound holds bit-for-bit. drive and invTau
   * not modified; h modified.
   */
  void liquidEuler(float[] h, float[] drive, float[] invTau, float dt, float bound, int n);

  /**
   * Closed-form (CfC-style) update: the exact solution of {@code dh/dt = -h/tau + s} over
   * {@code delta} with the drive held constant.
   *
   * <pre>
   * s_i  = tanh(drive_i)                        (NaN drive counts as 0)
   * g_i  = exp(-delta * invTau_i)
   * h_i' = g_i * h_i + (1 - g_i) * s_i / invTau_i
   * </pre>
   *
   * |h'| is at most max(|h|, tau_i). drive and invTau not modified; h modified.
   */
  void closedForm(float[] h, float[] drive, float[] invTau, float delta, int n);

  /**
   * The liquid time constants of a training pass with their derivative, at offsets.
   *
   * <pre>
   * e        = exp(-|a|),  a = pre[preOff + i]
   * tau      = tauMin + (max(a, 0) + log1p(e))                  (softplus, as Approx.softplus)
   * invTau   = 1 / min(max(tau, tauMin), tauMax)
   * slope    = (tau &gt; tauMax or tau &lt; tauMin) ? 0 : (a &gt;= 0 ? 1 : e) / (1 + e)   (d tau / d a = sigmoid(a))
   * </pre>
   *
   * NaN propagates to invTau (a training pass must see it). Bit-identical in every implementation.
   * pre not modified; invTau and slope overwritten in [off, off + n).
   */
  void liquidTimeConstants(float[] pre, int preOff, float[] invTau, int invOff, float[] slope, int slopeOff, int n,
      float tauMin, float tauMax);

  /**
   * One explicit Euler step of the liquid cell at offsets that keeps the activation for a backward
   * pass (the training twin of {@link #liquidEuler}, without its NaN-to-zero rule).
   *
   * <pre>
   * s_i  = tanh(drive[dOff + i])                 written back to drive
   * h_i' = clamp(fma(dt, s_i - h_i * invTau_i, h_i), -max(|h_i|, bound), max(|h_i|, bound))
   * </pre>
   *
   * Bit-identical in every implementation. invTau not modified; h and drive modified in [off, off + n).
   */
  void liquidEulerForward(float[] h, int hOff, float[] drive, int dOff, float[] invTau, int iOff, float dt,
      float bound, int n);

  /**
   * The backward pass of {@link #liquidEulerForward}, the clamp passed straight through (with
   * dt &lt;= tau it binds only by rounding). With g the gradient of the loss with respect to h':
   *
   * <pre>
   * gs          = g * dt
   * dDrive_i    = gs * (1 - s_i * s_i)                      written
   * dDriveSum_i += dDrive_i
   * gInvTau_i   = fma(-gs, h_i, gInvTau_i)                  d h' / d invTau = -dt h
   * g_i         = fma(-gs, invTau_i, g_i)                   d h' / d h = 1 - dt invTau (W's part is added by the caller)
   * </pre>
   *
   * Bit-identical in every implementation. h, s and invTau not modified; g, dDrive, dDriveSum and
   * gInvTau modified in [off, off + n).
   */
  void liquidEulerBackward(float[] g, int gOff, float[] h, int hOff, float[] s, int sOff, float[] invTau, int iOff,
      float dt, float[] dDrive, int ddOff, float[] dDriveSum, int dsOff, float[] gInvTau, int giOff, int n);

  /** {@link #lifBackward}'s surrogate: the arctan surrogate's derivative. */
  int SURROGATE_ARCTAN = 0;

  /** {@link #lifBackward}'s surrogate: the sigmoid surrogate's derivative. */
  int SURROGATE_SIGMOID = 1;

  /**
   * One time step of leaky integrate-and-fire neurons at offsets: charge, fire, reset.
   *
   * <pre>
   * h_i = fma(x_i - v_i, invTau, v_i)              charge: v + (x - v) / tau (the input decays too)
   * s_i = h_i &gt;= threshold ? 1 : 0               fire
   * v_i = hardReset ? (s_i == 1 ? 0 : h_i)         reset to zero
   *                 : h_i - threshold * s_i        reset by subtraction
   * </pre>
   *
   * Bit-identical in every implementation. x not modified; v updated; h and s overwritten in
   * [off, off + n).
   */
  void lifForward(float[] x, int xOff, float[] v, int vOff, float[] h, int hOff, float[] s, int sOff, int n,
      float invTau, float threshold, boolean hardReset);

  /**
   * The backward pass of one step of {@link #lifForward}, the spike's derivative replaced by a
   * surrogate: with gS the gradient of the loss with respect to the step's spikes and gV the one with
   * respect to its membrane after the reset (the next step's carry),
   *
   * <pre>
   * u    = h_i - threshold
   * sg   = SURROGATE_ARCTAN:  (alpha / 2) / fma(q, q, 1),  q = ((float) (pi / 2) * alpha) * u
   *        SURROGATE_SIGMOID: (alpha * p) * (1 - p),      p = 1 / (1 + Approx.exp(-(alpha * u)))
   * dv   = hardReset ? (1 - s_i) - h_i * sg : 1 - threshold * sg      (without the sg terms when detachReset)
   * gh   = fma(gS_i, sg, gV_i * dv)
   * gX_i = gh * invTau                                                 overwritten
   * gV_i = gh * (1 - invTau)                                           the previous step's carry
   * </pre>
   *
   * s is what the forward pass emitted: 0 or 1, or any value of a smooth twin (the formulas hold for
   * a reset {@code v = h - threshold s} or {@code v = h (1 - s)} with any s). Bit-identical in every
   * implementation. gS, h and s not modified; gV updated; gX overwritten in [off, off + n).
   */
  void lifBackward(float[] gS, int gsOff, float[] h, int hOff, float[] s, int sOff, float[] gV, int gvOff,
      float[] gX, int gxOff, int n, float invTau, float threshold, boolean hardReset, boolean detachReset,
      int surrogate, float alpha);

  /**
   * Tempered softmax: {@code out[i] = exp((logits[i] - max) * invT) / sum}. Logits must be finite
   * (the model clamps them). logits not modified; out overwritten (may alias logits).
   */
  void softmax(float[] logits, float[] out, int n, float invT);

  /**
   * {@link #softmax} over {@code rows} rows of {@code n} values, row r at {@code [r * n, (r + 1) * n)}
   * of logits and of out, each bit for bit what {@link #softmax} gives for that row alone. The
   * many-stream route reads a chunk of inputs out with it: one call whose rows are independent of
   * one another, rather than one call per input, each a chain of dependent steps (maximum, exp, sum,
   * division) that waits on the one before. logits not modified; out overwritten in its rows (may
   * alias logits).
   */
  void softmaxRows(float[] logits, float[] out, int rows, int n, float invT);

  /**
   * Token choice, exactly as {@link dev.auramoe.routing.TopK#selectByScore} chooses (the same
   * indices in the same order: the k highest {@code probs[off + i] + bias[i]}, ties to the lower
   * index, NaN below every number): the experts a route selects, on the chain that runs from one
   * token's balancer bias to the next token's choice. scores and outScores are scratch (lengths n
   * and k); probs and bias not modified; out written in [0, k).
   */
  void selectTopK(float[] probs, int off, float[] bias, int n, int k, float[] scores, int[] out, float[] outScores);
}
