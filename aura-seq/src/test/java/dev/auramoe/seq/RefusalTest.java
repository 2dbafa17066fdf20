package dev.auramoe.seq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.cell.CellConfig;
import dev.auramoe.cell.CellType;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Bad input is refused with a clear error before anything changes. */
class RefusalTest {

  /**
   * A training step refused for a non-finite gradient (here a target of 3e38, whose squared error's
   * gradient overflows a float) leaves the mixture as it was: its weights and top-k's balancer,
   * whose bias takes part in every later selection and is saved with the model.
   */
  @Test
  void aRefusedTrainingStepMovesNeitherTheWeightsNorTheBalancer() {
    MultiRateMoE model = MultiRateMoE.builder(2, Task.regression(1)).hidden(3).scales(1f, 4f, 16f).topK(1)
        .balance(dev.auramoe.balance.BalanceConfig.EVEN_LOAD).seed(2).build();
    SequenceBatch b = new SequenceBatch(2, 1);
    b.reshape(1, 4);
    Random r = new Random(3);
    for (int i = 0; i < 4 * 2; i++) {
      b.x()[i] = (float) r.nextGaussian();
    }
    Arrays.fill(b.elapsed(), 0, 4, Float.NaN);
    b.targets()[0] = 3e38f;
    Adam adam = new Adam(model.parameters(), Adam.Settings.DEFAULT);
    var before = model.gate().balancer().state();
    List<float[]> weights = model.parameters().stream().map(p -> p.values().clone()).toList();
    assertThatThrownBy(() -> model.trainStep(b, adam, 1.0)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("not finite");
    var after = model.gate().balancer().state();
    assertThat(after.counts()).isEqualTo(before.counts());
    assertThat(after.bias()).isEqualTo(before.bias());
    assertThat(after.load()).isEqualTo(before.load());
    assertThat(after.tokens()).isEqualTo(before.tokens());
    for (int i = 0; i < weights.size(); i++) {
      assertThat(model.parameters().get(i).values()).isEqualTo(weights.get(i));
    }
  }

  /**
   * A batch whose schedule needs more tape than an array can hold (here 40 inputs, each a gap of
   * a million Euler unfolds and a closed-form tail, times H = 64) is refused before the tape of the
   * previous pass is touched: a backward pass after the refusal gives the previous gradients.
   */
  @Test
  void aScheduleTooLongForTheTapeIsRefusedAndTheTapeStaysUsable() {
    CellConfig cfg = new CellConfig(64, CellType.LIQUID, 0.02f, 2.0f, 0.02f, 1, 1_000_000, 1f, 0.9f);
    TrainableLiquidCell cell = new TrainableLiquidCell(cfg, 2, 5);
    Random r = new Random(6);
    int steps = 40;
    float[] x = GradientCheckTest.gaussian(steps * 2, 1.0, r);
    float[] hs = new float[steps * 64];
    float[] dh = GradientCheckTest.gaussian(hs.length, 1.0, r);
    cell.forward(x, null, null, 1, steps, hs);
    cell.zeroGradients();
    cell.backward(dh, null);
    List<float[]> before = cell.parameters().stream().map(p -> p.gradient().clone()).toList();

    float[] longGaps = new float[steps];
    Arrays.fill(longGaps, 3e4f);
    assertThatThrownBy(() -> cell.forward(x, longGaps, null, 1, steps, new float[hs.length]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unfolds");

    cell.zeroGradients();
    cell.backward(dh, null);
    for (int k = 0; k < before.size(); k++) {
      assertThat(cell.parameters().get(k).gradient()).as(cell.parameters().get(k).name())
          .containsExactly(before.get(k));
    }
  }

  /**
   * A first step outside [0, steps) is refused, naming the sequence, before anything changes: a
   * backward pass after the refusal gives the previous pass's gradients. A bad input at a real step
   * after padding is still refused; the same at a padded step is ignored.
   */
  @Test
  void aFirstStepOutOfRangeIsRefusedAndTheTapeStaysUsable() {
    CellConfig cfg = CellConfig.DEFAULT.withHidden(5);
    TrainableLiquidCell cell = new TrainableLiquidCell(cfg, 2, 8);
    Random r = new Random(9);
    int batch = 3;
    int steps = 4;
    float[] x = GradientCheckTest.gaussian(batch * steps * 2, 1.0, r);
    float[] hs = new float[batch * steps * 5];
    float[] dh = GradientCheckTest.gaussian(hs.length, 1.0, r);
    cell.forward(x, null, new int[] {0, 2, 1}, batch, steps, hs);
    cell.zeroGradients();
    cell.backward(dh, null);
    List<float[]> before = cell.parameters().stream().map(p -> p.gradient().clone()).toList();

    assertThatThrownBy(() -> cell.forward(x, null, new int[] {0, 4, 1}, batch, steps, new float[hs.length]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("first step of sequence 1 must lie in [0, 4), got 4");
    assertThatThrownBy(() -> cell.forward(x, null, new int[] {-1, 0, 0}, batch, steps, new float[hs.length]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("first step of sequence 0 must lie in [0, 4), got -1");
    assertThatThrownBy(() -> cell.forward(x, null, new int[] {0, 0}, batch, steps, new float[hs.length]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("3 first steps");
    float[] bad = x.clone();
    bad[(2 * batch + 1) * 2] = Float.NaN; // step 2 of sequence 1, which starts at step 2
    assertThatThrownBy(() -> cell.forward(bad, null, new int[] {0, 2, 1}, batch, steps, new float[hs.length]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("input 0 at step 2 of sequence 1");

    cell.zeroGradients();
    cell.backward(dh, null);
    for (int k = 0; k < before.size(); k++) {
      assertThat(cell.parameters().get(k).gradient()).as(cell.parameters().get(k).name())
          .containsExactly(before.get(k));
    }
    float[] padded = x.clone();
    padded[(1 * batch + 1) * 2] = Float.NaN; // step 1 of sequence 1: padding
    float[] hp = new float[hs.length];
    cell.forward(padded, null, new int[] {0, 2, 1}, batch, steps, hp);
    assertThat(hp).containsExactly(hs);
  }

  /** A label out of range is refused before any gradient is written (the gradient may alias the logits). */
  @Test
  void aBadLabelIsRefusedBeforeTheLogitsOrGradientsChange() {
    float[] z = {1f, 2f, 3f, 0.5f, -1f, 2f};
    float[] kept = z.clone();
    assertThatThrownBy(() -> Losses.softmaxCrossEntropy(z, new int[] {0, 3}, 2, 3, z))
        .hasMessageContaining("label 3 of row 1");
    assertThat(z).containsExactly(kept);
    float[] dz = new float[6];
    assertThatThrownBy(() -> Losses.softmaxCrossEntropy(z, new int[] {0, -1}, 2, 3, dz))
        .hasMessageContaining("label -1 of row 1");
    assertThat(dz).containsOnly(0f);
  }

  /**
   * A data set with a negative elapsed time, a non-finite input or a negative label is refused when
   * the batcher is built, naming the data set's own sequence and step, not the row of whichever
   * shuffled batch it would have landed in.
   */
  @Test
  void theBatcherRefusesBadDataNamingTheDataSetsSequence() {
    int n = 6;
    int steps = 3;
    float[] x = new float[n * steps * 2];
    float[] elapsed = new float[n * steps];
    Arrays.fill(elapsed, 0.1f);
    int[] labels = new int[n];
    elapsed[4 * steps + 2] = -0.5f;
    assertThatThrownBy(() -> new SequenceBatcher(x, elapsed, labels, n, steps, 2, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("step 2 of sequence 4");
    elapsed[4 * steps + 2] = 0.1f;
    x[(5 * steps + 1) * 2 + 1] = Float.NaN;
    assertThatThrownBy(() -> new SequenceBatcher(x, elapsed, labels, n, steps, 2, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("feature 1 at step 1 of sequence 5");
    x[(5 * steps + 1) * 2 + 1] = 0f;
    labels[3] = -2;
    assertThatThrownBy(() -> new SequenceBatcher(x, elapsed, labels, n, steps, 2, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("label -2 of sequence 3");
  }
  /**
   * The LSTM and the CfC cell refuse a wrong shape, a non-finite input at a real step, a first step
   * out of range and (the CfC cell) a negative or infinite elapsed time, naming step and sequence,
   * before anything changes: a backward pass after each refusal gives the gradients of the last
   * accepted pass. Padding is not read, so a NaN input or a negative elapsed time there is accepted.
   */
  @Test
  void theRecurrentLayersRefuseBadBatchesAndKeepTheirTape() {
    refusesBadBatches(new TrainableLstm("lstm", 2, 5, 1), false);
    refusesBadBatches(new TrainableCfcCell("cfc", 2, 5, 7, TrainableCfcCell.Mode.DEFAULT, 1f, 1), true);
  }

  private static void refusesBadBatches(SequenceLayer layer, boolean readsTime) {
    int batch = 3;
    int steps = 4;
    int in = 2;
    int hd = 5;
    Random r = new Random(8);
    float[] x = GradientCheckTest.gaussian(batch * steps * in, 1.0, r);
    float[] elapsed = new float[batch * steps];
    Arrays.fill(elapsed, 0.5f);
    int[] first = {0, 2, 1};
    float[] hs = new float[batch * steps * hd];
    float[] dh = GradientCheckTest.gaussian(hs.length, 1.0, r);
    // Padding is neither read nor checked.
    x[(0 * batch + 1) * in] = Float.NaN;
    elapsed[1 * batch + 1] = -3f;
    layer.forward(x, elapsed, first, batch, steps, hs);
    layer.zeroGradients();
    layer.backward(dh, null);
    List<float[]> before = layer.parameters().stream().map(p -> p.gradient().clone()).toList();
    float[] other = new float[hs.length];

    assertThatThrownBy(() -> layer.forward(x, elapsed, first, batch, steps, new float[hs.length - 1]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("states");
    assertThatThrownBy(() -> layer.forward(Arrays.copyOf(x, x.length - 1), elapsed, first, batch, steps, other))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("inputs");
    assertThatThrownBy(() -> layer.forward(x, elapsed, new int[] {0, 1}, batch, steps, other))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("first steps");
    assertThatThrownBy(() -> layer.forward(x, elapsed, first, 0, steps, other))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("batch and steps must be > 0");
    assertThatThrownBy(() -> layer.forward(x, elapsed, new int[] {0, 4, 1}, batch, steps, other))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("first step of sequence 1");
    assertThatThrownBy(() -> layer.forward(x, elapsed, new int[] {0, 1, -1}, batch, steps, other))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("first step of sequence 2");
    float[] bad = x.clone();
    bad[(3 * batch + 2) * in + 1] = Float.POSITIVE_INFINITY;
    assertThatThrownBy(() -> layer.forward(bad, elapsed, first, batch, steps, other))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("input 1 at step 3 of sequence 2");
    if (readsTime) {
      float[] gaps = elapsed.clone();
      gaps[2 * batch + 1] = -0.5f;
      assertThatThrownBy(() -> layer.forward(x, gaps, first, batch, steps, other))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("elapsed time at step 2 of sequence 1");
      gaps[2 * batch + 1] = Float.POSITIVE_INFINITY;
      assertThatThrownBy(() -> layer.forward(x, gaps, first, batch, steps, other))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("elapsed time at step 2 of sequence 1");
    } else {
      // The LSTM takes no time: a negative elapsed time is not its business.
      float[] gaps = elapsed.clone();
      gaps[2 * batch + 1] = -0.5f;
      layer.forward(x, gaps, first, batch, steps, other);
      assertThat(other).containsExactly(hs);
    }
    assertThatThrownBy(() -> layer.backward(new float[hs.length - 1], null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("state gradients");
    assertThatThrownBy(() -> layer.backward(dh, new float[x.length - 1]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("input gradients");

    layer.zeroGradients();
    layer.backward(dh, null);
    for (int k = 0; k < before.size(); k++) {
      assertThat(layer.parameters().get(k).gradient()).as(layer.parameters().get(k).name())
          .containsExactly(before.get(k));
    }
  }

  @Test
  void theRecurrentLayersRefuseBadShapesAndABackwardBeforeAForward() {
    assertThatThrownBy(() -> new TrainableLstm("lstm", 0, 4, 1)).hasMessageContaining("inputDim > 0");
    assertThatThrownBy(() -> new TrainableLstm("lstm", 3, 0, 1)).hasMessageContaining("hidden > 0");
    assertThatThrownBy(() -> new TrainableCfcCell("cfc", 3, 4, 0, TrainableCfcCell.Mode.DEFAULT, 1f, 1))
        .hasMessageContaining("backboneUnits > 0");
    for (float scale : new float[] {0f, -1f, Float.NaN, Float.POSITIVE_INFINITY}) {
      assertThatThrownBy(() -> new TrainableCfcCell("cfc", 3, 4, 5, TrainableCfcCell.Mode.DEFAULT, scale, 1))
          .hasMessageContaining("timeScale");
    }
    TrainableCfcCell fine = new TrainableCfcCell("cfc", 1, 2, 3, TrainableCfcCell.Mode.DEFAULT, 1e-30f, 1);
    assertThatThrownBy(() -> fine.forward(new float[2], new float[] {0.5f, 1e10f}, null, 2, 1, new float[4]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("step 0 of sequence 1")
        .hasMessageContaining("overflows");
    assertThatThrownBy(() -> new TrainableLstm("lstm", 3, 4, 1).backward(new float[48], null))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("forward pass first");
    assertThatThrownBy(() -> new TrainableCfcCell("cfc", 3, 4, 5, TrainableCfcCell.Mode.NO_GATE, 1f, 1)
        .backward(new float[48], null))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("forward pass first");
  }
}
