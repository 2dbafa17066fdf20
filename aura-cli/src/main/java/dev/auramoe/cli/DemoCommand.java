package dev.auramoe.cli;

import dev.auramoe.balance.BalanceConfig;
import dev.auramoe.cli.demo.DemoPlots;
import dev.auramoe.cli.demo.DemoReport;
import dev.auramoe.cli.demo.DemoResult;
import dev.auramoe.cli.demo.DemoRunner;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code aura demo}: the regime-switching stream learned on-line, against a single filter and an oracle. */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {
      "Learns a seeded regime-switching stream on-line (predict, then learn) with a liquid-gated mixture of "
          + "8 NLMS experts, beside a single NLMS filter and an oracle told the regime.",
      "Prints MSE, expert specialisation, load balance, energy per token and throughput on stdout; "
          + "progress and PASS/FAIL checks on stderr."
    })
public final class DemoCommand implements Callable<Integer> {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--steps", paramLabel = "N", description = "Stream samples (default: ${DEFAULT-VALUE}).")
  long steps = DemoRunner.Settings.DEFAULT.steps();

  @Option(names = "--seed", paramLabel = "S", description = "Seed of stream and model (default: ${DEFAULT-VALUE}).")
  long seed = DemoRunner.Settings.DEFAULT.seed();

  @Option(names = "--skewed", description = "Skewed regime weights 7:1:1:1 (one regime takes 70%% of the stream).")
  boolean skewed;

  @Option(names = "--no-balance", description = "Turn load balancing off (BalanceConfig.OFF).")
  boolean noBalance;

  @Option(names = "--even-load", description = "Balancing that evens the load first (BalanceConfig.EVEN_LOAD, bias "
      + "cap 1): even on the skewed stream, at the cost of specialisation. The default (cap 0.05) evens the load "
      + "only among experts the router finds alike.")
  boolean evenLoad;

  @Mixin
  JsonOption json;

  @Option(names = "--plot", paramLabel = "DIR", description = "Also write PNG charts (usage, tau, error curves) "
      + "into DIR. " + OutputPaths.DIRECTORY_RULE)
  Path plotDir;

  @Mixin
  CheckOption check;

  @Option(names = "--no-progress", description = "No progress bar on stderr.")
  boolean noProgress;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (noBalance && evenLoad) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--no-balance and --even-load exclude each other");
    }
    DemoRunner.Settings s = DemoRunner.Settings.DEFAULT.withSteps(steps).withSeed(seed).withSkewed(skewed)
        .withBalance(noBalance ? BalanceConfig.OFF : evenLoad ? BalanceConfig.EVEN_LOAD : BalanceConfig.DEFAULT);
    json.checkPath();
    OutputPaths.checkDirectory("--plot", plotDir);
    DemoResult r;
    if (noProgress) {
      r = DemoRunner.run(s);
    } else {
      try (ProgressBar pb = Progress.bar("demo", s.steps(), "")) {
        r = DemoRunner.run(s, pb::stepBy);
      }
    }
    DemoReport.print(r, out);

    json.write(r.toJson(), err);
    if (plotDir != null) {
      List<Path> files = DemoPlots.write(r, plotDir);
      for (Path f : files) {
        err.println("wrote " + f);
      }
    }

    if (skewed && !evenLoad) {
      long[] c = r.balance().counts();
      Integer[] idx = new Integer[c.length];
      long total = 0;
      for (int e = 0; e < c.length; e++) {
        idx[e] = e;
        total += c[e];
      }
      java.util.Arrays.sort(idx, (a, b) -> Long.compare(c[b], c[a]));
      double top2 = total == 0 ? 0 : 100.0 * (c[idx[0]] + c[idx[1]]) / total;
      err.printf(Locale.ROOT,
          "note: regime r0 takes ~70%% of the stream and balancing is %s, so the router keeps it on a few "
              + "experts: e%d and e%d take %.0f%% of the routed slots (an even share is %.0f%%), max/mean load %.2f. "
              + "--even-load spreads the load (bias cap 1) at the cost of accuracy.%n",
          noBalance ? "off" : "on among alike experts only", idx[0], idx[1], top2, 200.0 / c.length,
          r.maxOverMeanLoad());
    }
    String scope = s.isDefaultConfiguration() ? ""
        : " (the targets are set for the default run: uniform stream, balancing on)";
    boolean mseOk = r.mseTargetMet();
    boolean oracleOk = r.oracleTargetMet();
    boolean loadOk = r.loadTargetMet();
    err.printf(Locale.ROOT, "%s moeMse <= %.2f x singleMse: %.4f <= %.4f%s%n", mseOk ? "PASS" : "FAIL",
        DemoResult.TARGET_MSE_RATIO, r.moeMse(), DemoResult.TARGET_MSE_RATIO * r.singleMse(), scope);
    err.printf(Locale.ROOT, "%s moeMse <= %.1f x oracleMse: %.4f <= %.4f%s%n", oracleOk ? "PASS" : "FAIL",
        DemoResult.TARGET_ORACLE_RATIO, r.moeMse(), DemoResult.TARGET_ORACLE_RATIO * r.oracleMse(), scope);
    err.printf(Locale.ROOT, "%s maxOverMeanLoad <= %.1f: %.3f%s%n", loadOk ? "PASS" : "FAIL",
        DemoResult.TARGET_MAX_OVER_MEAN, r.maxOverMeanLoad(), scope);
    err.flush();
    out.flush();
    return check.exitStatus(mseOk && oracleOk && loadOk);
  }
}
