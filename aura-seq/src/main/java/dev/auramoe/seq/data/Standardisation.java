package dev.auramoe.seq.data;

import dev.auramoe.seq.SequenceBatch;
import java.util.Arrays;

/**
 * Per-feature standardisation, {@code (v - mean[i]) / std[i]}, with the statistics of a training set:
 * computed once by {@link #fit} and applied unchanged to the training, held-out and test sets (and
 * saved with a model, so that what it is given later is scaled as what it learnt from). A value
 * class: immutable, equal when its numbers are. The statistics are doubles and each value is
 * standardised in double, then rounded to float: a float mean of a feature near 1e6 would be off by
 * up to 0.03, a hundredth of a standard deviation of 3.
 *
 * <p>{@link #fit} takes the mean and the population standard deviation of each feature over every
 * real step of every sequence, in double and in two passes (mean, then the squared deviations). A feature that is constant on the training set
 * (a standard deviation of at most 1e-12 times max(1, |mean|), which is rounding) gets std 1: it is
 * only centred, not blown up.
 */
public final class Standardisation {

  private final double[] mean;
  private final double[] std;

  /**
   * @param mean one per feature, finite
   * @param std one per feature, finite and &gt; 0
   */
  public Standardisation(double[] mean, double[] std) {
    if (mean.length == 0 || mean.length != std.length) {
      throw new IllegalArgumentException("need one mean and one standard deviation per feature, got " + mean.length
          + " and " + std.length);
    }
    for (int i = 0; i < mean.length; i++) {
      if (!Double.isFinite(mean[i]) || !Double.isFinite(std[i]) || !(std[i] > 0)) {
        throw new IllegalArgumentException("feature " + i + ": the mean must be finite and the standard deviation "
            + "finite and > 0, got " + mean[i] + " and " + std[i]);
      }
    }
    this.mean = mean.clone();
    this.std = std.clone();
  }

  /** The statistics of {@code training}'s features. */
  public static Standardisation fit(SequenceDataset training) {
    int f = training.features();
    double[] means = new double[f];
    double[] variances = new double[f];
    training.moments(means, variances);
    return ofMoments(means, variances);
  }

  /**
   * The standardisation of features with these means and population variances (computed by the
   * caller over its own layout, such as an image's channels), with the rule of {@link #fit}: a
   * feature whose standard deviation is rounding (at most 1e-12 times max(1, |mean|)) gets std 1.
   *
   * @throws IllegalArgumentException when the lengths differ, a mean is not finite or a variance not
   *     finite and &gt;= 0
   */
  public static Standardisation ofMoments(double[] mean, double[] variance) {
    if (mean.length != variance.length) {
      throw new IllegalArgumentException("need one variance per mean, got " + mean.length + " means and "
          + variance.length + " variances");
    }
    double[] std = new double[mean.length];
    for (int i = 0; i < mean.length; i++) {
      if (!(variance[i] >= 0) || Double.isInfinite(variance[i])) {
        throw new IllegalArgumentException("feature " + i + ": the variance must be finite and >= 0, got "
            + variance[i]);
      }
      double sd = Math.sqrt(variance[i]);
      std[i] = sd > 1e-12 * Math.max(1, Math.abs(mean[i])) ? sd : 1;
    }
    return new Standardisation(mean, std);
  }

  /** Number of features. */
  public int features() {
    return mean.length;
  }

  /** Feature i's mean. */
  public double mean(int i) {
    return mean[i];
  }

  /** Feature i's standard deviation (1 for a feature that was constant). */
  public double std(int i) {
    return std[i];
  }

  /**
   * The data set with every step's features standardised (ids, lengths, elapsed times and labels as
   * they were).
   *
   * @throws IllegalArgumentException when its feature count differs
   */
  public SequenceDataset apply(SequenceDataset data) {
    check(data.features());
    return data.mapSteps(this::applyStep);
  }

  /**
   * Standardises a batch in place: every real step of every row; padding (the steps before
   * {@code first[r]}) stays 0. Does not allocate.
   */
  public void apply(SequenceBatch batch) {
    check(batch.features());
    int n = batch.size();
    int f = mean.length;
    for (int t = 0; t < batch.steps(); t++) {
      for (int r = 0; r < n; r++) {
        if (t >= batch.first()[r]) {
          applyStep(batch.x(), (t * n + r) * f);
        }
      }
    }
  }

  /** Standardises one step's features, {@code values[from .. from + features - 1]}, in place. */
  public void applyStep(float[] values, int from) {
    for (int i = 0; i < mean.length; i++) {
      values[from + i] = (float) ((values[from + i] - mean[i]) / std[i]);
    }
  }

  private void check(int features) {
    if (features != mean.length) {
      throw new IllegalArgumentException("the standardisation has " + mean.length + " features, the data "
          + features);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Standardisation s && Arrays.equals(mean, s.mean) && Arrays.equals(std, s.std);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(mean) + Arrays.hashCode(std);
  }

  @Override
  public String toString() {
    return "Standardisation[mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + "]";
  }
}
