package dev.auramoe.seq;

/** Losses with their gradients, averaged over the rows of a batch. */
public final class Losses {

  private Losses() {}

  /**
   * Softmax cross-entropy, the mean over rows, and its gradient.
   *
   * <pre>
   * p[r][k]      = exp(z[r][k] - max_k z[r]) / sum_k exp(z[r][k] - max_k z[r])
   * L            = -(1 / rows) sum_r log p[r][label_r]
   * dL/dz[r][k]  = (p[r][k] - [k == label_r]) / rows
   * </pre>
   *
   * @param logits rows*classes, not modified
   * @param labels rows class indices in [0, classes), not modified
   * @param dLogits receives rows*classes gradients (may alias logits), or null
   * @return L, computed in double
   */
  public static double softmaxCrossEntropy(float[] logits, int[] labels, int rows, int classes, float[] dLogits) {
    if (classes <= 0 || rows <= 0 || logits.length < rows * classes || labels.length < rows
        || (dLogits != null && dLogits.length < rows * classes)) {
      throw new IllegalArgumentException("softmax cross-entropy: " + rows + " rows of " + classes
          + " classes do not fit the arrays given");
    }
    // Every label is checked before any gradient is written (dLogits may alias the logits).
    for (int r = 0; r < rows; r++) {
      if (labels[r] < 0 || labels[r] >= classes) {
        throw new IllegalArgumentException("label " + labels[r] + " of row " + r + " is outside [0, " + classes + ")");
      }
    }
    double loss = 0;
    double invRows = 1.0 / rows;
    for (int r = 0; r < rows; r++) {
      int o = r * classes;
      int label = labels[r];
      double max = Double.NEGATIVE_INFINITY;
      for (int k = 0; k < classes; k++) {
        max = Math.max(max, logits[o + k]);
      }
      double sum = 0;
      for (int k = 0; k < classes; k++) {
        sum += StrictMath.exp(logits[o + k] - max);
      }
      double logSum = StrictMath.log(sum) + max;
      loss += logSum - logits[o + label];
      if (dLogits != null) {
        for (int k = 0; k < classes; k++) {
          double p = StrictMath.exp(logits[o + k] - logSum);
          dLogits[o + k] = (float) ((p - (k == label ? 1 : 0)) * invRows);
        }
      }
    }
    return loss * invRows;
  }
}
