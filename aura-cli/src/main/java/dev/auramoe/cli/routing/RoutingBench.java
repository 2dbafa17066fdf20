package dev.auramoe.cli.routing;

import dev.auramoe.MixtureOfExperts;
import dev.auramoe.cell.CellConfig;
import dev.auramoe.cli.demo.RegimeStream;
import dev.auramoe.energy.Component;
import dev.auramoe.energy.EnergyReport;
import dev.auramoe.experts.Experts;
import dev.auramoe.routing.RouteBuffer;
import dev.auramoe.routing.diagnostics.RoutingDiagnostics;
import dev.auramoe.routing.diagnostics.RoutingStats;
import dev.auramoe.routing.policy.Assignment;
import dev.auramoe.routing.policy.ExpertChoicePolicy;
import dev.auramoe.routing.policy.NullExpertPolicy;
import dev.auramoe.routing.policy.RoutingPolicy;
import dev.auramoe.routing.policy.SinkhornPolicy;
import dev.auramoe.routing.policy.TopKPolicy;
import dev.auramoe.routing.policy.TopPPolicy;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code aura routing-bench}: every routing policy on the same seeded streams (the demo's regime
 * stream and its skewed variant), each learning prequentially from scratch with the demo's model:
 * token-choice policies one input at a time ({@code learn}), window policies in windows of
 * {@value #WINDOW} ({@code learnWindow}).
 */
public final class RoutingBench {

  /** Tokens per window for window policies and for per-window load figures. */
  public static final int WINDOW = 64;
  /** Target mean experts per token of the controlled top-p policy. */
  public static final float TOP_P_TARGET = 1.5f;
  /** Router probability below which a real expert gives its slot to a null expert. */
  public static final float NULL_SCORE = 1e-3f;

  private RoutingBench() {}

  /** A policy under test. */
  public record PolicySpec(String name, Supplier<RoutingPolicy> policy) {}

  /** The policies of the bench, in table order. */
  public static List<PolicySpec> policies() {
    return List.of(
        new PolicySpec("top-k(2)", () -> new TopKPolicy(2)),
        new PolicySpec("top-k(2), top kept", () -> new TopKPolicy(2, true)),
        new PolicySpec("top-p(0.5)", () -> new TopPPolicy(0.5f, 1, 4)),
        new PolicySpec("top-p(target 1.5)", () -> new TopPPolicy(0.5f, 1, 4, TOP_P_TARGET, 0.02f)),
        new PolicySpec("null-experts", () -> new NullExpertPolicy(2, 1, NULL_SCORE, 1)),
        new PolicySpec("expert-choice(cf 2)", () -> new ExpertChoicePolicy(2f)),
        new PolicySpec("sinkhorn(k=2)", () -> new SinkhornPolicy(2, 50, 1e-3)));
  }

  /**
   * One policy on one stream.
   *
   * @param windowMaxOverMean per-window max/mean load, one value per window of {@value #WINDOW}
   */
  public record Run(String policy, String stream, long steps, double mse, double maxOverMeanLoad,
      double worstWindowMaxOverMean, double meanWindowMaxOverMean, double routingEntropy, double expertsPerToken,
      double expertMacsPerToken, double picojoulesPerToken, double tokensPerSecond, double[] windowMaxOverMean,
      double finalTopP) {

    /** The run as a JSON object. */
    public Map<String, Object> toJson() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("policy", policy);
      m.put("stream", stream);
      m.put("steps", steps);
      m.put("mse", mse);
      m.put("maxOverMeanLoad", maxOverMeanLoad);
      m.put("worstWindowMaxOverMean", worstWindowMaxOverMean);
      m.put("meanWindowMaxOverMean", meanWindowMaxOverMean);
      m.put("routingEntropyBits", routingEntropy);
      m.put("expertsPerToken", expertsPerToken);
      m.put("expertMacsPerToken", expertMacsPerToken);
      m.put("picojoulesPerToken", picojoulesPerToken);
      m.put("tokensPerSecond", tokensPerSecond);
      if (!Double.isNaN(finalTopP)) {
        m.put("finalTopP", finalTopP);
      }
      return m;
    }
  }

  /** Runs every policy on both streams. */
  public static List<Run> runAll(long steps, long seed) {
    // Warm-up, discarded: otherwise the first runs pay for the JIT in their tokens per second.
    for (PolicySpec p : policies()) {
      run(p, false, Math.min(steps, 20_000), seed + 1);
    }
    List<Run> runs = new ArrayList<>();
    for (boolean skewed : new boolean[] {false, true}) {
      for (PolicySpec p : policies()) {
        runs.add(run(p, skewed, steps, seed));
      }
    }
    return runs;
  }

  /** One policy on one stream, from a fresh model. */
  public static Run run(PolicySpec spec, boolean skewed, long steps, long seed) {
    RegimeStream stream = RegimeStream.cliDemo(seed, skewed);
    int d = stream.inputDim();
    int experts = 8;
    MixtureOfExperts m = MixtureOfExperts.builder(d, 1).experts(Experts.nlms("e", experts, d, 1, 0.5))
        .cell(CellConfig.DEFAULT.withHidden(32)).topK(2).routerLearningRate(1.0f).seed(seed).build();
    RoutingPolicy policy = spec.policy().get();
    m.setRoutingPolicy(policy);
    m.enableDiagnostics(WINDOW, 0.99);
    RoutingDiagnostics diag = new RoutingDiagnostics(experts, WINDOW, 0.99, stream.regimes());
    m.openEnergyWindow("bench");
    double se = 0;
    long nanos = 0;
    int windows = (int) (steps / WINDOW);
    double[] windowMom = new double[windows];
    long[] windowLoad = new long[experts];
    float[] xs = new float[WINDOW * d];
    float[] ys = new float[WINDOW];
    float[] yHats = new float[WINDOW];
    int[] labels = new int[WINDOW];
    float[] x = new float[d];
    float[] y = new float[1];
    float[] yHat = new float[1];
    RouteBuffer b = m.newRouteBuffer();
    Assignment a = new Assignment();
    int[] chosen = new int[experts];
    for (int w = 0; w < windows; w++) {
      java.util.Arrays.fill(windowLoad, 0);
      if (policy.needsWholeWindow()) {
        for (int t = 0; t < WINDOW; t++) {
          labels[t] = stream.next(x, y);
          System.arraycopy(x, 0, xs, t * d, d);
          ys[t] = y[0];
        }
        long t0 = System.nanoTime();
        se += m.learnWindow(MixtureOfExperts.DEFAULT_STREAM, xs, ys, WINDOW, null, a, yHats);
        nanos += System.nanoTime() - t0;
        for (int t = 0; t < WINDOW; t++) {
          int k = 0;
          for (int s = a.start(t); s < a.end(t); s++) {
            if (a.expert(s) != Assignment.NULL_EXPERT) {
              chosen[k++] = a.expert(s);
              windowLoad[a.expert(s)]++;
            }
          }
          diag.record(chosen, k, null, labels[t]);
        }
      } else {
        for (int t = 0; t < WINDOW; t++) {
          int label = stream.next(x, y);
          long t0 = System.nanoTime();
          se += m.learn(MixtureOfExperts.DEFAULT_STREAM, x, Float.NaN, null, y, yHat, b);
          nanos += System.nanoTime() - t0;
          for (int j = 0; j < b.k(); j++) {
            windowLoad[b.expert(j)]++;
          }
          diag.record(b.expertsArray(), b.k(), b.probabilitiesArray(), label);
        }
      }
      windowMom[w] = maxOverMean(windowLoad);
    }
    long n = (long) windows * WINDOW;
    EnergyReport e = m.closeEnergyWindow("bench");
    RoutingStats st = diag.stats();
    double worst = 0;
    double meanMom = 0;
    for (double v : windowMom) {
      worst = Math.max(worst, v);
      meanMom += v / Math.max(1, windows);
    }
    double finalP = policy instanceof TopPPolicy tp ? tp.p() : Double.NaN;
    return new Run(spec.name(), skewed ? "skewed" : "regime", n, se / n, m.balanceState().maxOverMeanCounts(), worst,
        meanMom, m.routingStats().routingEntropy(), st.meanExpertsPerToken(),
        (double) e.macs(Component.EXPERTS) / n, e.picojoulesPerToken(), n / (nanos / 1e9), windowMom, finalP);
  }

  static double maxOverMean(long[] load) {
    double sum = 0;
    double max = 0;
    for (long l : load) {
      sum += l;
      max = Math.max(max, l);
    }
    return sum == 0 ? 0 : max / (sum / load.length);
  }
}
