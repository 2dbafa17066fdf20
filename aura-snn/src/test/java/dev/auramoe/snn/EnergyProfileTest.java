package dev.auramoe.snn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import org.junit.jupiter.api.Test;

class EnergyProfileTest {

  @Test
  void pricesMultiplyAccumulatesAndAccumulatesApart() {
    Operations ops = new Operations(1_000_000, 10_000_000);
    // 1e6 x 4.6 pJ + 1e7 x 0.9 pJ = 4.6 uJ + 9 uJ
    assertThat(EnergyProfile.HOROWITZ_45NM.joules(ops)).isCloseTo(13.6e-6, offset(1e-12));
    assertThat(EnergyProfile.LOIHI.joules(Operations.accumulates(1000))).isCloseTo(23.6e-9, offset(1e-15));
    assertThat(EnergyProfile.TRUENORTH.joules(Operations.macs(1000))).isCloseTo(4.6e-9, offset(1e-15));
    assertThat(EnergyProfile.HOROWITZ_45NM.basis()).contains("Horowitz").contains("4.6").doesNotContain("custom");
  }

  @Test
  void sumsAndAveragesCounts() {
    Operations a = new Operations(3, 5).plus(Operations.macs(1)).plus(Operations.accumulates(2));
    assertThat(a).isEqualTo(new Operations(4, 7));
    assertThat(a.per(2)).isEqualTo(new Operations(2, 3.5));
    assertThatThrownBy(() -> a.per(0)).hasMessageContaining("samples");
    assertThatThrownBy(() -> new Operations(-1, 0)).hasMessageContaining(">= 0");
    assertThatThrownBy(() -> new Operations(0, Double.NaN)).hasMessageContaining(">= 0");
  }

  @Test
  void findsPresetsByName() {
    assertThat(EnergyProfile.preset(" Loihi ")).isSameAs(EnergyProfile.LOIHI);
    assertThat(EnergyProfile.preset("horowitz-45nm")).isSameAs(EnergyProfile.HOROWITZ_45NM);
    assertThatThrownBy(() -> EnergyProfile.preset("tpu")).hasMessageContaining("unknown energy profile 'tpu'")
        .hasMessageContaining("truenorth");
  }
}
