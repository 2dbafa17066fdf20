package dev.auramoe.cli;

import dev.auramoe.cli.routing.RoutingBench;
import dev.auramoe.cli.routing.RoutingBench.Run;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code aura routing-bench}: every routing policy on the same seeded streams, one table. */
@Command(name = "routing-bench", mixinStandardHelpOptions = true,
    description = {
      "Runs every routing policy (top-k, top-p, top-p with a target, null experts, expert choice, Sinkhorn) on the "
          + "demo's regime stream and on its skewed variant, each learning prequentially from scratch.",
      "Prints error, load balance, routing entropy, experts per token, expert MACs and energy per token and "
          + "throughput on stdout; acceptance checks on stderr."
    })
public final class RoutingBenchCommand implements Callable<Integer> {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--steps", paramLabel = "N", description = "Samples per policy and stream (default: ${DEFAULT-VALUE}).")
  long steps = 40_000;

  @Option(names = "--seed", paramLabel = "S", description = "Seed of streams and models (default: ${DEFAULT-VALUE}).")
  long seed = 42;

  @Mixin
  JsonOption json;

  @Option(names = "--plot", paramLabel = "DIR", description = "Also write PNG charts (load over time, error against "
      + "energy) into DIR. " + OutputPaths.DIRECTORY_RULE)
  Path plotDir;

