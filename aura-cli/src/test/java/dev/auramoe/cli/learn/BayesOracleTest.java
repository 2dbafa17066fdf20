package dev.auramoe.cli.learn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.cli.learn.SwitchingStream.Offset;
import dev.auramoe.cli.learn.SwitchingStream.Spec;
import dev.auramoe.cli.learn.SwitchingStream.Task;
import org.junit.jupiter.api.Test;

class BayesOracleTest {

  /** Mean error of the forecaster over a stream's first {@code n} instances. */
  private static double meanError(Spec spec) {
    SwitchingStream s = new SwitchingStream(spec);
    BayesOracle b = new BayesOracle(s);
    float[] x = new float[spec.inputs()];
    double sum = 0;
    for (long t = 0; t < spec.instances(); t++) {
      s.next(x);
      sum += b.step(x, s.target());
    }
    return sum / spec.instances();
  }

  @Test
  void withRegimesFarApartInXItsErrorIsTheNoise() {
    // Strong offsets: x names the regime but for inputs far in a tail (squared distances between
    // these means are about 40 to 90), so even on the first instance of a visit the forecast is the true
    // map: the error stays near the noise variance (0.01), where a forecaster blind to x pays about 0.4
    // with visits this short (next test).
    double mse = meanError(new Spec(Task.REGRESSION, 8, 4, 10, Offset.STRONG, 0.1, 0, true, 3, 20_000, 3));
    assertThat(mse).isBetween(0.009, 0.03);
  }

  @Test
  void whenOnlyYShowsTheRegimeEachVisitCostsItsFirstInstance() {
    // No offsets: the forecaster learns the regime from y, one instance late. With mean dwell 10 about a
    // tenth of the instances are first ones, each costing the distance between two regimes' maps (about
    // 2 + 2 = 4 in variance for unit weights and biases), so the error lies far above the noise and
    // near 0.1 * 4; with dwell 1,000 it comes back to the noise.
    double shortDwell = meanError(new Spec(Task.REGRESSION, 8, 4, 10, Offset.NONE, 0.1, 0, true, 3, 40_000, 5));
    double longDwell = meanError(new Spec(Task.REGRESSION, 8, 4, 1000, Offset.NONE, 0.1, 0, true, 3, 40_000, 5));
    assertThat(shortDwell).isBetween(0.2, 0.6);
    assertThat(longDwell).isLessThan(0.02);
  }

  @Test
  void classesAreForecastFromTheRegimesArgmax() {
    double rate = meanError(new Spec(Task.CLASSIFICATION, 8, 4, 1000, Offset.NONE, 0.1, 0, true, 3, 20_000, 7));
    // The noise (0.1) flips only close argmaxes; a forecaster that ignored the regime would err on about
    // half of them (the regimes' maps are independent).
    assertThat(rate).isLessThan(0.1);
  }

  @Test
  void itNeedsRecurringRegimes() {
    SwitchingStream fresh = new SwitchingStream(
        new Spec(Task.REGRESSION, 4, 2, 10, Offset.NONE, 0.1, 0, false, 3, 100, 1));
    assertThatThrownBy(() -> new BayesOracle(fresh)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("recurring");
  }
}
