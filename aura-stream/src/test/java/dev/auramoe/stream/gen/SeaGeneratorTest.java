package dev.auramoe.stream.gen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** SEA: the threshold rule per function, label noise, balance. */
class SeaGeneratorTest {

  @Test
  void withoutNoiseTheClassIsTheThresholdRuleOfEachFunction() throws Exception {
    double[] theta = {8, 9, 7, 9.5};
    for (int f = 1; f <= 4; f++) {
      int groupA = 0;
      for (double[] r : GeneratorContractTest.take(new SeaGenerator(f, 0.0, false, f), 20_000)) {
        assertThat(r[0]).isBetween(0.0, 10.0);
        assertThat(r[1]).isBetween(0.0, 10.0);
        assertThat(r[2]).isBetween(0.0, 10.0);
        assertThat(r[3]).as("function %d on %s + %s", f, r[0], r[1]).isEqualTo(r[0] + r[1] <= theta[f - 1] ? 0 : 1);
        groupA += r[3] == 0 ? 1 : 0;
      }
      // P(x1 + x2 <= theta) for x uniform on [0, 10]^2
      double t = theta[f - 1];
      double expected = t <= 10 ? t * t / 200 : 1 - (20 - t) * (20 - t) / 200;
      assertThat(groupA / 20_000.0).as("function %d", f).isCloseTo(expected, within(0.015));
      assertThat(SeaGenerator.theta(f)).isEqualTo(theta[f - 1]);
    }
  }

  @Test
  void theLabelNoiseFlipsTheConfiguredFraction() throws Exception {
    for (double noise : new double[] {0.1, 0.25}) {
      int flipped = 0;
      int n = 100_000;
      for (double[] r : GeneratorContractTest.take(new SeaGenerator(1, noise, false, 99), n)) {
        if (r[3] != (r[0] + r[1] <= 8 ? 0 : 1)) {
          flipped++;
        }
      }
      // binomial sd of the fraction <= 0.0014
      assertThat(flipped / (double) n).isCloseTo(noise, within(0.006));
    }
  }

  @Test
  void theNoiseDoesNotChangeTheAttributes() throws Exception {
    double[][] clean = GeneratorContractTest.take(new SeaGenerator(2, 0.0, false, 5), 1000);
    double[][] noisy = GeneratorContractTest.take(new SeaGenerator(2, 0.3, false, 5), 1000);
    for (int i = 0; i < clean.length; i++) {
      assertThat(noisy[i][0]).isEqualTo(clean[i][0]);
      assertThat(noisy[i][2]).isEqualTo(clean[i][2]);
    }
  }

  @Test
  void balancedClassesAlternateBeforeNoise() throws Exception {
    double[][] rows = GeneratorContractTest.take(new SeaGenerator(3, 0.0, true, 8), 1000);
    for (int i = 0; i < rows.length; i++) {
      assertThat(rows[i][3]).isEqualTo(i % 2);
      assertThat(rows[i][3]).isEqualTo(rows[i][0] + rows[i][1] <= 7 ? 0 : 1);
    }
  }

  @Test
  void badParametersAreRefused() {
    assertThatThrownBy(() -> new SeaGenerator(0, 1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("SEA function");
    assertThatThrownBy(() -> new SeaGenerator(5, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new SeaGenerator(1, 1.5, false, 1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("noise");
    assertThatThrownBy(() -> new SeaGenerator(1, Double.NaN, false, 1)).isInstanceOf(IllegalArgumentException.class);
  }
}
