package dev.auramoe.cli;

import dev.auramoe.Defaults;
import dev.auramoe.cli.stream.DriftBench;
import dev.auramoe.cli.stream.SentenceEmbedder;
import dev.auramoe.energy.EnergyReport;
import dev.auramoe.stream.drift.Adwin;
import dev.auramoe.stream.drift.DriftEvaluation;
import dev.auramoe.stream.drift.DriftReport;
import dev.auramoe.stream.drift.PageHinkley;
import dev.auramoe.stream.StreamSources;
import dev.auramoe.stream.data.Attribute;
import dev.auramoe.stream.data.InstanceStream;
import dev.auramoe.stream.data.MalformedRowException;
import dev.auramoe.stream.data.Schema;
import dev.auramoe.stream.eval.BinaryRanking;
import dev.auramoe.stream.eval.PrequentialEvaluation;
import dev.auramoe.stream.eval.PrequentialEvaluation.Point;
import dev.auramoe.stream.eval.PrequentialEvaluation.Result;
import dev.auramoe.stream.io.MalformedRowPolicy;
import dev.auramoe.stream.io.Printable;
import dev.auramoe.stream.io.ReadOptions;
import dev.auramoe.stream.io.TargetType;
import dev.auramoe.stream.learn.StreamLearner;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import me.tongfei.progressbar.ProgressBar;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code aura stream}: prequential evaluation of the mixture on a CSV, ARFF or IDX stream. */
@Command(name = "stream", mixinStandardHelpOptions = true,
    description = {
      "Learns a stream from a file test-then-train (every instance is predicted, then learned from) with the "
          + "liquid-routed mixture of experts: softmax-regression experts for a class target, NLMS experts for a "
          + "numeric one.",
      "Reads CSV (header row) and ARFF files, gzipped or not, and IDX image/label pairs: a directory holding "
          + "Fashion-MNIST's four files is read as one 70,000-instance stream (train, then t10k).",
      "Prints accuracy and kappa (or MAE and RMSE), cumulative and over the last window, instances per second "
          + "and memory on stdout; progress, warnings and malformed rows (with their line numbers) on stderr.",
      "Values: in a CSV file an empty field, ?, NA, NaN or nan is missing, in any column (in ARFF: ?, and NaN in a "
          + "numeric column). A number is decimal (12, -1.5, "
          + "2e-3) and within the float range (at most 3.4e38 in magnitude); a row with a larger or infinite one is "
          + "malformed. A CSV column holding both numbers and text (hexadecimal such as 0x10 is text) is read as "
          + "nominal, with a warning. An unterminated quote stops the run (the lines after it would be lost). "
          + "A file with no instance to score is refused (exit status 1). A file must be UTF-8: bytes that are not "
          + "stop the run, naming the line and the column.",
      "Text: ARFF string attributes, and CSV columns of phrases (at least half of the values two words or more; "
          + "a word holds a letter, so that dates, times and numbers are none) "
          + "that are sentences (4 words or more on average) or mostly distinct (more than half, or more than "
          + "--max-levels), are embedded with " + SentenceEmbedder.MODEL + " (384 features each; the model loads "
          + "only for a stream with text). --text-columns and --nominal-columns decide for the columns they name. An empty or blank "
          + "text, one over 1 MiB chars, or one with no token is a malformed row naming its line and column; a "
          + "missing one (an empty field, ?) gives zeros.",
      "A two-class target also gets AUROC and AUPRC (average precision), exact over the whole stream, from the "
          + "scores given before learning each instance; the positive class is the minority one unless "
          + "--positive-class names it.",
      "Exit status: 0 done, 1 an input that cannot be read or has nothing to score, or an unusable output path, "
          + "2 invalid options, " + AuraCli.EXIT_ABORTED + " a malformed row under --on-error abort."
    })
public final class StreamCommand implements Callable<Integer> {

