package dev.auramoe.stream.drift;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * How a drift detector did on a stream with known drift points, as computed by {@link
 * DriftEvaluation}.
 *
 * <p>A detection at instance t is attributed to the latest drift point p ≤ t when its delay t - p is
 * at most {@code maxDelay} (it necessarily comes before the next drift point). The first attributed
 * detection of a drift sets its delay; later ones in the same window are {@code repeats}. Every
 * other detection (before the first drift point, or more than {@code maxDelay} after the latest
 * one) is a false alarm. A drift without an attributed detection is missed.
 *
 * @param detector the detector's {@link DriftDetector#name}
 * @param instances the number of instances fed to the detector
 * @param maxDelay the largest delay that still counts as a detection
 * @param delays per drift point in order, the detection delay in instances, or -1 when missed
 * @param detected drifts with a detection within {@code maxDelay}
 * @param missed drifts without one
 * @param falseAlarms detections attributable to no drift
 * @param repeats detections after the first within a drift's window (neither hits nor false alarms)
 * @param falseAlarmsPer100k {@code falseAlarms · 100000 / instances}, NaN for an empty stream
 * @param meanDelay the mean delay over detected drifts, NaN when none was detected
 * @param maxDetectedDelay the largest delay over detected drifts, -1 when none was detected
 */
public record DriftReport(
    String detector,
    long instances,
    long maxDelay,
    List<Long> delays,
    int detected,
    int missed,
    long falseAlarms,
    long repeats,
    double falseAlarmsPer100k,
    double meanDelay,
    long maxDetectedDelay) {

  /** What a table line shows for a figure that does not exist. */
  public static final String NONE = "-";

  private static final String FORMAT = "%-36s %10s %6s %8s %6s %7s %10s %7s %10s %9s";

  /** Copies {@code delays} and checks that the counts agree with it. */
  public DriftReport {
    Objects.requireNonNull(detector, "detector");
    delays = List.copyOf(delays);
    if (detected + missed != delays.size()) {
      throw new IllegalArgumentException("detected + missed = " + (detected + missed) + " but there are "
          + delays.size() + " delays");
    }
  }

  /** The number of true drift points. */
  public int drifts() {
    return delays.size();
  }

  /** The column titles matching {@link #toString}. */
  public static String header() {
    return String.format(Locale.ROOT, FORMAT, "detector", "instances", "drifts", "detected", "missed", "false",
        "false/100k", "repeats", "mean delay", "max delay");
  }

  /**
   * One table line under {@link #header}: counts, false alarms per 100,000 instances, delays. A
   * figure that does not exist (the delays when no drift was detected, the rate of an empty stream)
   * reads {@value #NONE}, never NaN or -1.
   */
  @Override
  public String toString() {
    return String.format(Locale.ROOT, FORMAT, detector, instances, drifts(), detected, missed, falseAlarms,
        Double.isNaN(falseAlarmsPer100k) ? NONE : String.format(Locale.ROOT, "%.2f", falseAlarmsPer100k), repeats,
        Double.isNaN(meanDelay) ? NONE : String.format(Locale.ROOT, "%.1f", meanDelay),
        maxDetectedDelay < 0 ? NONE : Long.toString(maxDetectedDelay));
  }
}
