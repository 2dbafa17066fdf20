package dev.auramoe.cli;

import dev.auramoe.cli.seq.SeqData;
import dev.auramoe.cli.seq.SeqModels;
import dev.auramoe.cli.seq.SeqPlot;
import dev.auramoe.cli.seq.SeqRun;
import dev.auramoe.seq.SavedSequenceModel;
import dev.auramoe.seq.SequenceModel;
import dev.auramoe.seq.SequenceTrainer;
import dev.auramoe.seq.Task;
import java.io.PrintWriter;
import java.nio.file.Path;
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

/** {@code aura seq}: sequence models trained by backpropagation through time. */
@Command(name = "seq", mixinStandardHelpOptions = true,
    subcommands = {SeqCommand.Train.class, SeqScoreCommand.class, SeqBenchCommand.class},
    description = "Sequence models trained by backpropagation through time: the multi-rate mixture of liquid "
        + "experts (MR-MoE) and its baselines. 'aura seq train' trains one model on a training set and scores it "
        + "on a test set (and saves it); 'aura seq score' scores a CSV row by row with a saved model, each id a live stream; 'aura seq bench' compares all four on Fashion-MNIST's three forms and measures the "
        + "training speed against a PyTorch peer.")
public final class SeqCommand implements Runnable {

  @CommandLine.Spec
  private CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "name a subcommand: train, score, bench");
  }

  /** {@code aura seq train}. */
  @Command(name = "train", mixinStandardHelpOptions = true,
      description = {"Trains one sequence model with Adam (cosine decay, gradient clipping) on mini-batches of the "
          + "training set, scores it on the test set after each epoch, and reports accuracy, macro AUROC and AUPRC "
          + "(or RMSE for a regression), training time and throughput.",
          "Models: mr-moe (liquid experts at time scales 1, R, R^2, ..., feature and temporal attention, a gate), "
              + "moe (the same at one time scale), liquid (one liquid cell with mr-moe's parameter count), lstm, cfc (a "
              + "closed-form continuous-time cell of the LSTM's width).",
          "The features are standardised with the training set's statistics, and elapsed times rescaled so that "
              + "the training set's median gap is the cell's regular step (docs/seq.md)."})
  static final class Train implements Callable<Integer> {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Mixin
    private SeqOptions.Data data;

    @Mixin
    private SeqOptions.Model modelOptions;

    @Mixin
    private SeqOptions.Training training;

    @Option(names = "--model", paramLabel = "KIND", description = "mr-moe, moe, liquid, lstm or cfc (default: "
        + "${DEFAULT-VALUE}).")
    private String model = "mr-moe";

    @Mixin
    private JsonOption json;

    @Option(names = "--plot", paramLabel = "DIR", description = "Also write DIR/" + SeqPlot.CURVES + " and, for "
        + "mr-moe and moe, DIR/" + SeqPlot.FEATURES + ", DIR/" + SeqPlot.TEMPORAL + " and DIR/" + SeqPlot.EXPERTS
        + ". " + OutputPaths.DIRECTORY_RULE)
    private Path plotDir;

    @Option(names = "--save", paramLabel = "FILE", description = "Save the trained model with its preprocessing, "
        + "feature and class names, for 'aura seq score' (docs/seq.md). " + OutputPaths.FILE_RULE)
    private Path saveFile;

    @Override
    public Integer call() throws Exception {
      SeqModels.Kind kind;
      try {
        kind = SeqModels.Kind.parse(model);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--model: " + e.getMessage());
      }
      SequenceTrainer.Settings settings;
      SeqModels.Knobs knobs;
      try {
        settings = training.settings();
        knobs = modelOptions.knobs(training.seed);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      json.checkPath();
      OutputPaths.checkFile("--save", saveFile);
      OutputPaths.checkDirectory("--plot", plotDir);
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      SeqData d = data.load(spec.commandLine(), training.seed);
      SequenceModel m = SeqModels.build(kind, d.train().features(), d.train().task(), knobs);
      out.println(header(d));
      out.println(SeqModels.describe(kind, m));
      out.flush();
      SeqRun run = SeqRun.train(kind, m, d, settings, training.seed,
          epochPrinter(settings.epochsFor(d.train().size()), err));
      out.println(summary(run));
      out.flush();
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("data", d.source());
      doc.putAll(run.toJson(d.train(), d.test()));
      doc.put("settings", settings(settings, knobs));
      doc.put("machine", SeqBenchCommand.machine());
      json.write(doc, err);
      if (saveFile != null) {
        List<String> classes = d.train().task().kind() == Task.Kind.CLASSIFICATION ? d.train().classNames()
            : List.of();
        new SavedSequenceModel(m, d.preprocessing(), d.raw().featureNames(), classes).save(saveFile);
        err.println("wrote " + saveFile);
      }
      if (plotDir != null) {
        for (Path p : plots(List.of(run), d, plotDir)) {
          err.println("wrote " + p);
        }
      }
      return 0;
    }
  }

  /** The data line of a report. */
  static String header(SeqData d) {
    return String.format(Locale.ROOT, "data: %s, %,d training and %,d test sequences, %d features per step%s, "
        + "%s; longest sequence %d steps%s", d.source(), d.train().size(), d.test().size(), d.train().features(),
        d.preprocessing().elapsedFeature() ? " (the elapsed time among them)" : "",
        d.train().task().kind() == Task.Kind.CLASSIFICATION ? d.train().task().outputs() + " classes"
            : d.train().task().outputs() + " targets",
        Math.max(d.train().maxLength(), d.test().maxLength()),
        d.irregular() ? String.format(Locale.ROOT, "; irregular, median gap %.4g", d.preprocessing().medianGap())
            : "");
  }

  /** Prints each epoch's line on {@code err}. */
  static SequenceTrainer.Listener epochPrinter(int epochs, PrintWriter err) {
    return new SequenceTrainer.Listener() {
      @Override
      public void epoch(SequenceTrainer.Epoch e) {
        SequenceTrainer.Evaluation t = e.test();
        String test = t == null ? "" : Double.isNaN(t.accuracy())
            ? String.format(Locale.ROOT, ", test RMSE %.4f", t.rmse())
            : String.format(Locale.ROOT, ", test accuracy %.4f, AUROC %.4f, AUPRC %.4f", t.accuracy(), t.macroAuroc(),
                t.macroAuprc());
        err.printf(Locale.ROOT, "  epoch %d/%d: loss %.4f%s (%.1f s)%n", e.epoch(), epochs, e.trainLoss(), test,
            e.trainSeconds());
        err.flush();
      }
    };
  }

  /** The result line of one run. */
  static String summary(SeqRun r) {
    SequenceTrainer.Evaluation e = r.result().test();
    String figures = Double.isNaN(e.accuracy())
        ? String.format(Locale.ROOT, "RMSE %.4f, MAE %.4f", e.rmse(), e.mae())
        : String.format(Locale.ROOT, "accuracy %.4f, macro AUROC %.4f, macro AUPRC %.4f", e.accuracy(), e.macroAuroc(),
            e.macroAuprc());
    return String.format(Locale.ROOT, "%s: %s; trained %.1f s, %,.0f sequences/s, %,d parameters", r.kind().label(),
        figures, r.result().trainSeconds(), r.result().sequencesPerSecond(), r.model().parameterCount());
  }

  static Map<String, Object> settings(SequenceTrainer.Settings s, SeqModels.Knobs k) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("epochs", s.epochs());
    m.put("minSteps", s.minSteps());
    m.put("batch", s.batchSize());
    m.put("learningRate", s.learningRate());
    m.put("schedule", s.schedule().name().toLowerCase(Locale.ROOT));
    m.put("clipNorm", s.clipNorm());
    m.put("experts", k.experts());
    m.put("hidden", k.hidden());
    m.put("scaleRatio", k.ratio());
    m.put("topK", k.topK());
    m.put("lstmHidden", k.lstmHidden());
    m.put("seed", k.seed());
    return m;
  }

  /** The pictures of one or more runs on the same data. */
  static List<Path> plots(List<SeqRun> runs, SeqData d, Path dir) throws java.io.IOException {
    List<Path> written = new ArrayList<>();
    Map<String, List<SequenceTrainer.Epoch>> curves = new LinkedHashMap<>();
    for (SeqRun r : runs) {
      curves.put(r.kind().label(), r.result().epochs());
    }
    boolean classification = d.train().task().kind() == Task.Kind.CLASSIFICATION;
    written.add(SeqPlot.curves(curves, classification, dir));
    for (SeqRun r : runs) {
      SeqRun.Readouts ro = r.readouts();
      if (ro == null || r.kind() != runs.getFirst().kind()) {
        continue;
      }
      List<String> experts = new ArrayList<>();
      for (float s : ro.scales()) {
        experts.add(String.format(Locale.ROOT, "x%s", s == Math.rint(s) ? Integer.toString((int) s) : Float.toString(s)));
      }
      List<String> classes = classification ? d.train().classNames() : List.of();
      if (ro.features() != null) {
        written.add(SeqPlot.featureAttention(d.train().featureNames(), ro.features(), classes,
            ro.featuresByClass(), dir));
      }
      if (ro.temporal() != null) {
        written.add(SeqPlot.temporalAttention(experts, ro.temporal(), dir));
      }
      float[][] byClass = new float[classes.size()][experts.size()];
      for (int c = 0; c < classes.size(); c++) {
        double[] s = ro.shares().byClass(c);
        for (int k = 0; k < s.length; k++) {
          byClass[c][k] = (float) s[k];
        }
      }
      written.add(SeqPlot.expertShares(experts, ro.shares().overall(), classes, byClass, dir));
    }
    return written;
  }
}
