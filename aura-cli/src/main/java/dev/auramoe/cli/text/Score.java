package dev.auramoe.cli.text;

import java.util.Arrays;

/**
 * What one contestant got right, quote by quote, in the order of the run: accuracy (overall and over
 * the last quotes), macro-F1, the confusion matrix, the learning curve and the cumulative regret.
 *
 * <p><b>Regret.</b> A quote's reward is 1 when the route's first (best) choice is the quote's
 * category, else 0; the best choice always earns 1, so a quote's regret is {@code 1 - reward} and the
 * cumulative regret after {@code t} quotes is the number of first choices that missed among them.
 */
public final class Score {

  private final int classes;
  private final long[][] confusion;
  private final boolean[] correct;
  private int n;

  /**
   * @param classes the number of categories
   * @param capacity the most quotes that will be recorded
   */
  public Score(int classes, int capacity) {
    if (classes < 1) {
      throw new IllegalArgumentException("classes must be at least 1, got " + classes);
    }
    this.classes = classes;
    this.confusion = new long[classes][classes];
    this.correct = new boolean[capacity];
  }

  /** Records the next quote: its category and the predicted one. */
  public void add(int label, int predicted) {
    if (predicted < 0 || predicted >= classes) {
      throw new IllegalArgumentException("predicted class " + predicted + " outside [0, " + classes + ")");
    }
    confusion[label][predicted]++;
    correct[n++] = label == predicted;
  }

  /** The number of quotes recorded. */
  public int count() {
    return n;
  }

  /** The number of categories. */
  public int classes() {
    return classes;
  }

  /** The share of quotes whose category was predicted (NaN before the first). */
  public double accuracy() {
    return accuracyOver(0, n);
  }

  /** The accuracy over the last {@code k} quotes, or all of them when there are fewer. */
  public double accuracyLast(int k) {
    return accuracyOver(Math.max(0, n - k), n);
  }

  /** The accuracy over quotes {@code from} (inclusive) to {@code to} (exclusive); NaN when empty. */
  public double accuracyOver(int from, int to) {
    if (to <= from) {
      return Double.NaN;
    }
    int hits = 0;
    for (int i = from; i < to; i++) {
      if (correct[i]) {
        hits++;
      }
    }
    return (double) hits / (to - from);
  }

  /**
   * The mean over categories of {@code F1 = 2 TP / (2 TP + FP + FN)}, over the categories that were
   * the label or the prediction of at least one quote (a category never seen nor predicted has no F1).
   * 1 exactly when every prediction was right; NaN before the first quote.
   */
  public double macroF1() {
    double sum = 0;
    int counted = 0;
    for (int c = 0; c < classes; c++) {
      long tp = confusion[c][c];
      long fn = 0;
      long fp = 0;
      for (int k = 0; k < classes; k++) {
        if (k != c) {
          fn += confusion[c][k];
          fp += confusion[k][c];
        }
      }
      if (tp + fp + fn > 0) {
        sum += 2.0 * tp / (2.0 * tp + fp + fn);
        counted++;
      }
    }
    return counted == 0 ? Double.NaN : sum / counted;
  }

  /** The cumulative regret over all quotes (see the class comment): the first choices that missed. */
  public long regret() {
    return regretAfter(n);
  }

  /** The cumulative regret after the first {@code t} quotes. */
  public long regretAfter(int t) {
    long r = 0;
    for (int i = 0; i < t; i++) {
      if (!correct[i]) {
        r++;
      }
    }
    return r;
  }

  /** The confusion matrix: {@code [category][predicted]} counts (a copy). */
  public long[][] confusion() {
    long[][] c = new long[classes][];
    for (int k = 0; k < classes; k++) {
      c[k] = confusion[k].clone();
    }
    return c;
  }

  /**
   * The learning curve: at each of {@code points} evenly spaced quote counts from {@code window} to
   * the end, the accuracy over the {@code window} quotes up to it (all of them when fewer were
   * recorded).
   *
   * @return {@code [0]} the quote counts, {@code [1]} the accuracies
   */
  public double[][] curve(int window, int points) {
    int w = Math.max(1, Math.min(window, n));
    int m = Math.max(1, Math.min(points, n - w + 1));
    double[] at = new double[m];
    double[] acc = new double[m];
    for (int p = 0; p < m; p++) {
      int end = m == 1 ? n : w + (int) Math.round((double) p * (n - w) / (m - 1));
      at[p] = end;
      acc[p] = accuracyOver(end - w, end);
    }
    return new double[][] {at, acc};
  }

  /**
   * The cumulative regret at {@code points} evenly spaced quote counts from 1 to the end.
   *
   * @return {@code [0]} the quote counts, {@code [1]} the regret after each
   */
  public double[][] regretCurve(int points) {
    int m = Math.max(1, Math.min(points, n));
    double[] at = new double[m];
    double[] r = new double[m];
    long[] cumulative = new long[n + 1];
    for (int i = 0; i < n; i++) {
      cumulative[i + 1] = cumulative[i] + (correct[i] ? 0 : 1);
    }
    for (int p = 0; p < m; p++) {
      int t = m == 1 ? n : 1 + (int) Math.round((double) p * (n - 1) / (m - 1));
      at[p] = t;
      r[p] = cumulative[t];
    }
    return new double[][] {at, r};
  }

  @Override
  public String toString() {
    return "Score[" + n + " quotes, accuracy " + accuracy() + ", confusion " + Arrays.deepToString(confusion) + "]";
  }
}
