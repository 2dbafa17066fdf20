package dev.auramoe.cli.demo;

import dev.auramoe.energy.Component;
import dev.auramoe.energy.EnergyReport;
import java.io.PrintWriter;
import java.util.Locale;

/** The text table of {@code aura demo}. */
public final class DemoReport {

  private DemoReport() {}

  /** Writes the result table. */
  public static void print(DemoResult r, PrintWriter out) {
    DemoRunner.Settings s = r.settings();
    int nExp = s.experts();
    int regimes = r.regimeCounts().length;
    p(out, "aura demo: %,d steps, seed %d, kernels %s%n", s.steps(), s.seed(), r.kernels());
    p(out, "stream:  16 inputs -> 1 output, %d regimes (%s), mean dwell 50, sigma_x 1, sigma_y 0.1%n", regimes,
        s.skewed() ? "skewed 7:1:1:1" : "uniform");
    p(out, "mixture: %d NLMS experts (mu %s), liquid cell hidden %d, k=%d, router lr %s, balancing %s%n%n", nExp,
        num(s.mu()), s.hidden(), s.topK(), num(s.routerLearningRate()), s.balanceLabel());

    p(out, "Prequential MSE (predict, then learn; every error on an unseen sample)%n");
    p(out, "  %-34s %10.4f%n", "mixture of experts", r.moeMse());
    p(out, "  %-34s %10.4f%n", "single NLMS filter", r.singleMse());
    p(out, "  %-34s %10.4f%n", "oracle (one NLMS per regime, told)", r.oracleMse());
    p(out, "  %-34s %10.4f%n", "noise floor (sigma_y^2)", r.noiseFloor());
    p(out, "  %-34s %10.3f%n", "mixture / single", r.moeOverSingle());
    p(out, "  %-34s %10.3f%n%n", "mixture / oracle", r.moeOverOracle());

    p(out, "Expert usage per regime (share of the regime's routed slots; k=%d slots per token)%n", s.topK());
    StringBuilder h = new StringBuilder(String.format(Locale.ROOT, "  %-8s %7s", "regime", "steps"));
    for (int e = 0; e < nExp; e++) {
      h.append(String.format(Locale.ROOT, " %6s", "e" + e));
    }
    out.println(h);
    double[][] share = r.shareByRegime();
    for (int reg = 0; reg < regimes; reg++) {
      StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "  %-8s %6.1f%%", "r" + reg,
          100.0 * r.regimeCounts()[reg] / s.steps()));
      for (int e = 0; e < nExp; e++) {
        row.append(String.format(Locale.ROOT, " %5.1f%%", 100 * share[reg][e]));
      }
      out.println(row);
    }
    long[] counts = r.balance().counts();
    long slots = 0;
    for (long c : counts) {
      slots += c;
    }
    StringBuilder all = new StringBuilder(String.format(Locale.ROOT, "  %-8s %7s", "all", ""));
    for (int e = 0; e < nExp; e++) {
      all.append(String.format(Locale.ROOT, " %5.1f%%", slots == 0 ? 0 : 100.0 * counts[e] / slots));
    }
    out.println(all);
    p(out, "  specialisation (mean top share per regime; 1/k = %.2f is perfect, 1/%d = %.3f is none): %.3f%n%n",
        1.0 / s.topK(), nExp, 1.0 / nExp, r.specialisation());

    p(out, "Load balance%n");
    p(out, "  %-34s %10.3f   (1 = even; target <= %s)%n", "max/mean load (cumulative counts)", r.maxOverMeanLoad(),
        num(DemoResult.TARGET_MAX_OVER_MEAN));
    p(out, "  %-34s %10.3f   (decay %s: about the last %d tokens, so it follows the current regime)%n",
        "max/mean load (moving average)", r.balance().maxOverMeanLoad(), num(r.balance().config().decay()),
        Math.round(1 / (1 - r.balance().config().decay())));
    p(out, "  %-34s %10s   (%,d bias updates)%n%n", "balancer mode", r.balance().mode(), r.balance().biasUpdates());

    EnergyReport en = r.energy();
    p(out, "Energy per token by component (%s)%n", en.basis());
    for (Component c : Component.values()) {
      p(out, "  %-34s %10.1f pJ  (%,.0f MACs/token)%n", c.name(), en.picojoulesPerToken(c),
          en.tokens() == 0 ? 0.0 : (double) en.macs(c) / en.tokens());
    }
    p(out, "  %-34s %10.1f pJ%n%n", "total", en.picojoulesPerToken());

    p(out, "Time constants tau of the trained cell over %,d fresh inputs (s): ", s.tauSamples());
    double[] q = r.tauQuantiles(0.0, 0.5, 1.0);
    p(out, "min %.3f, median %.3f, max %.3f; mean by regime", q[0], q[1], q[2]);
    for (int reg = 0; reg < regimes; reg++) {
      p(out, " r%d %.3f", reg, r.tauMeanByRegime()[reg]);
    }
    p(out, "%n%n");

    p(out, "Throughput%n");
    p(out, "  %-34s %,10.0f   (wall-clock inside the mixture's learn calls)%n", "routes per second (learn steps)",
        r.tokensPerSecond());
    p(out, "  %-34s %10.2f s (mixture and both baselines)%n", "demo loop wall time", r.wallSeconds());
    out.flush();
  }

  private static String num(double v) {
    return v == Math.rint(v) ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%s", v);
  }

  private static void p(PrintWriter out, String fmt, Object... args) {
    out.print(String.format(Locale.ROOT, fmt, args));
  }
}
