package dev.auramoe.seq;

import java.util.List;

/** Operations over the gradients of a set of parameters. */
public final class Gradients {

  private Gradients() {}

  /**
   * The global L2 norm of the gradients, {@code sqrt(sum over parameters and elements of g^2)},
   * accumulated in double. Not modified.
   */
  public static double globalNorm(List<Parameter> parameters) {
    double s = 0;
    for (int k = 0; k < parameters.size(); k++) {
      for (float g : parameters.get(k).gradient()) {
        s += (double) g * g;
      }
    }
    return Math.sqrt(s);
  }

  /**
   * Global-norm clipping (Pascanu, Mikolov and Bengio, "On the difficulty of training recurrent
   * neural networks", ICML 2013): when the global norm n exceeds {@code maxNorm}, every gradient is
   * multiplied by {@code maxNorm / n}, which keeps the direction of the step and bounds its size.
   *
   * @param parameters gradients modified when clipped
   * @param maxNorm the bound, finite and &gt; 0; a large value turns clipping off
   * @return the global norm before clipping
   * @throws IllegalStateException when a gradient is not finite (nothing is modified): a step on it
   *     would destroy the model
   */
  public static double clipGlobalNorm(List<Parameter> parameters, double maxNorm) {
    if (!(maxNorm > 0) || !Double.isFinite(maxNorm)) {
      throw new IllegalArgumentException("maxNorm must be finite and > 0, got " + maxNorm);
    }
    double norm = globalNorm(parameters);
    if (!Double.isFinite(norm)) {
      for (Parameter p : parameters) {
        for (float g : p.gradient()) {
          if (!Float.isFinite(g)) {
            throw new IllegalStateException("the gradient of " + p.name() + " is not finite");
          }
        }
      }
      throw new IllegalStateException("the global gradient norm overflows");
    }
    if (norm > maxNorm) {
      float scale = (float) (maxNorm / norm);
      for (int k = 0; k < parameters.size(); k++) {
        float[] g = parameters.get(k).gradient();
        for (int i = 0; i < g.length; i++) {
          g[i] *= scale;
        }
      }
    }
    return norm;
  }
}
