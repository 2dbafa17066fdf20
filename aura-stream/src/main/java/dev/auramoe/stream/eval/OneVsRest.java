package dev.auramoe.stream.eval;

/**
 * Macro-averaged AUROC and average precision (AUPRC) of a many-class classifier: each class in turn is
 * the positive one, scored by its own probability against every other class ({@link BinaryRanking}'s
 * exact figures), and the classes' figures are averaged with equal weight, as scikit-learn's
 * {@code roc_auc_score(multi_class="ovr", average="macro")} and
 * {@code average_precision_score(average="macro")} on one-hot labels do. A class absent from the
 * labels has no figure (NaN) and is left out of the averages.
 */
public final class OneVsRest {

  /**
   * The averages and each class's figures.
   *
   * @param macroAuroc mean AUROC over the classes that occur (NaN when none is defined)
   * @param macroAuprc mean average precision over the classes that occur
   * @param perClass each class's result, index = class
   */
  public record Result(double macroAuroc, double macroAuprc, BinaryRanking.Result[] perClass) {

    public Result {
      perClass = perClass.clone();
    }

    @Override
    public BinaryRanking.Result[] perClass() {
      return perClass.clone();
    }
  }

  private OneVsRest() {}

  /**
   * Macro AUROC and AUPRC of {@code n} instances.
   *
   * @param scores {@code n * classes} scores, instance-major (probabilities or any monotone score per class)
   * @param labels {@code n} classes, each in [0, classes)
   * @throws IllegalArgumentException when the shapes do not fit or a label is out of range
   */
  public static Result of(float[] scores, int[] labels, int n, int classes) {
    if (classes < 2 || n < 0 || (long) n * classes > scores.length || n > labels.length) {
      throw new IllegalArgumentException("one-vs-rest ranking: " + n + " instances of " + classes
          + " classes need " + (long) n * classes + " scores and " + n + " labels, got " + scores.length + " and "
          + labels.length);
    }
    for (int i = 0; i < n; i++) {
      if (labels[i] < 0 || labels[i] >= classes) {
        throw new IllegalArgumentException("label " + labels[i] + " of instance " + i + " is not in [0, " + classes + ")");
      }
    }
    float[] column = new float[n];
    boolean[] positive = new boolean[n];
    BinaryRanking.Result[] per = new BinaryRanking.Result[classes];
    double rocSum = 0;
    double prSum = 0;
    int defined = 0;
    for (int c = 0; c < classes; c++) {
      for (int i = 0; i < n; i++) {
        column[i] = scores[i * classes + c];
        positive[i] = labels[i] == c;
      }
      per[c] = BinaryRanking.of(column, positive);
      if (per[c].defined()) {
        rocSum += per[c].auroc();
        prSum += per[c].averagePrecision();
        defined++;
      }
    }
    return defined == 0
        ? new Result(Double.NaN, Double.NaN, per)
        : new Result(rocSum / defined, prSum / defined, per);
  }
}
