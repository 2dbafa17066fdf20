package dev.auramoe.cli.seq;

import dev.auramoe.seq.BatchSource;
import dev.auramoe.seq.ExpertShares;
import dev.auramoe.seq.MultiRateMoE;
import dev.auramoe.seq.SequenceBatch;
import dev.auramoe.seq.SequenceBatcher;
import dev.auramoe.seq.SequenceModel;
import dev.auramoe.seq.SequenceTrainer;
import dev.auramoe.seq.Task;
import dev.auramoe.seq.data.SequenceDataset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One model trained and read out: the trainer's result, and for the multi-rate mixture what its
 * attentions and gate did over the test set.
 *
 * @param kind the model's kind
 * @param model the trained model
 * @param result the training run
 * @param readouts the mixture's readouts over the test set, or null for a model without them
 */
public record SeqRun(SeqModels.Kind kind, SequenceModel model, SequenceTrainer.Result result, Readouts readouts) {

  /**
   * What a mixture's attentions and gate did over a data set.
   *
   * @param features mean feature-attention weight of each input variable (1 is neutral), or null
   * @param featuresByClass the same per class, or null
   * @param temporal per expert, the mean temporal weight of each step counted from the sequence's
   *     start, or null
   * @param shares the gate's mean weight of each expert, overall and per class
   * @param scales each expert's time scale
   */
  public record Readouts(float[] features, float[][] featuresByClass, float[][] temporal, ExpertShares shares,
      float[] scales) {}

  /** Trains {@code model} on {@code data} and reads it out. */
  public static SeqRun train(SeqModels.Kind kind, SequenceModel model, SeqData data,
      SequenceTrainer.Settings settings, long seed, SequenceTrainer.Listener listener) {
    SequenceBatcher train = new SequenceBatcher(data.train(), seed);
    SequenceBatcher test = new SequenceBatcher(data.test(), seed + 1);
    SequenceTrainer.Result r = new SequenceTrainer(settings).train(model, train, test, listener);
    Readouts ro = model instanceof MultiRateMoE mr ? read(mr, test, settings.batchSize()) : null;
    return new SeqRun(kind, model, r, ro);
  }

  /** One in-order pass of the mixture over {@code data}, accumulating its readouts. */
  static Readouts read(MultiRateMoE mr, BatchSource data, int batchSize) {
    Task task = mr.task();
    boolean classification = task.kind() == Task.Kind.CLASSIFICATION;
    int classes = classification ? task.outputs() : 0;
    int f = mr.inputDim();
    int n = mr.config().experts();
    SequenceBatch batch = new SequenceBatch(f, classification ? 0 : task.outputs());
    float[] out = new float[batchSize * task.outputs()];
    double[] feat = new double[f];
    double[][] featClass = new double[Math.max(classes, 0)][f];
    long steps = 0;
    long[] stepsClass = new long[Math.max(classes, 0)];
    List<double[]> temporalSum = new ArrayList<>();
    List<long[]> temporalCount = new ArrayList<>();
    for (int k = 0; k < n; k++) {
      temporalSum.add(new double[0]);
      temporalCount.add(new long[0]);
    }
    ExpertShares shares = new ExpertShares(n, classes);
    data.start(false);
    int rows;
    while ((rows = data.next(batch, batchSize)) > 0) {
      mr.predict(batch, out);
      int st = batch.steps();
      int[] first = batch.first();
      float[] alpha = mr.featureWeights();
      if (alpha != null) {
        for (int t = 0; t < st; t++) {
          for (int r = 0; r < rows; r++) {
            if (t < first[r]) {
              continue;
            }
            int o = (t * rows + r) * f;
            for (int i = 0; i < f; i++) {
              feat[i] += alpha[o + i];
              if (classification) {
                featClass[batch.labels()[r]][i] += alpha[o + i];
              }
            }
            steps++;
            if (classification) {
              stepsClass[batch.labels()[r]]++;
            }
          }
        }
      }
      for (int k = 0; k < n; k++) {
        float[] beta = mr.temporalWeights(k);
        if (beta == null) {
          continue;
        }
        double[] sum = temporalSum.get(k);
        long[] count = temporalCount.get(k);
        if (sum.length < st) {
          sum = java.util.Arrays.copyOf(sum, st);
          count = java.util.Arrays.copyOf(count, st);
          temporalSum.set(k, sum);
          temporalCount.set(k, count);
        }
        for (int t = 0; t < st; t++) {
          for (int r = 0; r < rows; r++) {
            if (t >= first[r]) {
              sum[t - first[r]] += beta[t * rows + r];
              count[t - first[r]]++;
            }
          }
        }
      }
      shares.add(mr.gateWeights(), classification ? batch.labels() : null, rows);
    }
    float[] features = null;
    float[][] byClass = null;
    if (steps > 0) {
      features = new float[f];
      for (int i = 0; i < f; i++) {
        features[i] = (float) (feat[i] / steps);
      }
      byClass = new float[classes][f];
      for (int c = 0; c < classes; c++) {
        for (int i = 0; i < f; i++) {
          byClass[c][i] = stepsClass[c] == 0 ? Float.NaN : (float) (featClass[c][i] / stepsClass[c]);
        }
      }
    }
    float[][] temporal = null;
    if (mr.config().temporalAttention()) {
      temporal = new float[n][];
      for (int k = 0; k < n; k++) {
        double[] sum = temporalSum.get(k);
        long[] count = temporalCount.get(k);
        temporal[k] = new float[sum.length];
        for (int t = 0; t < sum.length; t++) {
          temporal[k][t] = count[t] == 0 ? Float.NaN : (float) (sum[t] / count[t]);
        }
      }
    }
    return new Readouts(features, byClass, temporal, shares, mr.config().scales());
  }

