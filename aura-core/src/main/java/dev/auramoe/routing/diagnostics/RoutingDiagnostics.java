package dev.auramoe.routing.diagnostics;

import java.util.Arrays;

/**
 * Cheap, always-on routing diagnostics: per-expert load over a window and as a moving average,
 * max/mean load, coefficient of variation, routing entropy, experts per token, an effective
 * routing temperature, stickiness and expert-cache hit rate, and a label-by-expert specialisation
 * matrix with its mutual information.
 *
 * <p>Recording a token costs O(E + k) and allocates nothing; {@link #stats()} allocates the
 * snapshot. Not thread-safe: feed it from one thread (or under the model's lock).
 *
 * <pre>{@code
 * RoutingDiagnostics d = new RoutingDiagnostics(experts, 1024, 0.99, labels);
 * d.record(chosenExperts, k, probabilities, regime);   // per token
 * d.endSegment();                                       // between streams or episodes
 * RoutingStats s = d.stats();
 * List<WindowSummary> overTime = d.history();            // one summary per full window
 * }</pre>
 */
public final class RoutingDiagnostics {

  private final int experts;
  private final int window;
  private final double decay;
  private final int labels;
  private final long[] windowCounts;
  private final long[] lastWindow;
  private boolean haveFullWindow;
  private int inWindow;
  private final double[] ema;
  private final double[] probSum;
  private double entropySum;
  private long probTokens;
  private long tokens;
  private long slots;
  private final long[][] joint;
  // stickiness: the previous token's expert set as a bitset-like sorted copy
  private final int[] prev;
  private int prevK = -1;
  private long sticky;
  private long pairs;
  // expert cache: LRU order, most recent first
  private final int[] cache;
  private int cacheSize;
  private long hits;
  private long lookups;
  private final int[] sorted;
  // over time: one summary per full window, in a ring of the last historyLength windows
  private final WindowSummary[] history;
  private int historyNext;
  private long windowsDone;
  private long windowSlots;
  private double windowEntropy;
  private long windowProbTokens;

  /** Default number of window summaries kept by {@link #history()}. */
  public static final int DEFAULT_HISTORY = 1024;

  /**
   * @param experts number of experts
   * @param window tokens per load window (&gt;= 1)
   * @param decay moving-average decay per token in [0, 1)
   * @param labels number of labels (regimes, classes) for the specialisation matrix, 0 for none
   */
  public RoutingDiagnostics(int experts, int window, double decay, int labels) {
    this(experts, window, decay, labels, DEFAULT_HISTORY);
  }

  /**
   * @param historyLength window summaries kept for {@link #history()} (&gt;= 0), the oldest dropped
   *     first
   */
  public RoutingDiagnostics(int experts, int window, double decay, int labels, int historyLength) {
    if (experts <= 0 || window <= 0 || !(decay >= 0 && decay < 1) || labels < 0 || historyLength < 0) {
      throw new IllegalArgumentException("need experts > 0, window > 0, decay in [0, 1), labels >= 0 and "
          + "historyLength >= 0, got " + experts + ", " + window + ", " + decay + ", " + labels + ", " + historyLength);
    }
    this.history = new WindowSummary[historyLength];
    this.experts = experts;
    this.window = window;
    this.decay = decay;
    this.labels = labels;
    this.windowCounts = new long[experts];
    this.lastWindow = new long[experts];
    this.ema = new double[experts];
    this.probSum = new double[experts];
    this.joint = new long[labels][experts];
    this.prev = new int[experts];
    this.cache = new int[experts];
    this.sorted = new int[experts];
  }

  /** Tokens per load window. */
  public int window() {
    return window;
  }

  /** Per-token decay of the moving-average load. */
  public double decay() {
    return decay;
  }

  /** Labels of the specialisation matrix (0 for none). */
  public int labels() {
    return labels;
  }

  /** Window summaries kept by {@link #history()}. */
  public int historyLength() {
    return history.length;
  }

