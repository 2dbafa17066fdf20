package dev.auramoe.energy;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Counts multiply-accumulates per {@link Component}: for the last call, cumulatively, and over
 * named measurement windows.
 *
 * <p>Counting is analytic: each operation adds the MACs its shapes imply (a d x k product adds
 * d*k), never a counter bumped inside a loop.
 *
 * <p>Threading: a meter has a single writer. Inside a {@code MixtureOfExperts} every mutation
 * happens under the model's lock, and the model's own accessors read it under that lock; a meter
 * used on its own must be confined to one thread or guarded by the caller.
 *
 * <pre>{@code
 * meter.openWindow("warm-up");
 * ... route / learn ...
 * EnergyReport r = meter.closeWindow("warm-up");
 * System.out.println(r.picojoulesPerToken() + " pJ/token, " + r.basis());
 * }</pre>
 */
public final class EnergyMeter {

  private static final int N = Component.all().length;

  private final long[] cumulative = new long[N];
  private final long[] lastCall = new long[N];
  private long tokens;
  private long lastCallTokens;
  private final Map<String, long[]> windows = new LinkedHashMap<>();
  private DeviceProfile profile;

  /** A meter with the given device profile. */
  public EnergyMeter(DeviceProfile profile) {
    this.profile = Objects.requireNonNull(profile, "profile");
  }

  /** The profile used for joules. */
  public DeviceProfile profile() {
    return profile;
  }

  /** Changes the profile; counts are kept. */
  public void setProfile(DeviceProfile p) {
    this.profile = Objects.requireNonNull(p, "profile");
  }

  /** Starts a new call: the last-call counts are cleared. */
  public void beginCall() {
    java.util.Arrays.fill(lastCall, 0);
    lastCallTokens = 0;
  }

  /** Adds MACs to a component, for the current call and cumulatively. */
  public void add(Component c, long macs) {
    lastCall[c.ordinal()] += macs;
    cumulative[c.ordinal()] += macs;
  }

  /** Adds routed tokens, for the current call and cumulatively. */
  public void addTokens(long n) {
    lastCallTokens += n;
    tokens += n;
  }

  /** Report of the last call. */
  public EnergyReport lastCall() {
    return new EnergyReport("last-call", lastCall, lastCallTokens, profile);
  }

  /** Report since the meter was created (or restored, or reset). */
  public EnergyReport cumulative() {
    return new EnergyReport("cumulative", cumulative, tokens, profile);
  }

  /**
   * Opens a named window at the current counts; reopening a name restarts it.
   *
   * @param name window name, not blank
   */
  public void openWindow(String name) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("window name must not be blank");
    }
    long[] start = java.util.Arrays.copyOf(cumulative, N + 1);
    start[N] = tokens;
    windows.put(name, start);
  }

  /** Report of an open window so far; the window stays open. */
  public EnergyReport window(String name) {
    long[] start = windows.get(name);
    if (start == null) {
      throw new IllegalArgumentException("no open energy window named '" + name + "'");
    }
    long[] d = new long[N];
    for (int i = 0; i < N; i++) {
      d[i] = cumulative[i] - start[i];
    }
    return new EnergyReport(name, d, tokens - start[N], profile);
  }

  /** Report of a window, which is then closed. */
  public EnergyReport closeWindow(String name) {
    EnergyReport r = window(name);
    windows.remove(name);
    return r;
  }

  /** Names of the open windows, in opening order. */
  public java.util.List<String> openWindows() {
    return java.util.List.copyOf(windows.keySet());
  }

  /** Clears every count and closes every window. */
  public void reset() {
    java.util.Arrays.fill(cumulative, 0);
    java.util.Arrays.fill(lastCall, 0);
    tokens = 0;
    lastCallTokens = 0;
    windows.clear();
  }

  /** Raw cumulative counters (MACs per component then tokens), for snapshots. */
  public long[] rawCounters() {
    long[] r = java.util.Arrays.copyOf(cumulative, N + 1);
    r[N] = tokens;
    return r;
  }

  /** Restores raw counters written by {@link #rawCounters()}. */
  public void restoreCounters(long[] raw) {
    if (raw.length != N + 1) {
      throw new IllegalArgumentException("expected " + (N + 1) + " counters, got " + raw.length);
    }
    System.arraycopy(raw, 0, cumulative, 0, N);
    tokens = raw[N];
  }
}
