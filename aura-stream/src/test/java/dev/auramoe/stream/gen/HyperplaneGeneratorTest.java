package dev.auramoe.stream.gen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.auramoe.stream.data.Instance;
import org.junit.jupiter.api.Test;

/** Rotating hyperplane: the class rule, balance under drift, moving weights, noise. */
class HyperplaneGeneratorTest {

  @Test
  void withoutNoiseTheClassIsTheSideOfTheHyperplane() {
    HyperplaneGenerator g = new HyperplaneGenerator(10, 2, 10, 0.01, 0.0, 0.1, 3);
    Instance row = new Instance(g.schema());
    for (int i = 0; i < 10_000; i++) {
      double[] w = g.weights();
      g.next(row);
      double sum = 0;
      double sumW = 0;
      for (int j = 0; j < 10; j++) {
        assertThat(row.value(j)).isBetween(0.0, 1.0);
        sum += w[j] * row.value(j);
        sumW += w[j];
      }
      assertThat(row.value(10)).as("instance %d", i).isEqualTo(sum >= sumW / 2 ? 1 : 0);
    }
  }

  @Test
  void theClassesStayBalancedUnderDrift() throws Exception {
    int ones = 0;
    int n = 100_000;
    for (double[] r : GeneratorContractTest.take(new HyperplaneGenerator(10, 2, 10, 0.001, 0.05, 0.1, 17), n)) {
      ones += (int) r[10];
    }
    assertThat(ones / (double) n).isCloseTo(0.5, within(0.01));
  }

  @Test
  void onlyTheDriftingWeightsMoveByMagChangePerInstance() {
    HyperplaneGenerator g = new HyperplaneGenerator(6, 2, 2, 0.01, 0.05, 0.0, 4);
    double[] before = g.weights();
    Instance row = new Instance(g.schema());
    for (int i = 0; i < 100; i++) {
      g.next(row);
    }
    double[] after = g.weights();
    // sigma 0: the directions never reverse
    assertThat(after[0] - before[0]).isCloseTo(1.0, within(1e-9));
    assertThat(after[1] - before[1]).isCloseTo(1.0, within(1e-9));
    for (int j = 2; j < 6; j++) {
      assertThat(after[j]).isEqualTo(before[j]);
    }
    HyperplaneGenerator fixed = new HyperplaneGenerator(7);
    double[] w = fixed.weights();
    for (int i = 0; i < 100; i++) {
      fixed.next(new Instance(fixed.schema()));
    }
    assertThat(fixed.weights()).containsExactly(w);
  }

  @Test
  void theNoiseFlipsTheConfiguredFraction() {
    HyperplaneGenerator g = new HyperplaneGenerator(10, 2, 0, 0.0, 0.05, 0.1, 21);
    double[] w = g.weights();
    double sumW = 0;
    for (double x : w) {
      sumW += x;
    }
    Instance row = new Instance(g.schema());
    int flipped = 0;
    int n = 100_000;
    for (int i = 0; i < n; i++) {
      g.next(row);
      double sum = 0;
      for (int j = 0; j < 10; j++) {
        sum += w[j] * row.value(j);
      }
      if (row.value(10) != (sum >= sumW / 2 ? 1 : 0)) {
        flipped++;
      }
    }
    assertThat(flipped / (double) n).isCloseTo(0.05, within(0.004));
  }

  @Test
  void badParametersAreRefused() {
    assertThatThrownBy(() -> new HyperplaneGenerator(0, 2, 0, 0, 0, 0, 1)).isInstanceOf(
        IllegalArgumentException.class).hasMessageContaining("attribute count");
    assertThatThrownBy(() -> new HyperplaneGenerator(5, 1, 0, 0, 0, 0, 1)).isInstanceOf(
        IllegalArgumentException.class).hasMessageContaining("class count");
    assertThatThrownBy(() -> new HyperplaneGenerator(5, 2, 6, 0, 0, 0, 1)).isInstanceOf(
        IllegalArgumentException.class).hasMessageContaining("0..5");
    assertThatThrownBy(() -> new HyperplaneGenerator(5, 2, 2, -0.1, 0, 0, 1)).isInstanceOf(
        IllegalArgumentException.class).hasMessageContaining("magChange");
    assertThatThrownBy(() -> new HyperplaneGenerator(5, 2, 2, 0.1, 0, 2, 1)).isInstanceOf(
        IllegalArgumentException.class).hasMessageContaining("sigma");
  }
}
