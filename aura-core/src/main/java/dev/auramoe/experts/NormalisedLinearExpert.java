package dev.auramoe.experts;

import dev.auramoe.internal.vector.KernelProvider;
import dev.auramoe.internal.vector.KernelSupport;

/**
 * The learning half shared by {@link NlmsExpert} and {@link SoftmaxExpert}: one row of weights
 * plus a bias per output, and the normalised step
 *
 * <pre>
 * w_o &lt;- (1 - mu * leak) w_o + mu * g * (y_o - p_o) * x / (eps + |x|^2 + 1)
 * b_o &lt;- (1 - mu * leak) b_o + mu * g * (y_o - p_o)     / (eps + |x|^2 + 1)
 * </pre>
 *
 * where p is the expert's own output (a linear prediction for NLMS, class probabilities for
 * softmax regression, for which the same step is the normalised cross-entropy gradient).
 */
abstract sealed class NormalisedLinearExpert extends AbstractExpert implements AdaptiveExpert
    permits NlmsExpert, SoftmaxExpert {

  /** The step mu. */
  final float mu;
  /** The normaliser's regulariser. */
  final float eps;
  /** Weight decay per step. */
  final float leak;
  /** out rows of (in weights + 1 bias). */
  final float[] w;
  /** The kernels. */
  final KernelSupport k = KernelProvider.get();
  /** One row as it was before a guarded update (see {@link #learn}). */
  private final float[] before;

  /**
   * Validates the float values that are stored (and snapshotted), not the doubles given:
   * 1.99999999 rounds to 2, 1e300 to Infinity, 1e-50 to 0.
   */
  NormalisedLinearExpert(String name, int inputDim, int outputDim, double mu, double eps, double leak, String what) {
    super(name, inputDim, outputDim);
    float muF = (float) mu;
    float epsF = (float) eps;
    float leakF = (float) leak;
    if (!(muF > 0 && muF < 2)) {
      throw new IllegalArgumentException(what + " step mu must lie in (0, 2), got " + mu);
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
    this.before = new float[inputDim + 1];
  }

  /** The weights and biases: {@code outputDim * (inputDim + 1)}. */
  @Override
  public final long parameterCount() {
    return w.length;
  }

  /**
   * {@inheritDoc}
   *
   * <p>The weights always stay finite: an output whose error overflows float, or whose update would
   * take a weight beyond float range, learns nothing from this sample.
   */
  @Override
  public final void learn(float[] x, float[] y, float[] prediction, float weight) {
    if (weight <= 0f) {
      return;
    }
    float norm = eps + k.sumOfSquares(x, 0, in) + 1f;
    float step = mu * weight / norm;
    float keep = 1f - mu * leak;
    int stride = in + 1;
    // |x_i| <= |x| <= sqrt(norm), and norm >= 1 bounds the bias step too.
    double xBound = Math.sqrt(norm);
    for (int o = 0; o < out; o++) {
      float g = step * (y[o] - prediction[o]);
      if (!Float.isFinite(g)) {
        // A prediction (or |x|^2) that overflowed float teaches nothing; 0 * Infinity would be NaN.
        continue;
      }
      int base = o * stride;
      // Steps below SAFE_UPDATE cannot overflow any weight; a larger one (a huge error at a small
      // input) is undone when it would.
      boolean guarded = Math.abs(g) * xBound >= Experts.SAFE_UPDATE;
      if (guarded) {
        System.arraycopy(w, base, before, 0, stride);
      }
      if (keep != 1f) {
        for (int i = 0; i < stride; i++) {
          w[base + i] *= keep;
        }
      }
      k.axpy(g, x, 0, w, base, in);
      w[base + in] += g;
      if (guarded && !k.allFinite(w, base, stride)) {
        System.arraycopy(before, 0, w, base, stride);
      }
    }
  }

  @Override
  public final long learnMacs() {
    return in + (long) out * (in + 1) * (leak > 0 ? 2 : 1);
  }

  @Override
  public final float[] state() {
    return w.clone();
  }

  @Override
  public final void setState(float[] s) {
    Experts.checkState(s, w.length, name);
    System.arraycopy(s, 0, w, 0, w.length);
  }

  @Override
  public final double[] hyperParameters() {
    return new double[] {mu, eps, leak};
  }

  /** The step mu. */
  public final float mu() {
    return mu;
  }
}