  /** How many malformed rows are printed one by one before only their count is. */
  static final int PRINTED_PROBLEMS = 20;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--input", required = true, paramLabel = "FILE",
      description = "A .csv or .arff file (optionally .gz), or a directory of IDX files (Fashion-MNIST).")
  Path input;

  @Option(names = "--target", paramLabel = "NAME", description = "Target column (default: the last column).")
  String target;

  @Option(names = "--task", paramLabel = "TASK", description = "auto, classification or regression "
      + "(default: ${DEFAULT-VALUE}; auto: a nominal target, or a CSV column of at most 32 distinct integers, is a "
      + "class).")
  String task = "auto";

  @Option(names = "--on-error", paramLabel = "POLICY", description = "skip (report, count and skip malformed rows) "
      + "or abort (stop at the first; exit status " + AuraCli.EXIT_ABORTED + ") (default: ${DEFAULT-VALUE}).")
  String onError = "skip";

  @Option(names = "--separator", paramLabel = "C", description = "CSV field separator: one character, \\t, or "
      + "a name: tab, comma, semicolon, space, pipe or colon (default: comma).")
  String separator = ",";

  @Option(names = "--max-levels", paramLabel = "N", description = "Most distinct values of a CSV nominal column "
      + "(default: ${DEFAULT-VALUE}). An input column of single words with more (an identifier, one feature per "
      + "value) is left out, with a warning; one of phrases is text; a target with more is refused.")
  int maxLevels = ReadOptions.DEFAULT_MAX_LEVELS;

  @Option(names = "--text-columns", paramLabel = "NAMES", split = ",", description = "Columns to read as text "
      + "whatever their values (CSV; in ARFF they must be declared string). Not the target.")
  List<String> textColumns = List.of();

  @Option(names = "--nominal-columns", paramLabel = "NAMES", split = ",", description = "CSV columns to read as "
      + "nominal (one feature per value) even where their values look like text (in ARFF they must be declared "
      + "nominal). Not the target: --task sets its type.")
  List<String> nominalColumns = List.of();

  @Option(names = "--positive-class", paramLabel = "NAME", description = "The positive class of AUROC and AUPRC, "
      + "for a two-class target (default: the class with fewer scored instances; the second class when both have "
      + "as many).")
  String positiveClass;

  @Option(names = "--max-features", paramLabel = "N", description = "Most encoded features (a numeric column is one, "
      + "a nominal one one per value) (default: ${DEFAULT-VALUE}); a wider input is refused before the run, "
      + "naming its widest columns.")
  int maxFeatures = DEFAULT_MAX_FEATURES;

  @Option(names = "--limit", paramLabel = "N", description = "Read at most N instances.")
  long limit = Long.MAX_VALUE;

  @Option(names = "--window", paramLabel = "N", description = "Window of the windowed figures (default: ${DEFAULT-VALUE}).")
  int window = 1000;

  @Option(names = "--experts", paramLabel = "N", description = "Experts (default: ${DEFAULT-VALUE}).")
  int experts = Defaults.EXPERTS;

  @Option(names = "--top-k", paramLabel = "K", description = "Experts per instance, at most --experts (default: "
      + "${DEFAULT-VALUE}, or 1 with one expert).")
  int topK = Defaults.TOP_K;

  @Option(names = "--leak", paramLabel = "X", description = "Weight leak per step of the softmax experts of a class "
      + "target (default: ${DEFAULT-VALUE}); refused for a numeric target, whose NLMS experts have none.")
  double leak = StreamLearner.Builder.DEFAULT_LEAK;

  @Option(names = "--hidden", paramLabel = "N", description = "Hidden units of the liquid router (default: ${DEFAULT-VALUE}).")
  int hidden = Defaults.HIDDEN;

  @Option(names = "--mu", paramLabel = "X", description = "Expert step in (0, 2) (default: ${DEFAULT-VALUE}).")
  double mu = Defaults.MU;

  @Option(names = "--drift", paramLabel = "DETECTOR", description = "Drift detection on the learner's errors: adwin "
      + "(ADWIN, rises only), page-hinkley or none (default: ${DEFAULT-VALUE}: the router's recent errors already "
      + "turn it to the expert that fits a new regime). On a detection the least-used expert is replaced by a fresh "
      + "one and the router learns faster for a while.")
  String drift = "none";

  @Option(names = "--recent-errors", paramLabel = "MODE", description = "Whether the router reads the experts' recent "
      + "errors: auto (on for a numeric target, off for a class target), on or off (default: ${DEFAULT-VALUE}). On "
      + "helps where regimes persist in time; for classes it misleads the router on streams whose concept depends "
      + "on x alone.")
  String recentErrors = "auto";

  @Option(names = "--no-balance", description = "Turn the router's load balancing off.")
  boolean noBalance;

  @Option(names = "--seed", paramLabel = "S", description = "Seed of the router (default: ${DEFAULT-VALUE}).")
  long seed = Defaults.SEED;

  @Option(names = "--drifts", paramLabel = "N", split = ",", description = "Known drift points, as aura generate "
      + "prints them (0-based positions of the first instance of each new concept, increasing): marked on the plot, "
      + "and each detection's delay is reported.")
  List<Long> knownDrifts = List.of();

  @Mixin
  JsonOption json;

  @Option(names = "--plot", paramLabel = "DIR", description = "Also write DIR/stream.png: windowed score over time, "
      + "with the drift detections (and --drifts) marked, and the experts' shares under it. "
      + OutputPaths.DIRECTORY_RULE)
  Path plotDir;

  @Option(names = "--no-progress", description = "No progress on stderr (when stderr is not a terminal, progress "
      + "is a few plain lines instead of a bar).")
  boolean noProgress;

  /** Encoded features above which a stream is refused unless --max-features says otherwise. */
  static final int DEFAULT_MAX_FEATURES = 10_000;

  /** Left-out column names listed in the warning before "...". */
  private static final int LISTED_COLUMNS = 5;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    TargetType type = switch (task) {
      case "auto" -> TargetType.AUTO;
      case "classification" -> TargetType.NOMINAL;
      case "regression" -> TargetType.NUMERIC;
      default -> throw new CommandLine.ParameterException(spec.commandLine(),
          "--task must be auto, classification or regression, got '" + task + "'");
    };
    MalformedRowPolicy policy = switch (onError) {
      case "skip" -> MalformedRowPolicy.SKIP;
      case "abort" -> MalformedRowPolicy.ABORT;
      default -> throw new CommandLine.ParameterException(spec.commandLine(),
          "--on-error must be skip or abort, got '" + onError + "'");
    };
    char sep = separator(separator);
    if (window < 1 || limit < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--window and --limit must be at least 1");
    }
    if (maxLevels < 1 || maxFeatures < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--max-levels and --max-features must be at "
          + "least 1");
    }
    boolean topKGiven = spec.commandLine().getParseResult().hasMatchedOption("--top-k");
    if (topKGiven && (topK < 1 || topK > experts)) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--top-k must be between 1 and --experts ("
          + experts + "), got " + topK);
    }
    if (!List.of("auto", "on", "off").contains(recentErrors)) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--recent-errors must be auto, on or off, got '" + recentErrors + "'");
    }
    if (!List.of("adwin", "page-hinkley", "none").contains(drift)) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--drift must be adwin, page-hinkley or none, got '" + drift + "'");
    }
    for (int i = 0; i < knownDrifts.size(); i++) {
      if (knownDrifts.get(i) < 0 || i > 0 && knownDrifts.get(i) <= knownDrifts.get(i - 1)) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--drifts must be increasing positions >= 0, "
            + "got " + knownDrifts);
      }
    }
    json.checkPath();
    OutputPaths.checkDirectory("--plot", plotDir);
    AtomicLong reported = new AtomicLong();
    // Texts are checked as rows are read, by the encoder once it is loaded (it is loaded after the file's
    // columns are known, only when one is text).
    AtomicReference<SentenceEmbedder> loaded = new AtomicReference<>();
    ReadOptions options;
    try {
      options = ReadOptions.defaults().withTarget(target).withPolicy(policy).withTargetType(type)
          .withSeparator(sep).withMaxLevels(maxLevels).withListener(e -> {
            if (reported.incrementAndGet() <= PRINTED_PROBLEMS) {
              err.println("skipped malformed row: " + e.getMessage());
            }
          }).withTextColumns(Set.copyOf(textColumns)).withNominalColumns(Set.copyOf(nominalColumns))
          .withTextCheck(text -> SentenceEmbedder.problem(loaded.get(), text));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--text-columns and --nominal-columns: "
          + e.getMessage());
    }
    Result r;
    StreamLearner learner;
    long skipped;
    List<MalformedRowException> problems;
    List<String> warnings = new ArrayList<>();
    List<String> leftOut;
    List<String> texts;
    Schema schema;
    int textWidth = 0;
    try (InstanceStream s = StreamSources.open(input, options);
        SentenceEmbedder embedder = checkTargetThenLoad(s, type, err)) {
      schema = s.schema();
      loaded.set(embedder);
      textWidth = embedder == null ? 0 : embedder.dimension();
      texts = schema.attributes().stream().filter(Attribute::isText).map(Attribute::name).toList();
      int positive = positiveIndex(schema);
      String targetName = Printable.quoted(schema.target().name());
      leftOut = StreamSources.leftOut(s);
      if (!leftOut.isEmpty()) {
        warnings.add(leftOutWarning(leftOut));
      }
      warnings.addAll(StreamSources.warnings(s));
      for (String w : warnings) {
        err.println("warning: " + w);
      }
      long features = embedder == null ? dev.auramoe.stream.learn.FeatureEncoder.dimension(schema)
          : dev.auramoe.stream.learn.FeatureEncoder.dimension(schema, embedder.dimension());
      checkFeatures(schema, features, textWidth);
      String kernels = chooseKernels(features);
      StreamLearner.Builder lb = StreamLearner.builder(schema).experts(experts).hidden(hidden).mu(mu)
          .leak(leak).seed(seed).balance(noBalance ? dev.auramoe.balance.BalanceConfig.OFF
              : dev.auramoe.balance.BalanceConfig.DEFAULT).textEmbedder(embedder);
      if (topKGiven) {
        lb.topK(topK);
      }
      if (!recentErrors.equals("auto")) {
        lb.recentErrors(recentErrors.equals("on") ? dev.auramoe.RecentErrors.DEFAULT : dev.auramoe.RecentErrors.OFF);
      }
      switch (drift) {
        case "adwin" -> lb.driftDetector(() -> Adwin.increasesOnly(DriftBench.ADWIN_DELTA));
        case "page-hinkley" -> lb.driftDetector(PageHinkley::new);
        default -> { }
      }
      try {
        learner = lb.build();
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(input + ": " + e.getMessage(), e);
      }
      err.printf(Locale.ROOT, "%s: %d columns%s%s, target %s (%s), %d feature%s; %s%n", input,
          schema.size() + leftOut.size(), leftOut.isEmpty() ? "" : " (" + leftOut.size() + " left out)",
          texts.isEmpty() ? "" : " (" + texts.size() + " text)", targetName,
          schema.isClassification() ? schema.classes() + " classes" : "numeric", learner.featureDimension(),
          learner.featureDimension() == 1 ? "" : "s", kernels);
      PrequentialEvaluation ev = new PrequentialEvaluation(window, Math.max(1, window)).withPositiveClass(positive);
      try {
        if (noProgress) {
          r = ev.run(s, learner, limit, null);
        } else {
          try (ProgressBar pb = Progress.bar("stream", -1, " inst")) {
            r = ev.run(s, learner, limit, pb::stepTo);
          }
        }
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(input + ": " + e.getMessage(), e);
      }
      skipped = StreamSources.skippedRows(s);
      problems = StreamSources.problems(s);
    } catch (MalformedRowException e) {
      err.println("aborted: malformed row: " + e.getMessage() + " (use --on-error skip to skip and count such rows)");
      return AuraCli.EXIT_ABORTED;
    }
    if (skipped > PRINTED_PROBLEMS) {
      err.printf(Locale.ROOT, "... %,d more malformed rows skipped (%,d in all)%n", skipped - PRINTED_PROBLEMS, skipped);
    }
    if (r.instances() == 0) {
      err.println("aura stream: " + input + ": no instance to score: " + nothingScored(r, skipped));
      return 1;
    }
    List<Long> detections = learner.detections();
    long seen = r.instances() + r.unlabelled();
    // Known drifts at or past the end of what was read cannot be scored or drawn: they are named apart.
    List<Long> reached = knownDrifts.stream().filter(p -> p < seen).toList();
    List<Long> beyond = knownDrifts.stream().filter(p -> p >= seen).toList();
    if (!beyond.isEmpty()) {
      err.printf(Locale.ROOT, "warning: --drifts %s lie at or beyond the %,d instances read; not scored%n",
          abbreviate(beyond), seen);
    }
    DriftReport scored = knownDrifts.isEmpty() || drift.equals("none") ? null : scoreDetections(detections, reached, seen);
    long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    EnergyReport energy = learner.energy();
    boolean cls = learner.isClassification();
    out.printf(Locale.ROOT, "aura stream: %s, prequential (test-then-train), window %,d%n%n", input, window);
    out.printf(Locale.ROOT, "%-22s %,d%n", "instances", r.instances());
    if (r.unlabelled() > 0) {
      out.printf(Locale.ROOT, "%-22s %,d (predicted, not scored)%n", "missing target", r.unlabelled());
    }
    out.printf(Locale.ROOT, "%-22s %,d%n", "malformed rows skipped", skipped);
    if (!texts.isEmpty()) {
      out.printf(Locale.ROOT, "%-22s %s (embedded with %s, %d features each)%n", "text columns",
          String.join(", ", texts.stream().map(Printable::quoted).toList()), SentenceEmbedder.MODEL,
          textWidth);
    }
    if (cls) {
      out.printf(Locale.ROOT, "%-22s %.4f (last window %.4f)%n", "accuracy", r.accuracy(), r.windowAccuracy());
      out.printf(Locale.ROOT, "%-22s %.4f (last window %.4f)%n", "kappa", r.kappa(), r.windowKappa());
      if (r.ranking() != null) {
        BinaryRanking.Result k = r.ranking();
        if (k.defined()) {
          out.printf(Locale.ROOT, "%-22s %.4f (positive class %s, %s: %,d of %,d)%n", "auroc", k.auroc(),
              Printable.quoted(className(schema, k.positiveClass())), positiveChoice(k), k.positives(),
              k.positives() + k.negatives());
          out.printf(Locale.ROOT, "%-22s %.4f (average precision)%n", "auprc", k.averagePrecision());
        } else {
          out.printf(Locale.ROOT, "%-22s undefined: %s%n", "auroc", undefinedRanking(schema, k));
          out.printf(Locale.ROOT, "%-22s undefined%n", "auprc");
        }
      }
    } else {
      out.printf(Locale.ROOT, "%-22s %.6g (last window %.6g)%n", "mae", r.mae(), r.windowMae());
      out.printf(Locale.ROOT, "%-22s %.6g (last window %.6g)%n", "rmse", r.rmse(), r.windowRmse());
    }
    out.printf(Locale.ROOT, "%-22s %,.0f (%.2f s wall clock, reading included); %,.0f per CPU second of the "
        + "evaluating thread (%.2f s)%n", "instances per second", r.instancesPerSecond(), r.seconds(),
        r.instancesPerCpuSecond(), r.cpuSeconds());
    out.printf(Locale.ROOT, "%-22s %,.1f MiB heap in use at the end%n", "memory", heap / 1048576.0);
    out.printf(Locale.ROOT, "%-22s %s%n", "drift detections", drift.equals("none") ? "off"
        : detections.size() + (detections.isEmpty() ? "" : " at " + abbreviate(detections)));
    if (scored != null) {
      out.printf(Locale.ROOT, "%-22s %d of %d detected within %,d instances (delays %s), %d missed, %d false "
          + "alarm(s)%n", "known drifts", scored.detected(), scored.drifts(), scored.maxDelay(),
          String.join(", ", scored.delays().stream().map(d -> d < 0 ? "missed"
              : String.format(Locale.ROOT, "%,d", d)).toList()), scored.missed(), scored.falseAlarms());
    }
    out.printf(Locale.ROOT, "%-22s %,.0f pJ per instance (%s)%n", "energy",
        energy.picojoulesPerToken(), energy.basis());
    out.flush();

    if (json.given()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("input", input.toString());
      m.put("warnings", warnings);
      m.put("leftOutColumns", leftOut);
      m.put("textColumns", texts);
      if (!texts.isEmpty()) {
        m.put("textEncoder", SentenceEmbedder.MODEL);
      }
      m.put("task", cls ? "classification" : "regression");
      m.put("target", learner.schema().target().name());
      m.put("instances", r.instances());
      m.put("unlabelled", r.unlabelled());
      m.put("skippedRows", skipped);
      List<Map<String, Object>> probs = new ArrayList<>();
      for (MalformedRowException e : problems) {
        probs.add(Map.of("line", e.line(), "reason", e.reason()));
      }
      m.put("problems", probs);
      if (cls) {
        m.put("accuracy", r.accuracy());
        m.put("kappa", r.kappa());
        m.put("windowAccuracy", r.windowAccuracy());
        m.put("windowKappa", r.windowKappa());
        if (r.ranking() != null) {
          BinaryRanking.Result k = r.ranking();
          m.put("positiveClass", className(schema, k.positiveClass()));
          m.put("positiveClassChosen", positiveClass != null ? "given" : k.positives() == k.negatives()
              ? "second class (as frequent as the other)" : "minority");
          m.put("positives", k.positives());
          m.put("negatives", k.negatives());
          m.put("auroc", k.defined() ? k.auroc() : null);
          m.put("auprc", k.defined() ? k.averagePrecision() : null);
          if (!k.defined()) {
            m.put("rankingUndefined", undefinedRanking(schema, k));
          }
        }
      } else {
        m.put("mae", r.mae());
        m.put("rmse", r.rmse());
        m.put("windowMae", r.windowMae());
        m.put("windowRmse", r.windowRmse());
      }
      m.put("instancesPerSecond", r.instancesPerSecond());
      m.put("seconds", r.seconds());
      m.put("instancesPerCpuSecond", r.instancesPerCpuSecond());
      m.put("cpuSeconds", r.cpuSeconds());
      m.put("heapUsedBytes", heap);
      m.put("picojoulesPerInstance", energy.picojoulesPerToken());
      m.put("recentErrors", learner.model().config().recentErrors().enabled());
      m.put("drift", drift);
      m.put("driftDetections", detections);
      m.put("knownDrifts", reached);
      m.put("knownDriftsBeyondEnd", beyond);
      if (scored != null) {
        m.put("knownDriftDelays", scored.delays());
        m.put("knownDriftsDetected", scored.detected());
        m.put("falseAlarms", scored.falseAlarms());
      }
      List<Map<String, Object>> curve = new ArrayList<>();
      for (Point p : r.curve()) {
        curve.add(Map.of("instances", p.instances(), "window", p.windowScore(), "cumulative", p.cumulativeScore(),
            "expertShare", p.expertShare()));
      }
      m.put("curve", curve);
      json.write(m, err);
    }
    if (plotDir != null) {
      err.println("wrote " + plot(r, cls, detections, reached, plotDir));
    }
    return 0;
  }

  /**
   * Refuses options that do not fit the stream's target, before the encoder costs a second; then,
   * when the stream has text columns, says on {@code err} which they are and why, and loads the
   * sentence encoder for them.
   *
   * @return the encoder, or null for a stream without text
   */
  private SentenceEmbedder checkTargetThenLoad(InstanceStream s, TargetType type, PrintWriter err) {
    Schema schema = s.schema();
    String targetName = Printable.quoted(schema.target().name());
    if (type == TargetType.NOMINAL && !schema.isClassification()) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--task classification, but the target "
          + targetName + " is numeric in " + input);
    }
    if (type == TargetType.NUMERIC && schema.isClassification()) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--task regression, but the target "
          + targetName + " is nominal in " + input);
    }
    if (!schema.isClassification() && spec.commandLine().getParseResult().hasMatchedOption("--leak")) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--leak applies to the softmax experts of a "
          + "class target; the target " + targetName + " of " + input + " is numeric, and its NLMS experts have "
          + "no leak");
    }
    positiveIndex(schema);
    if (!schema.hasText()) {
      return null;
    }
    for (String note : StreamSources.textNotes(s)) {
      err.println("note: " + note);
    }
    err.println("loading the sentence encoder " + SentenceEmbedder.MODEL + " for the text columns");
    err.flush();
    return SentenceEmbedder.load();
  }

  /** The index of {@code --positive-class} in the target's classes, or -1 when it is not given (the minority). */
  private int positiveIndex(Schema schema) {
    if (positiveClass == null) {
      return -1;
    }
    String targetName = Printable.quoted(schema.target().name());
    if (!schema.isClassification() || schema.classes() != 2) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--positive-class applies to a two-class "
          + "target; the target " + targetName + " of " + input + (schema.isClassification()
              ? " has " + schema.classes() + " classes" : " is numeric"));
    }
    int c = schema.target().indexOf(positiveClass);
    if (c < 0) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--positive-class "
          + Printable.quoted(positiveClass) + " is not a class of the target " + targetName + ": its classes are "
          + String.join(" and ", schema.target().values().stream().map(Printable::quoted).toList()));
    }
    return c;
  }

  private static String className(Schema schema, int c) {
    return schema.target().values().get(c);
  }

  /** How the positive class was chosen, for the summary. */
  private String positiveChoice(BinaryRanking.Result k) {
    return positiveClass != null ? "as --positive-class says" : k.positives() == k.negatives()
        ? "the second class, both being as frequent" : "the minority class";
  }

  /** Why AUROC and AUPRC are undefined: only one class was scored. */
  private static String undefinedRanking(Schema schema, BinaryRanking.Result k) {
    int only = k.positives() == 0 ? 1 - k.positiveClass() : k.positiveClass();
    return "every scored instance is of class " + Printable.quoted(className(schema, only))
        + ", so there is nothing to rank it against";
  }

  /**
   * The separator {@code --separator} names: one character, {@code \t}, or a word (the shell makes
   * a tab hard to type, and {@code '\t'} reaches the program as two characters).
   */
  char separator(String given) {
    char c = switch (given.toLowerCase(Locale.ROOT)) {
      case "\\t", "tab" -> '\t';
      case "comma" -> ',';
      case "semicolon" -> ';';
      case "space" -> ' ';
      case "pipe" -> '|';
      case "colon" -> ':';
      default -> given.length() == 1 ? given.charAt(0) : 0;
    };
    if (c == 0 || c == '"' || c == '\n' || c == '\r') {
      throw new CommandLine.ParameterException(spec.commandLine(), "--separator must be one character (not a quote "
          + "or a line break), \\t, or one of tab, comma, semicolon, space, pipe, colon; got "
          + Printable.quoted(given));
    }
    return c;
  }

  /** One warning for the columns left out, listing the first few and saying how to keep them. */
  private String leftOutWarning(List<String> columns) {
    List<String> named = columns.stream().limit(LISTED_COLUMNS).map(Printable::quoted).toList();
    return String.format(Locale.ROOT, "%s %s more than %,d distinct values (an identifier or free text?) and "
        + "%s left out of the features: %s%s; --max-levels N keeps columns of up to N values",
        columns.size() == 1 ? "column" : String.format(Locale.ROOT, "%,d columns", columns.size()),
        columns.size() == 1 ? "has" : "have", maxLevels, columns.size() == 1 ? "is" : "are", String.join(", ", named),
        columns.size() > LISTED_COLUMNS ? ", ..." : "");
  }

  /**
   * Refuses a schema that encodes to more than {@code --max-features} features (the model's cost
   * per instance grows with them), naming the widest nominal columns.
   */
  private void checkFeatures(Schema schema, long features, int textWidth) {
    if (features <= maxFeatures) {
      return;
    }
    List<Attribute> nominal = new ArrayList<>();
    for (int c = 0; c < schema.size(); c++) {
      if (c != schema.targetIndex() && schema.attribute(c).isNominal()) {
        nominal.add(schema.attribute(c));
      }
    }
    nominal.sort((a, b) -> Integer.compare(b.cardinality(), a.cardinality()));
    String widest = String.join(", ", nominal.stream().limit(LISTED_COLUMNS)
        .map(a -> String.format(Locale.ROOT, "%s %,d", Printable.quoted(a.name()), a.cardinality())).toList());
    throw new IllegalArgumentException(String.format(Locale.ROOT, "%s: the inputs encode to %,d features, more "
        + "than --max-features %,d (each value of a nominal column is a feature%s%s); raise --max-features, or "
        + "lower --max-levels to leave the widest columns out", input, features, maxFeatures,
        schema.hasText() ? String.format(Locale.ROOT, ", each text column %,d", textWidth) : "",
        widest.isEmpty() ? "" : "; widest: " + widest));
  }

  /** Why nothing was scored, from the counts of the run. */
  private static String nothingScored(Result r, long skipped) {
    List<String> parts = new ArrayList<>();
    if (r.unlabelled() > 0) {
      parts.add(String.format(Locale.ROOT, "%,d with the target missing", r.unlabelled()));
    }
    if (skipped > 0) {
      parts.add(String.format(Locale.ROOT, "%,d malformed and skipped", skipped));
    }
    return parts.isEmpty() ? "it has no data rows" : "of its rows, " + String.join(", ", parts);
  }

  /** Scores the detections (1-based instance numbers) against the known drifts within the instances seen. */
  private DriftReport scoreDetections(List<Long> detections, List<Long> reached, long seen) {
    long[] points = reached.stream().mapToLong(Long::longValue).toArray();
    DriftEvaluation eval = new DriftEvaluation(points, DriftEvaluation.DEFAULT_MAX_DELAY);
    int next = 0;
    for (long t = 0; t < seen; t++) {
      boolean detected = next < detections.size() && detections.get(next) == t + 1;
      if (detected) {
        next++;
      }
      eval.observe(detected);
    }
    return eval.report(drift);
  }

  /** Features up to which the scalar kernels are chosen when the user did not choose. */
  static final int SCALAR_UP_TO_FEATURES = 64;

  /**
   * Picks the kernels for this JVM before the model exists, unless {@code -Daura.kernels} chose:
   * for a few dozen features and a small router the vectors are a single register or less, the
   * Vector API's warm-up costs more than it saves, and the scalar kernels run a 100,000-instance
   * stream about twice as fast; wider inputs (images) get the Vector API kernels.
   */
  private String chooseKernels(long features) {
    String set = System.getProperty(dev.auramoe.internal.vector.KernelProvider.PROPERTY);
    if (set != null) {
      return "kernels as set by -Daura.kernels=" + set;
    }
    if (features <= SCALAR_UP_TO_FEATURES && hidden <= 32) {
      System.setProperty(dev.auramoe.internal.vector.KernelProvider.PROPERTY, "scalar");
      return "scalar kernels (small model; -Daura.kernels=panama to override)";
    }
    return "kernels: auto";
  }

  private static String abbreviate(List<Long> l) {
    if (l.isEmpty()) {
      return "none";
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < Math.min(10, l.size()); i++) {
      sb.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%,d", l.get(i)));
    }
    return l.size() > 10 ? sb + ", ..." : sb.toString();
  }

  /** Most vertical markers drawn per kind; a detector that fires more often is unreadable anyway. */
  static final int MAX_MARKERS = 200;

  /**
   * Windowed score over time, with the experts' shares of the routed instances under it; both mark
   * the drift detections (dark red) and the known drift points (black, dashed).
   *
   * @param detections 1-based instance numbers of the detections
   * @param drifts 0-based positions of the known drifts (so instance {@code p + 1} is the first of
   *     the new concept)
   * @param dir the directory of the plot, created when missing (its parent exists: {@link OutputPaths})
   */
  static Path plot(Result r, boolean cls, List<Long> detections, List<Long> drifts, Path dir)
      throws java.io.IOException {
    System.setProperty("java.awt.headless", "true");
    return Charts.savePng(OutputPaths.createDirectory(dir).resolve("stream.png"),
        List.of(scoreChart(r, cls, detections, drifts), usageChart(r, detections, drifts)));
  }

  /** The windowed accuracy (or RMSE) over time, with the markers. */
  static XYChart scoreChart(Result r, boolean cls, List<Long> detections, List<Long> drifts) {
    List<Point> curve = r.curve();
    double[] x = new double[curve.size()];
    double[] y = new double[curve.size()];
    double low = Double.POSITIVE_INFINITY;
    double high = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < x.length; i++) {
      x[i] = curve.get(i).instances();
      y[i] = curve.get(i).windowScore();
      if (Double.isFinite(y[i])) {
        low = Math.min(low, y[i]);
        high = Math.max(high, y[i]);
      }
    }
    // A fixed range around the curve, so that the markers span the plot without stretching it.
    if (low > high) {
      low = 0;
      high = 1;
    }
    double pad = high > low ? (high - low) * 0.1 : Math.max(0.05, Math.abs(high) * 0.1);
    low = Math.max(0, low - pad);
    high = cls ? Math.min(1, high + pad) : high + pad;
    String what = cls ? "accuracy" : "RMSE";
    XYChart score = new XYChartBuilder().width(1000).height(420).title("Windowed " + what + " (prequential)")
        .xAxisTitle("instances").yAxisTitle(what).build();
    score.getStyler().setMarkerSize(0);
    score.getStyler().setYAxisMin(low);
    score.getStyler().setYAxisMax(high);
    if (x.length > 0) {
      Charts.distinct(score.addSeries(what, x, y), 0);
    }
    mark(score, detections, drifts, low, high);
    return score;
  }

  /**
   * The experts' shares over time as stacked bands, each in a colour of its own (up to the
   * palette's nine; beyond, colours come round again, on bands that are not neighbours), with the
   * markers.
   */
  static XYChart usageChart(Result r, List<Long> detections, List<Long> drifts) {
    List<Point> curve = r.curve();
    double[] x = new double[curve.size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = curve.get(i).instances();
    }
    XYChart usage = new XYChartBuilder().width(1000).height(320).title("Experts' shares of routed instances")
        .xAxisTitle("instances").yAxisTitle("share").build();
    usage.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Area);
    usage.getStyler().setMarkerSize(0);
    usage.getStyler().setYAxisMin(0.0);
    usage.getStyler().setYAxisMax(1.0);
    int experts = curve.isEmpty() ? 0 : curve.get(0).expertShare().length;
    // Stacked areas: expert e's band runs from the sum of experts < e to the sum of experts <= e.
    // The highest band is drawn first so that the lower ones stay visible on top of it.
    double[][] tops = new double[experts][x.length];
    for (int e = 0; e < experts; e++) {
      for (int i = 0; i < x.length; i++) {
        tops[e][i] = (e == 0 ? 0 : tops[e - 1][i]) + curve.get(i).expertShare()[e];
      }
    }
    for (int e = experts - 1; e >= 0 && x.length > 0; e--) {
      Charts.distinct(usage.addSeries("expert " + e, x, tops[e]), e);
    }
    mark(usage, detections, drifts, 0.0, 1.0);
    return usage;
  }

  /** Vertical lines over [low, high]: detections solid dark red, known drifts dashed black; one legend entry each. */
  private static void mark(XYChart chart, List<Long> detections, List<Long> drifts, double low, double high) {
    chart.getStyler().setXAxisDecimalPattern("#,###");
    for (int i = 0; i < Math.min(detections.size(), MAX_MARKERS); i++) {
      line(chart, "drift detected", i, detections.get(i), low, high, Charts.MARKER,
          org.knowm.xchart.style.lines.SeriesLines.SOLID);
    }
    // Dashed, and over the detections: a detection a few instances after its drift leaves both visible.
    for (int i = 0; i < Math.min(drifts.size(), MAX_MARKERS); i++) {
      line(chart, "known drift", i, drifts.get(i) + 1, low, high, java.awt.Color.BLACK,
          org.knowm.xchart.style.lines.SeriesLines.DASH_DASH);
    }
  }

  private static void line(XYChart chart, String name, int i, long at, double low, double high,
      java.awt.Color colour, java.awt.BasicStroke stroke) {
    XYSeries s = chart.addSeries(i == 0 ? name : name + " " + i, new double[] {at, at}, new double[] {low, high});
    s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
    s.setMarker(org.knowm.xchart.style.markers.SeriesMarkers.NONE);
    s.setLineColor(colour);
    s.setLineStyle(stroke);
    s.setShowInLegend(i == 0);
  }
}
