package dev.auramoe.stream.drift;

/**
 * A change detector fed one value per stream instance, typically the 0/1 error indicator of a
 * learner's prediction or its loss. Not thread-safe.
 *
 * <p>Lifecycle: {@code update*} (each call returns whether a change was detected at that instance)
 * with {@link #reset} at any time to forget everything. After a detection the detector adapts by
 * itself (ADWIN drops the old part of its window, Page-Hinkley restarts its statistic); the caller
 * typically replaces or retrains the model it monitors.
 *
 * <pre>{@code
 * DriftDetector detector = new Adwin();
 * for (Instance x : stream) {
 *   boolean wrong = model.predict(x) != x.label();
 *   if (detector.update(wrong ? 1 : 0)) {
 *     model = freshModel();            // the error rate changed
 *   }
 * }
 * }</pre>
 *
 * <p>{@link #update} is the hot path: implementations allocate nothing per call in steady state
 * (ADWIN may grow its bucket arrays O(log W) times over a window of width W).
 */
public interface DriftDetector {

  /**
   * Feeds the next value of the monitored stream.
   *
   * @param value the error indicator (0 or 1) or loss of the current instance; must be finite
   * @return true when a change is detected at this instance
   * @throws IllegalArgumentException for a NaN or infinite value; the detector is then unchanged
   */
  boolean update(double value);

  /**
   * Whether the detector is in a warning zone (a change is suspected but not confirmed). Detectors
   * without a warning level always answer false.
   */
  default boolean inWarning() {
    return false;
  }

  /** Forgets all observed values and the detection count: the state after construction. */
  void reset();

  /** The number of changes detected since construction or the last {@link #reset}. */
  long detections();

  /** A short name with the parameters, for report tables, e.g. {@code adwin(delta=0.002)}. */
  String name();
}
