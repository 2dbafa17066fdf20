package dev.auramoe.cli;

import dev.auramoe.cli.stream.DriftBench;
import dev.auramoe.cli.stream.DriftBench.Run;
import dev.auramoe.stream.drift.DriftReport;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code aura drift-bench}: drift detectors on the learner's errors, scored against known drift points. */
@Command(name = "drift-bench", mixinStandardHelpOptions = true,
    description = {
      "Runs the stream learner test-then-train on generated streams with abrupt drifts (SEA, Agrawal, LED) and on "
          + "the same generators without drift, with ADWIN and Page-Hinkley watching its errors. A detection within "
          + "1,000 instances of a true drift finds it; any other first detection is a false alarm.",
      "Prints detection delay, misses and false alarms per stream and detector, and the learner's accuracy when it "
          + "answers detections with a fresh expert against only observing them."
    })
public final class DriftBenchCommand implements Callable<Integer> {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--instances", paramLabel = "N", description = "Instances per stream (default: ${DEFAULT-VALUE}).")
  long instances = 100_000;

  @Mixin
  JsonOption json;

  @Mixin
  CheckOption check;

  @Override
  public Integer call() throws Exception {
    if (instances < 1_000) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--instances must be at least 1,000");
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    json.checkPath();
    List<Run> runs = DriftBench.runAll(instances);
    out.printf(Locale.ROOT, "aura drift-bench: %,d instances per stream; a drift counts as found within %,d "
        + "instances%n%n", instances, DriftBench.MAX_DELAY);
    out.printf(Locale.ROOT, "%-22s %s %9s %9s%n", "stream", DriftReport.header(), "accuracy", "no answer");
    for (Run r : runs) {
      out.printf(Locale.ROOT, "%-22s %s %9.4f %9.4f%n", r.stream(), r.report(), r.accuracy(),
          r.accuracyWithoutResponse());
    }
    out.println();
    out.println("accuracy: prequential, the learner answering each detection with a fresh expert and a router boost;"
        + " no answer: the same run only recording detections");
    out.println("mean delay, max delay: " + DriftReport.NONE + " where no drift was found within "
        + String.format(Locale.ROOT, "%,d", DriftBench.MAX_DELAY) + " instances (always on streams without drift);"
        + " null in the JSON, as is a missed drift's entry in delays");
    out.flush();
    List<String> checks = checks(runs, instances);
    boolean ok = CheckOption.print(checks, err);
    if (json.given()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("instances", instances);
      List<Object> rs = new ArrayList<>();
      for (Run r : runs) {
        rs.add(r.toJson());
      }
      m.put("runs", rs);
      m.put("checks", checks);
      json.write(m, err);
    }
    return check.exitStatus(ok);
  }

  /** Per detector: every abrupt drift found within the delay, and at most one false alarm per 100,000. */
  static List<String> checks(List<Run> runs, long instances) {
    List<String> out = new ArrayList<>();
    for (String det : runs.stream().map(r -> r.report().detector()).distinct().toList()) {
      int drifts = 0;
      int found = 0;
      long falseAlarms = 0;
      long total = 0;
      for (Run r : runs) {
        if (!r.report().detector().equals(det)) {
          continue;
        }
        drifts += r.report().drifts();
        found += r.report().detected();
        falseAlarms += r.report().falseAlarms();
        total += r.report().instances();
      }
      double per100k = total == 0 ? 0 : falseAlarms * 100_000.0 / total;
      out.add(String.format(Locale.ROOT, "%s %s finds every abrupt drift within %,d instances: %d of %d",
          found == drifts ? "PASS" : "FAIL", det, DriftBench.MAX_DELAY, found, drifts));
      out.add(String.format(Locale.ROOT, "%s %s raises at most 1 false alarm per 100,000 instances: %.2f (%d in %,d)",
          per100k <= 1.0 ? "PASS" : "FAIL", det, per100k, falseAlarms, total));
    }
    return out;
  }
}
