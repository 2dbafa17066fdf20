package dev.auramoe.balance;

/**
 * What the load balancer is doing right now. Reported as it is, never hidden: {@link #active()}
 * says whether the bias is moving at this moment, and {@link #mode()} why or why not.
 *
 * @param config the configuration in force
 * @param mode one of {@code off} (bias not applied), {@code frozen} (applied, fixed),
 *     {@code warming-up} (applied, not moving yet), {@code active} (applied and moving)
 * @param tokens tokens routed since creation (or the last reset)
 * @param biasUpdates how many times the bias moved
 * @param bias selection bias per expert (copy)
 * @param load moving-average load per expert: the fraction of tokens that selected it (copy)
 * @param counts tokens that selected each expert since creation (copy)
 */
public record BalanceState(BalanceConfig config, String mode, long tokens, long biasUpdates, float[] bias,
    float[] load, long[] counts) {

  /** Defensive copies. */
  public BalanceState {
    bias = bias.clone();
    load = load.clone();
    counts = counts.clone();
  }

  /** True when the bias is currently being updated. */
  public boolean active() {
    return "active".equals(mode);
  }

  /** Max over mean of the moving-average load; 1 is perfect balance, 0 when nothing was routed. */
  public double maxOverMeanLoad() {
    return maxOverMean(load);
  }

  /** Max over mean of the cumulative counts. */
  public double maxOverMeanCounts() {
    double[] d = new double[counts.length];
    for (int i = 0; i < d.length; i++) {
      d[i] = counts[i];
    }
    return maxOverMean(d);
  }

  private static double maxOverMean(float[] v) {
    double[] d = new double[v.length];
    for (int i = 0; i < d.length; i++) {
      d[i] = v[i];
    }
    return maxOverMean(d);
  }

  static double maxOverMean(double[] v) {
    double max = 0;
    double sum = 0;
    for (double x : v) {
      max = Math.max(max, x);
      sum += x;
    }
    return sum == 0 ? 0 : max / (sum / v.length);
  }

  @Override
  public float[] bias() {
    return bias.clone();
  }

  @Override
  public float[] load() {
    return load.clone();
  }

  @Override
  public long[] counts() {
    return counts.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BalanceState s && config.equals(s.config) && mode.equals(s.mode) && tokens == s.tokens
        && biasUpdates == s.biasUpdates && java.util.Arrays.equals(bias, s.bias)
        && java.util.Arrays.equals(load, s.load) && java.util.Arrays.equals(counts, s.counts);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(config, mode, tokens, biasUpdates, java.util.Arrays.hashCode(bias));
  }

  @Override
  public String toString() {
    return "BalanceState[mode=" + mode + ", tokens=" + tokens + ", biasUpdates=" + biasUpdates
        + ", maxOverMeanLoad=" + String.format(java.util.Locale.ROOT, "%.3f", maxOverMeanLoad()) + ", config="
        + config + "]";
  }
}