  @Mixin
  CheckOption check;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (steps < RoutingBench.WINDOW) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--steps must be at least " + RoutingBench.WINDOW);
    }
    json.checkPath();
    OutputPaths.checkDirectory("--plot", plotDir);
    List<Run> runs = RoutingBench.runAll(steps, seed);
    out.printf(Locale.ROOT, "aura routing-bench: %,d steps per policy and stream, seed %d; window policies learn in "
        + "windows of %d%n%n", steps, seed, RoutingBench.WINDOW);
    out.printf(Locale.ROOT, "%-8s %-20s %9s %9s %9s %8s %8s %10s %10s %11s%n", "stream", "policy", "MSE", "max/mean",
        "worst win", "entropy", "exp/tok", "expMAC/tok", "pJ/token", "tokens/s");
    for (Run r : runs) {
      out.printf(Locale.ROOT, "%-8s %-20s %9.4f %9.3f %9.3f %8.3f %8.3f %10.1f %10.1f %,11.0f%n", r.stream(), r.policy(),
          r.mse(), r.maxOverMeanLoad(), r.worstWindowMaxOverMean(),
          r.routingEntropy(),
          r.expertsPerToken(), r.expertMacsPerToken(), r.picojoulesPerToken(), r.tokensPerSecond());
    }
    out.println();
    out.println("max/mean: cumulative slots per expert; worst win: the largest max/mean over windows of "
        + RoutingBench.WINDOW + " tokens; entropy: mean router entropy in bits; energy: "
        + "estimate, analytic MACs x 3 pJ");
    out.flush();

    List<String> checks = checks(runs);
    boolean ok = CheckOption.print(checks, err);
    if (json.given()) {
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("steps", steps);
      doc.put("seed", seed);
      doc.put("window", RoutingBench.WINDOW);
      List<Map<String, Object>> rs = new ArrayList<>();
      for (Run r : runs) {
        rs.add(r.toJson());
      }
      doc.put("runs", rs);
      doc.put("checks", checks);
      json.write(doc, err);
    }
    if (plotDir != null) {
      for (Path f : plots(runs, OutputPaths.createDirectory(plotDir))) {
        err.println("wrote " + f);
      }
    }
    return check.exitStatus(ok);
  }

  private static Run find(List<Run> runs, String stream, String policy) {
    return runs.stream().filter(r -> r.stream().equals(stream) && r.policy().equals(policy)).findFirst().orElseThrow();
  }

  /** The acceptance checks, on the regime stream. */
  static List<String> checks(List<Run> runs) {
    List<String> out = new ArrayList<>();
    Run topK = find(runs, "regime", "top-k(2)");
    Run topKept = find(runs, "regime", "top-k(2), top kept");
    Run topP = find(runs, "regime", "top-p(target 1.5)");
    Run nul = find(runs, "regime", "null-experts");
    Run sink = find(runs, "regime", "sinkhorn(k=2)");
    double dev = Math.abs(topP.expertsPerToken() - RoutingBench.TOP_P_TARGET) / RoutingBench.TOP_P_TARGET;
    out.add(String.format(Locale.ROOT, "%s top-p controller holds %.2f experts/token within 5%%: %.3f (%.1f%% off)",
        dev <= 0.05 ? "PASS" : "FAIL", RoutingBench.TOP_P_TARGET, topP.expertsPerToken(), 100 * dev));
    double cut = 1 - nul.expertMacsPerToken() / topK.expertMacsPerToken();
    double errUp = nul.mse() / topK.mse() - 1;
    out.add(String.format(Locale.ROOT, "%s null experts cut expert MACs by >= 10%% (%.1f%%) at <= 2%% higher error (%+.1f%%)",
        cut >= 0.10 && errUp <= 0.02 ? "PASS" : "FAIL", 100 * cut, 100 * errUp));
    // Null experts also keep the router's top expert; against top-k that does the same, the saving
    // is the null slots' alone.
    double cutKept = 1 - nul.expertMacsPerToken() / topKept.expertMacsPerToken();
    double errUpKept = nul.mse() / topKept.mse() - 1;
    out.add(String.format(Locale.ROOT, "%s null experts against top-k with the router's top kept: MACs %.1f%% fewer, "
        + "error %+.1f%%", cutKept >= 0.10 && errUpKept <= 0.02 ? "PASS" : "FAIL", 100 * cutKept, 100 * errUpKept));
    out.add(String.format(Locale.ROOT, "%s Sinkhorn keeps max/mean load per window <= 1.05: worst %.3f, mean %.3f",
        sink.worstWindowMaxOverMean() <= 1.05 ? "PASS" : "FAIL", sink.worstWindowMaxOverMean(),
        sink.meanWindowMaxOverMean()));
    return out;
  }

  static List<Path> plots(List<Run> runs, Path dir) throws java.io.IOException {
    System.setProperty("java.awt.headless", "true");
    List<Path> files = new ArrayList<>();
    XYChart load = new XYChartBuilder().width(1000).height(560)
        .title("Max/mean load per window of " + RoutingBench.WINDOW + " tokens (regime stream)")
        .xAxisTitle("window").yAxisTitle("max / mean load").build();
    XYChart energy = new XYChartBuilder().width(1000).height(560).title("Error against energy (regime stream)")
        .xAxisTitle("picojoules per token (estimate)").yAxisTitle("prequential MSE").build();
    energy.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
    energy.getStyler().setMarkerSize(12);
    int series = 0;
    for (Run r : runs) {
      if (!r.stream().equals("regime")) {
        continue;
      }
      double[] w = r.windowMaxOverMean();
      // Smooth over 16 windows so that the lines are readable.
      int step = 16;
      int n = w.length / step;
      double[] xs = new double[n];
      double[] ys = new double[n];
      for (int i = 0; i < n; i++) {
        double s = 0;
        for (int j = 0; j < step; j++) {
          s += w[i * step + j];
        }
        xs[i] = i * step;
        ys[i] = s / step;
      }
      if (n > 0) {
        Charts.distinct(load.addSeries(r.policy(), xs, ys), series)
            .setMarker(org.knowm.xchart.style.markers.SeriesMarkers.NONE);
      }
      Charts.distinct(energy.addSeries(r.policy(), new double[] {r.picojoulesPerToken()}, new double[] {r.mse()}),
          series);
      series++;
    }
    files.add(Charts.savePng(load, dir.resolve("load-over-time.png")));
    files.add(Charts.savePng(energy, dir.resolve("error-vs-energy.png")));
    return files;
  }
}
