package dev.auramoe.cli;

import dev.auramoe.cli.stream.DriftBench;
import dev.auramoe.energy.EnergyReport;
import dev.auramoe.stream.drift.Adwin;
import dev.auramoe.stream.drift.PageHinkley;
import dev.auramoe.stream.StreamSources;
import dev.auramoe.stream.data.InstanceStream;
import dev.auramoe.stream.data.MalformedRowException;
import dev.auramoe.stream.data.Schema;
import dev.auramoe.stream.eval.PrequentialEvaluation;
import dev.auramoe.stream.eval.PrequentialEvaluation.Point;
import dev.auramoe.stream.eval.PrequentialEvaluation.Result;
import dev.auramoe.stream.io.MalformedRowPolicy;
import dev.auramoe.stream.io.ReadOptions;
import dev.auramoe.stream.io.TargetType;
import dev.auramoe.stream.learn.StreamLearner;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import me.tongfei.progressbar.ProgressBar;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import picocli.CommandLine;
import picocli.CommandLine.Command;
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
          + "and memory on stdout; progress and malformed rows (with their line numbers) on stderr."
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
      + "or abort (stop at the first; exit status 2) (default: ${DEFAULT-VALUE}).")
  String onError = "skip";

  @Option(names = "--separator", paramLabel = "C", description = "CSV field separator (default: ,).")
  String separator = ",";

  @Option(names = "--limit", paramLabel = "N", description = "Read at most N instances.")
  long limit = Long.MAX_VALUE;

  @Option(names = "--window", paramLabel = "N", description = "Window of the windowed figures (default: ${DEFAULT-VALUE}).")
  int window = 1000;

  @Option(names = "--experts", paramLabel = "N", description = "Experts (default: ${DEFAULT-VALUE}).")
  int experts = 4;

  @Option(names = "--top-k", paramLabel = "K", description = "Experts per instance (default: ${DEFAULT-VALUE}).")
  int topK = 2;

  @Option(names = "--leak", paramLabel = "X", description = "Expert weight leak per step (default: ${DEFAULT-VALUE}).")
  double leak = 0;

  @Option(names = "--hidden", paramLabel = "N", description = "Hidden units of the liquid router (default: ${DEFAULT-VALUE}).")
  int hidden = 8;

  @Option(names = "--mu", paramLabel = "X", description = "Expert step in (0, 2) (default: ${DEFAULT-VALUE}).")
  double mu = 0.5;

  @Option(names = "--drift", paramLabel = "DETECTOR", description = "Drift detection on the learner's errors: adwin "
      + "(ADWIN, rises only), page-hinkley or none (default: ${DEFAULT-VALUE}). On a detection the least-used expert "
      + "is replaced by a fresh one and the router learns faster for a while.")
  String drift = "adwin";

  @Option(names = "--no-balance", description = "Turn the router's load balancing off.")
  boolean noBalance;

  @Option(names = "--seed", paramLabel = "S", description = "Seed of the router (default: ${DEFAULT-VALUE}).")
  long seed = 42;

  @Option(names = "--json", paramLabel = "FILE", description = "Also write the results as JSON.")
  Path json;

  @Option(names = "--plot", paramLabel = "DIR", description = "Also write a PNG: windowed score over time with the "
      + "experts' shares under it.")
  Path plotDir;

  @Option(names = "--no-progress", description = "No progress bar on stderr.")
  boolean noProgress;

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
    if (separator.length() != 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--separator must be one character");
    }
    if (window < 1 || limit < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--window and --limit must be at least 1");
    }
    AtomicLong reported = new AtomicLong();
    ReadOptions options = ReadOptions.defaults().withTarget(target).withPolicy(policy).withTargetType(type)
        .withSeparator(separator.charAt(0)).withListener(e -> {
          if (reported.incrementAndGet() <= PRINTED_PROBLEMS) {
            err.println("skipped malformed row: " + e.getMessage());
          }
        });
    Result r;
    StreamLearner learner;
    long skipped;
    List<MalformedRowException> problems;
    try (InstanceStream s = StreamSources.open(input, options)) {
      Schema schema = s.schema();
      if (type == TargetType.NOMINAL && !schema.isClassification()) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--task classification, but the target "
            + schema.target().name() + " is numeric in " + input);
      }
      if (type == TargetType.NUMERIC && schema.isClassification()) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--task regression, but the target "
            + schema.target().name() + " is nominal in " + input);
      }
      String kernels = chooseKernels(schema);
      StreamLearner.Builder lb = StreamLearner.builder(schema).experts(experts).topK(topK).hidden(hidden).mu(mu)
          .leak(leak).seed(seed).balance(noBalance ? dev.auramoe.balance.BalanceConfig.OFF
              : dev.auramoe.balance.BalanceConfig.DEFAULT);
      switch (drift) {
        case "adwin" -> lb.driftDetector(() -> Adwin.increasesOnly(DriftBench.ADWIN_DELTA));
        case "page-hinkley" -> lb.driftDetector(PageHinkley::new);
        case "none" -> { }
        default -> throw new CommandLine.ParameterException(spec.commandLine(),
            "--drift must be adwin, page-hinkley or none, got '" + drift + "'");
      }
      learner = lb.build();
      err.printf(Locale.ROOT, "%s: %d columns, target %s (%s), %d features; %s%n", input, schema.size(),
          schema.target().name(), schema.isClassification() ? schema.classes() + " classes" : "numeric",
          learner.featureDimension(), kernels);
      PrequentialEvaluation ev = new PrequentialEvaluation(window, Math.max(1, window));
      if (noProgress) {
        r = ev.run(s, learner, limit, null);
      } else {
        try (ProgressBar pb = Progress.bar("stream", -1, " inst")) {
          r = ev.run(s, learner, limit, pb::stepTo);
        }
      }
      skipped = StreamSources.skippedRows(s);
      problems = StreamSources.problems(s);
    } catch (MalformedRowException e) {
      err.println("aborted: malformed row: " + e.getMessage() + " (use --on-error skip to skip and count such rows)");
      return 2;
    }
    List<Long> detections = learner.detections();
    if (skipped > PRINTED_PROBLEMS) {
      err.printf(Locale.ROOT, "... %,d more malformed rows skipped (%,d in all)%n", skipped - PRINTED_PROBLEMS, skipped);
    }
    long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    EnergyReport energy = learner.energy();
    boolean cls = learner.isClassification();
    out.printf(Locale.ROOT, "aura stream: %s, prequential (test-then-train), window %,d%n%n", input, window);
    out.printf(Locale.ROOT, "%-22s %,d%n", "instances", r.instances());
    if (r.unlabelled() > 0) {
      out.printf(Locale.ROOT, "%-22s %,d (predicted, not scored)%n", "missing target", r.unlabelled());
    }
    out.printf(Locale.ROOT, "%-22s %,d%n", "malformed rows skipped", skipped);
    if (cls) {
      out.printf(Locale.ROOT, "%-22s %.4f (last window %.4f)%n", "accuracy", r.accuracy(), r.windowAccuracy());
      out.printf(Locale.ROOT, "%-22s %.4f (last window %.4f)%n", "kappa", r.kappa(), r.windowKappa());
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
    out.printf(Locale.ROOT, "%-22s %,.0f pJ per instance (%s)%n", "energy",
        energy.picojoulesPerToken(), energy.basis());
    out.flush();

    if (json != null) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("input", input.toString());
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
      m.put("drift", drift);
      m.put("driftDetections", detections);
      List<Map<String, Object>> curve = new ArrayList<>();
      for (Point p : r.curve()) {
        curve.add(Map.of("instances", p.instances(), "window", p.windowScore(), "cumulative", p.cumulativeScore(),
            "expertShare", p.expertShare()));
      }
      m.put("curve", curve);
      Json.write(m, json);
      err.println("wrote " + json);
    }
    if (plotDir != null) {
      err.println("wrote " + plot(r, cls, plotDir));
    }
    return 0;
  }

  /** Features up to which the scalar kernels are chosen when the user did not choose. */
  static final int SCALAR_UP_TO_FEATURES = 64;

  /**
   * Picks the kernels for this JVM before the model exists, unless {@code -Daura.kernels} chose:
   * for a few dozen features and a small router the vectors are a single register or less, the
   * Vector API's warm-up costs more than it saves, and the scalar kernels run a 100,000-instance
   * stream about twice as fast; wider inputs (images) get the Vector API kernels.
   */
  private String chooseKernels(Schema schema) {
    String set = System.getProperty(dev.auramoe.internal.vector.KernelProvider.PROPERTY);
    if (set != null) {
      return "kernels as set by -Daura.kernels=" + set;
    }
    int features = new dev.auramoe.stream.learn.FeatureEncoder(schema).dimension();
    if (features <= SCALAR_UP_TO_FEATURES && hidden <= 32) {
      System.setProperty(dev.auramoe.internal.vector.KernelProvider.PROPERTY, "scalar");
      return "scalar kernels (small model; -Daura.kernels=panama to override)";
    }
    return "kernels: auto";
  }

  private static String abbreviate(List<Long> l) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < Math.min(10, l.size()); i++) {
      sb.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%,d", l.get(i)));
    }
    return l.size() > 10 ? sb + ", ..." : sb.toString();
  }

  /** Windowed score over time, with the experts' shares of the routed instances under it. */
  static Path plot(Result r, boolean cls, Path dir) throws java.io.IOException {
    System.setProperty("java.awt.headless", "true");
    Files.createDirectories(dir);
    List<Point> curve = r.curve();
    double[] x = new double[curve.size()];
    double[] y = new double[curve.size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = curve.get(i).instances();
      y[i] = curve.get(i).windowScore();
    }
    String what = cls ? "accuracy" : "RMSE";
    XYChart score = new XYChartBuilder().width(1000).height(420).title("Windowed " + what + " (prequential)")
        .xAxisTitle("instances").yAxisTitle(what).build();
    score.getStyler().setMarkerSize(0);
    if (x.length > 0) {
      score.addSeries(what, x, y);
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
      usage.addSeries("expert " + e, x, tops[e]);
    }
    Path file = dir.resolve("stream.png");
    java.awt.image.BufferedImage a = BitmapEncoder.getBufferedImage(score);
    java.awt.image.BufferedImage b = BitmapEncoder.getBufferedImage(usage);
    java.awt.image.BufferedImage both = new java.awt.image.BufferedImage(Math.max(a.getWidth(), b.getWidth()),
        a.getHeight() + b.getHeight(), java.awt.image.BufferedImage.TYPE_INT_RGB);
    java.awt.Graphics2D g = both.createGraphics();
    g.drawImage(a, 0, 0, null);
    g.drawImage(b, 0, a.getHeight(), null);
    g.dispose();
    javax.imageio.ImageIO.write(both, "png", file.toFile());
    return file;
  }
}
