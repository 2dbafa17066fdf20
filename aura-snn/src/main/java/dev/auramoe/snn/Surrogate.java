package dev.auramoe.snn;

import dev.auramoe.internal.vector.KernelSupport;

/**
 * The surrogate of a spike's derivative: the forward pass fires with the step function
 * {@code Θ(u)} of the membrane's distance to the threshold {@code u = h - threshold}, which has no
 * useful derivative, and the backward pass uses the derivative of a smooth function of the same
 * shape instead (Neftci, Mostafa and Zenke, "Surrogate gradient learning in spiking neural
 * networks", IEEE Signal Processing Magazine 36, 2019).
 *
 * <pre>
 * ARCTAN   primitive g(u) = atan((pi / 2) alpha u) / pi + 1 / 2      g'(u) = (alpha / 2) / (1 + ((pi / 2) alpha u)^2)
 * SIGMOID  primitive g(u) = 1 / (1 + exp(-alpha u))                  g'(u) = alpha g(u) (1 - g(u))
 * </pre>
 *
 * Both primitives rise from 0 to 1 with g(0) = 1/2 and slope g'(0) = alpha / 2 (arctan) or
 * alpha / 4 (sigmoid) at the threshold; alpha sharpens them towards the step. The defaults
 * ({@link #defaultAlpha()}: 2 for arctan, 4 for sigmoid) are SpikingJelly's. The primitives are
 * what a smooth twin of a spiking layer emits instead of spikes: the surrogate gradient of the
 * spiking layer is the exact gradient of that twin, which is how the tests check the backward pass
 * against finite differences.
 */
public enum Surrogate {
  /** The arctan surrogate. */
  ARCTAN(KernelSupport.SURROGATE_ARCTAN, 2f) {
    @Override
    public double primitive(double u, double alpha) {
      return Math.atan(Math.PI / 2 * alpha * u) / Math.PI + 0.5;
    }

    @Override
    public double derivative(double u, double alpha) {
      double q = Math.PI / 2 * alpha * u;
      return alpha / 2 / (1 + q * q);
    }
  },
  /** The sigmoid surrogate. */
  SIGMOID(KernelSupport.SURROGATE_SIGMOID, 4f) {
    @Override
    public double primitive(double u, double alpha) {
      return 1 / (1 + Math.exp(-alpha * u));
    }

    @Override
    public double derivative(double u, double alpha) {
      double p = primitive(u, alpha);
      return alpha * p * (1 - p);
    }
  };

  private final int kernelCode;
  private final float defaultAlpha;

  Surrogate(int kernelCode, float defaultAlpha) {
    this.kernelCode = kernelCode;
    this.defaultAlpha = defaultAlpha;
  }

  /** The smooth function whose derivative stands in for the spike's, at distance u from the threshold. */
  public abstract double primitive(double u, double alpha);

  /** Its derivative, the surrogate gradient of a spike at distance u from the threshold. */
  public abstract double derivative(double u, double alpha);

  /** The sharpness used when none is given. */
  public float defaultAlpha() {
    return defaultAlpha;
  }

  /** The kernels' code for this surrogate. */
  int kernelCode() {
    return kernelCode;
  }
}
