package dev.auramoe.seq;

import dev.auramoe.balance.BalanceConfig;
import dev.auramoe.cell.CellConfig;
import dev.auramoe.seq.data.Preprocessing;
import dev.auramoe.seq.data.Standardisation;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/** Small models of every saved kind, trained a few steps on irregular data, for the file and scorer tests. */
final class SavedModels {

  /** Raw features per step; the preprocessing appends the elapsed feature. */
  static final int RAW = 3;
  static final int IN = RAW + 1;
  static final Task TASK = Task.classification(3);
  /** Data gaps (median 0.5): regular, none, short, usual, long, and one past the liquid cell's step cap. */
  static final float[] GAPS = {Float.NaN, 0f, 0.1f, 0.5f, 0.5f, 2f, 7f, 200f};

  private SavedModels() {}

  static Preprocessing preprocessing() {
    return new Preprocessing(new Standardisation(new double[] {1, -2, 0.5}, new double[] {2, 0.5, 3}), 0.5, 0.02,
        true);
  }

  static List<String> kinds() {
    return List.of("mr-moe", "mr-moe-top1", "moe", "liquid", "lstm", "cfc");
  }

  static SequenceModel build(String kind) {
    return switch (kind) {
      case "mr-moe" -> MultiRateMoE.builder(IN, TASK).hidden(6).scales(1f, 4f, 16f).elapsedFeature(true).seed(3)
          .build();
      case "mr-moe-top1" -> MultiRateMoE.builder(IN, TASK).hidden(6).scales(1f, 4f, 16f).topK(1)
          .balance(BalanceConfig.EVEN_LOAD).attentionDim(5).seed(4).build();
      case "moe" -> MultiRateMoE.builder(IN, TASK).hidden(5).singleRate(2).featureAttention(false)
          .temporalAttention(false).seed(5).build();
      case "liquid" -> RecurrentModel.liquid(CellConfig.DEFAULT.withHidden(7), IN, TASK, true, 6);
      case "lstm" -> new RecurrentModel(new TrainableLstm("lstm", IN, 6, 7), TASK, false, 8);
      case "cfc" -> new RecurrentModel(new TrainableCfcCell("cfc", IN, 6, 10, TrainableCfcCell.Mode.DEFAULT, 0.02f,
          9), TASK, true, 10);
      default -> throw new IllegalArgumentException(kind);
    };
  }

  /** A model of the kind after a few training steps (the top-k balancer's bias moved). */
  static SavedSequenceModel trained(String kind) {
    SequenceModel m = build(kind);
    Random r = new Random(kind.hashCode());
    Adam adam = new Adam(m.parameters(), Adam.Settings.DEFAULT.withLearningRate(1e-2f));
    for (int i = 0; i < 4; i++) {
      m.trainStep(batch(m.inputDim(), 8, 10, r), adam, 1.0);
    }
    return new SavedSequenceModel(m, preprocessing(), List.of("a", "b", "c"), List.of("x", "y", "z"));
  }

  /** Random raw steps of one sequence: {@code steps * RAW} features and {@code steps} data gaps. */
  static float[][] sequence(int steps, Random r) {
    float[] raw = new float[steps * RAW];
    float[] gaps = new float[steps];
    for (int t = 0; t < steps; t++) {
      for (int i = 0; i < RAW; i++) {
        raw[t * RAW + i] = (float) (3 * r.nextGaussian());
      }
      gaps[t] = t == 0 ? Float.NaN : GAPS[r.nextInt(GAPS.length)];
    }
    return new float[][] {raw, gaps};
  }

  /** The sequence as the model sees it, preprocessed, as a batch of one. */
  static SequenceBatch asBatch(Preprocessing p, float[] raw, float[] gaps, int steps) {
    SequenceBatch b = new SequenceBatch(p.features(), 0);
    b.reshape(1, steps);
    for (int t = 0; t < steps; t++) {
      b.elapsed()[t] = p.applyStep(raw, t * RAW, gaps[t], b.x(), t * p.features());
    }
    return b;
  }

  /** A left-padded batch of random preprocessed inputs with irregular model-time gaps. */
  static SequenceBatch batch(int features, int size, int steps, Random r) {
    SequenceBatch b = new SequenceBatch(features, 0);
    b.reshape(size, steps);
    float[] gaps = {Float.NaN, 0f, 0.004f, 0.02f, 0.08f, 8f};
    for (int s = 0; s < size; s++) {
      b.first()[s] = r.nextInt(steps / 2);
      b.labels()[s] = r.nextInt(TASK.outputs());
    }
    Arrays.fill(b.elapsed(), 0, size * steps, Float.NaN);
    for (int t = 0; t < steps; t++) {
      for (int s = 0; s < size; s++) {
        int k = t * size + s;
        if (t < b.first()[s]) {
          continue;
        }
        b.elapsed()[k] = t == b.first()[s] ? Float.NaN : gaps[r.nextInt(gaps.length)];
        for (int i = 0; i < features; i++) {
          b.x()[k * features + i] = (float) r.nextGaussian() + b.labels()[s] * (i == 0 ? 1 : 0);
        }
      }
    }
    return b;
  }
}
