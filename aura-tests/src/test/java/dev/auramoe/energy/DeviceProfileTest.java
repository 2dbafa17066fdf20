package dev.auramoe.energy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Device profiles: presets, custom figures, parsing, and the meter they feed. */
class DeviceProfileTest {

  @Test
  void presetsCarryTheirPublishedFigures() {
    assertThat(DeviceProfile.DEFAULT.picojoulesPerMac()).isEqualTo(3.0);
    assertThat(DeviceProfile.DEFAULT.name()).isEqualTo("default-3pJ");
    assertThat(DeviceProfile.FP32_MAC.picojoulesPerMac()).isEqualTo(4.6);
    assertThat(DeviceProfile.INT8_MAC.picojoulesPerMac()).isEqualTo(0.23);
    assertThat(DeviceProfile.ACCUMULATE_ONLY.picojoulesPerMac()).isEqualTo(0.9);
    assertThat(DeviceProfile.FP32_MAC.basis()).contains("Horowitz").contains("3.7").contains("0.9");
    assertThat(DeviceProfile.INT8_MAC.basis()).contains("Horowitz");
    assertThat(DeviceProfile.DEFAULT.joules(1_000_000)).isCloseTo(3e-6, within(1e-18));
    assertThat(DeviceProfile.custom("mine", 1.25).joules(8)).isCloseTo(1e-11, within(1e-24));
    assertThat(DeviceProfile.custom("mine", 1.25).basis()).contains("custom").contains("1.25");
  }

  @ParameterizedTest(name = "\"{0}\" -> {1} pJ")
  @CsvSource({"default, 3.0", "DEFAULT, 3.0", "default-3pJ, 3.0", "fp32, 4.6", " fp32-mac , 4.6", "int8, 0.23",
      "int8-mac, 0.23", "accumulate, 0.9", "accumulate-only, 0.9", "ac, 0.9", "1.5, 1.5", "0, 0.0", " 2e-1 , 0.2"})
  void parsesPresetsAndNumbers(String spec, double pj) {
    assertThat(DeviceProfile.parse(spec).picojoulesPerMac()).isEqualTo(pj);
  }

  @ParameterizedTest(name = "\"{0}\"")
  @ValueSource(strings = {"bogus", "", "fp64", "3 pJ"})
  void rejectsUnknownProfilesNamingTheChoices(String spec) {
    assertThatThrownBy(() -> DeviceProfile.parse(spec)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown device profile").hasMessageContaining("default, fp32, int8, accumulate");
  }

  @ParameterizedTest(name = "\"{0}\"")
  @ValueSource(strings = {"-1", "NaN", "Infinity", "-0.001"})
  void rejectsNegativeOrNonFiniteFigures(String spec) {
    assertThatThrownBy(() -> DeviceProfile.parse(spec)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("picojoulesPerMac must be finite and >= 0");
  }

  @Test
  void meterCountsPerCallCumulativelyAndInWindows() {
    EnergyMeter m = new EnergyMeter(DeviceProfile.FP32_MAC);
    m.beginCall();
    m.add(Component.CELL, 10);
    m.add(Component.ROUTER, 5);
    m.addTokens(1);
    m.openWindow("w");
    m.beginCall();
    m.add(Component.EXPERTS, 7);
    m.addTokens(2);
    assertThat(m.lastCall().macs()).containsExactly(0, 0, 7, 0, 0);
    assertThat(m.lastCall().tokens()).isEqualTo(2);
    assertThat(m.cumulative().macs()).containsExactly(10, 5, 7, 0, 0);
    assertThat(m.window("w").macs()).containsExactly(0, 0, 7, 0, 0);
    assertThat(m.openWindows()).containsExactly("w");
    assertThat(m.cumulative().picojoulesPerToken()).isCloseTo(22 * 4.6 / 3, within(1e-12));
    long[] raw = m.rawCounters();
    assertThat(raw).containsExactly(10, 5, 7, 0, 0, 3);
    EnergyMeter restored = new EnergyMeter(DeviceProfile.DEFAULT);
    restored.restoreCounters(raw);
    assertThat(restored.cumulative().macs()).containsExactly(m.cumulative().macs());
    assertThatThrownBy(() -> restored.restoreCounters(new long[3])).hasMessageContaining("expected 6 counters");
    m.reset();
    assertThat(m.cumulative().totalMacs()).isZero();
    assertThat(m.openWindows()).isEmpty();
  }
}
