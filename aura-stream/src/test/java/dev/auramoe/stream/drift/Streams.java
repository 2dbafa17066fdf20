package dev.auramoe.stream.drift;

import java.util.SplittableRandom;

/** Seeded Bernoulli error streams with abrupt changes of the error rate, for the drift tests. */
final class Streams {

  private Streams() {}

  /**
   * {@code rates.length} segments of {@code segment} 0/1 values each, segment i drawn with
   * P(1) = rates[i]; the drift points are {@code segment, 2·segment, ...}.
   */
  static double[] bernoulli(long seed, int segment, double... rates) {
    SplittableRandom random = new SplittableRandom(seed);
    double[] values = new double[segment * rates.length];
    for (int i = 0; i < values.length; i++) {
      values[i] = random.nextDouble() < rates[i / segment] ? 1 : 0;
    }
    return values;
  }

  /** The drift points of {@link #bernoulli} with {@code segments} segments. */
  static long[] driftPoints(int segment, int segments) {
    long[] points = new long[segments - 1];
    for (int i = 0; i < points.length; i++) {
      points[i] = (long) segment * (i + 1);
    }
    return points;
  }
}
