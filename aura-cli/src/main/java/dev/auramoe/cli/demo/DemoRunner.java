package dev.auramoe.cli.demo;

import dev.auramoe.Defaults;
import dev.auramoe.MixtureOfExperts;
import dev.auramoe.balance.BalanceConfig;
import dev.auramoe.balance.BalanceState;
import dev.auramoe.cell.CellConfig;
import dev.auramoe.energy.EnergyReport;
import dev.auramoe.experts.Experts;
import dev.auramoe.experts.NlmsExpert;
import dev.auramoe.routing.RouteBuffer;
import java.util.Arrays;
import java.util.function.LongConsumer;

/**
 * The on-line demo behind {@code aura demo}: a {@link RegimeStream} learned prequentially (predict,
 * then learn) by a liquid-gated mixture, beside two baselines that see the same samples.
 *
 * <pre>
 * per step t:  (x, y, r) = stream.next()
 *   mixture: y_hat = moe.learn(x, y)            (prediction made before the update; timed)
 *   single:  one NLMS filter, predict then learn
 *   oracle:  NLMS filter number r (told the regime), predict then learn
 *   MSE = mean over t of (y - y_hat)^2          (prequential: every error is on unseen data)
 * </pre>
 *
 * Pure computation: prints nothing. Progress is reported through a callback.
 */
public final class DemoRunner {

  private DemoRunner() {}

  /**
   * What to run.
   *
   * @param steps stream samples, &gt; 0
   * @param seed seed of the stream and of the mixture's initialisation
   * @param skewed regime weights (7, 1, 1, 1) instead of uniform
   * @param balance loss-free load balancing: BalanceConfig.DEFAULT, EVEN_LOAD or OFF
   * @param experts NLMS experts in the mixture
   * @param hidden hidden size of the liquid cell
   * @param topK experts per input
   * @param mu NLMS step of every filter (mixture, single and oracle)
   * @param routerLearningRate the router's step in [0, 2)
   * @param windows windows of the time series (usage and error curves)
   * @param tauSamples inputs drawn after learning whose time constants are recorded
   */
  public record Settings(long steps, long seed, boolean skewed, BalanceConfig balance, int experts, int hidden, int topK,
      double mu, float routerLearningRate, int windows, int tauSamples) {

    /** The demo's run: its own scenario (8 experts, hidden 32, 200,000 steps), the library's other defaults. */
    public static final Settings DEFAULT = new Settings(200_000, Defaults.SEED, false, BalanceConfig.DEFAULT, 8, 32,
        Defaults.TOP_K, Defaults.MU, Defaults.ROUTER_LEARNING_RATE, 200, 1024);

    /** Validates. */
    public Settings {
      java.util.Objects.requireNonNull(balance, "balance");
      if (steps <= 0) {
        throw new IllegalArgumentException("steps must be > 0, got " + steps);
      }
      if (windows <= 0 || tauSamples < 0) {
        throw new IllegalArgumentException("windows must be > 0 and tauSamples >= 0");
      }
    }

    /** Copy with another step count. */
    public Settings withSteps(long s) {
      return new Settings(s, seed, skewed, balance, experts, hidden, topK, mu, routerLearningRate, windows,
          tauSamples);
    }

    /** Copy with another seed. */
    public Settings withSeed(long s) {
      return new Settings(steps, s, skewed, balance, experts, hidden, topK, mu, routerLearningRate, windows,
          tauSamples);
    }

    /** Copy with the skewed stream on or off. */
    public Settings withSkewed(boolean s) {
      return new Settings(steps, seed, s, balance, experts, hidden, topK, mu, routerLearningRate, windows,
          tauSamples);
    }

    /** Copy with the default balancing ({@link BalanceConfig#DEFAULT}) or none ({@link BalanceConfig#OFF}). */
    public Settings withBalance(boolean b) {
      return withBalance(b ? BalanceConfig.DEFAULT : BalanceConfig.OFF);
    }

    /** Copy with this balancing. */
    public Settings withBalance(BalanceConfig b) {
      return new Settings(steps, seed, skewed, b, experts, hidden, topK, mu, routerLearningRate, windows,
          tauSamples);
    }

    /** The balancing as the report names it: off, or on with its bias cap. */
    public String balanceLabel() {
      return balance.enabled() ? String.format(java.util.Locale.ROOT, "on (bias cap %s)",
          java.math.BigDecimal.valueOf(balance.biasCap()).stripTrailingZeros().toPlainString()) : "off";
    }

    /** True when only steps and seed differ from {@link #DEFAULT}: the run the acceptance targets are for. */
    public boolean isDefaultConfiguration() {
      return withSteps(DEFAULT.steps).withSeed(DEFAULT.seed).equals(DEFAULT);
    }
  }

  /** Runs the demo with the defaults. */
  public static DemoResult run(Settings s) {
    return run(s, n -> { });
  }

