package dev.auramoe.snn;

import java.util.Objects;

/**
 * The settings of a layer of leaky integrate-and-fire neurons ({@link LifNeurons}).
 *
 * @param tau the membrane time constant in time steps, &gt; 1: each step keeps {@code 1 - 1/tau} of
 *     the membrane and adds {@code 1/tau} of the input (2 by default, as the spike-driven
 *     Transformer's neurons)
 * @param threshold the firing threshold, &gt; 0 (1 by default)
 * @param reset what a spike does to the membrane
 * @param surrogate the surrogate of the spike's derivative in the backward pass
 * @param alpha the surrogate's sharpness, &gt; 0
 * @param detachReset whether the backward pass treats the reset as a constant (the gradient does
 *     not flow through the spike that resets the membrane, only through the spike emitted; true by
 *     default, as SpikingJelly's {@code detach_reset} in the spike-driven Transformer)
 */
public record LifConfig(float tau, float threshold, Reset reset, Surrogate surrogate, float alpha,
    boolean detachReset) {

  /** What a spike does to the membrane. */
  public enum Reset {
    /** To zero: {@code v = h (1 - s)}. */
    HARD,
    /** By subtraction of the threshold: {@code v = h - threshold s}. */
    SOFT
  }

  /** tau 2, threshold 1, hard reset, the arctan surrogate at alpha 2, the reset detached. */
  public static final LifConfig DEFAULT = new LifConfig(2f, 1f, Reset.HARD, Surrogate.ARCTAN, 2f, true);

  /** Validates the fields: one place for each range. */
  public LifConfig {
    Objects.requireNonNull(reset, "reset");
    Objects.requireNonNull(surrogate, "surrogate");
    if (!(tau > 1f) || !Float.isFinite(tau)) {
      throw new IllegalArgumentException("LIF tau must be finite and > 1 (time steps), got " + tau);
    }
    if (!(threshold > 0f) || !Float.isFinite(threshold)) {
      throw new IllegalArgumentException("LIF threshold must be finite and > 0, got " + threshold);
    }
    if (!(alpha > 0f) || !Float.isFinite(alpha)) {
      throw new IllegalArgumentException("surrogate alpha must be finite and > 0, got " + alpha);
    }
  }

  /** The same with another time constant. */
  public LifConfig withTau(float t) {
    return new LifConfig(t, threshold, reset, surrogate, alpha, detachReset);
  }

  /** The same with another threshold. */
  public LifConfig withThreshold(float th) {
    return new LifConfig(tau, th, reset, surrogate, alpha, detachReset);
  }

  /** The same with another reset. */
  public LifConfig withReset(Reset r) {
    return new LifConfig(tau, threshold, r, surrogate, alpha, detachReset);
  }

  /** The same with another surrogate at its default sharpness. */
  public LifConfig withSurrogate(Surrogate s) {
    return new LifConfig(tau, threshold, reset, s, s.defaultAlpha(), detachReset);
  }

  /** The same with another surrogate sharpness. */
  public LifConfig withAlpha(float a) {
    return new LifConfig(tau, threshold, reset, surrogate, a, detachReset);
  }

  /** The same with the reset detached or not. */
  public LifConfig withDetachReset(boolean d) {
    return new LifConfig(tau, threshold, reset, surrogate, alpha, d);
  }
}
