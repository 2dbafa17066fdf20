package dev.auramoe.experts;


/**
 * Exponentially weighted recursive least squares, one weight vector per output sharing one inverse
 * correlation matrix P (the regressor is the same for every output).
 *
 * <pre>
 * z = [x, 1]                         (bias term)
 * k = g P z / (lambda + g z' P z)
 * w_o &lt;- w_o + k (y_o - w_o . z)
 * P  &lt;- (P - k z' P) / lambda
 * P(0) = I / delta
 * </pre>
 *
 * (Haykin, Adaptive Filter Theory, ch. 10.) {@code g} is the mixture's credit, which makes this a
 * weighted least-squares fit.
 *
 * <ul>
 *   <li>{@code lambda} in (0, 1]: forgetting factor; 1 never forgets (best on a stationary source),
 *       0.95 forgets within about 20 samples (fast tracking, noisy).
 *   <li>{@code delta} &gt; 0: initial regularisation; small values trust the first samples more.
 * </ul>
 *
 * Each update costs O(n^2) for n = inputDim + 1, against O(n) for NLMS. With lambda &lt; 1 and inputs
 * that stop exciting some direction, P grows by 1/lambda per update in that direction (the classic
 * RLS wind-up). When an entry of P passes {@value #P_LIMIT}, P is reset to I / delta and the weights
 * are kept (covariance resetting), so P never overflows and the state always stays finite (and
 * snapshots loadable); {@link #correlationResets()} counts the resets. Likewise an output whose
 * update would take a weight beyond float range (or whose error overflows) learns nothing from that
 * sample; when no output learns from it, P is left as it was too, so the whole filter is unchanged.
 * (When only some outputs skip it, the shared P still takes the sample for the others.) A
 * prediction beyond float range saturates at {@code +-Float.MAX_VALUE}.
 */
public final class RlsExpert extends AbstractExpert implements AdaptiveExpert {

  private final int n;
  private final float lambda;
  private final float delta;
  private final float[] w;
  private final float[] p;
  private final float[] z;
  private final float[] pz;
  private long resets;

  /**
   * The bound on |P_ij|: an update that leaves an entry above it (or not finite) resets P to
   * I / delta. P's diagonal is the filter's uncertainty per direction; 1e12 is far beyond any
   * useful value and far below float's 3.4e38.
   */
  public static final float P_LIMIT = 1e12f;

  /** A fresh filter with P = I / delta. */
  public RlsExpert(String name, int inputDim, int outputDim, double lambda, double delta) {
    super(name, inputDim, outputDim);
    // Validate the float values that are stored (and snapshotted): 1e-50 rounds to 0, 1e300 to Infinity.
    if (!((float) lambda > 0 && (float) lambda <= 1) || !Float.isFinite(1f / (float) lambda)) {
      throw new IllegalArgumentException("RLS forgetting factor lambda must lie in (0, 1], got " + lambda);
    }
    if (!((float) delta > 0) || !Float.isFinite((float) delta) || !Float.isFinite(1f / (float) delta)) {
      throw new IllegalArgumentException("delta must be finite and > 0, got " + delta);
    }
    this.n = inputDim + 1;
    this.lambda = (float) lambda;
    this.delta = (float) delta;
    this.w = new float[out * n];
    this.p = new float[n * n];
    for (int i = 0; i < n; i++) {
      p[i * n + i] = 1f / this.delta;
    }
    this.z = new float[n];
    this.pz = new float[n];
  }

  /**
   * The {@linkplain #parameterCount() parameters} an RLS expert of this shape holds, computed
   * without building one (which allocates the matrix): {@code outputDim * (inputDim + 1)} weights
   * and biases and the {@code (inputDim + 1)^2} inverse correlation matrix P.
   */
  public static long parameterCount(int inputDim, int outputDim) {
    long n = (long) inputDim + 1;
    return n * outputDim + n * n;
  }

  /** The weights and biases and the inverse correlation matrix P; see {@link #parameterCount(int, int)}. */
  @Override
  public long parameterCount() {
    return (long) w.length + p.length;
  }

  @Override
  public void predict(float[] x, float[] y) {
    for (int o = 0; o < out; o++) {
      float s = w[o * n + in];
      for (int i = 0; i < in; i++) {
        s += w[o * n + i] * x[i];
      }
      y[o] = Float.isFinite(s) ? s : Experts.saturatedLinear(w, o * n, x, in);
    }
  }

