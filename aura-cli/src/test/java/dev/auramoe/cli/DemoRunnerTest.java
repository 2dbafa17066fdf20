package dev.auramoe.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.auramoe.balance.BalanceConfig;
import dev.auramoe.cli.demo.DemoResult;
import dev.auramoe.cli.demo.DemoRunner;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class DemoRunnerTest {

  private static final DemoRunner.Settings SHORT = DemoRunner.Settings.DEFAULT.withSteps(20_000);

  @Test
  void shortRunHasFiniteMetricsAndTheMixtureBeatsTheSingleFilter() {
    DemoResult r = DemoRunner.run(SHORT);

    assertThat(List.of(r.moeMse(), r.singleMse(), r.oracleMse(), r.maxOverMeanLoad(), r.picojoulesPerToken(),
        r.tokensPerSecond())).allMatch(Double::isFinite);
    assertThat(r.moeMse()).isPositive().isLessThan(r.singleMse());
    assertThat(r.oracleMse()).isLessThan(r.moeMse());
    assertThat(r.picojoulesPerToken()).isPositive();
    assertThat(r.tokensPerSecond()).isPositive();
    assertThat(r.energy().tokens()).isEqualTo(20_000);
    assertThat(Arrays.stream(r.regimeCounts()).sum()).isEqualTo(20_000);
    for (double[] row : r.shareByRegime()) {
      assertThat(Arrays.stream(row).sum()).isCloseTo(1.0, within(1e-9));
    }
    assertThat(r.taus()).hasSize(SHORT.tauSamples() * SHORT.hidden());
    assertThat(r.windowEnd()[r.windowEnd().length - 1]).isEqualTo(20_000);
  }

  @Test
  void sameSeedGivesTheSameErrors() {
    DemoRunner.Settings s = DemoRunner.Settings.DEFAULT.withSteps(3_000);
    DemoResult a = DemoRunner.run(s);
    DemoResult b = DemoRunner.run(s);
    assertThat(a.moeMse()).isEqualTo(b.moeMse());
    assertThat(a.singleMse()).isEqualTo(b.singleMse());
    assertThat(a.usage()).isDeepEqualTo(b.usage());
  }

  @Test
  void onTheSkewedStreamEvenLoadBalancingSpreadsTheLoadAndTheDefaultKeepsTheMixtureAccurate() {
    DemoResult even = DemoRunner.run(SHORT.withSkewed(true).withBalance(BalanceConfig.EVEN_LOAD));
    DemoResult collapsed = DemoRunner.run(SHORT.withSkewed(true).withBalance(false));
    DemoResult byDefault = DemoRunner.run(SHORT.withSkewed(true));

    assertThat(even.balance().mode()).isEqualTo("active");
    assertThat(collapsed.balance().mode()).isEqualTo("off");
    assertThat(even.maxOverMeanLoad()).isLessThan(1.5);
    assertThat(collapsed.maxOverMeanLoad()).isGreaterThan(2.0).isGreaterThan(1.5 * even.maxOverMeanLoad());
    // The default evens the load only among experts the router finds alike: uneven here, as the stream
    // is, and the mixture's error well below that of even load, which splits regime r0 over most experts.
    assertThat(byDefault.balance().mode()).isEqualTo("active");
    assertThat(byDefault.moeMse()).isLessThan(0.5 * even.moeMse());
  }
}
