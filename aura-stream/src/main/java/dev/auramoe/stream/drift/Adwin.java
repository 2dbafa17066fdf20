package dev.auramoe.stream.drift;

import java.util.Arrays;
import java.util.Locale;

/**
 * ADWIN, the adaptive sliding window of Bifet and Gavaldà, in its ADWIN2 form: the window is kept as
 * an exponential histogram, so memory is O(log W) and an update costs amortized O(1) plus one
 * O(log W) cut scan every {@code clock} instances.
 *
 * <pre>
 * A. Bifet, R. Gavaldà. Learning from Time-Changing Data with Adaptive Windowing.
 * SIAM International Conference on Data Mining (SDM), 2007, pp. 443-448.
 * </pre>
 *
 * <p><b>Window and cut test.</b> ADWIN keeps the last W values. Every {@code clock} instances, once
 * W exceeds {@code minWindow}, it tries every split of the window at a bucket boundary into an
 * older part W0 (n0 values, mean μ0) and a newer part W1 (n1 values, mean μ1), both at least
 * {@code minSubWindow} long, and cuts when
 *
 * <pre>
 *   |μ0 - μ1| &gt; ε_cut,   ε_cut = sqrt(2/m · σ²_W · ln(2/δ')) + 2/(3m) · ln(2/δ'),
 *   δ' = δ / ln W,       1/m = 1/(n0 - s + 1) + 1/(n1 - s + 1),   s = minSubWindow,
 * </pre>
 *
 * <p>where σ²_W is the variance of the whole window: the variance-based (Bernstein-type) bound the
 * paper recommends in practice, with the harmonic mean m shrunk by s - 1 per side as in MOA so
 * that short sub-windows do not cut. On a cut the older part is dropped bucket by bucket (oldest
 * first) and the scan restarts until no split passes the test; {@link #update} then returns true.
 * The bound assumes values in [0, 1] (error indicators, losses scaled to [0, 1]); other ranges make
 * the second term too small and the detector too eager.
 *
 * <p><b>Exponential histogram.</b> Row i holds up to M buckets of 2^i values each, with the sum and
 * the sum of squared deviations of its values. A new value enters row 0; when a row reaches M + 1
 * buckets its two oldest merge into one bucket of the next row, combining the squared deviations
 * exactly (Chan et al.): {@code S = S1 + S2 + n1·n2/(n1 + n2)·(μ1 - μ2)²}. The window mean and
 * variance are therefore exact; only the cut points are limited to bucket boundaries. With r rows
 * the oldest bucket alone holds 2^(r-1) values, so r ≤ log2(W) + 1 and the bucket count is at most
 * M·(log2(W) + 1).
 *
 * <p><b>Knobs.</b> {@code delta} (default 0.002) is the confidence: near 0 the test rarely fires on
 * a stationary stream but needs more post-change evidence; larger values react faster and raise
 * false alarms. {@code maxBuckets} M (default 5) trades memory for cut resolution: M = 2 leaves the
 * coarsest cut points, large M approaches checking every split. {@code clock} (default 32, as in
 * MOA) checks for cuts every that many instances: 1 is the paper's every-instance test, larger
 * values are cheaper and add at most clock - 1 instances of delay. {@code minWindow} (default 10)
 * and {@code minSubWindow} (default 5) keep tiny windows from being split.
 *
 * <p>Not thread-safe. {@link #update} allocates nothing except when the histogram needs more rows
 * than ever before (at most log2 of the largest window, arrays doubled each time).
 */
public final class Adwin implements DriftDetector {

  /** Default confidence δ. */
  public static final double DEFAULT_DELTA = 0.002;
  /** Default M, buckets per histogram row. */
  public static final int DEFAULT_MAX_BUCKETS = 5;
  /** Default number of instances between cut scans (MOA's clock). */
  public static final int DEFAULT_CLOCK = 32;
  /** Default window width below which no cut is tried. */
  public static final int DEFAULT_MIN_WINDOW = 10;
  /** Default minimum length of either sub-window of a cut. */
  public static final int DEFAULT_MIN_SUB_WINDOW = 5;

  private static final int INITIAL_ROWS = 16;
  private static final int MAX_ROWS = 62;

  private final double delta;
  private final int maxBuckets;
  private final int clock;
  private final int minWindow;
  private final int minSubWindow;
  /** Buckets per row slot: a row briefly holds M + 1 buckets before a merge. */
  private final int rowCapacity;

  // Row i occupies slots [i * rowCapacity, (i + 1) * rowCapacity) of sums and squares as a ring
  // buffer starting at heads[i] (its oldest bucket) with counts[i] buckets.
  private double[] sums;
  private double[] squares;
  private int[] heads;
  private int[] counts;
  private int rows;
  private int bucketCount;

