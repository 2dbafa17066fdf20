package dev.auramoe.experts;

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
public final class SoftmaxExpert extends NormalisedLinearExpert {

  private final float[] z;

  /**
   * A zero-initialised model (uniform probabilities).
   *
   * @param classes number of classes (the output dimension), at least 2
   * @param mu step in (0, 2)
   * @param eps regulariser, &gt; 0
   * @param leak leak in [0, 1/mu)
   */
  public SoftmaxExpert(String name, int inputDim, int classes, double mu, double eps, double leak) {
    super(name, inputDim, checkClasses(classes), mu, eps, leak, "softmax");
    this.z = new float[classes];
  }

  private static int checkClasses(int classes) {
    if (classes < 2) {
      throw new IllegalArgumentException("a softmax expert needs at least 2 classes, got " + classes);
    }
    return classes;
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
  public String kind() {
    return "softmax";
  }

  @Override
  public SoftmaxExpert copy() {
    return copy(name);
  }

  @Override
  public SoftmaxExpert copy(String newName) {
    SoftmaxExpert c = new SoftmaxExpert(newName, in, out, mu, eps, leak);
    System.arraycopy(w, 0, c.w, 0, w.length);
    return c;
  }
}
