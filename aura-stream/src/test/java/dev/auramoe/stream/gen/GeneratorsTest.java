package dev.auramoe.stream.gen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.stream.data.Instance;
import org.junit.jupiter.api.Test;

/** The benchmark registry: names, lengths, drift points, concepts between drifts. */
class GeneratorsTest {

  @Test
  void sixStreamsAreKnownAndEachHasItsLengthAndDescription() throws Exception {
    assertThat(Generators.names()).containsExactly("sea", "hyperplane", "rbf", "agrawal", "agrawal-gradual", "led");
    for (String name : Generators.names()) {
      LimitedStream s = Generators.create(name);
      assertThat(s.limit()).isEqualTo(100_000);
      Instance row = new Instance(s.schema());
      long n = 0;
      while (s.next(row)) {
        n++;
      }
      assertThat(n).as(name).isEqualTo(100_000);
      assertThat(Generators.describe(name)).isNotBlank();
    }
  }

  @Test
  void driftPointsAreReportedAndScaleWithTheLength() {
    assertThat(Generators.create("sea").driftPoints()).containsExactly(25_000L, 50_000L, 75_000L);
    assertThat(Generators.create("agrawal").driftPoints()).containsExactly(25_000L, 50_000L, 75_000L);
    assertThat(Generators.create("agrawal-gradual").drifts()).containsExactly(new Drift(25_000, 10_000),
        new Drift(50_000, 10_000), new Drift(75_000, 10_000));
    assertThat(Generators.create("led").driftPoints()).containsExactly(50_000L);
    assertThat(Generators.create("hyperplane").driftPoints()).isEmpty();
    assertThat(Generators.create("rbf").driftPoints()).isEmpty();
    assertThat(Generators.create("sea", 1000).driftPoints()).containsExactly(250L, 500L, 750L);
  }

  @Test
  void seaFollowsFunctions1To4BetweenItsDrifts() throws Exception {
    LimitedStream s = Generators.create("sea", 40_000);
    double[] theta = {8, 9, 7, 9.5};
    Instance row = new Instance(s.schema());
    int[] agree = new int[4];
    for (int t = 0; t < 40_000; t++) {
      s.next(row);
      int concept = t / 10_000;
      if (row.value(3) == (row.value(0) + row.value(1) <= theta[concept] ? 0 : 1)) {
        agree[concept]++;
      }
    }
    for (int c = 0; c < 4; c++) {
      // 10% label noise; a neighbouring concept would agree on fewer
      assertThat(agree[c] / 10_000.0).as("concept %d", c + 1).isBetween(0.89, 0.91);
    }
  }

  @Test
  void theSameNameAndSeedGiveTheSameStream() throws Exception {
    for (String name : Generators.names()) {
      assertThat(GeneratorContractTest.take(Generators.create(name, 500), 500))
          .isDeepEqualTo(GeneratorContractTest.take(Generators.create(name, 500), 500));
      assertThat(GeneratorContractTest.take(Generators.create(name, 500, 1), 500))
          .isNotEqualTo(GeneratorContractTest.take(Generators.create(name, 500, 2), 500));
    }
  }

  @Test
  void unknownNamesAndNegativeLengthsAreRefused() {
    assertThatThrownBy(() -> Generators.create("stagger")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown stream 'stagger'").hasMessageContaining("sea, hyperplane");
    assertThatThrownBy(() -> Generators.create("sea", -1)).isInstanceOf(IllegalArgumentException.class);
  }
}
