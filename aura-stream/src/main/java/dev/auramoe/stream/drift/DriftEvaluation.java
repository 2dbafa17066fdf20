package dev.auramoe.stream.drift;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.PrimitiveIterator;
import java.util.function.DoubleSupplier;

/**
 * Scores a drift detector against known drift points: per drift the detection delay, misses, false
 * alarms and their rate per 100,000 instances (see {@link DriftReport} for the attribution rule).
 *
 * <p>Either call one of the static {@code evaluate} methods, which feed the detector the whole
 * stream, or drive an instance by hand when the detector runs inside a larger loop:
 *
 * <pre>{@code
 * DriftEvaluation eval = new DriftEvaluation(new long[] {10_000, 20_000}, 1_000);
 * for (long i = 0; i < n; i++) {
 *   eval.observe(detector.update(error(i)));
 * }
 * DriftReport report = eval.report(detector.name());
 * }</pre>
 *
 * <p>The detector is used as given (not reset first). A drift whose stream ends before a detection
 * counts as missed. Not thread-safe.
 */
public final class DriftEvaluation {

  /** Default largest delay, in instances, that still counts as a detection. */
  public static final long DEFAULT_MAX_DELAY = 1_000;

  private final long[] driftPoints;
  private final long maxDelay;
  private final long[] delays;
  private long instances;
  private int next;
  private long falseAlarms;
  private long repeats;

  /**
   * An evaluation over the given drift points.
   *
   * @param driftPoints the instance indices (from 0) at which the stream changes, strictly increasing
   *     and non-negative; not modified
   * @param maxDelay the largest delay that still counts as a detection, at least 0
   * @throws IllegalArgumentException for unsorted or negative drift points or a negative maxDelay
   */
  public DriftEvaluation(long[] driftPoints, long maxDelay) {
    Objects.requireNonNull(driftPoints, "driftPoints");
    if (maxDelay < 0) {
      throw new IllegalArgumentException("maxDelay must be >= 0, got " + maxDelay);
    }
    for (int i = 0; i < driftPoints.length; i++) {
      if (driftPoints[i] < 0) {
        throw new IllegalArgumentException("drift point " + i + " is negative: " + driftPoints[i]);
      }
      if (i > 0 && driftPoints[i] <= driftPoints[i - 1]) {
        throw new IllegalArgumentException("drift points must be strictly increasing, but point " + i + " ("
            + driftPoints[i] + ") follows " + driftPoints[i - 1]);
      }
    }
    this.driftPoints = driftPoints.clone();
    this.maxDelay = maxDelay;
    this.delays = new long[driftPoints.length];
    Arrays.fill(delays, -1);
  }

  /**
   * Records the detector's answer for the next instance (instance index = number observed so far).
   *
   * @param detected whether the detector reported a change at this instance
   */
  public void observe(boolean detected) {
    long t = instances++;
    if (!detected) {
      return;
    }
    while (next < driftPoints.length && driftPoints[next] <= t) {
      next++;
    }
    int current = next - 1;
    if (current < 0 || t - driftPoints[current] > maxDelay) {
      falseAlarms++;
    } else if (delays[current] < 0) {
      delays[current] = t - driftPoints[current];
    } else {
      repeats++;
    }
  }

  /** The number of instances observed so far. */
  public long instances() {
    return instances;
  }

  /**
   * The report for the instances observed so far.
   *
   * @param detector the detector's name for the report
   * @throws IllegalArgumentException when a drift point lies beyond the observed instances
   */
  public DriftReport report(String detector) {
    if (driftPoints.length > 0 && driftPoints[driftPoints.length - 1] >= instances) {
      throw new IllegalArgumentException("drift point " + driftPoints[driftPoints.length - 1]
          + " lies beyond the " + instances + " instances observed");
    }
    List<Long> list = new ArrayList<>(delays.length);
    int detected = 0;
    long sum = 0;
    long max = -1;
    for (long d : delays) {
      list.add(d);
      if (d >= 0) {
        detected++;
        sum += d;
        max = Math.max(max, d);
      }
    }
    double mean = detected == 0 ? Double.NaN : (double) sum / detected;
    double rate = instances == 0 ? Double.NaN : falseAlarms * 100_000.0 / instances;
    return new DriftReport(detector, instances, maxDelay, list, detected, delays.length - detected, falseAlarms,
        repeats, rate, mean, max);
  }