  @Override
  public long predictMacs() {
    return (long) out * n;
  }

  @Override
  public void learn(float[] x, float[] y, float[] prediction, float g) {
    if (g <= 0f) {
      return;
    }
    System.arraycopy(x, 0, z, 0, in);
    z[in] = 1f;
    // pz = P z (P symmetric)
    float zpz = 0f;
    float pzMax = 0f;
    for (int i = 0; i < n; i++) {
      float s = 0f;
      for (int j = 0; j < n; j++) {
        s += p[i * n + j] * z[j];
      }
      pz[i] = s;
      zpz += z[i] * s;
      pzMax = Math.max(pzMax, Math.abs(s));
    }
    if (!Float.isFinite(zpz)) {
      // z'Pz overflowed float (a huge input): the gain would be 0 * Infinity = NaN. Skip the sample.
      return;
    }
    float denom = lambda + g * zpz;
    float scale = g / denom;
    int taught = 0;
    for (int o = 0; o < out; o++) {
      float e = y[o] - prediction[o];
      if (!Float.isFinite(e)) {
        continue; // an overflowed prediction teaches nothing
      }
      if ((double) Math.abs(scale) * pzMax * Math.abs(e) >= Experts.SAFE_UPDATE && !updateStaysFinite(o, scale, e)) {
        continue; // a huge error whose update would take a weight beyond float range teaches nothing
      }
      for (int i = 0; i < n; i++) {
        w[o * n + i] += scale * pz[i] * e;
      }
      taught++;
    }
    if (taught == 0) {
      // No output learned from the sample: P must not take it either, or the filter would grow
      // certain in a direction whose weights never moved.
      return;
    }
    // P <- (P - scale * pz pz') / lambda, kept symmetric
    float invLambda = 1f / lambda;
    boolean blownUp = false;
    for (int i = 0; i < n; i++) {
      float a = scale * pz[i];
      for (int j = 0; j < n; j++) {
        float v = (p[i * n + j] - a * pz[j]) * invLambda;
        p[i * n + j] = v;
        blownUp |= !(Math.abs(v) <= P_LIMIT);
      }
    }
    if (blownUp) {
      // With lambda < 1, P grows by 1/lambda per sample in every direction the inputs leave
      // unexcited (an input that stays 0) and would overflow float. Covariance resetting: P goes
      // back to I / delta and the weights are kept.
      resetCorrelation();
      resets++;
    }
  }

  /** Whether output o's update (the same expression as {@link #learn} applies) leaves every weight finite. */
  private boolean updateStaysFinite(int o, float scale, float e) {
    for (int i = 0; i < n; i++) {
      if (!Float.isFinite(w[o * n + i] + scale * pz[i] * e)) {
        return false;
      }
    }
    return true;
  }

  /** How often P was reset since creation (not part of the state). */
  public long correlationResets() {
    return resets;
  }

  private void resetCorrelation() {
    java.util.Arrays.fill(p, 0f);
    for (int i = 0; i < n; i++) {
      p[i * n + i] = 1f / delta;
    }
  }

  @Override
  public long learnMacs() {
    return 2L * n * n + (long) out * n + n;
  }

  @Override
  public float[] state() {
    float[] s = new float[w.length + p.length];
    System.arraycopy(w, 0, s, 0, w.length);
    System.arraycopy(p, 0, s, w.length, p.length);
    return s;
  }

  @Override
  public void setState(float[] s) {
    Experts.checkState(s, w.length + p.length, name);
    System.arraycopy(s, 0, w, 0, w.length);
    System.arraycopy(s, w.length, p, 0, p.length);
  }

  @Override
  public String kind() {
    return "rls";
  }

  @Override
  public double[] hyperParameters() {
    return new double[] {lambda, delta};
  }

  @Override
  public RlsExpert copy() {
    return copy(name);
  }

  @Override
  public RlsExpert copy(String newName) {
    RlsExpert c = new RlsExpert(newName, in, out, lambda, delta);
    System.arraycopy(w, 0, c.w, 0, w.length);
    System.arraycopy(p, 0, c.p, 0, p.length);
    return c;
  }

  /** Zero weights and P = I / delta again. */
  @Override
  public void reset() {
    java.util.Arrays.fill(w, 0f);
    resetCorrelation();
  }
}
