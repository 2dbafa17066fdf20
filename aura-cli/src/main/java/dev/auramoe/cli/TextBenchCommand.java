package dev.auramoe.cli;

import dev.auramoe.cli.text.Corpus;
import dev.auramoe.cli.text.Embedded;
import dev.auramoe.cli.text.FortuneFiles;
import dev.auramoe.cli.text.LiquidRouter;
import dev.auramoe.cli.text.OnlineLogistic;
import dev.auramoe.cli.text.TextBench;
import dev.auramoe.cli.text.TextBench.Entry;
import dev.auramoe.cli.text.TextBench.Result;
import dev.auramoe.cli.text.TextBenchPlot;
import dev.auramoe.text.SentenceEncoder;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.LongConsumer;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code aura text-bench}: quotes routed to one expert per category, prequentially, against baselines. */
@Command(name = "text-bench", mixinStandardHelpOptions = true,
    description = {
      "Routes quotes to named experts, one per category, prequentially: the quotes of the largest categories of a "
          + "directory of fortune-format files (by default the fortunes package, "
          + "/usr/share/games/fortunes) in a seeded random order, each embedded once with all-MiniLM-L6-v2, then "
          + "for each contestant in turn: route the quote to a category, then learn.",
      "Contestants: the liquid router (TextRouter with its defaults, one expert per category) learning from the "
          + "categories and from feedback only (reward 1 for a chosen expert that is the category, 0 for the others), "
          + "each with the spiking attention on and off; on-line logistic regression on the embeddings (the "
          + "supervised reference); nearest centroid; a TF-IDF keyword router; random.",
      "Prints accuracy (overall and over the last 2,000 quotes), macro-F1, cumulative regret of the feedback "
          + "learners, texts per second end to end (embedding + routing + learning) and the router's share of that "
          + "time, and checks its targets (set on the 10 largest fortunes categories): the liquid router "
          + "from labels within 2 points of the logistic regression's accuracy, from feedback at least 85% of its "
          + "accuracy over the last 2,000 quotes, and under 2% of the end-to-end time."
    })
public final class TextBenchCommand implements Callable<Integer> {

  /** Categories of a run unless --categories says otherwise. */
  static final int DEFAULT_CATEGORIES = 10;

