package dev.auramoe.stream.gen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.auramoe.stream.data.Instance;
import org.junit.jupiter.api.Test;

/** Random RBF: instances around their centroid, moving centres inside the unit cube. */
class RandomRbfGeneratorTest {

  @Test
  void withOneStillCentroidInstancesSurroundItsCentreAndTakeItsClass() {
    RandomRbfGenerator g = new RandomRbfGenerator(4, 3, 1, 0, 0.5, 12);
    double[] centre = g.centre(0);
    Instance row = new Instance(g.schema());
    double[] mean = new double[4];
    int n = 50_000;
    for (int i = 0; i < n; i++) {
      g.next(row);
      assertThat(row.value(4)).isEqualTo(g.centroidClass(0));
      for (int j = 0; j < 4; j++) {
        mean[j] += row.value(j) / n;
      }
    }
    for (int j = 0; j < 4; j++) {
      assertThat(mean[j]).isCloseTo(centre[j], within(0.01));
    }
    assertThat(g.centre(0)).containsExactly(centre);
  }

  @Test
  void driftingCentresMoveAtTheirSpeedAndStayInTheUnitCube() {
    RandomRbfGenerator g = new RandomRbfGenerator(10, 2, 8, 3, 0.001, 5);
    double[][] before = new double[8][];
    for (int c = 0; c < 8; c++) {
      before[c] = g.centre(c);
    }
    Instance row = new Instance(g.schema());
    g.next(row);
    for (int c = 0; c < 3; c++) {
      double d2 = 0;
      for (int j = 0; j < 10; j++) {
        double d = g.centre(c)[j] - before[c][j];
        d2 += d * d;
      }
      assertThat(Math.sqrt(d2)).as("centroid %d", c).isCloseTo(0.001, within(1e-9));
    }
    for (int i = 0; i < 20_000; i++) {
      g.next(row);
    }
    for (int c = 0; c < 8; c++) {
      for (double x : g.centre(c)) {
        assertThat(x).isBetween(0.0, 1.0);
      }
      if (c >= 3) {
        assertThat(g.centre(c)).as("still centroid %d", c).containsExactly(before[c]);
      } else {
        assertThat(g.centre(c)).as("moving centroid %d", c).isNotEqualTo(before[c]);
      }
    }
  }

  @Test
  void badParametersAreRefused() {
    assertThatThrownBy(() -> new RandomRbfGenerator(10, 2, 0, 0, 0, 1)).isInstanceOf(
        IllegalArgumentException.class).hasMessageContaining("centroid count");
    assertThatThrownBy(() -> new RandomRbfGenerator(10, 2, 5, 6, 0, 1)).isInstanceOf(
        IllegalArgumentException.class).hasMessageContaining("0..5");
    assertThatThrownBy(() -> new RandomRbfGenerator(10, 2, 5, 5, Double.NaN, 1)).isInstanceOf(
        IllegalArgumentException.class).hasMessageContaining("speed");
  }
}
