package dev.auramoe.cli.demo;

import dev.auramoe.balance.BalanceState;
import dev.auramoe.energy.Component;
import dev.auramoe.energy.EnergyReport;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything {@link DemoRunner} measured. Arrays are owned by the record; do not modify them.
 *
 * @param settings what was run
 * @param kernels kernels in use ({@code scalar} or {@code panama-...})
 * @param moeMse prequential MSE of the mixture
 * @param singleMse prequential MSE of one NLMS filter
 * @param oracleMse prequential MSE of one NLMS filter per regime, told the regime
 * @param noiseFloor sigma_y^2, the MSE of the true regime functions
 * @param usage routed slots per regime and expert (each token fills k slots)
 * @param regimeCounts samples per regime
 * @param balance the balancer's state at the end
 * @param energy the mixture's cumulative energy report (all learn calls)
 * @param learnNanos wall-clock nanoseconds spent inside the mixture's learn calls
 * @param wallSeconds wall-clock seconds of the whole loop (mixture and baselines)
 * @param windowEnd step at the end of each window
 * @param windowShare per window, the share of routed slots per expert
 * @param windowMoeMse per window, the mixture's MSE
 * @param windowSingleMse per window, the single filter's MSE
 * @param windowOracleMse per window, the oracle's MSE
 * @param taus time constants of the trained cell, {@code hidden} per sampled input
 * @param tauMeanByRegime mean time constant over the samples of each regime
 */
