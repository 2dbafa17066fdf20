package dev.auramoe.snn;

import dev.auramoe.energy.DeviceProfile;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * What one operation costs on some device, to turn counted operations into an energy estimate:
 * a multiply-accumulate on real values (the encoding layer, the dense twin) and an accumulate (a
 * synaptic operation: a spike adds a weight). Estimates count arithmetic only: no memory traffic,
 * no control, no neuron-state updates, the way the spiking literature's figures are made (for
 * example the spike-driven Transformer's: 4.6 pJ per MAC and 0.9 pJ per accumulate at 45 nm).
 *
 * @param name a short label printed beside every estimate
 * @param mac the cost of a multiply-accumulate
 * @param accumulate the cost of a synaptic operation
 */
public record EnergyProfile(String name, DeviceProfile mac, DeviceProfile accumulate) {

  /** Horowitz, ISSCC 2014, 45 nm: fp32 MAC 4.6 pJ, fp32 add 0.9 pJ (the core's presets). */
  public static final EnergyProfile HOROWITZ_45NM =
      new EnergyProfile("horowitz-45nm", DeviceProfile.FP32_MAC, DeviceProfile.ACCUMULATE_ONLY);

  /**
   * Intel Loihi: 23.6 pJ per synaptic spike operation (Davies et al., "Loihi: a neuromorphic
   * manycore processor with on-chip learning", IEEE Micro 38(1), 2018, Table 1); the MACs of the
   * encoding layer at Horowitz's fp32 figure, as a host would compute them.
   */
  public static final EnergyProfile LOIHI = new EnergyProfile("loihi", DeviceProfile.FP32_MAC,
      new DeviceProfile("loihi-synop", 23.6,
          "Davies et al., IEEE Micro 38(1) 2018: Loihi, 23.6 pJ per synaptic spike operation"));

  /**
   * IBM TrueNorth: 26 pJ per synaptic event (Merolla et al., "A million spiking-neuron integrated
   * circuit with a scalable communication network and interface", Science 345, 2014); the MACs of
   * the encoding layer at Horowitz's fp32 figure.
   */
  public static final EnergyProfile TRUENORTH = new EnergyProfile("truenorth", DeviceProfile.FP32_MAC,
      new DeviceProfile("truenorth-synev", 26.0,
          "Merolla et al., Science 345, 2014: TrueNorth, 26 pJ per synaptic event"));

  /** Every preset, the default first. */
  public static final List<EnergyProfile> PRESETS = List.of(HOROWITZ_45NM, LOIHI, TRUENORTH);

  /** Validates the fields. */
  public EnergyProfile {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(mac, "mac");
    Objects.requireNonNull(accumulate, "accumulate");
  }

  /** A preset by name: {@code horowitz-45nm}, {@code loihi} or {@code truenorth}. */
  public static EnergyProfile preset(String name) {
    String n = name.trim().toLowerCase(Locale.ROOT);
    for (EnergyProfile p : PRESETS) {
      if (p.name.equals(n)) {
        return p;
      }
    }
    throw new IllegalArgumentException("unknown energy profile '" + name + "' (expected one of "
        + PRESETS.stream().map(EnergyProfile::name).toList() + ")");
  }

  /** Joules for these operations. */
  public double joules(Operations ops) {
    return ops.macs() * mac.picojoulesPerMac() * 1e-12
        + ops.accumulates() * accumulate.picojoulesPerMac() * 1e-12;
  }

  /** Where the figures come from, for reports. */
  public String basis() {
    return "MAC " + mac.picojoulesPerMac() + " pJ (" + mac.basis() + "); accumulate " + accumulate.picojoulesPerMac()
        + " pJ (" + accumulate.basis() + ")";
  }
}
