package dev.auramoe.energy;

import java.util.Objects;

/**
 * Energy cost of one multiply-accumulate on some device, used to turn MAC counts into an energy
 * estimate. Figures are estimates: they count arithmetic only (no memory traffic, no control).
 *
 * <pre>
 * Presets (Horowitz, "Computing's energy problem (and what we can do about it)", ISSCC 2014, 45 nm):
 *   fp32 multiply 3.7 pJ + fp32 add 0.9 pJ  = 4.6 pJ per fp32 MAC
 *   int8 multiply 0.2 pJ + int8 add 0.03 pJ = 0.23 pJ per int8 MAC
 *   fp32 add only (accumulate, as in spiking hardware) = 0.9 pJ
 * </pre>
 *
 * @param name short label, e.g. {@code default-3pJ}
 * @param picojoulesPerMac energy per MAC in pJ; finite and non-negative
 * @param basis where the figure comes from, printed next to every estimate
 */
public record DeviceProfile(String name, double picojoulesPerMac, String basis) {

  /** The default: 3 pJ per MAC, a round figure between the int and fp32 costs at 45 nm. */
  public static final DeviceProfile DEFAULT =
      new DeviceProfile("default-3pJ", 3.0, "aura-moe default, 3 pJ per MAC");
  /** fp32 MAC, 4.6 pJ (Horowitz ISSCC 2014, 45 nm: 3.7 pJ multiply + 0.9 pJ add). */
  public static final DeviceProfile FP32_MAC =
      new DeviceProfile("fp32-mac", 4.6, "Horowitz ISSCC 2014, 45 nm: fp32 mult 3.7 pJ + add 0.9 pJ");
  /** int8 MAC, 0.23 pJ (Horowitz ISSCC 2014, 45 nm: 0.2 pJ multiply + 0.03 pJ add). */
  public static final DeviceProfile INT8_MAC =
      new DeviceProfile("int8-mac", 0.23, "Horowitz ISSCC 2014, 45 nm: int8 mult 0.2 pJ + add 0.03 pJ");
  /** Accumulate only, 0.9 pJ (Horowitz ISSCC 2014, 45 nm: fp32 add), the spiking-hardware view. */
  public static final DeviceProfile ACCUMULATE_ONLY =
      new DeviceProfile("accumulate-only", 0.9, "Horowitz ISSCC 2014, 45 nm: fp32 add 0.9 pJ");

  /** Validates the fields. */
  public DeviceProfile {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(basis, "basis");
    if (!Double.isFinite(picojoulesPerMac) || picojoulesPerMac < 0) {
      throw new IllegalArgumentException("picojoulesPerMac must be finite and >= 0, got " + picojoulesPerMac);
    }
  }

  /** A user-supplied profile. */
  public static DeviceProfile custom(String name, double picojoulesPerMac) {
    return new DeviceProfile(name, picojoulesPerMac, "custom value, " + picojoulesPerMac + " pJ per MAC");
  }

  /**
   * A preset by name ({@code default}, {@code fp32}, {@code int8}, {@code accumulate}) or a custom
   * figure in pJ written as a number, e.g. {@code "1.5"}.
   */
  public static DeviceProfile parse(String spec) {
    return switch (spec.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "default", "default-3pj" -> DEFAULT;
      case "fp32", "fp32-mac" -> FP32_MAC;
      case "int8", "int8-mac" -> INT8_MAC;
      case "accumulate", "accumulate-only", "ac" -> ACCUMULATE_ONLY;
      default -> {
        try {
          yield custom("custom", Double.parseDouble(spec.trim()));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("unknown device profile '" + spec
              + "' (expected default, fp32, int8, accumulate or a number of pJ per MAC)", e);
        }
      }
    };
  }

  /** Joules for a number of MACs. */
  public double joules(long macs) {
    return macs * picojoulesPerMac * 1e-12;
  }
}
