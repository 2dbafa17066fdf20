package dev.auramoe.seq;

import java.util.Arrays;

/**
 * Each expert's share of a mixture's work over many batches: the mean of its mixing weight over
 * the sequences seen, overall and per class. Feed it the gate's weights after each prediction
 * ({@link MultiRateMoE#gateWeights()}); an expert that top-k leaves out of a sequence counts 0 there.
 * Not thread-safe.
 */
public final class ExpertShares {

  private final int experts;
  private final int classes;
  private final double[] overall;
  private final double[] byClass;
  private final long[] perClass;
  private long count;

  /**
   * @param classes the classes to tally separately, 0 for none (a regression)
   */
  public ExpertShares(int experts, int classes) {
    if (experts <= 0 || classes < 0) {
      throw new IllegalArgumentException("need experts > 0 and classes >= 0, got " + experts + ", " + classes);
    }
    this.experts = experts;
    this.classes = classes;
    this.overall = new double[experts];
    this.byClass = new double[Math.multiplyExact(experts, classes)];
    this.perClass = new long[classes];
  }

  /**
   * Adds {@code rows} sequences' weights.
   *
   * @param weights rows * N mixing weights, not modified
   * @param labels each sequence's class in [0, classes), or null (only the overall share then)
   */
  public void add(float[] weights, int[] labels, int rows) {
    if (weights.length < rows * experts || (labels != null && labels.length < rows)) {
      throw new IllegalArgumentException(rows + " rows need " + rows * experts + " weights and " + rows + " labels");
    }
    if (labels != null) {
      for (int r = 0; r < rows; r++) {
        if (labels[r] < 0 || labels[r] >= classes) {
          throw new IllegalArgumentException("label " + labels[r] + " of row " + r + " is outside [0, " + classes + ")");
        }
      }
    }
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < experts; i++) {
        overall[i] += weights[r * experts + i];
        if (labels != null) {
          byClass[labels[r] * experts + i] += weights[r * experts + i];
        }
      }
      if (labels != null) {
        perClass[labels[r]]++;
      }
    }
    count += rows;
  }

  /** Sequences added. */
  public long count() {
    return count;
  }

  /** Sequences of class c added. */
  public long count(int c) {
    return perClass[c];
  }

  /** Each expert's mean weight over every sequence added (N values summing to 1; zeros before any). */
  public double[] overall() {
    double[] out = new double[experts];
    for (int i = 0; i < experts; i++) {
      out[i] = count == 0 ? 0 : overall[i] / count;
    }
    return out;
  }

  /** Each expert's mean weight over the sequences of class c (zeros when none was added). */
  public double[] byClass(int c) {
    if (c < 0 || c >= classes) {
      throw new IllegalArgumentException("class " + c + " is outside [0, " + classes + ")");
    }
    double[] out = new double[experts];
    for (int i = 0; i < experts; i++) {
      out[i] = perClass[c] == 0 ? 0 : byClass[c * experts + i] / perClass[c];
    }
    return out;
  }

  /** Forgets everything added. */
  public void clear() {
    Arrays.fill(overall, 0);
    Arrays.fill(byClass, 0);
    Arrays.fill(perClass, 0);
    count = 0;
  }
}
