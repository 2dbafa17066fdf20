package dev.auramoe.stream.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class MetricsTest {

  @Test
  void accuracyAndKappaMatchAHandComputedConfusionMatrix() {
    // true\pred: [[20, 5], [10, 15]]: p0 = 35/50, pc = (25/50)(30/50) + (25/50)(20/50) = 0.5
    ClassificationMetrics m = new ClassificationMetrics(2, 1000);
    add(m, 0, 0, 20);
    add(m, 0, 1, 5);
    add(m, 1, 0, 10);
    add(m, 1, 1, 15);
    assertThat(m.accuracy()).isCloseTo(0.7, within(1e-12));
    assertThat(m.kappa()).isCloseTo((0.7 - 0.5) / 0.5, within(1e-12));
    assertThat(m.windowAccuracy()).isCloseTo(0.7, within(1e-12));
    assertThat(m.windowKappa()).isCloseTo(0.4, within(1e-12));
  }

  @Test
  void theWindowForgetsWhatSlidOutAndAlwaysRightOrAlwaysOneClassGivesTheEdgeKappas() {
    ClassificationMetrics m = new ClassificationMetrics(3, 10);
    add(m, 0, 1, 10);
    assertThat(m.windowAccuracy()).isZero();
    for (int i = 0; i < 10; i++) {
      m.add(i % 3, i % 3);
    }
    assertThat(m.windowAccuracy()).isEqualTo(1.0);
    assertThat(m.windowKappa()).isEqualTo(1.0);
    assertThat(m.accuracy()).isEqualTo(0.5);
    ClassificationMetrics one = new ClassificationMetrics(2, 5);
    add(one, 1, 1, 5);
    assertThat(one.kappa()).as("chance agreement 1").isZero();
    assertThatThrownBy(() -> one.add(2, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThat(new ClassificationMetrics(2, 5).accuracy()).isNaN();
  }

  @Test
  void maeAndRmseCumulativeAndWindowed() {
    RegressionMetrics r = new RegressionMetrics(2);
    r.add(1, 0);
    r.add(0, 2);
    r.add(5, 2);
    assertThat(r.mae()).isCloseTo(2.0, within(1e-12));
    assertThat(r.rmse()).isCloseTo(Math.sqrt((1 + 4 + 9) / 3.0), within(1e-12));
    assertThat(r.windowMae()).isCloseTo(2.5, within(1e-12));
    assertThat(r.windowRmse()).isCloseTo(Math.sqrt(6.5), within(1e-12));
    assertThatThrownBy(() -> r.add(Double.NaN, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThat(r.instances()).isEqualTo(3);
  }

  private static void add(ClassificationMetrics m, int t, int p, int times) {
    for (int i = 0; i < times; i++) {
      m.add(t, p);
    }
  }
}
