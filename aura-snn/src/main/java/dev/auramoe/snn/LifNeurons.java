package dev.auramoe.snn;

import dev.auramoe.internal.vector.KernelProvider;
import dev.auramoe.internal.vector.KernelSupport;
import java.util.Objects;

/**
 * A layer of leaky integrate-and-fire neurons over T time steps, trained by backpropagation through
 * time with a surrogate gradient. It has no parameters: the weights that feed it live in the layer
 * before it, and its settings ({@link LifConfig}) are fixed.
 *
 * <p>Per neuron, from a membrane v = 0 before the first step, with input current x_t:
 *
 * <pre>
 * h_t = v_{t-1} + (x_t - v_{t-1}) / tau          charge (the input decays with the membrane)
 * s_t = Θ(h_t - threshold)                       fire: 1 when h_t &gt;= threshold, else 0
 * v_t = h_t (1 - s_t)                            HARD reset (to zero)
 * v_t = h_t - threshold s_t                      SOFT reset (by subtraction)
 * </pre>
 *
 * <p>Backward, with g'(u) the surrogate's derivative at {@code u = h_t - threshold} standing in
 * for Θ', gS_t the gradient with respect to s_t and gV_t the one with respect to v_t:
 *
 * <pre>
 * gH_t = gS_t g'(u) + gV_t dv/dh        dv/dh = (1 - s_t) - h_t g'(u)   HARD   (1 - s_t) when the reset is detached
 *                                              = 1 - threshold g'(u)    SOFT   1 when detached
 * gX_t = gH_t / tau                     gV_{t-1} = gH_t (1 - 1/tau)
 * </pre>
 *
 * <p>Tensors are time-major: step t of neuron i at {@code t * n + i}, n neurons per step (a batch
 * of samples times their features, flattened). The forward pass keeps h and s for the backward
 * pass; neither pass allocates once the workspaces have grown to the largest shape seen. The loops
 * are the core's kernels ({@code lifForward}, {@code lifBackward}: Vector API with a scalar twin,
 * bit for bit the same). Not thread-safe.
 *
 * <p>A smooth twin (package-private, for the tests) emits the surrogate's primitive
 * {@code g(h_t - threshold)} instead of a spike and resets with it; the backward pass is the same
 * code, so its result is then the exact gradient of the twin, which finite differences check.
 */
public final class LifNeurons implements Activation {

  private final LifConfig config;
  private final KernelSupport kern;
  private final boolean smooth;
  private final float invTau;

  // The tape of the last forward pass.
  private int steps;
  private int n;
  private float[] h = new float[0];
  private float[] s = new float[0];
  // Workspaces.
  private float[] v = new float[0];
  private float[] gv = new float[0];

  /** Neurons with these settings on the selected kernels. */
  public LifNeurons(LifConfig config) {
    this(config, KernelProvider.get(), false);
  }

  /** Neurons on the given kernels; {@code smooth} makes the smooth twin (tests). */
  LifNeurons(LifConfig config, KernelSupport kernels, boolean smooth) {
    this.config = Objects.requireNonNull(config, "config");
    this.kern = Objects.requireNonNull(kernels, "kernels");
    this.smooth = smooth;
    this.invTau = 1f / config.tau();
  }

  /** The settings. */
  public LifConfig config() {
    return config;
  }

  /**
   * The forward pass over {@code steps} time steps of {@code n} neurons.
   *
   * @param current steps*n input currents, time-major, not modified
   * @param spikes receives steps*n spikes (0 or 1), time-major; must not alias current
   */
  @Override
  public void forward(float[] current, int steps, int n, float[] spikes) {
    check("current", current, steps, n);
    check("spikes", spikes, steps, n);
    int size = steps * n;
    if (h.length < size) {
      h = new float[size];
      s = new float[size];
    }
    if (v.length < n) {
      v = new float[n];
      gv = new float[n];
    }
    this.steps = steps;
    this.n = n;
    java.util.Arrays.fill(v, 0, n, 0f);
    boolean hard = config.reset() == LifConfig.Reset.HARD;
    float th = config.threshold();
    for (int t = 0; t < steps; t++) {
      int o = t * n;
      if (smooth) {
        smoothStep(current, o, hard, th);
      } else {
        kern.lifForward(current, o, v, 0, h, o, s, o, n, invTau, th, hard);
      }
    }
    System.arraycopy(s, 0, spikes, 0, size);
  }

  private void smoothStep(float[] x, int o, boolean hard, float th) {
    for (int i = 0; i < n; i++) {
      float vi = v[i];
      float hi = Math.fma(x[o + i] - vi, invTau, vi);
      float si = (float) config.surrogate().primitive(hi - th, config.alpha());
      h[o + i] = hi;
      s[o + i] = si;
      v[i] = hard ? hi * (1f - si) : hi - th * si;
    }
  }

  /**
   * The backward pass of the last forward pass.
   *
   * @param dSpikes steps*n gradients of the loss with respect to the spikes, not modified
   * @param dCurrent receives steps*n gradients with respect to the currents (overwritten); may be
   *     dSpikes itself
   */
  @Override
  public void backward(float[] dSpikes, float[] dCurrent) {
    if (steps == 0) {
      throw new IllegalStateException("LIF backward before any forward pass");
    }
    check("dSpikes", dSpikes, steps, n);
    check("dCurrent", dCurrent, steps, n);
    java.util.Arrays.fill(gv, 0, n, 0f);
    boolean hard = config.reset() == LifConfig.Reset.HARD;
    int code = config.surrogate().kernelCode();
    for (int t = steps - 1; t >= 0; t--) {
      int o = t * n;
      kern.lifBackward(dSpikes, o, h, o, s, o, gv, 0, dCurrent, o, n, invTau, config.threshold(), hard,
          config.detachReset(), code, config.alpha());
    }
  }

  /** True: the outputs are spikes. */
  @Override
  public boolean spiking() {
    return true;
  }

  /** The spikes of the last forward pass, summed (for firing rates and synaptic operations). */
  public long spikeCount() {
    double sum = 0;
    for (int k = 0; k < steps * n; k++) {
      sum += s[k];
    }
    return Math.round(sum);
  }

  /** Spikes per neuron and time step in the last forward pass (0 before any). */
  public double firingRate() {
    return steps == 0 ? 0 : (double) spikeCount() / ((long) steps * n);
  }

  private static void check(String what, float[] a, int steps, int n) {
    if (steps <= 0 || n <= 0) {
      throw new IllegalArgumentException("LIF needs steps > 0 and neurons > 0, got " + steps + " and " + n);
    }
    if ((long) steps * n > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("LIF tensor of " + steps + " x " + n + " is too large");
    }
    if (a.length < steps * n) {
      throw new IllegalArgumentException("LIF " + what + " needs " + steps * n + " values (" + steps + " steps x "
          + n + " neurons), has " + a.length);
    }
  }
}
