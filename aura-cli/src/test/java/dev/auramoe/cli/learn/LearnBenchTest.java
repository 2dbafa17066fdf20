package dev.auramoe.cli.learn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.auramoe.cli.learn.LearnBench.Row;
import dev.auramoe.cli.learn.LearnBench.Summary;
import dev.auramoe.cli.learn.SwitchingStream.Offset;
import dev.auramoe.cli.learn.SwitchingStream.Spec;
import dev.auramoe.cli.learn.SwitchingStream.Task;
import java.util.List;
import org.junit.jupiter.api.Test;

class LearnBenchTest {

  @Test
  void theOracleIsToldTheRegimeWhenOnlyYShowsIt() {
    // No input offsets: nothing in x tells the regimes apart, so only a learner told the regime can
    // fit each map; the single filter fits their average.
    Row r = LearnBench.run(new Spec(Task.REGRESSION, 8, 4, 250, Offset.NONE, 0.05, 0, true, 3, 20_000, 4));
    assertThat(r.oracleOverSingle()).isLessThan(0.1);
    assertThat(r.regimesSeen()).isEqualTo(4);
  }

  @Test
  void errorsAreDeterministicAndFinite() {
    Spec s = new Spec(Task.CLASSIFICATION, 4, 2, 50, Offset.WEAK, 0.1, 10, true, 3, 3_000, 2);
    Row a = LearnBench.run(s);
    Row b = LearnBench.run(s);
    double[] ea = {a.mixture(), a.single(), a.oracle(), a.centroid(), a.recent(), a.mixtureMacs()};
    double[] eb = {b.mixture(), b.single(), b.oracle(), b.centroid(), b.recent(), b.mixtureMacs()};
    assertThat(ea).containsExactly(eb);
    assertThat(java.util.Arrays.stream(ea).boxed().toList()).allSatisfy(v -> assertThat(v).isBetween(0.0, 1e9));
    assertThat(a.mixtureMacs()).isGreaterThan(a.singleMacs());
  }

  @Test
  void theSummaryTakesMediansWorstsAndTheEasyStreams() {
    Spec s = new Spec(Task.REGRESSION, 4, 2, 10, Offset.NONE, 0.1, 0, true, 3, 100, 1);
    // mixture, single, oracle: ratios mix/orc 2, 10, 4; mix/sgl 0.2, 0.5, 0.4; orc/sgl 0.1, 0.05, 0.1.
    List<Row> rows = List.of(row(s, 0.2, 1.0, 0.1), row(s.withInstances(200), 0.5, 1.0, 0.05),
        row(s.withInstances(300), 0.4, 1.0, 0.1));
    Summary m = Summary.of(rows);
    assertThat(m.medianMixtureOverOracle()).isEqualTo(4.0);
    assertThat(m.worstMixtureOverOracle()).isEqualTo(10.0);
    assertThat(m.worstMixtureOverSingle()).isEqualTo(0.5);
    assertThat(m.easyStreams()).isEqualTo(3);
    assertThat(m.easyMissed()).isEqualTo(2);
    assertThat(m.targetsMet()).isFalse();
  }

  private static Row row(Spec s, double mixture, double single, double oracle) {
    return new Row(s, mixture, single, oracle, single, single, Double.NaN, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 0);
  }
}
