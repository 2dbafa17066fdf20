package dev.auramoe.experts;

import dev.auramoe.internal.vector.KernelProvider;
import dev.auramoe.internal.vector.KernelSupport;

/**
 * On-line multinomial logistic (softmax) regression with normalised steps: a classification
 * expert whose output is a probability per class. With the one-hot class as target y:
 *
 * <pre>
 * z_c     = w_c . x + b_c
 * p       = softmax(z)
 * w_c    &lt;- (1 - mu * leak) w_c + mu * g * (y_c - p_c) * x / (eps + |x|^2 + 1)
 * b_c    &lt;- (1 - mu * leak) b_c + mu * g * (y_c - p_c)     / (eps + |x|^2 + 1)
 * </pre>
 *
 * The step is the cross-entropy gradient normalised by the input's energy, as NLMS normalises the
 * squared-error gradient, so one {@code mu} suits inputs of any scale. {@code g} is the credit the
 * mixture gives the expert. Mixed by gate weights, the experts' outputs stay a distribution.
 *
 * <ul>
 *   <li>{@code mu} in (0, 2): the step.
 *   <li>{@code eps} &gt; 0: regularises the normalisation for inputs near zero.
 *   <li>{@code leak} in [0, 1/mu): weight decay per step, which bounds the weights and lets an old
 *       concept fade; 0 for none.
 * </ul>
 */
public final class SoftmaxExpert extends AbstractExpert implements AdaptiveExpert {

  private final float mu;
  private final float eps;
  private final float leak;
  /** out rows of (in weights + 1 bias). */
  private final float[] w;
  private final float[] z;
  private final KernelSupport k = KernelProvider.get();

  /**
   * A zero-initialised model (uniform probabilities).
   *
   * @param classes number of classes (the output dimension), at least 2
   * @param mu step in (0, 2)
   * @param eps regulariser, &gt; 0
   * @param leak leak in [0, 1/mu)
   */
  public SoftmaxExpert(String name, int inputDim, int classes, double mu, double eps, double leak) {
    super(name, inputDim, classes);
    float muF = (float) mu;
    float epsF = (float) eps;
    float leakF = (float) leak;
    if (classes < 2) {
      throw new IllegalArgumentException("a softmax expert needs at least 2 classes, got " + classes);
    }
    if (!(muF > 0 && muF < 2)) {
      throw new IllegalArgumentException("softmax step mu must lie in (0, 2), got " + mu);
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
    this.w = new float[classes * (inputDim + 1)];
    this.z = new float[classes];
  }

  @Override
  public void predict(float[] x, float[] p) {
    int stride = in + 1;
    for (int c = 0; c < out; c++) {
      float v = k.dot(w, c * stride, x, 0, in) + w[c * stride + in];
      // A huge input can overflow a logit; clamp so that the softmax stays defined.
      z[c] = v != v ? 0f : Math.max(-1e30f, Math.min(1e30f, v));
    }
    k.softmax(z, p, out, 1f);
  }

  @Override
  public long predictMacs() {
    return (long) out * (in + 2);
  }

  @Override
  public void learn(float[] x, float[] y, float[] p, float weight) {
    if (weight <= 0f) {
      return;
    }
    float norm = eps + k.sumOfSquares(x, 0, in) + 1f;
    float step = mu * weight / norm;
    float keep = 1f - mu * leak;
    int stride = in + 1;
    for (int c = 0; c < out; c++) {
      float g = step * (y[c] - p[c]);
      if (!Float.isFinite(g)) {
        continue;
      }
      int base = c * stride;
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
    return "softmax";
  }

  @Override
  public double[] hyperParameters() {
    return new double[] {mu, eps, leak};
  }

  @Override
  public SoftmaxExpert copy() {
    SoftmaxExpert c = new SoftmaxExpert(name, in, out, mu, eps, leak);
    System.arraycopy(w, 0, c.w, 0, w.length);
    return c;
  }
}
