package dev.auramoe.seq;

import dev.auramoe.stream.eval.OneVsRest;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Trains a {@link SequenceModel} by mini-batches for a number of epochs and evaluates it: the loop
 * every model of this module shares, so that a comparison runs on the same data and budget.
 *
 * <p>Per epoch: one shuffled pass over the training set, one {@link SequenceModel#trainStep} per
 * mini-batch (Adam, global-norm clipping), the learning rate following the schedule; then, when a
 * test set is given, one in-order pass of {@link SequenceModel#predict} over it. Training time and
 * throughput count the training passes only.
 *
 * <p>Figures of an evaluation: for a classification, the accuracy, the mean cross-entropy, and the
 * macro-averaged one-vs-rest AUROC and AUPRC ({@link OneVsRest}); for a regression, the root mean
 * squared and mean absolute errors over every target.
 */
public final class SequenceTrainer {

  /** How the learning rate moves over the epochs. */
  public enum Schedule {
    /** The same rate throughout. */
    CONSTANT,
    /** Cosine decay per mini-batch from the rate to a tenth of it at the end of the last epoch. */
    COSINE
  }

  /**
   * The budget and the optimiser's knobs.
   *
   * @param epochs passes over the training set, &gt;= 1
   * @param batchSize sequences per mini-batch, &gt;= 1
   * @param learningRate Adam's rate, finite and &gt; 0
   * @param weightDecay decoupled weight decay, finite and &gt;= 0
   * @param clipNorm global gradient-norm bound, finite and &gt; 0
   * @param schedule the learning rate's schedule
   * @param minSteps the fewest optimiser steps of a run, &gt;= 0: a small training set gets more
   *     epochs than {@code epochs} so that the run takes at least this many steps
   *     ({@link #epochsFor})
   */
  public record Settings(int epochs, int batchSize, float learningRate, float weightDecay, double clipNorm,
      Schedule schedule, int minSteps) {

    /**
     * 15 epochs of 128 sequences, and at least 500 steps; Adam at 5e-3 with cosine decay to 5e-4,
     * clipping at norm 1.
     */
    public static final Settings DEFAULT = new Settings(15, 128, 5e-3f, 0f, 1.0, Schedule.COSINE, 500);

    public Settings {
      if (epochs < 1 || batchSize < 1) {
        throw new IllegalArgumentException("need epochs >= 1 and batchSize >= 1, got " + epochs + ", " + batchSize);
      }
      if (!(learningRate > 0) || !Float.isFinite(learningRate)) {
        throw new IllegalArgumentException("learning rate must be finite and > 0, got " + learningRate);
      }
      if (!(weightDecay >= 0) || !Float.isFinite(weightDecay)) {
        throw new IllegalArgumentException("weight decay must be finite and >= 0, got " + weightDecay);
      }
      if (!(clipNorm > 0) || !Double.isFinite(clipNorm)) {
        throw new IllegalArgumentException("clip norm must be finite and > 0, got " + clipNorm);
      }
      Objects.requireNonNull(schedule, "schedule");
      if (minSteps < 0) {
        throw new IllegalArgumentException("minSteps must be >= 0, got " + minSteps);
      }
    }

    /**
     * The epochs of a run over {@code sequences} training sequences: {@code epochs}, or more when
     * that many epochs would take fewer than {@code minSteps} optimiser steps. 15 epochs of a
     * 60,000-sequence set are 7,035 steps; a set of 200 sequences (2 batches an epoch) gets 250
     * epochs rather than 30 steps, which leave a recurrent model close to its initial weights.
     */
    public int epochsFor(int sequences) {
      long perEpoch = Math.max(1, ((long) sequences + batchSize - 1) / batchSize);
      long needed = (minSteps + perEpoch - 1) / perEpoch;
      return (int) Math.min(Integer.MAX_VALUE, Math.max(epochs, needed));
    }

    public Settings withEpochs(int e) {
      return new Settings(e, batchSize, learningRate, weightDecay, clipNorm, schedule, minSteps);
    }

    public Settings withBatchSize(int b) {
      return new Settings(epochs, b, learningRate, weightDecay, clipNorm, schedule, minSteps);
    }

    public Settings withLearningRate(float lr) {
      return new Settings(epochs, batchSize, lr, weightDecay, clipNorm, schedule, minSteps);
    }

    public Settings withMinSteps(int m) {
      return new Settings(epochs, batchSize, learningRate, weightDecay, clipNorm, schedule, m);
    }
  }

  /**
   * The figures of one evaluation pass; the fields of the other kind of task are NaN.
   *
   * @param sequences sequences evaluated
   * @param loss mean cross-entropy (classification) or mean squared error (regression)
   * @param accuracy share of sequences whose most probable class is their label
   * @param macroAuroc macro one-vs-rest AUROC
   * @param macroAuprc macro one-vs-rest average precision
   * @param rmse root mean squared error over every target
   * @param mae mean absolute error over every target
   */
  public record Evaluation(int sequences, double loss, double accuracy, double macroAuroc, double macroAuprc,
      double rmse, double mae) {}

  /**
   * One epoch.
   *
   * @param epoch 1-based
   * @param trainLoss mean loss of the epoch's mini-batches, each taken before its step
   * @param trainSeconds training time of this epoch (evaluation excluded)
   * @param learningRate the rate at the epoch's last step
   * @param test the test set's evaluation after the epoch, or null without a test set
   */
  public record Epoch(int epoch, double trainLoss, double trainSeconds, double learningRate, Evaluation test) {}

  /** Receives each epoch as it ends (progress, learning curves). */
  public interface Listener {
    /** Called after each mini-batch with the sequences it held. */
    default void batch(int sequences) {}

    /** Called after each epoch and its evaluation. */
    default void epoch(Epoch e) {}
  }

  /**
   * The run.
   *
   * @param epochs every epoch in order
   * @param trainSeconds training time over all epochs (evaluations excluded)
   * @param sequencesPerSecond training sequences per second over all epochs
   * @param test the last epoch's evaluation, or null without a test set
   */
  public record Result(List<Epoch> epochs, double trainSeconds, double sequencesPerSecond, Evaluation test) {
    public Result {
      epochs = List.copyOf(epochs);
    }
  }

  private final Settings settings;

  public SequenceTrainer(Settings settings) {
    this.settings = Objects.requireNonNull(settings, "settings");
  }

  public Settings settings() {
    return settings;
  }

  /**
   * Trains {@code model} on {@code train} and evaluates it on {@code test} after each epoch.
   *
   * @param test the test set, or null
   * @param listener progress, or null
   */
  public Result train(SequenceModel model, BatchSource train, BatchSource test, Listener listener) {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(train, "train");
    Listener l = listener == null ? new Listener() {} : listener;
    Task task = model.task();
    SequenceBatch batch = new SequenceBatch(model.inputDim(),
        task.kind() == Task.Kind.REGRESSION ? task.outputs() : 0);
    Adam adam = new Adam(model.parameters(), new Adam.Settings(settings.learningRate(), 0.9f, 0.999f, 1e-8f,
        settings.weightDecay()));
    int perEpoch = (train.sequences() + settings.batchSize() - 1) / settings.batchSize();
    int runEpochs = settings.epochsFor(train.sequences());
    long totalSteps = (long) perEpoch * runEpochs;
    long step = 0;
    List<Epoch> epochs = new ArrayList<>();
    double trainNanos = 0;
    long trained = 0;
    Evaluation last = null;
    for (int e = 1; e <= runEpochs; e++) {
      long t0 = System.nanoTime();
      train.start(true);
      double lossSum = 0;
      int batches = 0;
      float lr = settings.learningRate();
      int rows;
      while ((rows = train.next(batch, settings.batchSize())) > 0) {
        lr = rate(step++, totalSteps);
        adam.setLearningRate(lr);
        lossSum += model.trainStep(batch, adam, settings.clipNorm());
        batches++;
        trained += rows;
        l.batch(rows);
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      trainNanos += seconds * 1e9;
      last = test == null ? null : evaluate(model, test, settings.batchSize());
      Epoch epoch = new Epoch(e, batches == 0 ? Double.NaN : lossSum / batches, seconds, lr, last);
      epochs.add(epoch);
      l.epoch(epoch);
    }
    double trainSeconds = trainNanos / 1e9;
    return new Result(epochs, trainSeconds, trainSeconds > 0 ? trained / trainSeconds : Double.NaN, last);
  }

  /** The learning rate at mini-batch {@code step} of {@code total}. */
  float rate(long step, long total) {
    float lr = settings.learningRate();
    if (settings.schedule() == Schedule.CONSTANT || total <= 1) {
      return lr;
    }
    double progress = (double) step / (total - 1);
    return (float) (lr * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * progress))));
  }

  /**
   * One in-order pass of {@code model} over {@code data}: its outputs and the figures of the task.
   *
   * @param batchSize sequences per forward pass
   */
  public static Evaluation evaluate(SequenceModel model, BatchSource data, int batchSize) {
    return evaluate(model, data, batchSize, null);
  }

  /**
   * As {@link #evaluate(SequenceModel, BatchSource, int)}, also handing every output to {@code sink}
   * (sequence index in the pass, the outputs, the label or targets) when it is not null.
   */
  public static Evaluation evaluate(SequenceModel model, BatchSource data, int batchSize, OutputSink sink) {
    Task task = model.task();
    int k = task.outputs();
    boolean classification = task.kind() == Task.Kind.CLASSIFICATION;
    int n = data.sequences();
    SequenceBatch batch = new SequenceBatch(model.inputDim(), classification ? 0 : k);
    float[] out = new float[Math.multiplyExact(batchSize, k)];
    float[] scores = classification ? new float[Math.multiplyExact(n, k)] : null;
    int[] labels = classification ? new int[n] : null;
    double loss = 0;
    double absSum = 0;
    long correct = 0;
    int seen = 0;
    data.start(false);
    int rows;
    while ((rows = data.next(batch, batchSize)) > 0) {
      if (seen + rows > n) {
        throw new IllegalStateException("the source gave more than its " + n + " sequences");
      }
      model.predict(batch, out);
      for (int r = 0; r < rows; r++) {
        int o = r * k;
        if (classification) {
          int y = batch.labels()[r];
          int best = 0;
          for (int c = 1; c < k; c++) {
            if (out[o + c] > out[o + best]) {
              best = c;
            }
          }
          correct += best == y ? 1 : 0;
          loss -= Math.log(Math.max(out[o + y], 1e-30f));
          System.arraycopy(out, o, scores, seen * k, k);
          labels[seen] = y;
          if (sink != null) {
            sink.accept(seen, out, o, k, y, null, 0);
          }
        } else {
          float[] t = batch.targets();
          for (int c = 0; c < k; c++) {
            double d = out[o + c] - t[r * k + c];
            loss += d * d;
            absSum += Math.abs(d);
          }
          if (sink != null) {
            sink.accept(seen, out, o, k, -1, t, r * k);
          }
        }
        seen++;
      }
    }
    if (seen == 0) {
      throw new IllegalArgumentException("nothing to evaluate: the data set is empty");
    }
    if (classification) {
      OneVsRest.Result ranks = OneVsRest.of(scores, labels, seen, k);
      return new Evaluation(seen, loss / seen, (double) correct / seen, ranks.macroAuroc(), ranks.macroAuprc(),
          Double.NaN, Double.NaN);
    }
    long values = (long) seen * k;
    return new Evaluation(seen, loss / values, Double.NaN, Double.NaN, Double.NaN, Math.sqrt(loss / values),
        absSum / values);
  }

  /** Receives each evaluated sequence's outputs (read them before returning: the array is reused). */
  @FunctionalInterface
  public interface OutputSink {
    /**
     * @param index the sequence's position in the pass
     * @param outputs the model's outputs at {@code [off, off + count)}
     * @param label the class (classification), or -1
     * @param targets the targets at {@code [targetOff, targetOff + count)} (regression), or null
     */
    void accept(int index, float[] outputs, int off, int count, int label, float[] targets, int targetOff);
  }
}