  /**
   * Records one token.
   *
   * @param chosen the real experts of the token in {@code chosen[0..k)}; not modified
   * @param probs the router's probabilities for the token, or null; not modified
   * @param label the token's label in [0, labels), or -1 for none
   */
  public void record(int[] chosen, int k, float[] probs, int label) {
    tokens++;
    slots += k;
    windowSlots += k;
    double keep = decay;
    double add = 1 - decay;
    for (int e = 0; e < experts; e++) {
      ema[e] *= keep;
    }
    for (int j = 0; j < k; j++) {
      int e = chosen[j];
      windowCounts[e]++;
      ema[e] += add / Math.max(1, k);
      if (label >= 0 && label < labels) {
        joint[label][e]++;
      }
    }
    if (probs != null) {
      double h = 0;
      for (int e = 0; e < experts; e++) {
        double p = probs[e];
        probSum[e] += p;
        if (p > 0) {
          h -= p * Math.log(p);
        }
      }
      entropySum += h / Math.log(2);
      probTokens++;
      windowEntropy += h / Math.log(2);
      windowProbTokens++;
    }
    if (++inWindow == window) {
      System.arraycopy(windowCounts, 0, lastWindow, 0, experts);
      Arrays.fill(windowCounts, 0);
      inWindow = 0;
      haveFullWindow = true;
      endWindow();
    }
    // Stickiness: compare the sorted expert set with the previous token's.
    System.arraycopy(chosen, 0, sorted, 0, k);
    Arrays.sort(sorted, 0, k);
    if (prevK >= 0) {
      pairs++;
      if (prevK == k && Arrays.equals(prev, 0, k, sorted, 0, k)) {
        sticky++;
      }
    }
    System.arraycopy(sorted, 0, prev, 0, k);
    prevK = k;
    // LRU expert cache holding twice the mean active experts.
    int capacity = (int) Math.min(experts, Math.max(1, Math.round(2.0 * slots / tokens)));
    for (int j = 0; j < k; j++) {
      int e = chosen[j];
      lookups++;
      int at = -1;
      for (int i = 0; i < cacheSize; i++) {
        if (cache[i] == e) {
          at = i;
          break;
        }
      }
      if (at >= 0) {
        hits++;
      } else {
        at = Math.min(cacheSize, capacity - 1);
        if (cacheSize < capacity) {
          cacheSize++;
        }
      }
      // move to front
      System.arraycopy(cache, 0, cache, 1, at);
      cache[0] = e;
    }
    cacheSize = Math.min(cacheSize, capacity);
  }

  private void endWindow() {
    if (history.length > 0) {
      double total = 0;
      double max = 0;
      for (long c : lastWindow) {
        total += c;
        max = Math.max(max, c);
      }
      double mean = total / experts;
      double var = 0;
      for (long c : lastWindow) {
        var += (c - mean) * (c - mean);
      }
      var /= experts;
      history[historyNext] = new WindowSummary(windowsDone, tokens, mean == 0 ? 0 : max / mean,
          mean == 0 ? 0 : Math.sqrt(var) / mean, windowProbTokens == 0 ? Double.NaN : windowEntropy / windowProbTokens,
          (double) windowSlots / window);
      historyNext = (historyNext + 1) % history.length;
    }
    windowsDone++;
    windowSlots = 0;
    windowEntropy = 0;
    windowProbTokens = 0;
  }

  /**
   * One full load window: its index since creation, the tokens recorded when it closed, its max/mean
   * load and coefficient of variation, mean router entropy in bits (NaN when no probabilities were
   * given) and mean experts per token.
   */
  public record WindowSummary(long index, long endToken, double maxOverMean, double coefficientOfVariation,
      double routingEntropy, double expertsPerToken) {}

