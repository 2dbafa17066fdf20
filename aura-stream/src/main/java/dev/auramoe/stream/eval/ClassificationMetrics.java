package dev.auramoe.stream.eval;

/**
 * Accuracy and Cohen's kappa of a classifier, cumulative and over a sliding window of the last
 * {@code window} instances, from confusion counts:
 *
 * <pre>
 * accuracy p0 = correct / n
 * chance   pc = sum_c (true_c / n) (predicted_c / n)
 * kappa       = (p0 - pc) / (1 - pc)        (0 when pc = 1)
 * </pre>
 *
 * Allocation-free per instance.
 */
public final class ClassificationMetrics {

  private final int classes;
  private final long[] trueCount;
  private final long[] predCount;
  private long n;
  private long correct;
  private final int window;
  private final int[] ringTrue;
  private final int[] ringPred;
  private int ringNext;
  private int ringSize;
  private final long[] wTrue;
  private final long[] wPred;
  private long wCorrect;

  /**
   * @param classes number of classes, at least 1
   * @param window sliding-window length, at least 1
   */
  public ClassificationMetrics(int classes, int window) {
    if (classes < 1 || window < 1) {
      throw new IllegalArgumentException("need classes >= 1 and window >= 1, got " + classes + ", " + window);
    }
    this.classes = classes;
    this.window = window;
    trueCount = new long[classes];
    predCount = new long[classes];
    ringTrue = new int[window];
    ringPred = new int[window];
    wTrue = new long[classes];
    wPred = new long[classes];
  }

  /** Adds one (true class, predicted class) pair. */
  public void add(int actual, int predicted) {
    if (actual < 0 || actual >= classes || predicted < 0 || predicted >= classes) {
      throw new IllegalArgumentException("classes must lie in 0.." + (classes - 1) + ", got " + actual + " and "
          + predicted);
    }
    n++;
    trueCount[actual]++;
    predCount[predicted]++;
    if (actual == predicted) {
      correct++;
      wCorrect++;
    }
    if (ringSize == window) {
      int ot = ringTrue[ringNext];
      int op = ringPred[ringNext];
      wTrue[ot]--;
      wPred[op]--;
      if (ot == op) {
        wCorrect--;
      }
    } else {
      ringSize++;
    }
    ringTrue[ringNext] = actual;
    ringPred[ringNext] = predicted;
    ringNext = (ringNext + 1) % window;
    wTrue[actual]++;
    wPred[predicted]++;
  }

  public long instances() {
    return n;
  }

  public double accuracy() {
    return n == 0 ? Double.NaN : (double) correct / n;
  }

  public double kappa() {
    return kappa(correct, n, trueCount, predCount);
  }

  public double windowAccuracy() {
    return ringSize == 0 ? Double.NaN : (double) wCorrect / ringSize;
  }

  public double windowKappa() {
    return kappa(wCorrect, ringSize, wTrue, wPred);
  }

  private double kappa(long ok, long total, long[] t, long[] p) {
    if (total == 0) {
      return Double.NaN;
    }
    double p0 = (double) ok / total;
    double pc = 0;
    for (int c = 0; c < classes; c++) {
      pc += ((double) t[c] / total) * ((double) p[c] / total);
    }
    return pc >= 1 ? 0 : (p0 - pc) / (1 - pc);
  }
}
