package dev.auramoe.seq;

/**
 * Losses with their gradients, averaged over the rows of a batch.
 *
 * <p>The cross-entropy shares {@link Softmax}'s shift and normaliser but not its float
 * probabilities: the loss needs {@code log sum exp} in double (a log of a float p rounds a confident
 * row's loss to 0, or to infinity where p underflows), and the gradient {@code p - 1} of the labelled
 * class from a float p would keep only the float's last bits of a confident row.
 */
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
      // The softmax's own shift and normaliser; the probabilities stay in double (see the class comment).
      double max = Softmax.max(logits, o, classes);
      double logSum = StrictMath.log(Softmax.sumExp(logits, o, classes, max)) + max;
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

  /**
   * Mean squared error over every value of a batch of regression targets, and its gradient.
   *
   * <pre>
   * L          = (1 / (rows dim)) sum_r sum_k (y[r][k] - t[r][k])^2
   * dL/dy[r][k] = 2 (y[r][k] - t[r][k]) / (rows dim)
   * </pre>
   *
   * The mean over the targets too (not only the rows), so that the loss's scale does not grow with
   * the number of targets, as PyTorch's {@code MSELoss} with its default reduction.
   *
   * @param predictions rows*dim, not modified
   * @param targets rows*dim, each finite, not modified
   * @param dPredictions receives rows*dim gradients (may alias predictions), or null
   * @return L, computed in double
   */
  public static double meanSquaredError(float[] predictions, float[] targets, int rows, int dim, float[] dPredictions) {
    if (dim <= 0 || rows <= 0 || predictions.length < rows * dim || targets.length < rows * dim
        || (dPredictions != null && dPredictions.length < rows * dim)) {
      throw new IllegalArgumentException("mean squared error: " + rows + " rows of " + dim
          + " targets do not fit the arrays given");
    }
    int n = rows * dim;
    // Every target is checked before any gradient is written (dPredictions may alias the predictions).
    for (int k = 0; k < n; k++) {
      if (!Float.isFinite(targets[k])) {
        throw new IllegalArgumentException("target " + k % dim + " of row " + k / dim + " is not finite: " + targets[k]);
      }
    }
    double loss = 0;
    double inv = 1.0 / n;
    for (int k = 0; k < n; k++) {
      double d = (double) predictions[k] - targets[k];
      loss += d * d;
      if (dPredictions != null) {
        dPredictions[k] = (float) (2 * d * inv);
      }
    }
    return loss * inv;
  }
}
