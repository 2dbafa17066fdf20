package dev.auramoe.cli.learn;

import dev.auramoe.cli.demo.DemoRunner;
import dev.auramoe.cli.learn.SwitchingStream.Offset;
import dev.auramoe.cli.learn.SwitchingStream.Spec;
import dev.auramoe.cli.learn.SwitchingStream.Task;
import dev.auramoe.experts.AdaptiveExpert;
import dev.auramoe.experts.NlmsExpert;
import dev.auramoe.experts.SoftmaxExpert;
import dev.auramoe.stream.data.Attribute;
import dev.auramoe.stream.data.Instance;
import dev.auramoe.stream.data.Schema;
import dev.auramoe.stream.learn.StreamLearner;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * The runs behind {@code aura learn-bench}: on each {@link SwitchingStream}, five learners see the
 * same instances prequentially (predict, then learn), none of them but the oracle told the regime:
 *
 * <ul>
 *   <li>mixture: {@link StreamLearner} as {@code aura stream} builds it with no flags, the
 *       {@link dev.auramoe.Defaults} (8 experts, top-2, hidden 8, mu 0.5, responsibilities as credit,
 *       the experts' recent errors read by the router for regression and not for classification,
 *       balancing on with its bias capped at 0.05, no drift detector);
 *   <li>single: one linear expert (NLMS for regression, softmax regression for classes, mu 0.5);
 *   <li>oracle: one such expert per true regime, the one of the instance's regime used;
 *   <li>centroid gate: on-line k-means over the inputs with k = the mixture's experts, one expert per
 *       cluster, the nearest centroid's expert predicts and learns, and that centroid moves towards
 *       the input by {@code max(1 / count, }{@value #CENTROID_FLOOR}{@code )};
 *   <li>recent-error gate: every one of k experts predicts; the one with the lowest exponentially
 *       averaged recent error (factor {@value #RECENT_ALPHA}) answers, and only it learns (winner takes
 *       all: were all to learn every instance they would stay copies of one filter); every expert's
 *       average is updated with its own error.
 * </ul>
 *
 * <p>The error is the squared error for regression, and for classification the error rate (the
 * recent-error gate ranks its classifiers by their squared error on the one-hot target). Pure
 * computation: prints nothing.
 */
public final class LearnBench {

  /** Expert step of every baseline: the stream learner's default. */
  public static final double MU = 0.5;

  /** Smallest step of a centroid, so that it follows inputs that move. */
  public static final double CENTROID_FLOOR = 0.01;

  /**
   * Weight of the newest error in the recent-error gate's averages: of 0.02, 0.1, 0.3 and 0.5, the one
   * with the lowest median gate/single over the grid (0.83 against 0.88 to 1.00), so that the mixture is
   * measured against the strongest of these gates rather than a weakened one.
   */
  public static final double RECENT_ALPHA = 0.3;

  /** Classes of the classification streams. */
  public static final int CLASSES = 3;

  private LearnBench() {}

  /** The mixture: {@code aura stream}'s learner with no flags given. */
  static StreamLearner defaultMixture(Schema schema) {
    return StreamLearner.builder(schema).build();
  }

  /**
   * The results on one stream.
   *
   * @param spec the stream
   * @param mixture error of the mixture (MSE or error rate), likewise for the others
   * @param bayes error of the {@link BayesOracle}, which knows every regime's parameters but not the
   *     regime: the floor of any learner; NaN on a stream of fresh regimes, where it is not defined
   * @param mixtureMacs multiply-accumulates per instance, from the mixture's energy meter; the
   *     baselines' are analytic
   * @param mixtureNanos wall-clock nanoseconds per instance, likewise for the others
   * @param regimesSeen distinct true regimes in the stream
   * @param detections drift detections of the mixture
   */
  public record Row(Spec spec, double mixture, double single, double oracle, double centroid, double recent,
      double bayes, double mixtureMacs, double singleMacs, double oracleMacs, double centroidMacs, double recentMacs,
      double mixtureNanos, double singleNanos, double oracleNanos, double centroidNanos, double recentNanos,
      int regimesSeen, int detections) {

    /** Stream name. */
    public String name() {
      return spec.name();
    }

    /** mixture / single. */
    public double mixtureOverSingle() {
      return ratio(mixture, single);
    }

    /** mixture / oracle. */
    public double mixtureOverOracle() {
      return ratio(mixture, oracle);
    }

    /** oracle / single: how much knowing the regime is worth on this stream. */
    public double oracleOverSingle() {
      return ratio(oracle, single);
    }

    /** Bayes forecaster / single: the lowest mixture/single any learner could reach here (NaN if undefined). */
    public double bayesOverSingle() {
      return Double.isNaN(bayes) ? Double.NaN : ratio(bayes, single);
    }

    /** centroid gate / single. */
    public double centroidOverSingle() {
      return ratio(centroid, single);
    }

    /** recent-error gate / single. */
    public double recentOverSingle() {
      return ratio(recent, single);
    }

    /** The row as a JSON object. */
    public Map<String, Object> toJson() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("stream", name());
      m.put("task", spec.task().name().toLowerCase(java.util.Locale.ROOT));
      m.put("inputs", spec.inputs());
      m.put("regimes", spec.recurring() ? spec.regimes() : null);
      m.put("meanDwell", spec.meanDwell());
      m.put("offset", spec.offset().name().toLowerCase(java.util.Locale.ROOT));
      m.put("noise", spec.noise());
      m.put("ramp", spec.ramp());
      m.put("recurring", spec.recurring());
      m.put("instances", spec.instances());
      m.put("seed", spec.seed());
      m.put("metric", spec.task() == Task.REGRESSION ? "mse" : "errorRate");
      Map<String, Object> errors = perLearner(mixture, single, oracle, centroid, recent);
      errors.put("bayesOracle", json(bayes));
      m.put("errors", errors);
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("mixtureOverSingle", json(mixtureOverSingle()));
      r.put("mixtureOverOracle", json(mixtureOverOracle()));
      r.put("oracleOverSingle", json(oracleOverSingle()));
      r.put("centroidGateOverSingle", json(centroidOverSingle()));
      r.put("recentErrorGateOverSingle", json(recentOverSingle()));
      r.put("bayesOracleOverSingle", json(bayesOverSingle()));
      m.put("ratios", r);
      m.put("macsPerInstance", perLearner(mixtureMacs, singleMacs, oracleMacs, centroidMacs, recentMacs));
      m.put("nanosPerInstance", perLearner(mixtureNanos, singleNanos, oracleNanos, centroidNanos, recentNanos));
      m.put("regimesSeen", regimesSeen);
      m.put("driftDetections", detections);
      return m;
    }
  }

  /** mixture/single on a stream whose oracle/single is at most {@value #EASY_ORACLE} must be at most this. */
  public static final double TARGET_MIXTURE_OVER_SINGLE = 0.25;

  /** oracle/single at or below which knowing the regime pays off tenfold: the streams the first target is for. */
  public static final double EASY_ORACLE = 0.1;

  /** The median of mixture/oracle over the grid must be at most this. */
  public static final double TARGET_MEDIAN_MIXTURE_OVER_ORACLE = 3.0;

  /**
   * What a grid run says as a whole.
   *
   * @param medianMixtureOverOracle median over the rows
   * @param worstMixtureOverOracle the highest
   * @param medianMixtureOverSingle median over the rows
   * @param worstMixtureOverSingle the highest
   * @param worstEasyMixtureOverSingle the highest among the streams whose oracle/single is at most
   *     {@value #EASY_ORACLE} (NaN when there is none)
   * @param easyStreams how many such streams
   * @param easyMissed how many of them miss {@value #TARGET_MIXTURE_OVER_SINGLE}
   * @param easyBeyondBayes how many of them the {@link BayesOracle} misses too: where the target lies
   *     below what any learner can reach
   * @param worstByOracle the names of the (up to 5) streams with the highest mixture/oracle, worst first
   * @param worstBySingle likewise by mixture/single
   */
  public record Summary(double medianMixtureOverOracle, double worstMixtureOverOracle, double medianMixtureOverSingle,
      double worstMixtureOverSingle, double worstEasyMixtureOverSingle, int easyStreams, int easyMissed,
      int easyBeyondBayes, List<String> worstByOracle, List<String> worstBySingle) {

    /** Summarises rows (at least one). */
    public static Summary of(List<Row> rows) {
      if (rows.isEmpty()) {
        throw new IllegalArgumentException("no rows to summarise");
      }
      double[] byOracle = rows.stream().mapToDouble(Row::mixtureOverOracle).sorted().toArray();
      double[] bySingle = rows.stream().mapToDouble(Row::mixtureOverSingle).sorted().toArray();
      double worstEasy = Double.NaN;
      int easy = 0;
      int missed = 0;
      int beyond = 0;
      for (Row r : rows) {
        if (r.oracleOverSingle() <= EASY_ORACLE) {
          easy++;
          if (r.bayesOverSingle() > TARGET_MIXTURE_OVER_SINGLE) {
            beyond++;
          }
          if (!(r.mixtureOverSingle() <= TARGET_MIXTURE_OVER_SINGLE)) {
            missed++;
          }
          worstEasy = Double.isNaN(worstEasy) ? r.mixtureOverSingle() : Math.max(worstEasy, r.mixtureOverSingle());
        }
      }
      return new Summary(median(byOracle), byOracle[byOracle.length - 1], median(bySingle),
          bySingle[bySingle.length - 1], worstEasy, easy, missed, beyond, worst(rows, Row::mixtureOverOracle),
          worst(rows, Row::mixtureOverSingle));
    }

    /** Whether both acceptance targets of the grid are met. */
    public boolean targetsMet() {
      return easyMissed == 0 && medianMixtureOverOracle <= TARGET_MEDIAN_MIXTURE_OVER_ORACLE;
    }

    private static List<String> worst(List<Row> rows, java.util.function.ToDoubleFunction<Row> f) {
      return rows.stream().sorted(java.util.Comparator.comparingDouble(f).reversed()).limit(5).map(Row::name)
          .toList();
    }
  }

  /** The median of sorted values (at least one). */
  static double median(double[] sorted) {
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  /** One figure per learner, in the table's order. */
  private static Map<String, Object> perLearner(double mixture, double single, double oracle, double centroid,
      double recent) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("mixture", mixture);
    m.put("single", single);
    m.put("oracle", oracle);
    m.put("centroidGate", centroid);
    m.put("recentErrorGate", recent);
    return m;
  }

  /** a / b; infinite when only b is 0, 1 when both are (an error-free stream). */
  static double ratio(double a, double b) {
    if (b == 0) {
      return a == 0 ? 1.0 : Double.POSITIVE_INFINITY;
    }
    return a / b;
  }

  private static Double json(double v) {
    return Double.isFinite(v) ? v : null;
  }

  /** The grid's numbers of recurring regimes. */
  static final int[] REGIMES = {2, 4, 8, 16};

  /** The grid's mean dwells (instances between switches). */
  static final int[] DWELLS = {10, 50, 250, 2000};

  /**
   * The grid: every combination of inputs {4, 16, 64}, regimes {2, 4, 8, 16}, mean dwell {10, 50,
   * 250, 2000} and offset {none, weak, strong}, for regression and classification, with abrupt
   * switches among recurring regimes and noise 0.1; then, at 16 inputs and 4 regimes over every dwell
   * and offset, regression streams with a gradual transition (ramp of a fifth of the dwell), with
   * fresh regimes, and with noise 0.5.
   */
  public static List<Spec> grid(long instances, long seed) {
    List<Spec> l = new ArrayList<>();
    for (Task task : Task.values()) {
      for (int d : new int[] {4, 16, 64}) {
        for (int r : REGIMES) {
          for (int w : DWELLS) {
            for (Offset o : Offset.values()) {
              l.add(new Spec(task, d, r, w, o, 0.1, 0, true, CLASSES, instances, seed + l.size()));
            }
          }
        }
      }
    }
    for (int w : DWELLS) {
      for (Offset o : Offset.values()) {
        l.add(new Spec(Task.REGRESSION, 16, 4, w, o, 0.1, Math.max(1, w / 5), true, CLASSES, instances,
            seed + l.size()));
        l.add(new Spec(Task.REGRESSION, 16, 4, w, o, 0.1, 0, false, CLASSES, instances, seed + l.size()));
        l.add(new Spec(Task.REGRESSION, 16, 4, w, o, 0.5, 0, true, CLASSES, instances, seed + l.size()));
      }
    }
    return l;
  }

  /** A small subset of the grid's kinds of stream, one of each axis, for {@code --quick}. */
  public static List<Spec> quick(long instances, long seed) {
    List<Spec> l = new ArrayList<>();
    l.add(new Spec(Task.REGRESSION, 8, 4, 250, Offset.STRONG, 0.1, 0, true, CLASSES, instances, seed));
    l.add(new Spec(Task.REGRESSION, 16, 4, 50, Offset.NONE, 0.1, 0, true, CLASSES, instances, seed + 1));
    l.add(new Spec(Task.REGRESSION, 4, 2, 10, Offset.WEAK, 0.1, 0, true, CLASSES, instances, seed + 2));
    l.add(new Spec(Task.REGRESSION, 16, 8, 250, Offset.WEAK, 0.1, 50, true, CLASSES, instances, seed + 3));
    l.add(new Spec(Task.REGRESSION, 16, 4, 250, Offset.STRONG, 0.1, 0, false, CLASSES, instances, seed + 4));
    l.add(new Spec(Task.REGRESSION, 16, 4, 2000, Offset.STRONG, 0.5, 0, true, CLASSES, instances, seed + 5));
    l.add(new Spec(Task.CLASSIFICATION, 16, 4, 250, Offset.STRONG, 0.1, 0, true, CLASSES, instances, seed + 6));
    l.add(new Spec(Task.CLASSIFICATION, 4, 2, 50, Offset.WEAK, 0.1, 0, true, CLASSES, instances, seed + 7));
    return l;
  }

  /** Runs one stream with no progress. */
  public static Row run(Spec spec) {
    return run(spec, n -> { });
  }

  /** Runs one stream with the defaults. */
  public static Row run(Spec spec, LongConsumer progress) {
    return run(spec, MixtureOptions.DEFAULTS, progress);
  }

  /**
   * Runs the five learners on one stream.
   *
   * @param options the mixture's configuration ({@link MixtureOptions#DEFAULTS}: {@link #defaultMixture})
   * @param progress receives instance increments (every 1,000), may be a no-op
   */
  public static Row run(Spec spec, MixtureOptions options, LongConsumer progress) {
    SwitchingStream stream = new SwitchingStream(spec);
    boolean cls = spec.task() == Task.CLASSIFICATION;
    int d = spec.inputs();
    int out = spec.outputs();

    List<Attribute> attrs = new ArrayList<>();
    for (int i = 0; i < d; i++) {
      attrs.add(Attribute.numeric("x" + i));
    }
    List<String> classNames = new ArrayList<>();
    for (int c = 0; c < out; c++) {
      classNames.add("c" + c);
    }
    attrs.add(cls ? Attribute.nominal("y", classNames) : Attribute.numeric("y"));
    Schema schema = new Schema(spec.name(), attrs, d);
    StreamLearner mixture = options.values().isEmpty() ? defaultMixture(schema) : options.build(schema);
    Instance inst = new Instance(schema);
    int k = mixture.model().expertCount();

    AdaptiveExpert single = expert(cls, "single", d, out);
    List<AdaptiveExpert> oracle = new ArrayList<>();
    AdaptiveExpert[] centroidExperts = new AdaptiveExpert[k];
    AdaptiveExpert[] recentExperts = new AdaptiveExpert[k];
    for (int e = 0; e < k; e++) {
      centroidExperts[e] = expert(cls, "centroid" + e, d, out);
      recentExperts[e] = expert(cls, "recent" + e, d, out);
    }
    float[][] centroids = new float[k][d];
    long[] counts = new long[k];
    double[] recentError = new double[k];
    float[][] recentOut = new float[k][out];

    float[] x = new float[d];
    float[] y = new float[out];
    float[] yHat = new float[out];
    BayesOracle bayes = spec.recurring() ? new BayesOracle(stream) : null;
    double bayesError = 0;
    double[] se = new double[5];
    long[] nanos = new long[5];
    boolean[] seen = new boolean[0];
    int regimesSeen = 0;
    long pending = 0;
    for (long t = 0; t < spec.instances(); t++) {
      int regime = stream.next(x);
      double target = stream.target();
      if (cls) {
        Arrays.fill(y, 0f);
        y[(int) target] = 1f;
      } else {
        y[0] = (float) target;
      }
      if (regime >= seen.length) {
        seen = Arrays.copyOf(seen, Math.max(regime + 1, seen.length * 2));
      }
      if (!seen[regime]) {
        seen[regime] = true;
        regimesSeen++;
      }

      for (int i = 0; i < d; i++) {
        inst.set(i, x[i]);
      }
      inst.set(d, target);
      long t0 = System.nanoTime();
      double p = mixture.testThenTrain(inst);
      long t1 = System.nanoTime();
      se[0] += cls ? (p == target ? 0 : 1) : (p - target) * (p - target);
      nanos[0] += t1 - t0;

      se[1] += predictLearn(single, x, y, yHat, cls);
      long t2 = System.nanoTime();
      nanos[1] += t2 - t1;

      while (oracle.size() <= regime) {
        oracle.add(expert(cls, "oracle" + oracle.size(), d, out));
      }
      se[2] += predictLearn(oracle.get(regime), x, y, yHat, cls);
      long t3 = System.nanoTime();
      nanos[2] += t3 - t2;

      int c = nearest(centroids, counts, x);
      se[3] += predictLearn(centroidExperts[c], x, y, yHat, cls);
      counts[c]++;
      double step = Math.max(1.0 / counts[c], CENTROID_FLOOR);
      for (int i = 0; i < d; i++) {
        centroids[c][i] += (float) (step * (x[i] - centroids[c][i]));
      }
      long t4 = System.nanoTime();
      nanos[3] += t4 - t3;

      int best = 0;
      for (int e = 0; e < k; e++) {
        recentExperts[e].predict(x, recentOut[e]);
        if (recentError[e] < recentError[best]) {
          best = e;
        }
      }
      se[4] += error(recentOut[best], y, cls);
      recentExperts[best].learn(x, y, recentOut[best], 1f);
      for (int e = 0; e < k; e++) {
        recentError[e] += RECENT_ALPHA * (DemoRunner.squaredError(recentOut[e], y) - recentError[e]);
      }
      nanos[4] += System.nanoTime() - t4;
      if (bayes != null) {
        bayesError += bayes.step(x, target);
      }

      if (++pending == 1000) {
        progress.accept(pending);
        pending = 0;
      }
    }
    if (pending > 0) {
      progress.accept(pending);
    }
    double n = spec.instances();
    long predictLearn = single.predictMacs() + single.learnMacs();
    double mixtureMacs = mixture.energy().totalMacs() / n;
    double centroidMacs = predictLearn + (double) k * d + d;
    double recentMacs = k * (single.predictMacs() + out) + single.learnMacs() + k;
    return new Row(spec, se[0] / n, se[1] / n, se[2] / n, se[3] / n, se[4] / n,
        bayes != null ? bayesError / n : Double.NaN, mixtureMacs, predictLearn, predictLearn, centroidMacs, recentMacs,
        nanos[0] / n, nanos[1] / n, nanos[2] / n, nanos[3] / n, nanos[4] / n,
        regimesSeen, mixture.detections().size());
  }

  private static AdaptiveExpert expert(boolean cls, String name, int d, int out) {
    return cls ? new SoftmaxExpert(name, d, out, MU, 1e-3, 0) : new NlmsExpert(name, d, out, MU);
  }

  /** Predicts into {@code yHat}, learns, returns the error of the prediction. */
  private static double predictLearn(AdaptiveExpert e, float[] x, float[] y, float[] yHat, boolean cls) {
    e.predict(x, yHat);
    double err = error(yHat, y, cls);
    e.learn(x, y, yHat, 1f);
    return err;
  }

  /** Squared error, or for classes 0/1 by the argmax against the one-hot {@code y}. */
  private static double error(float[] yHat, float[] y, boolean cls) {
    if (!cls) {
      double e = y[0] - yHat[0];
      return e * e;
    }
    int best = 0;
    for (int c = 1; c < yHat.length; c++) {
      if (yHat[c] > yHat[best]) {
        best = c;
      }
    }
    return y[best] == 1f ? 0 : 1;
  }


  /** The nearest centroid; an unused one (count 0) is taken first, so the first k inputs seed them. */
  private static int nearest(float[][] centroids, long[] counts, float[] x) {
    int best = -1;
    double bestDist = Double.POSITIVE_INFINITY;
    for (int c = 0; c < centroids.length; c++) {
      if (counts[c] == 0) {
        return c;
      }
      double s = 0;
      float[] m = centroids[c];
      for (int i = 0; i < x.length; i++) {
        double v = x[i] - m[i];
        s += v * v;
      }
      if (s < bestDist) {
        bestDist = s;
        best = c;
      }
    }
    return best;
  }
}