  private long width;
  private double total;
  /** Sum of squared deviations from the window mean (W · variance). */
  private double squaredDeviations;
  private long time;
  private long detections;
  private boolean increasesOnly;

  /**
   * ADWIN on an error signal: the window adapts to every change as usual, but only a cut after which
   * the window's mean is higher (the error went up) counts as a detection. A learner's error that
   * falls while it learns, or after it has adapted, then raises no alarm.
   *
   * @param delta the confidence δ in (0, 1)
   */
  public static Adwin increasesOnly(double delta) {
    Adwin a = new Adwin(delta);
    a.increasesOnly = true;
    return a;
  }

  /** {@link #increasesOnly(double)} with δ = 0.002. */
  public static Adwin increasesOnly() {
    return increasesOnly(DEFAULT_DELTA);
  }

  /** ADWIN with δ = 0.002, M = 5, clock 32, minimum window 10 and minimum sub-window 5. */
  public Adwin() {
    this(DEFAULT_DELTA);
  }

  /**
   * ADWIN with the given confidence and default M, clock and minimum windows.
   *
   * @param delta the confidence δ in (0, 1)
   */
  public Adwin(double delta) {
    this(delta, DEFAULT_MAX_BUCKETS, DEFAULT_CLOCK, DEFAULT_MIN_WINDOW, DEFAULT_MIN_SUB_WINDOW);
  }

  /**
   * ADWIN with every parameter given.
   *
   * @param delta the confidence δ in (0, 1)
   * @param maxBuckets M, buckets per histogram row, at least 2
   * @param clock instances between cut scans, at least 1
   * @param minWindow width the window must exceed before a cut is tried, at least 2 · minSubWindow
   * @param minSubWindow minimum length of either side of a cut, at least 1
   * @throws IllegalArgumentException for a parameter out of range
   */
  public Adwin(double delta, int maxBuckets, int clock, int minWindow, int minSubWindow) {
    if (!(delta > 0 && delta < 1)) {
      throw new IllegalArgumentException("delta must be in (0, 1), got " + delta);
    }
    if (maxBuckets < 2) {
      throw new IllegalArgumentException("maxBuckets must be >= 2, got " + maxBuckets);
    }
    if (clock < 1) {
      throw new IllegalArgumentException("clock must be >= 1, got " + clock);
    }
    if (minSubWindow < 1) {
      throw new IllegalArgumentException("minSubWindow must be >= 1, got " + minSubWindow);
    }
    if (minWindow < 2 * minSubWindow) {
      throw new IllegalArgumentException(
          "minWindow must be >= 2 * minSubWindow = " + 2 * minSubWindow + ", got " + minWindow);
    }
    this.delta = delta;
    this.maxBuckets = maxBuckets;
    this.clock = clock;
    this.minWindow = minWindow;
    this.minSubWindow = minSubWindow;
    this.rowCapacity = maxBuckets + 1;
    allocate(INITIAL_ROWS);
  }

  private void allocate(int rowSlots) {
    sums = new double[rowSlots * rowCapacity];
    squares = new double[rowSlots * rowCapacity];
    heads = new int[rowSlots];
    counts = new int[rowSlots];
  }

  /**
   * Adds {@code value} to the window and, on a clock tick, drops the older part of the window if it
   * differs significantly from the newer part.
   *
   * @param value the next value, finite, ideally in [0, 1]
   * @return true when a cut (a change) happened at this instance
   * @throws IllegalArgumentException for NaN or infinite values; the window is then unchanged
   */
  @Override
  public boolean update(double value) {
    if (!Double.isFinite(value)) {
      throw new IllegalArgumentException("ADWIN value must be finite, got " + value);
    }
    insert(value);
    time++;
    if (time % clock != 0 || width <= minWindow) {
      return false;
    }
    boolean cut = false;
    double before = total / width;
    while (cutOnce()) {
      cut = true;
    }
    if (cut && increasesOnly && !(total / width > before)) {
      cut = false;
    }
    if (cut) {
      detections++;
    }
    return cut;
  }

  private void insert(double value) {
    width++;
    if (width > 1) {
      // Welford: the new value's deviation from the old mean, weighted (W-1)/W.
      double d = value - total / (width - 1);
      squaredDeviations += (width - 1) * d * d / width;
    }
    total += value;
    addNewest(0, value, 0);
    bucketCount++;
    for (int row = 0; row < rows && counts[row] == rowCapacity; row++) {
      int a = slot(row, 0);
      int b = slot(row, 1);
      double size = bucketSize(row);
      double diff = (sums[a] - sums[b]) / size;
      double mergedSum = sums[a] + sums[b];
      double mergedSquares = squares[a] + squares[b] + size * diff * diff / 2;
      removeOldest(row);
      removeOldest(row);
      addNewest(row + 1, mergedSum, mergedSquares);
      bucketCount--;
    }
  }