public record DemoResult(DemoRunner.Settings settings, String kernels, double moeMse, double singleMse,
    double oracleMse, double noiseFloor, long[][] usage, long[] regimeCounts, BalanceState balance,
    EnergyReport energy, long learnNanos, double wallSeconds, long[] windowEnd, double[][] windowShare,
    double[] windowMoeMse, double[] windowSingleMse, double[] windowOracleMse, float[] taus,
    double[] tauMeanByRegime) {

  /** Acceptance target of the default run: the mixture's MSE at most this fraction of the single filter's. */
  public static final double TARGET_MSE_RATIO = 0.35;

  /** Acceptance target of the default run: max/mean of the cumulative expert counts at most this. */
  public static final double TARGET_MAX_OVER_MEAN = 1.5;

  /**
   * Acceptance target of the default run: the mixture's MSE at most this multiple of the oracle's (one
   * filter per regime, told the regime).
   */
  public static final double TARGET_ORACLE_RATIO = 3.0;

  /** The mixture's MSE over the single filter's. */
  public double moeOverSingle() {
    return moeMse / singleMse;
  }

  /** The mixture's MSE over the oracle's. */
  public double moeOverOracle() {
    return moeMse / oracleMse;
  }

  /** Max over mean of the cumulative per-expert counts (1 = perfectly even). */
  public double maxOverMeanLoad() {
    return balance.maxOverMeanCounts();
  }

  /** Routed tokens per second of wall-clock time inside the mixture's learn calls. */
  public double tokensPerSecond() {
    return settings.steps() / (learnNanos / 1e9);
  }

  /** Estimated picojoules per token, all components. */
  public double picojoulesPerToken() {
    return energy.picojoulesPerToken();
  }

  /** Row-normalised usage: the share of each regime's routed slots that went to each expert. */
  public double[][] shareByRegime() {
    double[][] s = new double[usage.length][];
    for (int r = 0; r < usage.length; r++) {
      long tot = Arrays.stream(usage[r]).sum();
      s[r] = new double[usage[r].length];
      for (int e = 0; e < usage[r].length; e++) {
        s[r][e] = tot == 0 ? 0 : (double) usage[r][e] / tot;
      }
    }
    return s;
  }

  /**
   * Specialisation: the mean over regimes (weighted by samples) of the largest share one expert takes
   * of that regime's slots. 1/k means every regime sends each slot to one expert; 1/experts is no
   * specialisation at all.
   */
  public double specialisation() {
    double[][] s = shareByRegime();
    long total = Arrays.stream(regimeCounts).sum();
    double acc = 0;
    for (int r = 0; r < s.length; r++) {
      acc += Arrays.stream(s[r]).max().orElse(0) * regimeCounts[r] / (double) total;
    }
    return acc;
  }

  /** Whether the mixture's MSE target holds. */
  public boolean mseTargetMet() {
    return moeMse <= TARGET_MSE_RATIO * singleMse;
  }

  /** Whether the mixture's MSE is within {@link #TARGET_ORACLE_RATIO} of the oracle's. */
  public boolean oracleTargetMet() {
    return moeMse <= TARGET_ORACLE_RATIO * oracleMse;
  }

  /** Whether the load balance target holds. */
  public boolean loadTargetMet() {
    return maxOverMeanLoad() <= TARGET_MAX_OVER_MEAN;
  }

  /** Quantiles of the sampled time constants at the given probabilities. */
  public double[] tauQuantiles(double... ps) {
    float[] t = taus.clone();
    Arrays.sort(t);
    double[] q = new double[ps.length];
    for (int i = 0; i < ps.length; i++) {
      q[i] = t.length == 0 ? Double.NaN : t[(int) Math.min(t.length - 1, Math.floor(ps[i] * t.length))];
    }
    return q;
  }

  /** The JSON document of {@code aura demo --json}. */
  public Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("moeMse", moeMse);
    m.put("singleMse", singleMse);
    m.put("oracleMse", oracleMse);
    m.put("moeOverSingle", moeOverSingle());
    m.put("moeOverOracle", moeOverOracle());
    m.put("noiseFloor", noiseFloor);
    m.put("maxOverMeanLoad", maxOverMeanLoad());
    m.put("maxOverMeanMovingLoad", balance.maxOverMeanLoad());
    m.put("balanceMode", balance.mode());
    m.put("balanceBiasUpdates", balance.biasUpdates());
    m.put("picojoulesPerToken", picojoulesPerToken());
    Map<String, Object> byComp = new LinkedHashMap<>();
    Map<String, Object> macsByComp = new LinkedHashMap<>();
    for (Component c : Component.values()) {
      byComp.put(c.name(), energy.picojoulesPerToken(c));
      macsByComp.put(c.name(), energy.tokens() == 0 ? 0.0 : (double) energy.macs(c) / energy.tokens());
    }
    m.put("picojoulesPerTokenByComponent", byComp);
    m.put("macsPerTokenByComponent", macsByComp);
    m.put("energyBasis", energy.basis());
    m.put("tokensPerSecond", tokensPerSecond());
    m.put("wallSeconds", wallSeconds);
    m.put("kernels", kernels);
    m.put("steps", settings.steps());
    m.put("seed", settings.seed());
    m.put("skewed", settings.skewed());
    m.put("balance", settings.balance().enabled());
    m.put("balanceBiasCap", settings.balance().biasCap());
    Map<String, Object> model = new LinkedHashMap<>();
    model.put("inputDim", 16);
    model.put("experts", settings.experts());
    model.put("expertKind", "nlms");
    model.put("mu", settings.mu());
    model.put("hidden", settings.hidden());
    model.put("topK", settings.topK());
    model.put("routerLearningRate", settings.routerLearningRate());
    m.put("model", model);
    m.put("regimeCounts", regimeCounts);
    m.put("usageByRegime", usage);
    m.put("shareByRegime", shareByRegime());
    m.put("specialisation", specialisation());
    m.put("expertCounts", balance.counts());
    double[] q = tauQuantiles(0.0, 0.1, 0.5, 0.9, 1.0);
    Map<String, Object> tq = new LinkedHashMap<>();
    String[] names = {"min", "p10", "p50", "p90", "max"};
    for (int i = 0; i < names.length; i++) {
      tq.put(names[i], q[i]);
    }
    m.put("tauQuantiles", tq);
    m.put("tauMeanByRegime", tauMeanByRegime);
    Map<String, Object> checks = new LinkedHashMap<>();
    checks.put("defaultConfiguration", settings.isDefaultConfiguration());
    checks.put("moeMseAtMost0.35xSingle", mseTargetMet());
    checks.put("moeMseAtMost3xOracle", oracleTargetMet());
    checks.put("maxOverMeanLoadAtMost1.5", loadTargetMet());
    m.put("checks", checks);
    m.put("windowEnd", windowEnd);
    m.put("windowMoeMse", windowMoeMse);
    m.put("windowSingleMse", windowSingleMse);
    m.put("windowOracleMse", windowOracleMse);
    m.put("windowShare", List.of(windowShare));
    return m;
  }
}
