package dev.auramoe.experts;

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
 * A prediction beyond float range saturates at {@code +-Float.MAX_VALUE}.
 *
 * <ul>
 *   <li>{@code mu} in (0, 2): the step; near 0 learns slowly with little noise, near 2 tracks fast
 *       but is noisy; NLMS is stable only inside (0, 2).
 *   <li>{@code eps} &gt; 0: regularises the normalisation for inputs near zero.
 *   <li>{@code leak} in [0, 1/mu): weight decay per step; 0 is plain NLMS.
 * </ul>
 */
public final class NlmsExpert extends NormalisedLinearExpert {

  /**
   * A zero-initialised filter.
   *
   * @param mu step in (0, 2)
   * @param eps regulariser, &gt; 0
   * @param leak leak in [0, 1/mu)
   */
  public NlmsExpert(String name, int inputDim, int outputDim, double mu, double eps, double leak) {
    super(name, inputDim, outputDim, mu, eps, leak, "NLMS");
  }

  /** NLMS with eps 1e-3 and no leak. */
  public NlmsExpert(String name, int inputDim, int outputDim, double mu) {
    this(name, inputDim, outputDim, mu, 1e-3, 0);
  }

  @Override
  public void predict(float[] x, float[] y) {
    int stride = in + 1;
    for (int o = 0; o < out; o++) {
      float v = k.dot(w, o * stride, x, 0, in) + w[o * stride + in];
      // Beyond float range the float sum overflows (or gives NaN from Infinity - Infinity):
      // saturate the exact value instead.
      y[o] = Float.isFinite(v) ? v : Experts.saturatedLinear(w, o * stride, x, in);
    }
  }

  @Override
  public long predictMacs() {
    return (long) out * (in + 1);
  }

  @Override
  public String kind() {
    return "nlms";
  }

  /**
   * The {@linkplain #parameterCount() parameters} an NLMS expert of this shape holds, computed
   * without building one: {@code outputDim * (inputDim + 1)} weights and biases.
   */
  public static long parameterCount(int inputDim, int outputDim) {
    return ((long) inputDim + 1) * outputDim;
  }

  @Override
  public NlmsExpert copy() {
    return copy(name);
  }

  @Override
  public NlmsExpert copy(String newName) {
    NlmsExpert c = new NlmsExpert(newName, in, out, mu, eps, leak);
    System.arraycopy(w, 0, c.w, 0, w.length);
    return c;
  }
}