  /**
   * Runs the demo.
   *
   * @param progress receives step increments (about every 1,000 steps), may be a no-op
   */
  public static DemoResult run(Settings s, LongConsumer progress) {
    RegimeStream stream = RegimeStream.cliDemo(s.seed(), s.skewed());
    int d = stream.inputDim();
    int nOut = stream.outputDim();
    int regimes = stream.regimes();
    int nExp = s.experts();
    int k = s.topK();
    MixtureOfExperts moe = MixtureOfExperts.builder(d, nOut)
        .experts(Experts.nlms("e", nExp, d, nOut, s.mu()))
        .cell(CellConfig.DEFAULT.withHidden(s.hidden()))
        .topK(k)
        .routerLearningRate(s.routerLearningRate())
        .balance(s.balance())
        .seed(s.seed())
        .build();
    NlmsExpert single = new NlmsExpert("single", d, nOut, s.mu());
    NlmsExpert[] oracle = new NlmsExpert[regimes];
    for (int r = 0; r < regimes; r++) {
      oracle[r] = new NlmsExpert("oracle" + r, d, nOut, s.mu());
    }

    float[] x = new float[d];
    float[] y = new float[nOut];
    float[] yMoe = new float[nOut];
    float[] ySingle = new float[nOut];
    float[] yOracle = new float[nOut];
    RouteBuffer buf = moe.newRouteBuffer();

    long[][] usage = new long[regimes][nExp];
    long[] regimeCounts = new long[regimes];
    long window = Math.max(1, s.steps() / s.windows());
    int nWindows = (int) ((s.steps() + window - 1) / window);
    long[] windowEnd = new long[nWindows];
    double[][] windowShare = new double[nWindows][nExp];
    double[] winMoe = new double[nWindows];
    double[] winSingle = new double[nWindows];
    double[] winOracle = new double[nWindows];
    long[] winUse = new long[nExp];
    double wMoe = 0;
    double wSingle = 0;
    double wOracle = 0;
    long wCount = 0;
    int w = 0;

    double seMoe = 0;
    double seSingle = 0;
    double seOracle = 0;
    long learnNanos = 0;
    long pending = 0;
    long wall0 = System.nanoTime();
    for (long t = 0; t < s.steps(); t++) {
      int r = stream.next(x, y);
      regimeCounts[r]++;

      long t0 = System.nanoTime();
      double eMoe = moe.learn(MixtureOfExperts.DEFAULT_STREAM, x, y, yMoe, buf);
      learnNanos += System.nanoTime() - t0;
      for (int j = 0; j < buf.k(); j++) {
        int e = buf.expert(j);
        usage[r][e]++;
        winUse[e]++;
      }

      single.predict(x, ySingle);
      double eSingle = squaredError(y, ySingle);
      single.learn(x, y, ySingle, 1f);

      oracle[r].predict(x, yOracle);
      double eOracle = squaredError(y, yOracle);
      oracle[r].learn(x, y, yOracle, 1f);

      seMoe += eMoe;
      seSingle += eSingle;
      seOracle += eOracle;
      wMoe += eMoe;
      wSingle += eSingle;
      wOracle += eOracle;
      wCount++;
      if (wCount == window || t == s.steps() - 1) {
        windowEnd[w] = t + 1;
        long slots = 0;
        for (long u : winUse) {
          slots += u;
        }
        for (int e = 0; e < nExp; e++) {
          windowShare[w][e] = slots == 0 ? 0 : (double) winUse[e] / slots;
        }
        winMoe[w] = wMoe / wCount;
        winSingle[w] = wSingle / wCount;
        winOracle[w] = wOracle / wCount;
        Arrays.fill(winUse, 0);
        wMoe = 0;
        wSingle = 0;
        wOracle = 0;
        wCount = 0;
        w++;
      }
      if (++pending == 1000) {
        progress.accept(pending);
        pending = 0;
      }
    }
    if (pending > 0) {
      progress.accept(pending);
    }
    double wallSeconds = (System.nanoTime() - wall0) / 1e9;

    // Read the reports before the time-constant probe (which meters nothing, but to be plain).
    EnergyReport energy = moe.cumulativeEnergy();
    BalanceState balance = moe.balanceState();

    // Time constants of the trained cell over fresh inputs of the same stream.
    float[] taus = new float[s.tauSamples() * s.hidden()];
    double[] tauSumByRegime = new double[regimes];
    long[] tauCountByRegime = new long[regimes];
    for (int i = 0; i < s.tauSamples(); i++) {
      int r = stream.next(x, y);
      float[] tau = moe.timeConstants(x);
      System.arraycopy(tau, 0, taus, i * s.hidden(), s.hidden());
      for (float v : tau) {
        tauSumByRegime[r] += v;
      }
      tauCountByRegime[r] += tau.length;
    }
    double[] tauMeanByRegime = new double[regimes];
    for (int r = 0; r < regimes; r++) {
      tauMeanByRegime[r] = tauCountByRegime[r] == 0 ? Double.NaN : tauSumByRegime[r] / tauCountByRegime[r];
    }

    double n = s.steps();
    return new DemoResult(s, moe.kernels(), seMoe / n, seSingle / n, seOracle / n,
        stream.noiseSigma() * stream.noiseSigma(), usage, regimeCounts, balance, energy, learnNanos, wallSeconds,
        windowEnd, windowShare, winMoe, winSingle, winOracle, taus, tauMeanByRegime);
  }

  /** The squared error of a prediction, summed over the outputs in double. */
  public static double squaredError(float[] y, float[] yHat) {
    double s = 0;
    for (int i = 0; i < y.length; i++) {
      double e = y[i] - yHat[i];
      s += e * e;
    }
    return s;
  }
}