  /** The summaries of the last full windows (at most the history length), oldest first. */
  public java.util.List<WindowSummary> history() {
    int n = (int) Math.min(windowsDone, history.length);
    java.util.List<WindowSummary> out = new java.util.ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(history[Math.floorMod(historyNext - n + i, history.length)]);
    }
    return out;
  }

  /** Ends a segment (a stream or episode): the next token starts a new stickiness run. */
  public void endSegment() {
    prevK = -1;
  }

  /** The current statistics. */
  public RoutingStats stats() {
    long[] w = haveFullWindow ? lastWindow : windowCounts;
    double total = 0;
    for (long c : w) {
      total += c;
    }
    double[] load = new double[experts];
    for (int e = 0; e < experts; e++) {
      load[e] = total == 0 ? 0 : w[e] / total;
    }
    double mean = total == 0 ? 0 : 1.0 / experts;
    double max = 0;
    double var = 0;
    for (double l : load) {
      max = Math.max(max, l);
      var += (l - mean) * (l - mean);
    }
    var /= experts;
    double maxOverMean = mean == 0 ? 0 : max / mean;
    double cv = mean == 0 ? 0 : Math.sqrt(var) / mean;
    double emaTotal = Arrays.stream(ema).sum();
    double[] avg = new double[experts];
    for (int e = 0; e < experts; e++) {
      avg[e] = emaTotal == 0 ? 0 : ema[e] / emaTotal;
    }
    long[][] spec = new long[labels][];
    for (int l = 0; l < labels; l++) {
      spec[l] = joint[l].clone();
    }
    return new RoutingStats(tokens, load, avg, maxOverMean, cv, probTokens == 0 ? 0 : entropySum / probTokens,
        tokens == 0 ? 0 : (double) slots / tokens, effectiveTemperature(load), pairs == 0 ? 0 : (double) sticky / pairs,
        lookups == 0 ? 0 : (double) hits / lookups, spec, mutualInformation(joint));
  }

  /**
   * The T at which softmax(u / T), u = log(mean router probability), has the entropy of the
   * observed load: bisection on log T (entropy grows with T).
   */
  private double effectiveTemperature(double[] load) {
    if (probTokens == 0) {
      return Double.NaN;
    }
    double target = entropy(load);
    double[] u = new double[experts];
    double umax = Double.NEGATIVE_INFINITY;
    double umin = Double.POSITIVE_INFINITY;
    for (int e = 0; e < experts; e++) {
      u[e] = Math.log(Math.max(probSum[e] / probTokens, 1e-30));
      umax = Math.max(umax, u[e]);
      umin = Math.min(umin, u[e]);
    }
    if (umax - umin < 1e-12) {
      return Double.NaN; // the router is uniform: every temperature explains it equally
    }
    double lo = Math.log(1e-4);
    double hi = Math.log(1e4);
    if (target <= softmaxEntropy(u, Math.exp(lo))) {
      return Math.exp(lo);
    }
    if (target >= softmaxEntropy(u, Math.exp(hi))) {
      return Math.exp(hi);
    }
    for (int i = 0; i < 80; i++) {
      double mid = 0.5 * (lo + hi);
      if (softmaxEntropy(u, Math.exp(mid)) < target) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    return Math.exp(0.5 * (lo + hi));
  }

  private static double softmaxEntropy(double[] u, double t) {
    double max = Double.NEGATIVE_INFINITY;
    for (double v : u) {
      max = Math.max(max, v / t);
    }
    double z = 0;
    double[] q = new double[u.length];
    for (int i = 0; i < u.length; i++) {
      q[i] = Math.exp(u[i] / t - max);
      z += q[i];
    }
    for (int i = 0; i < u.length; i++) {
      q[i] /= z;
    }
    return entropy(q);
  }

  private static double entropy(double[] p) {
    double h = 0;
    for (double v : p) {
      if (v > 0) {
        h -= v * Math.log(v);
      }
    }
    return h / Math.log(2);
  }

  /** I(L; E) in bits from joint counts. */
  static double mutualInformation(long[][] joint) {
    double n = 0;
    int labels = joint.length;
    if (labels == 0) {
      return 0;
    }
    int experts = joint[0].length;
    double[] pl = new double[labels];
    double[] pe = new double[experts];
    for (int l = 0; l < labels; l++) {
      for (int e = 0; e < experts; e++) {
        n += joint[l][e];
        pl[l] += joint[l][e];
        pe[e] += joint[l][e];
      }
    }
    if (n == 0) {
      return 0;
    }
    double mi = 0;
    for (int l = 0; l < labels; l++) {
      for (int e = 0; e < experts; e++) {
        if (joint[l][e] > 0) {
          double pj = joint[l][e] / n;
          mi += pj * Math.log(pj / ((pl[l] / n) * (pe[e] / n)));
        }
      }
    }
    return mi / Math.log(2);
  }
}