  /** Scans the cuts from oldest to newest; drops the oldest bucket at the first that passes. */
  private boolean cutOnce() {
    double n = width;
    double lnTerm = Math.log(2 * Math.log(n) / delta);
    double variance = squaredDeviations / n;
    long n0 = 0;
    double sum0 = 0;
    for (int row = rows - 1; row >= 0; row--) {
      long size = 1L << row;
      for (int j = 0; j < counts[row]; j++) {
        n0 += size;
        sum0 += sums[slot(row, j)];
        long n1 = width - n0;
        if (n1 < minSubWindow) {
          return false;
        }
        if (n0 >= minSubWindow) {
          double diff = sum0 / n0 - (total - sum0) / n1;
          double inverseM = 1.0 / (n0 - minSubWindow + 1) + 1.0 / (n1 - minSubWindow + 1);
          double epsilon = Math.sqrt(2 * inverseM * variance * lnTerm) + 2.0 / 3.0 * inverseM * lnTerm;
          if (Math.abs(diff) > epsilon) {
            dropOldest();
            return width > minWindow;
          }
        }
      }
    }
    return false;
  }

  private void dropOldest() {
    int row = rows - 1;
    int s = slot(row, 0);
    double size = bucketSize(row);
    double sum = sums[s];
    width -= (long) size;
    total -= sum;
    // Chan et al. in reverse: remove the bucket's own squares and its mean's deviation from the rest.
    double diff = sum / size - total / width;
    squaredDeviations -= squares[s] + size * width * diff * diff / (size + width);
    if (squaredDeviations < 0) {
      squaredDeviations = 0;
    }
    removeOldest(row);
    bucketCount--;
    while (rows > 0 && counts[rows - 1] == 0) {
      rows--;
    }
  }

  private int slot(int row, int j) {
    int k = heads[row] + j;
    if (k >= rowCapacity) {
      k -= rowCapacity;
    }
    return row * rowCapacity + k;
  }

  private static double bucketSize(int row) {
    return (double) (1L << row);
  }

  private void addNewest(int row, double sum, double squaresOfBucket) {
    if (row >= rows) {
      if (row >= heads.length) {
        grow(row);
      }
      rows = row + 1;
    }
    int s = slot(row, counts[row]);
    sums[s] = sum;
    squares[s] = squaresOfBucket;
    counts[row]++;
  }

  private void removeOldest(int row) {
    heads[row] = heads[row] + 1 == rowCapacity ? 0 : heads[row] + 1;
    counts[row]--;
  }

  private void grow(int row) {
    if (row >= MAX_ROWS) {
      throw new IllegalStateException("ADWIN window exceeds 2^" + MAX_ROWS + " values");
    }
    int slots = Math.min(MAX_ROWS, 2 * heads.length);
    sums = Arrays.copyOf(sums, slots * rowCapacity);
    squares = Arrays.copyOf(squares, slots * rowCapacity);
    heads = Arrays.copyOf(heads, slots);
    counts = Arrays.copyOf(counts, slots);
  }

  @Override
  public void reset() {
    Arrays.fill(heads, 0);
    Arrays.fill(counts, 0);
    rows = 0;
    bucketCount = 0;
    width = 0;
    total = 0;
    squaredDeviations = 0;
    time = 0;
    detections = 0;
  }

  @Override
  public long detections() {
    return detections;
  }

  @Override
  public String name() {
    return String.format(Locale.ROOT, increasesOnly ? "adwin(delta=%s, increases)" : "adwin(delta=%s)", delta);
  }

  /** W, the number of values in the window. */
  public long width() {
    return width;
  }

  /** The mean of the values in the window, exact; NaN when the window is empty. */
  public double mean() {
    return width == 0 ? Double.NaN : total / width;
  }

  /** The population variance of the values in the window, exact up to rounding; NaN when empty. */
  public double variance() {
    return width == 0 ? Double.NaN : squaredDeviations / width;
  }

  /** The number of buckets in the exponential histogram, at most M · (log2(W) + 1). */
  public int bucketCount() {
    return bucketCount;
  }

  /** The number of rows of the exponential histogram, at most log2(W) + 1. */
  public int rowCount() {
    return rows;
  }

  /** The confidence δ. */
  public double delta() {
    return delta;
  }

  /** M, the maximum number of buckets per row. */
  public int maxBuckets() {
    return maxBuckets;
  }
}