  /** Quotes of a --quick run. */
  static final int QUICK_QUOTES = 1_000;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--data", paramLabel = "DIR", description = "A directory of fortune-format files: one file per "
      + "category, quotes separated by lines holding only %, UTF-8 (default: ${DEFAULT-VALUE}, from "
      + "'apt-get install -y fortunes').")
  Path data = FortuneFiles.DEFAULT_DIRECTORY;

  @Option(names = "--categories", paramLabel = "N", description = "Use the N categories with the most quotes "
      + "(default: " + DEFAULT_CATEGORIES + ", or all of them when the data has fewer).")
  Integer categories;

  @Option(names = "--quotes", paramLabel = "N", description = "Use only the first N quotes of the shuffled order "
      + "(default: all; " + QUICK_QUOTES + " with --quick).")
  Integer quotes;

  @Option(names = "--quick", description = "The first " + QUICK_QUOTES + " quotes only: a run of seconds.")
  boolean quick;

  @Option(names = "--seed", paramLabel = "S", description = "Seed of the quotes' order and of the seeded "
      + "contestants (default: ${DEFAULT-VALUE}).")
  long seed = 1;

  @Mixin
  JsonOption json;

  @Option(names = "--plot", paramLabel = "DIR", description = "Also write DIR/" + TextBenchPlot.CURVES
      + " (learning curves and cumulative regret) and DIR/" + TextBenchPlot.CONFUSION + " (confusion matrices). "
      + OutputPaths.DIRECTORY_RULE)
  Path plotDir;

  @Mixin
  CheckOption check;

  @Option(names = "--logistic-rate", paramLabel = "R", hidden = true, description = "Learning rate of the "
      + "logistic regression (default: OnlineLogistic.DEFAULT_RATE), for the study that chose it.")
  double logisticRate = OnlineLogistic.DEFAULT_RATE;

  @Option(names = "--save-router", paramLabel = "FILE", description = "Also save the liquid router learned from "
      + "labels (spiking attention on) to FILE, for 'aura text route --router FILE TEXT'.")
  private Path saveRouter;

  @Option(names = "--no-progress", description = "No progress bar on stderr.")
  boolean noProgress;

  @Override
  public Integer call() throws Exception {
    if (categories != null && categories < 2) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--categories must be at least 2, got "
          + categories);
    }
    if (quotes != null && quotes < 10) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--quotes must be at least 10, got " + quotes);
    }
    if (!(logisticRate > 0) || !Double.isFinite(logisticRate)) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--logistic-rate must be positive, got "
          + logisticRate);
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    json.checkPath();
    OutputPaths.checkDirectory("--plot", plotDir);
    if (saveRouter != null) {
      OutputPaths.checkFile("--save-router", saveRouter);
    }
    Corpus corpus = corpus();
    List<Entry> entries = new ArrayList<>(TextBench.liquid(seed));
    entries.addAll(TextBench.baselines(seed, logisticRate));
    Embedded in;
    List<Result> results = new ArrayList<>();
    long loadNanos;
    double loadBefore = systemLoad();
    try (ProgressBar pb = noProgress ? null
        : Progress.bar("text-bench", (long) corpus.size() * (1 + entries.size()), " quotes")) {
      LongConsumer step = pb == null ? k -> { } : pb::stepBy;
      long t0 = System.nanoTime();
      try (SentenceEncoder encoder = SentenceEncoder.allMiniLmL6V2()) {
        loadNanos = System.nanoTime() - t0;
        in = TextBench.embed(corpus, encoder, step);
      }
      for (Entry e : entries) {
        TextBench.warmUp(e, in);
      }
      for (Entry e : entries) {
        results.add(TextBench.score(e, in, step, c -> {
          if (saveRouter != null && e.name().equals(TextBench.LIQUID_LABELS)) {
            try {
              ((LiquidRouter) c).router().save(saveRouter);
            } catch (IOException x) {
              throw new UncheckedIOException("cannot save the router to " + saveRouter + ": " + x.getMessage(), x);
            }
          }
        }));
      }
    }
    double[] load = {loadBefore, systemLoad()};
    print(corpus, in, loadNanos, load, results, out);
    out.flush();
    Map<String, String> checks = TextBench.checks(results);
    List<String> off = offTarget();
    if (!off.isEmpty()) {
      err.println("note: the targets are set for the full run on the 10 largest fortunes categories against the "
          + "reference at its chosen rate (aura text-bench with none of " + String.join(", ", off) + "); this run "
          + "is measured against them all the same");
    }
    boolean ok = CheckOption.print(new ArrayList<>(checks.values()), err);
    if (json.given()) {
      json.write(toJson(corpus, in, loadNanos, load, results, checks), err);
    }
    if (plotDir != null) {
      for (Path p : TextBenchPlot.write(results, confusionShown(results), in.categories(), plotDir)) {
        err.println("wrote " + p);
      }
    }
    return check.exitStatus(ok);
  }

  /**
   * The options by which this run departs from the one the targets are set for: the full run on the
   * {@value #DEFAULT_CATEGORIES} largest fortunes categories, against the reference at {@link
   * OnlineLogistic#DEFAULT_RATE} (a weaker reference would let a target pass that the run misses);
   * empty for that run. The seed is not among them: any order of the same quotes is that run.
   */
  List<String> offTarget() {
    List<String> off = new ArrayList<>();
    if (!data.equals(FortuneFiles.DEFAULT_DIRECTORY)) {
      off.add("--data " + data);
    }
    if (categories != null && categories != DEFAULT_CATEGORIES) {
      off.add("--categories " + categories);
    }
    if (quotes != null) {
      off.add("--quotes " + quotes);
    }
    if (quick) {
      off.add("--quick");
    }
    if (logisticRate != OnlineLogistic.DEFAULT_RATE) {
      off.add("--logistic-rate " + logisticRate);
    }
    return off;
  }

  /** The data of the run: read, its largest categories kept, shuffled and cut. */
  private Corpus corpus() throws java.io.IOException {
    Corpus all = read(data, spec.commandLine().getParseResult().hasMatchedOption("--data"));
    int n = categories != null ? categories : Math.min(DEFAULT_CATEGORIES, all.categories().size());
    if (all.categories().size() < 2) {
      throw new IllegalArgumentException(data + ": only one category (" + all.categories().getFirst()
          + "); routing needs at least 2 files of quotes");
    }
    Corpus c = all.largest(n).shuffled(seed);
    Integer limit = quotes != null ? quotes : quick ? Integer.valueOf(QUICK_QUOTES) : null;
    return limit == null ? c : c.first(limit);
  }

  private static void printAttention(List<Result> results, int quotes, PrintWriter out) {
    Map<String, Object> effect = TextBench.attentionEffect(results);
    for (var e : effect.entrySet()) {
      @SuppressWarnings("unchecked")
      Map<String, Object> v = (Map<String, Object>) e.getValue();
      out.printf(Locale.ROOT, "spiking attention, learning from %s: accuracy %.3f on, %.3f off (%+.1f points); last "
          + "%,d %.3f on, %.3f off; router %.1f us on, %.1f us off per quote%n", e.getKey(), v.get("accuracyOn"),
          v.get("accuracyOff"), v.get("pointsGained"), Math.min(TextBench.LAST, quotes), v.get("accuracyLast2000On"),
          v.get("accuracyLast2000Off"), v.get("routerMicrosPerTextOn"), v.get("routerMicrosPerTextOff"));
    }
    if (!effect.isEmpty()) {
      out.println();
    }
  }

  /**
   * Reads the data; when it was not given ({@code given} false) and is missing, says how to install
   * the fortunes package.
   */
  static Corpus read(Path data, boolean given) throws java.io.IOException {
    if (!given && !Files.exists(data)) {
      throw new IllegalArgumentException("no fortunes data at " + data + ": " + FortuneFiles.INSTALL_HINT);
    }
    return FortuneFiles.read(data);
  }

  /** The contestants whose confusion matrices are drawn: the liquid router from labels and the supervised reference. */
  private static List<Result> confusionShown(List<Result> results) {
    return results.stream().filter(r -> r.entry().name().equals(TextBench.LIQUID_LABELS)
        || r.entry().name().equals(TextBench.LOGISTIC)).toList();
  }

  /**
   * The system load average over the last minute, or NaN where the JVM cannot tell: the times are
   * wall-clock, so other work on the machine inflates them (the embedding and the routers alike).
   */
  private static double systemLoad() {
    double l = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    return l < 0 ? Double.NaN : l;
  }

  private static void print(Corpus corpus, Embedded in, long loadNanos, double[] load, List<Result> results,
      PrintWriter out) {
    out.printf(Locale.ROOT, "aura text-bench: %d categories, %,d quotes of %s in a seeded order; prequential: "
        + "route, then learn%n", in.classes(), in.size(), corpus.source());
    int[] counts = corpus.counts();
    StringBuilder cats = new StringBuilder();
    for (int k = 0; k < counts.length; k++) {
      cats.append(k == 0 ? "" : ", ").append(corpus.categories().get(k)).append(' ').append(counts[k]);
    }
    out.println("categories: " + cats);
    out.printf(Locale.ROOT, "embedding: all-MiniLM-L6-v2, %.2f ms per quote (%.1f s, token ids included; %.2f ms "
        + "of CPU per quote; model load %.1f s, not counted)%n", in.nanosPerText() / 1e6, in.nanos() / 1e9,
        in.cpuNanos() / 1e6 / in.size(), loadNanos / 1e9);
    out.printf(Locale.ROOT, "machine: %d CPUs, load average %.2f at the start, %.2f at the end (times are "
        + "wall-clock: other work inflates them)%n%n", Runtime.getRuntime().availableProcessors(), load[0], load[1]);
    out.printf(Locale.ROOT, "%-30s %-9s %8s %9s %8s %7s %8s %9s %7s %9s%n", "contestant", "learns", "accuracy",
        "last " + Math.min(TextBench.LAST, in.size()), "macro-F1", "regret", "texts/s", "router us", "share",
        "cpu share");
    for (Result r : results) {
      out.printf(Locale.ROOT, "%-30s %-9s %8.3f %9.3f %8.3f %7s %8.0f %9.1f %6.2f%% %8.2f%%%n", r.entry().name(),
          r.entry().learnsFrom(), r.score().accuracy(), r.score().accuracyLast(TextBench.LAST), r.score().macroF1(),
          r.bandit() ? String.format(Locale.ROOT, "%d", r.score().regret()) : "-", r.textsPerSecond(),
          r.routerMicrosPerText(), 100 * r.routerShareOfTime(), 100 * r.routerShareOfCpuTime());
    }
    out.println();
    printAttention(results, in.size(), out);
    out.println("regret: first choices that missed the category (reward 1 for the category, 0 otherwise; the best "
        + "choice earns 1 on every quote); texts/s: end to end, embedding + routing + learning; router us: routing "
        + "and learning per quote; share: router time / (embedding + router time), wall-clock; cpu share: the same "
        + "over the working thread's CPU time, which other work on the machine does not inflate");
    for (Result r : results) {
      out.println(r.entry().name() + ": " + r.entry().description());
    }
  }

  private Map<String, Object> toJson(Corpus corpus, Embedded in, long loadNanos, double[] load, List<Result> results,
      Map<String, String> checks) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("data", corpus.source());
    m.put("categories", in.categories());
    m.put("quotesPerCategory", perCategory(corpus));
    m.put("quotes", in.size());
    m.put("seed", seed);
    m.put("model", "all-MiniLM-L6-v2");
    m.put("modelLoadSeconds", loadNanos / 1e9);
    m.put("embeddingSeconds", in.nanos() / 1e9);
    m.put("embeddingMillisPerText", in.nanosPerText() / 1e6);
    m.put("embeddingCpuMillisPerText", in.cpuNanos() < 0 ? null : in.cpuNanos() / 1e6 / in.size());
    m.put("lastWindow", Math.min(TextBench.LAST, in.size()));
    m.put("cpus", Runtime.getRuntime().availableProcessors());
    m.put("loadAverageAtStart", Double.isNaN(load[0]) ? null : load[0]);
    m.put("loadAverageAtEnd", Double.isNaN(load[1]) ? null : load[1]);
    m.put("logisticRate", logisticRate);
    Map<String, Object> cs = new LinkedHashMap<>();
    for (Result r : results) {
      cs.put(r.entry().name(), r.toJson());
    }
    m.put("contestants", cs);
    m.put("attention", TextBench.attentionEffect(results));
    Map<String, Object> passed = new LinkedHashMap<>();
    checks.forEach((k, line) -> passed.put(k, line.startsWith("PASS")));
    m.put("checks", passed);
    m.put("checkLines", new ArrayList<>(checks.values()));
    m.put("offTarget", offTarget());
    return m;
  }

  private static Map<String, Object> perCategory(Corpus c) {
    Map<String, Object> m = new LinkedHashMap<>();
    int[] counts = c.counts();
    for (int k = 0; k < counts.length; k++) {
      m.put(c.categories().get(k), counts[k]);
    }
    return m;
  }
}
