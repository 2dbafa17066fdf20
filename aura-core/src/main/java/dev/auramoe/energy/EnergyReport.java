package dev.auramoe.energy;

import java.util.EnumMap;
import java.util.Map;

/**
 * Multiply-accumulate counts per component over some span (one call, a window, or the model's whole
 * life), and the energy they imply under a device profile. The energy is an <b>estimate</b>:
 * analytic MAC counts times a per-MAC cost; memory traffic and control are not included.
 *
 * @param label the span: {@code last-call}, {@code cumulative} or a window name
 * @param macs MACs per component, in {@link Component} ordinal order (copied, never shared)
 * @param tokens inputs routed in the span
 * @param profile the device profile used for joules
 */
public record EnergyReport(String label, long[] macs, long tokens, DeviceProfile profile) {

  /** Defensive copy. */
  public EnergyReport {
    macs = macs.clone();
  }

  /** MACs of one component. */
  public long macs(Component c) {
    return macs[c.ordinal()];
  }

  @Override
  public long[] macs() {
    return macs.clone();
  }

  /** All MACs. */
  public long totalMacs() {
    long s = 0;
    for (long m : macs) {
      s += m;
    }
    return s;
  }

  /** Estimated joules of all components. */
  public double joules() {
    return profile.joules(totalMacs());
  }

  /** Estimated joules of one component. */
  public double joules(Component c) {
    return profile.joules(macs(c));
  }

  /** Estimated picojoules per routed token, or 0 when no token was routed. */
  public double picojoulesPerToken() {
    return tokens == 0 ? 0 : totalMacs() * profile.picojoulesPerMac() / tokens;
  }

  /** Estimated picojoules per token of one component. */
  public double picojoulesPerToken(Component c) {
    return tokens == 0 ? 0 : macs(c) * profile.picojoulesPerMac() / tokens;
  }

  /** MACs by component as an ordered map. */
  public Map<Component, Long> byComponent() {
    Map<Component, Long> m = new EnumMap<>(Component.class);
    for (Component c : Component.all()) {
      m.put(c, macs[c.ordinal()]);
    }
    return m;
  }

  /** The same counts under another device profile. */
  public EnergyReport withProfile(DeviceProfile other) {
    return new EnergyReport(label, macs, tokens, other);
  }

  /** One line saying what the figure is and what it rests on. */
  public String basis() {
    return "estimate: analytic MAC count x " + profile.picojoulesPerMac() + " pJ/MAC (" + profile.basis()
        + "); arithmetic only, memory traffic not included";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof EnergyReport r && label.equals(r.label) && java.util.Arrays.equals(macs, r.macs)
        && tokens == r.tokens && profile.equals(r.profile);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * label.hashCode() + java.util.Arrays.hashCode(macs)) + Long.hashCode(tokens);
  }

  @Override
  public String toString() {
    return "EnergyReport[" + label + ", tokens=" + tokens + ", macs=" + byComponent() + ", "
        + String.format(java.util.Locale.ROOT, "%.3g", joules()) + " J " + basis() + "]";
  }
}
