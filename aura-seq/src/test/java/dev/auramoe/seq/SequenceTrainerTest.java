package dev.auramoe.seq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.auramoe.stream.eval.OneVsRest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The shared training loop: it trains, it evaluates what the model predicts, its schedule ends where it says. */
class SequenceTrainerTest {

  /** Sequences of 3 steps of 2 features; class = which feature is larger on average. */
  static final class ArraySource implements BatchSource {
    final float[][] x;
    final int[] y;
    final Random random = new Random(5);
    int[] order;
    int cursor;

    ArraySource(int n, long seed) {
      Random r = new Random(seed);
      x = new float[n][6];
      y = new int[n];
      for (int s = 0; s < n; s++) {
        y[s] = r.nextInt(2);
        for (int t = 0; t < 3; t++) {
          x[s][2 * t] = (float) r.nextGaussian() + (y[s] == 0 ? 1 : 0);
          x[s][2 * t + 1] = (float) r.nextGaussian() + (y[s] == 1 ? 1 : 0);
        }
      }
    }

    @Override
    public int sequences() {
      return y.length;
    }

    @Override
    public void start(boolean shuffled) {
      order = new int[y.length];
      for (int i = 0; i < order.length; i++) {
        order[i] = i;
      }
      if (shuffled) {
        for (int i = order.length - 1; i > 0; i--) {
          int j = random.nextInt(i + 1);
          int t = order[i];
          order[i] = order[j];
          order[j] = t;
        }
      }
      cursor = 0;
    }

    @Override
    public int next(SequenceBatch into, int maxSize) {
      int rows = Math.min(maxSize, y.length - cursor);
      if (rows == 0) {
        return 0;
      }
      into.reshape(rows, 3);
      for (int r = 0; r < rows; r++) {
        int s = order[cursor + r];
        for (int t = 0; t < 3; t++) {
          into.x()[(t * rows + r) * 2] = x[s][2 * t];
          into.x()[(t * rows + r) * 2 + 1] = x[s][2 * t + 1];
          into.elapsed()[t * rows + r] = Float.NaN;
        }
        into.first()[r] = 0;
        into.labels()[r] = y[s];
      }
      cursor += rows;
      return rows;
    }
  }

  /** Softmax regression on the mean input over the steps. */
  static final class MeanModel implements SequenceModel {
    final Dense dense = new Dense("mean", 2, 2, new Random(3));
    final float[] mean = new float[256 * 2];
    final float[] logits = new float[256 * 2];
    final float[] dLogits = new float[256 * 2];

    @Override
    public Task task() {
      return Task.classification(2);
    }

    @Override
    public int inputDim() {
      return 2;
    }

    @Override
    public List<Parameter> parameters() {
      return dense.parameters();
    }

    private void forward(SequenceBatch b) {
      int n = b.size();
      java.util.Arrays.fill(mean, 0, 2 * n, 0f);
      for (int t = 0; t < b.steps(); t++) {
        for (int r = 0; r < n; r++) {
          for (int i = 0; i < 2; i++) {
            mean[r * 2 + i] += b.x()[(t * n + r) * 2 + i] / b.steps();
          }
        }
      }
      dense.forward(mean, n, logits);
    }

    @Override
    public double lossAndGradients(SequenceBatch b) {
      zeroGradients();
      forward(b);
      double loss = Losses.softmaxCrossEntropy(logits, b.labels(), b.size(), 2, dLogits);
      dense.backward(mean, dLogits, b.size(), null);
      return loss;
    }

    @Override
    public void predict(SequenceBatch b, float[] out) {
      forward(b);
      for (int r = 0; r < b.size(); r++) {
        double m = Math.max(logits[2 * r], logits[2 * r + 1]);
        double e0 = Math.exp(logits[2 * r] - m);
        double e1 = Math.exp(logits[2 * r + 1] - m);
        out[2 * r] = (float) (e0 / (e0 + e1));
        out[2 * r + 1] = (float) (e1 / (e0 + e1));
      }
    }
  }