  /** The JSON of the run (the keys of {@code aura seq train --json}). */
  public Map<String, Object> toJson(SequenceDataset train, SequenceDataset test) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("model", kind.label());
    m.put("parameters", model.parameterCount());
    SequenceTrainer.Evaluation e = result.test();
    boolean classification = model.task().kind() == Task.Kind.CLASSIFICATION;
    if (classification) {
      m.put("accuracy", e.accuracy());
      m.put("macroAuroc", e.macroAuroc());
      m.put("macroAuprc", e.macroAuprc());
    } else {
      m.put("rmse", e.rmse());
      m.put("mae", e.mae());
    }
    m.put("testLoss", e.loss());
    m.put("trainSeconds", result.trainSeconds());
    m.put("sequencesPerSecond", result.sequencesPerSecond());
    m.put("trainSequences", train.size());
    m.put("testSequences", test.size());
    List<Map<String, Object>> epochs = new ArrayList<>();
    for (SequenceTrainer.Epoch ep : result.epochs()) {
      Map<String, Object> em = new LinkedHashMap<>();
      em.put("epoch", ep.epoch());
      em.put("trainLoss", ep.trainLoss());
      em.put("trainSeconds", ep.trainSeconds());
      em.put("learningRate", ep.learningRate());
      if (ep.test() != null) {
        em.put("testLoss", ep.test().loss());
        if (classification) {
          em.put("accuracy", ep.test().accuracy());
          em.put("macroAuroc", ep.test().macroAuroc());
          em.put("macroAuprc", ep.test().macroAuprc());
        } else {
          em.put("rmse", ep.test().rmse());
        }
      }
      epochs.add(em);
    }
    m.put("epochs", epochs);
    if (readouts != null) {
      if (readouts.features() != null) {
        Map<String, Object> fa = new LinkedHashMap<>();
        List<String> names = test.featureNames();
        Map<String, Object> overall = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
          overall.put(names.get(i), readouts.features()[i]);
        }
        fa.put("meanWeight", overall);
        if (classification) {
          Map<String, Object> per = new LinkedHashMap<>();
          for (int c = 0; c < readouts.featuresByClass().length; c++) {
            per.put(test.classNames().get(c), readouts.featuresByClass()[c]);
          }
          fa.put("byClass", per);
        }
        m.put("featureAttention", fa);
      }
      if (readouts.temporal() != null) {
        List<Map<String, Object>> ta = new ArrayList<>();
        for (int k = 0; k < readouts.temporal().length; k++) {
          Map<String, Object> t = new LinkedHashMap<>();
          t.put("timeScale", readouts.scales()[k]);
          t.put("meanWeightByStep", readouts.temporal()[k]);
          ta.add(t);
        }
        m.put("temporalAttention", ta);
      }
      List<Map<String, Object>> sh = new ArrayList<>();
      double[] overall = readouts.shares().overall();
      for (int k = 0; k < overall.length; k++) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("timeScale", readouts.scales()[k]);
        s.put("share", overall[k]);
        if (classification) {
          double[] byClass = new double[test.classNames().size()];
          for (int c = 0; c < byClass.length; c++) {
            byClass[c] = readouts.shares().byClass(c)[k];
          }
          s.put("byClass", byClass);
        }
        sh.add(s);
      }
      m.put("expertShares", sh);
    }
    return m;
  }
}
