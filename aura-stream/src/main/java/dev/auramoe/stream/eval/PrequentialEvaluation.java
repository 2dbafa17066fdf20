package dev.auramoe.stream.eval;

import dev.auramoe.stream.data.Instance;
import dev.auramoe.stream.data.InstanceStream;
import dev.auramoe.stream.learn.StreamLearner;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.LongConsumer;

/**
 * Prequential (test-then-train) evaluation of a {@link StreamLearner} over an
 * {@link InstanceStream}: every instance is first predicted, then learned from. Keeps cumulative and
 * windowed accuracy and kappa (classification) or MAE and RMSE (regression), and a curve with one
 * point every {@code every} instances that also records how the instances of that stretch were
 * spread over the experts. For a two-class target it also ranks the learner's scores: AUROC and
 * average precision over the whole stream ({@link BinaryRanking}), each score taken before the
 * learner learns from its instance, the positive class the minority one unless {@link
 * #withPositiveClass} sets it.
 *
 * <p>Instances whose target is missing are predicted but neither scored nor learned from; they are
 * counted in {@link Result#unlabelled()}.
 */
public final class PrequentialEvaluation {

  /** One point of the learning curve. */
  public record Point(long instances, double windowScore, double cumulativeScore, double[] expertShare) {}

  /**
   * The outcome of a run.
   *
   * @param instances instances scored
   * @param unlabelled instances with a missing target (predicted, not scored)
   * @param seconds wall-clock seconds of the loop (reading, predicting and learning)
   * @param cpuSeconds CPU seconds the evaluating thread spent in the loop (NaN when the JVM cannot
   *     measure thread CPU time); this is what MOA's EvaluatePrequential reports as evaluation time
   * @param accuracy cumulative accuracy (NaN for regression)
   * @param kappa cumulative Cohen's kappa (NaN for regression)
   * @param windowAccuracy accuracy over the last window (NaN for regression)
   * @param windowKappa kappa over the last window (NaN for regression)
   * @param mae cumulative mean absolute error (NaN for classification)
   * @param rmse cumulative root mean squared error (NaN for classification)
   * @param curve windowed accuracy (or RMSE) and expert shares over time
   * @param ranking AUROC and average precision for a two-class target; null for any other
   */
  public record Result(long instances, long unlabelled, double seconds, double cpuSeconds, double accuracy, double kappa,
      double windowAccuracy, double windowKappa, double mae, double rmse, double windowMae, double windowRmse,
      List<Point> curve, BinaryRanking.Result ranking) {

    /** Scored instances per second of wall-clock time. */
    public double instancesPerSecond() {
      return seconds > 0 ? (instances + unlabelled) / seconds : Double.NaN;
    }

    /** Instances per CPU second of the evaluating thread (MOA's measure); NaN when unmeasured. */
    public double instancesPerCpuSecond() {
      return cpuSeconds > 0 ? (instances + unlabelled) / cpuSeconds : Double.NaN;
    }
  }

  private final int window;
  private final long every;
  /** The positive class of a two-class target, or -1 for the minority class. */
  private final int positiveClass;

  /**
   * @param window length of the sliding window for the windowed figures, at least 1
   * @param every instances between two curve points, at least 1
   */
  public PrequentialEvaluation(int window, long every) {
    this(window, every, -1);
  }

  private PrequentialEvaluation(int window, long every, int positiveClass) {
    if (window < 1 || every < 1) {
      throw new IllegalArgumentException("need window >= 1 and every >= 1, got " + window + ", " + every);
    }
    this.window = window;
    this.every = every;
    this.positiveClass = positiveClass;
  }

  /**
   * The same evaluation with class {@code c} (0 or 1) as the positive class of a two-class target's
   * AUROC and average precision; -1 for the default, the class with fewer scored instances (class 1
   * when they are as many), as precision and recall are usually asked of the rarer class.
   */
  public PrequentialEvaluation withPositiveClass(int c) {
    if (c < -1 || c > 1) {
      throw new IllegalArgumentException("positive class must be 0, 1 or -1 (the minority), got " + c);
    }
    return new PrequentialEvaluation(window, every, c);
  }

