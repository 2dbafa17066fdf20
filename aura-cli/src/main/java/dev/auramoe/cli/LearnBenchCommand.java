package dev.auramoe.cli;

import dev.auramoe.cli.learn.LearnBench;
import dev.auramoe.cli.learn.LearnBenchPlot;
import dev.auramoe.cli.learn.LearnBench.Row;
import dev.auramoe.cli.learn.LearnBench.Summary;
import dev.auramoe.cli.learn.MixtureOptions;
import dev.auramoe.cli.learn.SwitchingStream.Spec;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code aura learn-bench}: the mixture with defaults against a single filter, an oracle and two simple gates. */
@Command(name = "learn-bench", mixinStandardHelpOptions = true,
    description = {
      "Runs a seeded grid of generated regime-switching streams (regression and classification; inputs, regimes, "
          + "mean dwell, input offsets, noise, abrupt or gradual transitions, recurring or fresh regimes). On each, "
          + "prequentially: the mixture as aura stream builds it with no flags, a single linear expert, an oracle "
          + "told the regime (one expert per regime), a nearest-centroid gate and a recent-error gate.",
      "Prints per stream the error (MSE, or error rate for classes) ratios, MACs and time per instance, then the "
          + "median and worst ratios over the grid and the worst streams."
    })
public final class LearnBenchCommand implements Callable<Integer> {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--quick", description = "A small subset of the grid (8 streams), in well under a minute.")
  boolean quick;

  @Option(names = "--instances", paramLabel = "N", description = "Instances per stream (default: 40,000; "
      + "20,000 with --quick).")
  Long instances;

  @Option(names = "--seed", paramLabel = "S", description = "Seed of the first stream; the others follow "
      + "(default: ${DEFAULT-VALUE}).")
  long seed = 1;

  @Mixin
  JsonOption json;

  @Option(names = "--plot", paramLabel = "DIR", description = "Also write DIR/" + LearnBenchPlot.FILE + ": per task, "
      + "a heat map of the median mixture/oracle over mean dwell and recurring regimes by input offset (log colours; "
      + "cells with no stream, most of them under --quick, stay empty). " + OutputPaths.DIRECTORY_RULE)
  Path plotDir;

  @Mixin
  CheckOption check;

  @Option(names = "--mixture", paramLabel = "KEY=VALUE,...", hidden = true, description = "Overrides of the "
      + "mixture's configuration, for experiments that must be repeatable (keys: see MixtureOptions).")
  String mixture;

  @Option(names = "--no-progress", description = "No progress bar on stderr.")
  boolean noProgress;

  /** Instances of the unreported warm-up runs, over all streams (at least 1,000 each). */
  static final long WARM_UP = 100_000;

