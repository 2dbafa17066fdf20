package dev.auramoe.stream.learn;

import java.util.Arrays;

/**
 * The drift sentinel of a {@link StreamLearner}: one linear model (softmax regression for classes,
 * least squares for a number) over the learner's features that learns for a fixed number of
 * instances with normalised steps, averages its weights over the second half of that period
 * (Polyak-Ruppert averaging, which settles the noisy steps near the best fit) and is then frozen.
 * Frozen, its error stays put while the concept does, and rises in full when the concept changes,
 * where the adaptive mixture would learn the change away within a few hundred instances.
 * Allocation-free.
 */
final class Sentinel {

  private final int in;
  private final int out;
  private final boolean classes;
  private final float mu;
  private final long period;
  private final float[] w;
  private final double[] avg;
  private final float[] z;
  private long learned;

  /**
   * @param in feature dimension
   * @param out classes (at least 2), or 1 for regression
   * @param classification whether the output is a class distribution
   * @param mu normalised step in (0, 2)
   * @param period instances to learn from before freezing, at least 2
   */
  Sentinel(int in, int out, boolean classification, double mu, long period) {
    this.in = in;
    this.out = out;
    this.classes = classification;
    this.mu = (float) mu;
    this.period = period;
    this.w = new float[out * (in + 1)];
    this.avg = new double[w.length];
    this.z = new float[out];
  }

  /** Whether it still learns. */
  boolean learning() {
    return learned < period;
  }

  /** Forgets everything and learns again for a full period. */
  void reset() {
    Arrays.fill(w, 0f);
    Arrays.fill(avg, 0);
    learned = 0;
  }

  /** Its output for x: class probabilities, or the (standardised) value. */
  void predict(float[] x, float[] p) {
    int stride = in + 1;
    for (int o = 0; o < out; o++) {
      double s = w[o * stride + in];
      for (int i = 0; i < in; i++) {
        s += w[o * stride + i] * x[i];
      }
      z[o] = (float) Math.max(-1e30, Math.min(1e30, s));
    }
    if (!classes) {
      p[0] = z[0];
      return;
    }
    float max = z[0];
    for (int o = 1; o < out; o++) {
      max = Math.max(max, z[o]);
    }
    float sum = 0f;
    for (int o = 0; o < out; o++) {
      p[o] = (float) Math.exp(z[o] - max);
      sum += p[o];
    }
    for (int o = 0; o < out; o++) {
      p[o] /= sum;
    }
  }

  /** One step toward target y given its own output p for x; a no-op once frozen. */
  void learn(float[] x, float[] y, float[] p) {
    if (learned >= period) {
      return;
    }
    double norm = 1e-3 + 1.0;
    for (int i = 0; i < in; i++) {
      norm += (double) x[i] * x[i];
    }
    float step = (float) (mu / norm);
    int stride = in + 1;
    for (int o = 0; o < out; o++) {
      float g = step * (y[o] - p[o]);
      if (!Float.isFinite(g)) {
        continue;
      }
      for (int i = 0; i < in; i++) {
        w[o * stride + i] += g * x[i];
      }
      w[o * stride + in] += g;
    }
    learned++;
    long n = learned - period / 2;
    if (n > 0) {
      for (int i = 0; i < w.length; i++) {
        avg[i] += (w[i] - avg[i]) / n;
      }
    }
    if (learned == period) {
      for (int i = 0; i < w.length; i++) {
        w[i] = (float) avg[i];
      }
    }
  }
}
