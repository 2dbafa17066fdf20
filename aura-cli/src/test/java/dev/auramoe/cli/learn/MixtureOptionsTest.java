package dev.auramoe.cli.learn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.cli.learn.SwitchingStream.Offset;
import dev.auramoe.cli.learn.SwitchingStream.Spec;
import dev.auramoe.cli.learn.SwitchingStream.Task;
import org.junit.jupiter.api.Test;

class MixtureOptionsTest {

  private static final Spec SPEC = new Spec(Task.REGRESSION, 4, 2, 50, Offset.WEAK, 0.1, 0, true,
      LearnBench.CLASSES, 3_000, 5);

  @Test
  void overridesThatRepeatTheDefaultsGiveTheDefaultMixtureExactly() {
    LearnBench.Row a = LearnBench.run(SPEC);
    assertThat(MixtureOptions.parse(" ")).isEqualTo(MixtureOptions.DEFAULTS);
    // Built through the overrides' own path, with every key at its default: the same model, bit for bit.
    String same = "experts=" + dev.auramoe.Defaults.EXPERTS + ",topK=" + dev.auramoe.Defaults.TOP_K + ",hidden="
        + dev.auramoe.Defaults.HIDDEN + ",mu=" + dev.auramoe.Defaults.MU + ",routerRate="
        + dev.auramoe.Defaults.ROUTER_LEARNING_RATE + ",credit=responsibility,drift=off";
    LearnBench.Row b = LearnBench.run(SPEC, MixtureOptions.parse(same), n -> { });
    assertThat(b.mixture()).isEqualTo(a.mixture());
    assertThat(b.mixtureMacs()).isEqualTo(a.mixtureMacs());
  }

  @Test
  void eachOverrideReachesTheMixture() {
    double base = LearnBench.run(SPEC).mixture();
    for (String o : new String[] {"beta=3", "alpha=0.6", "experts=4", "topK=1", "hidden=16", "balance=off",
        "cap=0.5", "credit=gate", "temperature=0.5", "routerRate=0.3", "mu=0.2"}) {
      LearnBench.Row r = LearnBench.run(SPEC, MixtureOptions.parse(o), n -> { });
      assertThat(r.mixture()).as(o).isNotEqualTo(base);
    }
    // Drift detection: none by default; ADWIN with drift=on, which fires where every regime is new.
    Spec fresh = new Spec(Task.REGRESSION, 4, 2, 1000, Offset.STRONG, 0.1, 0, false, 3, 6_000, 5);
    assertThat(LearnBench.run(fresh).detections()).isZero();
    assertThat(LearnBench.run(fresh, MixtureOptions.parse("drift=on"), n -> { }).detections()).isPositive();
    assertThat(LearnBench.run(SPEC, MixtureOptions.parse("experts=24"), n -> { }).mixtureMacs())
        .isGreaterThan(LearnBench.run(SPEC).mixtureMacs());
  }

  @Test
  void refusesWhatItCannotRead() {
    assertThatThrownBy(() -> MixtureOptions.parse("bogus=1")).hasMessageContaining("'bogus' is unknown");
    assertThatThrownBy(() -> MixtureOptions.parse("beta")).hasMessageContaining("not KEY=VALUE");
    assertThatThrownBy(() -> MixtureOptions.parse("experts=x")).hasMessageContaining("experts must be an integer");
    assertThatThrownBy(() -> MixtureOptions.parse("credit=max")).hasMessageContaining("gate or responsibility");
    assertThatThrownBy(() -> MixtureOptions.parse("beta=-1")).hasMessageContaining("recent-error weight");
    assertThatThrownBy(() -> MixtureOptions.parse("topK=9")).hasMessageContaining("top-k 9");
  }
}