  @Override
  public Integer call() throws Exception {
    long n = instances != null ? instances : quick ? 20_000 : 40_000;
    if (n < 100) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--instances must be at least 100, got " + n);
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    json.checkPath();
    OutputPaths.checkDirectory("--plot", plotDir);
    MixtureOptions options;
    try {
      options = MixtureOptions.parse(mixture);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    List<Spec> specs = quick ? LearnBench.quick(n, seed) : LearnBench.grid(n, seed);
    // A short unreported run of each stream first, so that the reported times are not the JIT compiler's
    // (each input size and task compiles its own loops).
    long warmUp = Math.min(n, Math.max(1_000, WARM_UP / specs.size()));
    for (Spec s : specs) {
      LearnBench.run(s.withInstances(warmUp), options, w -> { });
    }
    List<Row> rows = new ArrayList<>();
    if (noProgress) {
      for (Spec s : specs) {
        rows.add(LearnBench.run(s, options, w -> { }));
      }
    } else {
      try (ProgressBar pb = Progress.bar("learn-bench", n * specs.size(), " inst")) {
        for (Spec s : specs) {
          rows.add(LearnBench.run(s, options, pb::stepBy));
        }
      }
    }
    Summary sum = Summary.of(rows);
    if (!options.values().isEmpty()) {
      out.println("mixture: " + options);
    }
    print(rows, sum, n, out);
    out.flush();
    List<String> checks = checks(sum);
    boolean ok = CheckOption.print(checks, err);
    if (json.given()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("grid", quick ? "quick" : "full");
      m.put("instances", n);
      m.put("seed", seed);
      if (!options.values().isEmpty()) {
        m.put("mixture", options.values());
      }
      m.put("medianMixtureOverOracle", sum.medianMixtureOverOracle());
      m.put("worstMixtureOverOracle", sum.worstMixtureOverOracle());
      m.put("medianMixtureOverSingle", sum.medianMixtureOverSingle());
      m.put("worstMixtureOverSingle", sum.worstMixtureOverSingle());
      m.put("worstEasyMixtureOverSingle", Double.isNaN(sum.worstEasyMixtureOverSingle()) ? null
          : sum.worstEasyMixtureOverSingle());
      m.put("easyStreams", sum.easyStreams());
      m.put("easyStreamsMissed", sum.easyMissed());
      m.put("easyStreamsBeyondBayesOracle", sum.easyBeyondBayes());
      m.put("worstByMixtureOverOracle", sum.worstByOracle());
      m.put("worstByMixtureOverSingle", sum.worstBySingle());
      List<Object> rs = new ArrayList<>();
      for (Row r : rows) {
        rs.add(r.toJson());
      }
      m.put("rows", rs);
      m.put("checks", checks);
      json.write(m, err);
    }
    if (plotDir != null) {
      err.println("wrote " + LearnBenchPlot.write(rows, plotDir));
    }
    return check.exitStatus(ok);
  }

  private static void print(List<Row> rows, Summary sum, long n, PrintWriter out) {
    out.printf(Locale.ROOT, "aura learn-bench: %d streams, %,d instances each; error = MSE (reg) or error rate (cls), "
        + "prequential%n%n", rows.size(), n);
    out.printf(Locale.ROOT, "%-42s %8s %8s %8s %8s %8s %8s %8s %8s %8s %7s %7s %4s%n", "stream", "single", "mix/sgl",
        "mix/orc", "orc/sgl", "bay/sgl", "cen/sgl", "rec/sgl", "mix MAC", "sgl MAC", "mix us", "sgl us", "drft");
    for (Row r : rows) {
      out.printf(Locale.ROOT, "%-42s %8.4f %8.3f %8.3f %8.3f %8.3f %8.3f %8.3f %8.0f %8.0f %7.2f %7.2f %4d%n", r.name(),
          r.single(), r.mixtureOverSingle(), r.mixtureOverOracle(), r.oracleOverSingle(), r.bayesOverSingle(),
          r.centroidOverSingle(), r.recentOverSingle(), r.mixtureMacs(), r.singleMacs(), r.mixtureNanos() / 1e3, r.singleNanos() / 1e3,
          r.detections());
    }
    out.println();
    out.printf(Locale.ROOT, "mixture/oracle: median %.3f, worst %.3f (%s)%n", sum.medianMixtureOverOracle(),
        sum.worstMixtureOverOracle(), String.join(", ", sum.worstByOracle()));
    out.printf(Locale.ROOT, "mixture/single: median %.3f, worst %.3f (%s)%n", sum.medianMixtureOverSingle(),
        sum.worstMixtureOverSingle(), String.join(", ", sum.worstBySingle()));
    out.println("mix: aura stream's learner with no flags; sgl: one linear expert; orc: one per true regime; bay: "
        + "Bayes forecaster (every regime's true parameters, not the regime; NaN on fresh regimes); cen: "
        + "nearest-centroid gate; rec: recent-error gate; MAC and us per instance; drft: the mixture's drift "
        + "detections");
  }

  /** The grid's acceptance targets. */
  static List<String> checks(Summary sum) {
    List<String> l = new ArrayList<>();
    l.add(String.format(Locale.ROOT, "%s mixture/single <= %.2f on every stream whose oracle/single <= %.1f: "
        + "%d of %d missed, worst %.3f (on %d of the %d even the Bayes forecaster is above %.2f)",
        sum.easyMissed() == 0 ? "PASS" : "FAIL", LearnBench.TARGET_MIXTURE_OVER_SINGLE, LearnBench.EASY_ORACLE,
        sum.easyMissed(), sum.easyStreams(), sum.worstEasyMixtureOverSingle(), sum.easyBeyondBayes(),
        sum.easyStreams(), LearnBench.TARGET_MIXTURE_OVER_SINGLE));
    boolean med = sum.medianMixtureOverOracle() <= LearnBench.TARGET_MEDIAN_MIXTURE_OVER_ORACLE;
    l.add(String.format(Locale.ROOT, "%s median mixture/oracle <= %.1f: %.3f", med ? "PASS" : "FAIL",
        LearnBench.TARGET_MEDIAN_MIXTURE_OVER_ORACLE, sum.medianMixtureOverOracle()));
    return l;
  }
}