  @Test
  void itLearnsAndItsFiguresAreThoseOfWhatTheModelPredicts() {
    MeanModel model = new MeanModel();
    ArraySource train = new ArraySource(600, 1);
    ArraySource test = new ArraySource(300, 2);
    // From zero weights: every class equally likely, a loss of ln 2.
    java.util.Arrays.fill(model.dense.weights().values(), 0f);
    double untrained = SequenceTrainer.evaluate(model, test, 64).loss();
    SequenceTrainer trainer = new SequenceTrainer(SequenceTrainer.Settings.DEFAULT.withEpochs(8).withBatchSize(32).withMinSteps(0)
        .withLearningRate(0.05f));
    List<SequenceTrainer.Epoch> seen = new ArrayList<>();
    SequenceTrainer.Result r = trainer.train(model, train, test, new SequenceTrainer.Listener() {
      @Override
      public void epoch(SequenceTrainer.Epoch e) {
        seen.add(e);
      }
    });
    assertThat(seen).hasSize(8).isEqualTo(r.epochs());
    assertThat(untrained).isCloseTo(Math.log(2), within(1e-6));
    assertThat(r.test().loss()).isLessThan(0.6 * untrained);
    // Two unit-variance features, means 1 apart over 3 steps: the Bayes accuracy is about 0.89.
    assertThat(r.test().accuracy()).isGreaterThan(0.8);
    assertThat(r.sequencesPerSecond()).isPositive();

    // The evaluation's figures, recomputed from the outputs it saw.
    float[] scores = new float[600];
    int[] labels = new int[300];
    int[] correct = {0};
    SequenceTrainer.Evaluation e = SequenceTrainer.evaluate(model, test, 7, (i, out, off, k, y, t, to) -> {
      System.arraycopy(out, off, scores, 2 * i, 2);
      labels[i] = y;
      correct[0] += (out[off + 1] > out[off]) == (y == 1) ? 1 : 0;
    });
    assertThat(e.sequences()).isEqualTo(300);
    assertThat(e.accuracy()).isEqualTo(correct[0] / 300.0);
    assertThat(labels).containsExactly(test.y);
    OneVsRest.Result ranks = OneVsRest.of(scores, labels, 300, 2);
    assertThat(e.macroAuroc()).isEqualTo(ranks.macroAuroc());
    assertThat(e.macroAuprc()).isEqualTo(ranks.macroAuprc());
    assertThat(e.accuracy()).isEqualTo(r.test().accuracy());
  }

  @Test
  void theCosineScheduleRunsFromTheRateToATenthOfIt() {
    SequenceTrainer t = new SequenceTrainer(SequenceTrainer.Settings.DEFAULT.withLearningRate(0.01f));
    assertThat(t.rate(0, 100)).isEqualTo(0.01f);
    assertThat(t.rate(99, 100)).isCloseTo(0.001f, within(1e-9f));
    assertThat(t.rate(50, 101)).isCloseTo(0.0055f, within(1e-6f));
  }

  @Test
  void aSmallTrainingSetGetsTheEpochsOfTheMinimumSteps() {
    SequenceTrainer.Settings s = SequenceTrainer.Settings.DEFAULT.withEpochs(15).withBatchSize(128).withMinSteps(500);
    // 60,000 sequences: 469 batches an epoch, 15 epochs are 7,035 steps.
    assertThat(s.epochsFor(60_000)).isEqualTo(15);
    // 200 sequences: 2 batches an epoch, 250 epochs for 500 steps.
    assertThat(s.epochsFor(200)).isEqualTo(250);
    assertThat(s.epochsFor(1)).isEqualTo(500);
    assertThat(s.withMinSteps(0).epochsFor(1)).isEqualTo(15);
    // The trainer runs them: 10 sequences in batches of 4 (3 steps an epoch), at least 10 steps.
    SequenceTrainer t = new SequenceTrainer(SequenceTrainer.Settings.DEFAULT.withEpochs(1).withBatchSize(4)
        .withMinSteps(10));
    int[] batches = {0};
    SequenceTrainer.Result r = t.train(new MeanModel(), new ArraySource(10, 4), null, new SequenceTrainer.Listener() {
      @Override
      public void batch(int sequences) {
        batches[0]++;
      }
    });
    assertThat(r.epochs()).hasSize(4);
    assertThat(batches[0]).isEqualTo(12);
  }

  @Test
  void badSettingsAreRefused() {
    assertThatThrownBy(() -> SequenceTrainer.Settings.DEFAULT.withEpochs(0)).hasMessageContaining("epochs");
    assertThatThrownBy(() -> SequenceTrainer.Settings.DEFAULT.withLearningRate(Float.NaN))
        .hasMessageContaining("learning rate");
    assertThatThrownBy(() -> new SequenceTrainer.Settings(1, 1, 1e-3f, -1f, 1, SequenceTrainer.Schedule.COSINE, 0))
        .hasMessageContaining("weight decay");
    assertThatThrownBy(() -> SequenceTrainer.Settings.DEFAULT.withMinSteps(-1)).hasMessageContaining("minSteps");
  }
}
