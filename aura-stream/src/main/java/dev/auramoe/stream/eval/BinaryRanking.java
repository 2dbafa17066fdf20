package dev.auramoe.stream.eval;

import java.util.Arrays;

/**
 * The area under the ROC curve and the average precision of a two-class classifier's scores, exact,
 * over every instance added (prequential use: each score is taken before the learner learns from its
 * instance).
 *
 * <ul>
 *   <li><b>AUROC</b> is the Mann-Whitney statistic: the chance that a positive instance scores above a
 *       negative one, ties counting one half, which is the rank-sum formula with tied scores given
 *       their average rank: {@code (sum of the positives' ranks - P(P+1)/2) / (P N)}.
 *   <li><b>AUPRC</b> is the average precision, {@code sum_k (R_k - R_(k-1)) P_k} over the distinct
 *       scores from the highest down, with {@code P_k} and {@code R_k} the precision and recall of
 *       calling positive every instance that scores at least the k-th: the step-wise area, without
 *       interpolation, as scikit-learn's {@code average_precision_score}; tied scores enter
 *       together.
 * </ul>
 *
 * Both are undefined (NaN) unless both classes occur. Each instance keeps the scores of both classes
 * (8 bytes per instance, in arrays that double as they fill), so that the positive class can be
 * chosen at the end ({@link #minorityClass()}); computing a result sorts them, O(n log n). A NaN
 * score ranks below every other.
 */
public final class BinaryRanking {

  /**
   * The figures for one choice of the positive class.
   *
   * @param positiveClass the class counted as positive, 0 or 1
   * @param positives instances of the positive class
   * @param negatives instances of the other class
   * @param auroc the area under the ROC curve, NaN when a class is absent
   * @param averagePrecision the average precision (AUPRC), NaN when a class is absent
   */
  public record Result(int positiveClass, long positives, long negatives, double auroc, double averagePrecision) {

    /** Whether both classes occur, so that the figures are defined. */
    public boolean defined() {
      return positives > 0 && negatives > 0;
    }
  }

  /** The most instances one ranking keeps: two scores each in one float array. */
  public static final int MAX_INSTANCES = (Integer.MAX_VALUE - 8) / 2;

  private float[] scores = new float[2 * 1024];
  private long[] labels = new long[1024 / 64];
  private int n;
  private final long[] count = new long[2];
  private final int maxInstances;

  /** An empty ranking that keeps up to {@link #MAX_INSTANCES} instances. */
  public BinaryRanking() {
    this(MAX_INSTANCES);
  }

  /** An empty ranking that keeps up to {@code maxInstances} (in [1, {@link #MAX_INSTANCES}]); for tests. */
  BinaryRanking(int maxInstances) {
    if (maxInstances < 1 || maxInstances > MAX_INSTANCES) {
      throw new IllegalArgumentException("maxInstances must lie in [1, " + MAX_INSTANCES + "], got " + maxInstances);
    }
    this.maxInstances = maxInstances;
  }

  /**
   * Adds one instance: its class and the classifier's scores for class 0 and class 1.
   *
   * @throws IllegalArgumentException when the class is not 0 or 1
   * @throws IllegalStateException past {@link #MAX_INSTANCES} instances (nothing added)
   */
  public void add(int actual, float scoreOf0, float scoreOf1) {
    if (actual != 0 && actual != 1) {
      throw new IllegalArgumentException("class must be 0 or 1, got " + actual);
    }
    if (n == maxInstances) {
      throw new IllegalStateException("AUROC and AUPRC keep the scores of at most " + maxInstances
          + " instances; this stream has more");
    }
    if (2 * n + 2 > scores.length) {
      scores = Arrays.copyOf(scores, (int) Math.min(2L * maxInstances, 2L * scores.length));
      labels = Arrays.copyOf(labels, scores.length / 128 + 1);
    }
    scores[2 * n] = scoreOf0;
    scores[2 * n + 1] = scoreOf1;
    if (actual == 1) {
      labels[n >>> 6] |= 1L << n;
    }
    count[actual]++;
    n++;
  }

  /** Instances added. */
  public long instances() {
    return n;
  }

  /** Instances of class {@code c} (0 or 1) added. */
  public long count(int c) {
    return count[c];
  }

  /** The class with fewer instances; class 1 when both have as many. */
  public int minorityClass() {
    return count[0] < count[1] ? 0 : 1;
  }

  /** AUROC and average precision with {@code positiveClass} (0 or 1) as the positive class and its score. */
  public Result result(int positiveClass) {
    if (positiveClass != 0 && positiveClass != 1) {
      throw new IllegalArgumentException("positive class must be 0 or 1, got " + positiveClass);
    }
    long[] keys = new long[n];
    for (int i = 0; i < n; i++) {
      boolean positive = ((labels[i >>> 6] >>> i) & 1L) == positiveClass;
      keys[i] = key(scores[2 * i + positiveClass], positive);
    }
    return compute(positiveClass, keys);
  }

  /**
   * AUROC and average precision of {@code scores} against {@code positive} (the same length), for
   * a caller that holds all the scores already.
   */
  public static Result of(float[] scores, boolean[] positive) {
    if (scores.length != positive.length) {
      throw new IllegalArgumentException(scores.length + " scores and " + positive.length + " labels");
    }
    long[] keys = new long[scores.length];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = key(scores[i], positive[i]);
    }
    return compute(1, keys);
  }

  /**
   * A sort key: the score's order in the high bits (NaN lowest), the label in the lowest, so that
   * sorting groups tied scores and counts their labels.
   */
  private static long key(float score, boolean positive) {
    int order;
    if (Float.isNaN(score)) {
      order = Integer.MIN_VALUE;
    } else {
      // + 0f makes -0 into +0, which compare equal as floats; the flip makes the bits order as the floats do
      int bits = Float.floatToIntBits(score + 0f);
      order = bits >= 0 ? bits : bits ^ 0x7fffffff;
      order = Math.max(order, Integer.MIN_VALUE + 1);
    }
    return ((long) order << 1) | (positive ? 1 : 0);
  }

  private static Result compute(int positiveClass, long[] keys) {
    Arrays.sort(keys);
    long positives = 0;
    for (long k : keys) {
      positives += k & 1;
    }
    long negatives = keys.length - positives;
    if (positives == 0 || negatives == 0) {
      return new Result(positiveClass, positives, negatives, Double.NaN, Double.NaN);
    }
    // Ascending: each positive beats the negatives below its group and ties with half of those in it.
    long twiceU = 0;
    long negativesBelow = 0;
    for (int i = 0; i < keys.length; ) {
      int j = i;
      long groupPositives = 0;
      while (j < keys.length && keys[j] >> 1 == keys[i] >> 1) {
        groupPositives += keys[j] & 1;
        j++;
      }
      long groupNegatives = (j - i) - groupPositives;
      twiceU += groupPositives * (2 * negativesBelow + groupNegatives);
      negativesBelow += groupNegatives;
      i = j;
    }
    // Descending: each group of tied scores is one threshold.
    double precisionSum = 0;
    long truePositives = 0;
    long called = 0;
    for (int j = keys.length; j > 0; ) {
      int i = j;
      long groupPositives = 0;
      while (i > 0 && keys[i - 1] >> 1 == keys[j - 1] >> 1) {
        groupPositives += keys[i - 1] & 1;
        i--;
      }
      truePositives += groupPositives;
      called += j - i;
      precisionSum += groupPositives * ((double) truePositives / called);
      j = i;
    }
    return new Result(positiveClass, positives, negatives, twiceU / (2.0 * positives * negatives),
        precisionSum / positives);
  }
}
