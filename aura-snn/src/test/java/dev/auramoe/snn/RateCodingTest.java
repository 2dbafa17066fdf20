package dev.auramoe.snn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.balance.BalanceConfig;
import dev.auramoe.seq.Adam;
import dev.auramoe.seq.Parameter;
import dev.auramoe.seq.SequenceBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Rate coding ({@link Encoding#RATE}): Bernoulli input spikes of the pixels' intensities. */
class RateCodingTest {

  private static SpikingMoE.Config config(int steps) {
    return new SpikingMoE.Config(1, 8, 8, 3, steps, 3, 4, 3, 2, 5, LifConfig.DEFAULT, BalanceConfig.OFF, true, 7,
        Encoding.RATE);
  }

  private static SequenceBatch constant(int size, float intensity) {
    SequenceBatch b = new SequenceBatch(64, 0);
    b.reshape(size, 1);
    Arrays.fill(b.x(), 0, size * 64, intensity);
    for (int i = 0; i < size; i++) {
      b.elapsed()[i] = Float.NaN;
    }
    return b;
  }

  /** The input spikes fire at the pixels' intensity: never at 0, always at 1, in between as often as the pixel says. */
  @ParameterizedTest(name = "intensity {0}")
  @ValueSource(floats = {0f, 0.25f, 0.7f, 1f})
  void inputSpikesFireAtThePixelsIntensity(float intensity) {
    SpikingMoE model = new SpikingMoE(config(64));
    model.predict(constant(8, intensity), new float[8 * 3]);
    double rate = model.firingRates().get("input");
    if (intensity == 0f || intensity == 1f) {
      assertThat(rate).isEqualTo(intensity);
    } else {
      // 8 x 64 pixels x 64 steps = 32,768 draws: the standard error is under 0.003.
      assertThat(rate).isCloseTo(intensity, org.assertj.core.data.Offset.offset(0.015));
    }
  }

  /** Independent draws: two neighbouring pixels of the same intensity do not fire together more than chance. */
  @Test
  void neighbouringPixelsAndStepsDrawIndependently() {
    long both = 0;
    long first = 0;
    long second = 0;
    int draws = 20_000;
    for (int i = 0; i < draws; i++) {
      boolean a = Encoding.uniform(7, -1, 42, i % 64, i / 64) < 0.5f;
      boolean b = Encoding.uniform(7, -1, 42, i % 64, i / 64 + 1) < 0.5f;
      boolean c = Encoding.uniform(7, -1, 42, i % 64 + 1, i / 64) < 0.5f;
      first += a ? 1 : 0;
      second += b ? 1 : 0;
      both += a && b ? 1 : 0;
      both += a && c ? 1 : 0;
    }
    assertThat(first / (double) draws).isCloseTo(0.5, org.assertj.core.data.Offset.offset(0.02));
    assertThat(second / (double) draws).isCloseTo(0.5, org.assertj.core.data.Offset.offset(0.02));
    assertThat(both / (2.0 * draws)).as("P(both fire)").isCloseTo(0.25, org.assertj.core.data.Offset.offset(0.02));
  }

  /** A prediction is a function of the image alone: the same in any batch, at any position, every time. */
  @Test
  void predictionIsAFunctionOfTheImageAlone() {
    SpikingMoE model = new SpikingMoE(config(4));
    Random r = new Random(2);
    SequenceBatch ab = SpikingMoETest.batch(2, 64, r, 3, true);
    SequenceBatch ca = SpikingMoETest.batch(2, 64, r, 3, true);
    System.arraycopy(ab.x(), 0, ca.x(), 64, 64);
    float[] first = new float[6];
    float[] second = new float[6];
    model.predict(ab, first);
    model.predict(ca, second);
    assertThat(Arrays.copyOfRange(second, 3, 6)).containsExactly(Arrays.copyOfRange(first, 0, 3));
    float[] again = new float[6];
    model.predict(ab, again);
    assertThat(again).containsExactly(first);
  }

  /**
   * The spikes follow the pixels' intensities, not their bit patterns: a pixel of -0 (a reader's or a
   * subtraction's negative zero) is the intensity 0 and gives the prediction a 0 gives.
   */
  @Test
  void aNegativeZeroPixelIsTheIntensityZero() {
    SpikingMoE model = new SpikingMoE(config(4));
    SequenceBatch plus = SpikingMoETest.batch(2, 64, new Random(4), 3, true);
    SequenceBatch minus = SpikingMoETest.batch(2, 64, new Random(4), 3, true);
    for (int i = 0; i < 2 * 64; i += 5) {
      plus.x()[i] = 0f;
      minus.x()[i] = -0f;
    }
    float[] a = new float[6];
    float[] b = new float[6];
    model.predict(plus, a);
    model.predict(minus, b);
    assertThat(b).containsExactly(a);
  }

  /**
   * Training draws new spikes once per step taken: the loss evaluations of one step see the same
   * spikes (as a gradient check needs), the next step other ones.
   */
  @Test
  void trainingDrawsNewSpikesPerStepTaken() {
    SpikingMoE model = new SpikingMoE(config(2));
    SequenceBatch b = SpikingMoETest.batch(4, 64, new Random(3), 3, true);
    double loss = model.lossAndGradients(b);
    assertThat(model.lossAndGradients(b)).isEqualTo(loss);
    model.afterStep();
    assertThat(model.lossAndGradients(b)).as("the spikes of the next step").isNotEqualTo(loss);
  }

  /** Pixels outside [0, 1] are refused, in training and in prediction, before anything changes. */
  @ParameterizedTest(name = "pixel {0}")
  @ValueSource(floats = {-0.01f, 1.5f, 255f})
  void refusesIntensitiesOutsideTheUnitIntervalAndChangesNothing(float pixel) {
    SpikingMoE model = new SpikingMoE(config(2));
    Random r = new Random(3);
    Adam adam = new Adam(model.parameters(), new Adam.Settings(1e-3f, 0.9f, 0.999f, 1e-8f, 0f));
    model.trainStep(SpikingMoETest.batch(4, 64, r, 3, true), adam, 1.0);
    SequenceBatch clean = SpikingMoETest.batch(5, 64, r, 3, true);
    float[] before = new float[15];
    model.predict(clean, before);
    Operations ops = model.operations();
    float[] mean = model.norms().getFirst().runningMean().clone();
    List<float[]> weights = new ArrayList<>();
    for (Parameter p : model.parameters()) {
      weights.add(p.values().clone());
    }
    SequenceBatch bad = SpikingMoETest.batch(4, 64, r, 3, true);
    bad.x()[64 + 9] = pixel;
    assertThatThrownBy(() -> model.trainStep(bad, adam, 1.0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("image 1").hasMessageContaining("[0, 1]");
    assertThatThrownBy(() -> model.predict(bad, new float[12])).hasMessageContaining("[0, 1]");
    for (int i = 0; i < weights.size(); i++) {
      assertThat(model.parameters().get(i).values()).containsExactly(weights.get(i));
    }
    assertThat(model.norms().getFirst().runningMean()).containsExactly(mean);
    assertThat(model.operations()).isEqualTo(ops);
    float[] after = new float[15];
    model.predict(clean, after);
    assertThat(after).containsExactly(before);
  }

  @Test
  void theTwinReadsPixelsDirectly() {
    assertThat(config(4).twin().encoding()).isEqualTo(Encoding.DIRECT);
    assertThatThrownBy(() -> new SpikingMoE.Config(1, 8, 8, 3, 1, 3, 4, 3, 2, 5, LifConfig.DEFAULT,
        BalanceConfig.OFF, false, 7, Encoding.RATE)).hasMessageContaining("direct");
  }
}