  /**
   * Runs the stream through the learner until it ends or {@code limit} instances were read.
   *
   * @param progress called with the instances read so far every {@code every} instances, or null
   * @throws IllegalArgumentException when the learner refuses an instance, naming its line (or its
   *     number, for a source without lines)
   */
  public Result run(InstanceStream stream, StreamLearner learner, long limit, LongConsumer progress)
      throws IOException {
    Objects.requireNonNull(stream, "stream");
    Objects.requireNonNull(learner, "learner");
    if (!stream.schema().equals(learner.schema())) {
      throw new IllegalArgumentException("the learner was built for another schema: " + learner.schema() + " vs "
          + stream.schema());
    }
    boolean cls = learner.isClassification();
    int target = stream.schema().targetIndex();
    ClassificationMetrics cm = cls ? new ClassificationMetrics(stream.schema().classes(), window) : null;
    RegressionMetrics rm = cls ? null : new RegressionMetrics(window);
    BinaryRanking ranking = cls && stream.schema().classes() == 2 ? new BinaryRanking() : null;
    int experts = learner.model().expertCount();
    long[] usage = new long[experts];
    int[] chosen = new int[experts];
    List<Point> curve = new ArrayList<>();
    Instance in = new Instance(stream.schema());
    long read = 0;
    long unlabelled = 0;
    java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
    boolean cpu = threads.isCurrentThreadCpuTimeSupported();
    long c0 = cpu ? threads.getCurrentThreadCpuTime() : 0;
    long t0 = System.nanoTime();
    while (read < limit && stream.next(in)) {
      read++;
      double actual = in.value(target);
      double predicted;
      try {
        predicted = learner.testThenTrain(in);
      } catch (IllegalArgumentException e) {
        // The learner refuses an instance it cannot use; say which one.
        throw new IllegalArgumentException((in.line() > 0 ? "line " + in.line() : "instance " + read) + ": "
            + e.getMessage(), e);
      }
      if (Double.isNaN(actual)) {
        unlabelled++;
      } else {
        if (cls) {
          cm.add((int) actual, (int) predicted);
          if (ranking != null) {
            ranking.add((int) actual, learner.classScore(0), learner.classScore(1));
          }
        } else {
          rm.add(actual, predicted);
        }
        int k = learner.lastExperts(chosen);
        for (int j = 0; j < k; j++) {
          usage[chosen[j]]++;
        }
      }
      if (read % every == 0) {
        double[] share = new double[experts];
        long total = 0;
        for (long u : usage) {
          total += u;
        }
        for (int e = 0; e < experts; e++) {
          share[e] = total == 0 ? 0 : (double) usage[e] / total;
        }
        java.util.Arrays.fill(usage, 0);
        curve.add(cls ? new Point(read, cm.windowAccuracy(), cm.accuracy(), share)
            : new Point(read, rm.windowRmse(), rm.rmse(), share));
        if (progress != null) {
          progress.accept(read);
        }
      }
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    double cpuSeconds = cpu ? (threads.getCurrentThreadCpuTime() - c0) / 1e9 : Double.NaN;
    long scored = read - unlabelled;
    double nan = Double.NaN;
    BinaryRanking.Result ranked = ranking == null ? null
        : ranking.result(positiveClass >= 0 ? positiveClass : ranking.minorityClass());
    return cls
        ? new Result(scored, unlabelled, seconds, cpuSeconds, cm.accuracy(), cm.kappa(), cm.windowAccuracy(), cm.windowKappa(),
            nan, nan, nan, nan, List.copyOf(curve), ranked)
        : new Result(scored, unlabelled, seconds, cpuSeconds, nan, nan, nan, nan, rm.mae(), rm.rmse(), rm.windowMae(),
            rm.windowRmse(), List.copyOf(curve), null);
  }
}
