package dev.auramoe.experts;

import dev.auramoe.internal.vector.KernelProvider;
import dev.auramoe.internal.vector.KernelSupport;

/**
 * Normalised least-mean-squares adaptive linear filter, one per output.
 *
 * <pre>
 * y_hat_o = w_o . x + b_o
 * e_o     = y_o - y_hat_o
 * w_o    &lt;- (1 - mu * leak) w_o + mu * g * e_o * x / (eps + |x|^2 + 1)
 * b_o    &lt;- (1 - mu * leak) b_o + mu * g * e_o     / (eps + |x|^2 + 1)
 * </pre>
 *
 * (Widrow and Hoff 1960; Nagumo and Noda 1967.) {@code g} is the credit the mixture gives the expert.
 *
 * <ul>
 *   <li>{@code mu} in (0, 2): the step; near 0 learns slowly with little noise, near 2 tracks fast
 *       but is noisy; NLMS is stable only inside (0, 2).
 *   <li>{@code eps} &gt; 0: regularises the normalisation for inputs near zero.
 *   <li>{@code leak} in [0, 1/mu): weight decay per step; 0 is plain NLMS.
 * </ul>
 */
public final class NlmsExpert extends AbstractExpert implements AdaptiveExpert {

  private final float mu;
  private final float eps;
  private final float leak;
  /** out rows of (in weights + 1 bias). */
  private final float[] w;
  private final KernelSupport k = KernelProvider.get();

  /**
   * A zero-initialised filter.
   *
   * @param mu step in (0, 2)
   * @param eps regulariser, &gt; 0
   * @param leak leak in [0, 1/mu)
   */
  public NlmsExpert(String name, int inputDim, int outputDim, double mu, double eps, double leak) {
    super(name, inputDim, outputDim);
    // Validate the float values that are stored (and snapshotted), not the doubles given:
    // 1.99999999 rounds to 2, 1e300 to Infinity, 1e-50 to 0.
    float muF = (float) mu;
    float epsF = (float) eps;
    float leakF = (float) leak;
    if (!(muF > 0 && muF < 2)) {
      throw new IllegalArgumentException("NLMS step mu must lie in (0, 2), got " + mu);
    }
    if (!(epsF > 0) || !Float.isFinite(epsF)) {
      throw new IllegalArgumentException("eps must be finite and > 0, got " + eps);
    }
    if (!(leakF >= 0 && leakF * muF < 1)) {
      throw new IllegalArgumentException("leak must lie in [0, 1/mu), got " + leak);
    }
    this.mu = muF;
    this.eps = epsF;
    this.leak = leakF;
    this.w = new float[outputDim * (inputDim + 1)];
  }

  /** NLMS with eps 1e-3 and no leak. */
  public NlmsExpert(String name, int inputDim, int outputDim, double mu) {
    this(name, inputDim, outputDim, mu, 1e-3, 0);
  }

  @Override
  public void predict(float[] x, float[] y) {
    int stride = in + 1;
    for (int o = 0; o < out; o++) {
      y[o] = k.dot(w, o * stride, x, 0, in) + w[o * stride + in];
    }
  }

  @Override
  public long predictMacs() {
    return (long) out * (in + 1);
  }

  @Override
  public void learn(float[] x, float[] y, float[] prediction, float weight) {
    if (weight <= 0f) {
      return;
    }
    float norm = eps + k.sumOfSquares(x, 0, in) + 1f;
    float step = mu * weight / norm;
    float keep = 1f - mu * leak;
    int stride = in + 1;
    for (int o = 0; o < out; o++) {
      float g = step * (y[o] - prediction[o]);
      if (!Float.isFinite(g)) {
        // A prediction (or |x|^2) that overflowed float teaches nothing; 0 * Infinity would be NaN.
        continue;
      }
      int base = o * stride;
      if (keep != 1f) {
        for (int i = 0; i < stride; i++) {
          w[base + i] *= keep;
        }
      }
      k.axpy(g, x, 0, w, base, in);
      w[base + in] += g;
    }
  }

  @Override
  public long learnMacs() {
    return in + (long) out * (in + 1) * (leak > 0 ? 2 : 1);
  }

  @Override
  public float[] state() {
    return w.clone();
  }

  @Override
  public void setState(float[] s) {
    Experts.checkState(s, w.length, name);
    System.arraycopy(s, 0, w, 0, w.length);
  }

  @Override
  public String kind() {
    return "nlms";
  }

  @Override
  public double[] hyperParameters() {
    return new double[] {mu, eps, leak};
  }

  /** The step mu. */
  public float mu() {
    return mu;
  }

  @Override
  public NlmsExpert copy() {
    NlmsExpert c = new NlmsExpert(name, in, out, mu, eps, leak);
    System.arraycopy(w, 0, c.w, 0, w.length);
    return c;
  }
}
