package dev.auramoe.testing;

import java.util.SplittableRandom;

/**
 * Seeded generators for one property case. Float generators mix edge cases (0, -0, ±1, the largest
 * magnitudes, the smallest normals and subnormals) with log-uniform magnitudes, so that extreme
 * values turn up in every run, as a property-testing library would generate them.
 */
public final class Gen {

  private final SplittableRandom r;
  private final StringBuilder log = new StringBuilder();

  Gen(long seed) {
    this.r = new SplittableRandom(seed);
  }

  /** A generator outside a property (plain seeded loops). */
  public static Gen seeded(long seed) {
    return new Gen(seed);
  }

  /** What was generated, for the failure message (first 400 characters). */
  String log() {
    return log.length() > 400 ? log.substring(0, 400) + "..." : log.toString();
  }

  private <T> T note(String what, T v) {
    if (log.length() < 400) {
      log.append(what).append('=').append(v).append(' ');
    }
    return v;
  }

  /** Uniform int in [lo, hi]. */
  public int intIn(int lo, int hi) {
    return note("int", lo + r.nextInt(hi - lo + 1));
  }

  /** Uniform double in [lo, hi). */
  public double doubleIn(double lo, double hi) {
    return lo + r.nextDouble() * (hi - lo);
  }

  /** True with probability p. */
  public boolean chance(double p) {
    return r.nextDouble() < p;
  }

  /** One of the values. */
  @SafeVarargs
  public final <T> T oneOf(T... values) {
    return note("pick", values[r.nextInt(values.length)]);
  }

  /** A standard normal sample. */
  public double gaussian() {
    // Box-Muller on the seeded source (SplittableRandom has no nextGaussian before JDK 17's RandomGenerator).
    double u = 1 - r.nextDouble();
    double v = r.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** A finite float whose magnitude is log-uniform in [1e-6, maxMagnitude], or an edge case, either sign. */
  public float extremeFloat(float maxMagnitude) {
    float v;
    switch (r.nextInt(12)) {
      case 0 -> v = 0f;
      case 1 -> v = -0f;
      case 2 -> v = maxMagnitude;
      case 3 -> v = -maxMagnitude;
      case 4 -> v = Float.MIN_VALUE;
      case 5 -> v = Float.MIN_NORMAL;
      case 6 -> v = r.nextBoolean() ? 1e30f : -1e30f;
      default -> {
        double lo = Math.log(1e-6);
        double hi = Math.log(maxMagnitude);
        v = (float) Math.exp(lo + r.nextDouble() * (hi - lo));
        v = Math.min(v, maxMagnitude);
        if (r.nextBoolean()) {
          v = -v;
        }
      }
    }
    return v;
  }

  /** A vector of extreme floats; with probability 1/3 its signs alternate at full magnitude. */
  public float[] extremeVector(int n, float maxMagnitude) {
    float[] x = new float[n];
    if (r.nextInt(3) == 0) {
      float m = r.nextBoolean() ? maxMagnitude : 1e30f;
      for (int i = 0; i < n; i++) {
        x[i] = (i % 2 == 0) ? m : -m;
      }
    } else {
      for (int i = 0; i < n; i++) {
        x[i] = extremeFloat(maxMagnitude);
      }
    }
    return x;
  }

  /** A vector of normal samples times scale. */
  public float[] gaussianVector(int n, double scale) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) (gaussian() * scale);
    }
    return x;
  }

  /**
   * An elapsed time in seconds: NaN (the default), 0, a tiny value, a value near tauMin, a value
   * that exceeds the step cap, or a log-uniform value in [1e-6, 100].
   */
  public float elapsed(float tauMin) {
    float v = switch (r.nextInt(8)) {
      case 0 -> Float.NaN;
      case 1 -> 0f;
      case 2 -> Float.MIN_VALUE;
      case 3 -> tauMin;
      case 4 -> Math.nextUp(tauMin);
      case 5 -> 1e6f;
      default -> (float) Math.exp(Math.log(1e-6) + r.nextDouble() * (Math.log(100) - Math.log(1e-6)));
    };
    return note("elapsed", v);
  }
}