  /**
   * Feeds {@code values} to {@code detector} and scores its detections against the drift points.
   *
   * @param detector the detector, used as given; modified
   * @param values the per-instance values (error indicators or losses), finite; not modified
   * @param driftPoints the true change points, strictly increasing indices into {@code values}; not
   *     modified
   * @param maxDelay the largest delay that still counts as a detection, at least 0
   * @throws IllegalArgumentException for bad drift points, a negative maxDelay, or a non-finite value
   *     (named by index; the detector has then seen the values before it)
   */
  public static DriftReport evaluate(DriftDetector detector, double[] values, long[] driftPoints, long maxDelay) {
    Objects.requireNonNull(values, "values");
    checkWithin(driftPoints, values.length);
    DriftEvaluation eval = new DriftEvaluation(driftPoints, maxDelay);
    for (int i = 0; i < values.length; i++) {
      eval.observe(detector.update(checkFinite(values[i], i)));
    }
    return eval.report(detector.name());
  }

  /** {@link #evaluate(DriftDetector, double[], long[], long)} with the default maximum delay of 1,000. */
  public static DriftReport evaluate(DriftDetector detector, double[] values, long[] driftPoints) {
    return evaluate(detector, values, driftPoints, DEFAULT_MAX_DELAY);
  }

  /**
   * Feeds {@code instances} values drawn from {@code values} to {@code detector} and scores its
   * detections, without materialising the stream.
   *
   * @param detector the detector, used as given; modified
   * @param values the source of per-instance values, called {@code instances} times
   * @param instances the stream length, at least 0
   * @param driftPoints the true change points, strictly increasing and below {@code instances}
   * @param maxDelay the largest delay that still counts as a detection, at least 0
   * @throws IllegalArgumentException as for the array form, or for a negative {@code instances}
   */
  public static DriftReport evaluate(DriftDetector detector, DoubleSupplier values, long instances,
      long[] driftPoints, long maxDelay) {
    Objects.requireNonNull(values, "values");
    if (instances < 0) {
      throw new IllegalArgumentException("instances must be >= 0, got " + instances);
    }
    checkWithin(driftPoints, instances);
    DriftEvaluation eval = new DriftEvaluation(driftPoints, maxDelay);
    for (long i = 0; i < instances; i++) {
      eval.observe(detector.update(checkFinite(values.getAsDouble(), i)));
    }
    return eval.report(detector.name());
  }

  /**
   * Feeds every value of {@code values} to {@code detector} and scores its detections.
   *
   * @param detector the detector, used as given; modified
   * @param values the per-instance values, consumed to the end
   * @param driftPoints the true change points, strictly increasing; all must fall within the stream
   * @param maxDelay the largest delay that still counts as a detection, at least 0
   * @throws IllegalArgumentException as for the array form, or when a drift point lies past the end
   */
  public static DriftReport evaluate(DriftDetector detector, PrimitiveIterator.OfDouble values,
      long[] driftPoints, long maxDelay) {
    Objects.requireNonNull(values, "values");
    DriftEvaluation eval = new DriftEvaluation(driftPoints, maxDelay);
    while (values.hasNext()) {
      eval.observe(detector.update(checkFinite(values.nextDouble(), eval.instances())));
    }
    return eval.report(detector.name());
  }

  private static void checkWithin(long[] driftPoints, long instances) {
    Objects.requireNonNull(driftPoints, "driftPoints");
    for (int i = 0; i < driftPoints.length; i++) {
      if (driftPoints[i] >= instances) {
        throw new IllegalArgumentException("drift point " + i + " (" + driftPoints[i]
            + ") lies beyond the stream of " + instances + " instances");
      }
    }
  }

  private static double checkFinite(double value, long index) {
    if (!Double.isFinite(value)) {
      throw new IllegalArgumentException("value at instance " + index + " must be finite, got " + value);
    }
    return value;
  }
}
