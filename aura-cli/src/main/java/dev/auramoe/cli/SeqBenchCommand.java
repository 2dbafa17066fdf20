package dev.auramoe.cli;

import dev.auramoe.cell.CellConfig;
import dev.auramoe.cli.seq.SeqData;
import dev.auramoe.cli.seq.SeqModels;
import dev.auramoe.cli.seq.SeqRun;
import dev.auramoe.cli.seq.TorchPeer;
import dev.auramoe.seq.Adam;
import dev.auramoe.seq.RecurrentModel;
import dev.auramoe.seq.SequenceBatch;
import dev.auramoe.seq.SequenceBatcher;
import dev.auramoe.seq.SequenceModel;
import dev.auramoe.seq.SequenceTrainer;
import dev.auramoe.seq.Task;
import dev.auramoe.seq.TrainableLstm;
import dev.auramoe.seq.data.SequenceDataset;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code aura seq bench}: the four sequence models on Fashion-MNIST's three forms, and the speed against PyTorch. */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = {"Trains mr-moe, moe, liquid and lstm on the same data with the same budget, on Fashion-MNIST as "
        + "sequences in its three forms (plain, irregular, events), and prints accuracy, macro AUROC and AUPRC, "
        + "training time and throughput side by side; then measures the training speed of the liquid cell "
        + "(H 64) and of the LSTM against the PyTorch CPU peer (aura-bench/seq/torch_peer.py, one thread each, "
        + "same data and batch size) in the same run.",
        "The default run is a budget that fits in 15 minutes on a 2-core machine: "
            + SeqBenchCommand.QUICK_TRAIN + " training and " + SeqBenchCommand.QUICK_TEST + " test sequences, "
            + SeqBenchCommand.QUICK_EPOCHS + " epochs. --full trains on all 60,000 and tests on all 10,000 for "
            + SeqBenchCommand.FULL_EPOCHS + " epochs (the acceptance run; hours on 2 cores)."})
public final class SeqBenchCommand implements Callable<Integer> {

  static final int QUICK_TRAIN = 10_000;
  static final int QUICK_TEST = 2_000;
  static final int QUICK_EPOCHS = 3;
  static final int FULL_EPOCHS = 15;

  /** Timed training batches of the speed trial, after the warm-up. */
  static final int TIMED_BATCHES = 40;

  /** The seconds of training a speed trial runs before it starts the clock (the JIT's warm-up). */
  static final double WARM_UP_SECONDS = 8;

  @CommandLine.Spec
  private CommandLine.Model.CommandSpec spec;

  @Option(names = "--full", description = "All 60,000 training and 10,000 test sequences, " + FULL_EPOCHS
      + " epochs: the acceptance run.")
  private boolean full;

  @Option(names = "--forms", paramLabel = "FORMS", split = ",", description = "The forms to run (default: plain, "
      + "irregular, events).")
  private List<SeqData.FashionForm> forms = List.of(SeqData.FashionForm.values());

  @Option(names = "--models", paramLabel = "KINDS", split = ",", description = "The models to run (default: mr-moe, "
      + "moe, liquid, lstm).")
  private List<String> models = List.of("mr-moe", "moe", "liquid", "lstm");

  @Option(names = "--no-peer", description = "Skip the speed comparison with PyTorch.")
  private boolean noPeer;

  @Option(names = "--fashion-mnist-dir", paramLabel = "DIR", description = "Where the Fashion-MNIST IDX files are "
      + "(default: ${DEFAULT-VALUE}).")
  private Path dir = SeqData.FASHION_MNIST;

  @Option(names = "--train-size", paramLabel = "N", description = "Training sequences (default: " + QUICK_TRAIN
      + ", all with --full).")
  private Integer trainSize;

  @Option(names = "--test-size", paramLabel = "N", description = "Test sequences (default: " + QUICK_TEST
      + ", all with --full).")
  private Integer testSize;

  @Option(names = "--epochs", paramLabel = "N", description = "Epochs (default: " + QUICK_EPOCHS + ", "
      + FULL_EPOCHS + " with --full).")
  private Integer epochs;

  @Mixin
  private SeqOptions.Model modelOptions;

  @Option(names = "--lr", paramLabel = "RATE", description = "Adam's learning rate (default: ${DEFAULT-VALUE}).")
  private float lr = SequenceTrainer.Settings.DEFAULT.learningRate();

  @Option(names = "--seed", paramLabel = "S", description = "Seed (default: ${DEFAULT-VALUE}).")
  private long seed = 1;

  @Mixin
  private JsonOption json;

  @Option(names = "--plot", paramLabel = "DIR", description = "Also write the learning curves and the mr-moe "
      + "readouts of each form into DIR/<form>/. " + OutputPaths.DIRECTORY_RULE)
  private Path plotDir;

  @Mixin
  private CheckOption check;

  @Override
  public Integer call() throws Exception {
    List<SeqModels.Kind> kinds = new ArrayList<>();
    try {
      for (String m : models) {
        kinds.add(SeqModels.Kind.parse(m));
      }
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--models: " + e.getMessage());
    }
    int train = trainSize != null ? trainSize : full ? 0 : QUICK_TRAIN;
    int test = testSize != null ? testSize : full ? 0 : QUICK_TEST;
    int ep = epochs != null ? epochs : full ? FULL_EPOCHS : QUICK_EPOCHS;
    SequenceTrainer.Settings settings;
    SeqModels.Knobs knobs;
    try {
      settings = SequenceTrainer.Settings.DEFAULT.withEpochs(ep).withLearningRate(lr).withMinSteps(0);
      knobs = modelOptions.knobs(seed);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    json.checkPath();
    OutputPaths.checkDirectory("--plot", plotDir);
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Map<String, Object> machine = machine();
    out.printf(Locale.ROOT, "aura seq bench: %s; %s%n", full ? "the full run" : "the default run (a subset: --full for "
        + "the acceptance run)", machine.get("cpu"));
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("full", full);
    doc.put("settings", SeqCommand.settings(settings, knobs));
    doc.put("machine", machine);
    List<Map<String, Object>> table = new ArrayList<>();
    Map<String, Map<SeqModels.Kind, SeqRun>> byForm = new LinkedHashMap<>();
    for (SeqData.FashionForm form : forms) {
      SeqData d = SeqData.fashionMnist(dir, form, train, test, seed, CellConfig.DEFAULT, SeqData.ElapsedFeature.AUTO);
      out.println();
      out.println(SeqCommand.header(d));
      out.flush();
      Map<SeqModels.Kind, SeqRun> runs = new LinkedHashMap<>();
      for (SeqModels.Kind kind : kinds) {
        SequenceModel m = SeqModels.build(kind, d.train().features(), d.train().task(), knobs);
        err.println(SeqModels.describe(kind, m));
        SeqRun r = SeqRun.train(kind, m, d, settings, seed,
            SeqCommand.epochPrinter(settings.epochsFor(d.train().size()), err));
        runs.put(kind, r);
        out.println("  " + SeqCommand.summary(r));
        out.flush();
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("form", form.label());
        row.putAll(r.toJson(d.train(), d.test()));
        table.add(row);
      }
      byForm.put(form.label(), runs);
      if (plotDir != null) {
        Path sub = OutputPaths.createDirectory(plotDir).resolve(form.label());
        for (Path p : SeqCommand.plots(new ArrayList<>(runs.values()), d, sub)) {
          err.println("wrote " + p);
        }
      }
    }
    doc.put("runs", table);
    List<String> checks = new ArrayList<>(accuracyChecks(byForm));
    if (!noPeer) {
      Map<String, Object> speed = speed(out, err, checks);
      doc.put("speed", speed);
    }
    out.flush();
    if (!full) {
      err.println("note: the accuracy targets are set for the full run (--full: 60,000 training sequences, "
          + FULL_EPOCHS + " epochs); this run is measured against them all the same");
    }
    boolean ok = CheckOption.print(checks, err);
    doc.put("checks", checks);
    json.write(doc, err);
    return check.exitStatus(ok);
  }

  /** The acceptance checks on the accuracies of the runs that were made. */
  static List<String> accuracyChecks(Map<String, Map<SeqModels.Kind, SeqRun>> byForm) {
    List<String> checks = new ArrayList<>();
    Map<SeqModels.Kind, SeqRun> plain = byForm.get("plain");
    if (plain != null && plain.containsKey(SeqModels.Kind.MR_MOE)) {
      SequenceTrainer.Evaluation e = plain.get(SeqModels.Kind.MR_MOE).result().test();
      checks.add(check(e.accuracy() >= 0.8885, "plain: mr-moe accuracy %.4f >= 0.8885", e.accuracy()));
      checks.add(check(e.macroAuroc() >= 0.9922, "plain: mr-moe macro AUROC %.4f >= 0.9922", e.macroAuroc()));
      checks.add(check(e.macroAuprc() >= 0.9466, "plain: mr-moe macro AUPRC %.4f >= 0.9466", e.macroAuprc()));
      for (Map.Entry<SeqModels.Kind, SeqRun> o : plain.entrySet()) {
        if (o.getKey() != SeqModels.Kind.MR_MOE) {
          double a = o.getValue().result().test().accuracy();
          checks.add(check(e.accuracy() >= a, "plain: mr-moe accuracy %.4f >= %s's %.4f", e.accuracy(),
              o.getKey().label(), a));
        }
      }
    }
    Map<SeqModels.Kind, SeqRun> irregular = byForm.get("irregular");
    if (irregular != null && irregular.containsKey(SeqModels.Kind.MR_MOE) && irregular.containsKey(SeqModels.Kind.LSTM)) {
      double a = irregular.get(SeqModels.Kind.MR_MOE).result().test().accuracy();
      double l = irregular.get(SeqModels.Kind.LSTM).result().test().accuracy();
      checks.add(check(a >= l + 0.01, "irregular: mr-moe accuracy %.4f >= lstm's %.4f + 0.01", a, l));
    }
    Map<SeqModels.Kind, SeqRun> events = byForm.get("events");
    if (events != null && events.containsKey(SeqModels.Kind.MR_MOE) && events.containsKey(SeqModels.Kind.LSTM)) {
      double a = events.get(SeqModels.Kind.MR_MOE).result().test().accuracy();
      double l = events.get(SeqModels.Kind.LSTM).result().test().accuracy();
      checks.add(check(a > l, "events: mr-moe accuracy %.4f > lstm's %.4f", a, l));
    }
    return checks;
  }

  private static String check(boolean ok, String format, Object... args) {
    return (ok ? "PASS " : "FAIL ") + String.format(Locale.ROOT, format, args);
  }

  /**
   * Training sequences per second of the liquid cell (H 64, last state) and of the LSTM (128), ours
   * and the PyTorch peer's, one thread each, on sequential Fashion-MNIST batches of 128.
   */
  private Map<String, Object> speed(PrintWriter out, PrintWriter err, List<String> checks) throws IOException {
    Map<String, Object> speed = new LinkedHashMap<>();
    SeqData d = SeqData.fashionMnist(dir, SeqData.FashionForm.PLAIN, 4096, 128, seed, CellConfig.DEFAULT,
        SeqData.ElapsedFeature.OFF);
    Path script = TorchPeer.script();
    Optional<String> why = TorchPeer.unavailable(script);
    out.println();
    out.println("training speed, one thread, batch 128, sequential Fashion-MNIST (28 steps of 28 features):");
    int batch = 128;
    for (String model : List.of("liquid", "lstm")) {
      SequenceModel m = model.equals("liquid")
          ? RecurrentModel.liquid(CellConfig.DEFAULT.withHidden(64), 28, Task.classification(10), false, seed)
          : new RecurrentModel(new TrainableLstm("lstm", 28, 128, seed), Task.classification(10), false, seed + 1);
      double ours = trial(m, d.train(), batch);
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("oursSequencesPerSecond", ours);
      String peer;
      if (why.isPresent()) {
        peer = "PyTorch peer not run: " + why.get();
        row.put("peer", null);
      } else {
        TorchPeer.Measurement pm = TorchPeer.run(script, model, 1, batch, TIMED_BATCHES, List.of());
        row.put("peerSequencesPerSecond", pm.sequencesPerSecond());
        row.put("peer", pm.json());
        double ratio = ours / pm.sequencesPerSecond();
        row.put("ratio", ratio);
        peer = String.format(Locale.ROOT, "PyTorch %s %,.0f sequences/s, ratio %.2f", pm.json().path("torchVersion")
            .asText(), pm.sequencesPerSecond(), ratio);
        if (model.equals("liquid")) {
          checks.add(check(ratio >= 3, "speed: the liquid cell trains %.2f times as fast as PyTorch's (>= 3)", ratio));
        }
      }
      out.printf(Locale.ROOT, "  %-7s ours %,.0f sequences/s; %s%n", model, ours, peer);
      out.flush();
      speed.put(model, row);
    }
    return speed;
  }

  /** Our training sequences per second: a warm-up of {@link #WARM_UP_SECONDS}, then {@link #TIMED_BATCHES} batches. */
  static double trial(SequenceModel m, SequenceDataset data, int batch) {
    SequenceBatcher b = new SequenceBatcher(data, 3);
    SequenceBatch sb = new SequenceBatch(data.features(), 0);
    Adam adam = new Adam(m.parameters(), Adam.Settings.DEFAULT);
    long warm = System.nanoTime() + (long) (WARM_UP_SECONDS * 1e9);
    b.start(true);
    while (System.nanoTime() < warm) {
      if (b.next(sb, batch) < batch) {
        b.start(true);
        continue;
      }
      m.trainStep(sb, adam, 1.0);
    }
    long nanos = 0;
    int done = 0;
    while (done < TIMED_BATCHES) {
      int rows = b.next(sb, batch);
      if (rows < batch) {
        b.start(true);
        continue;
      }
      long t0 = System.nanoTime();
      m.trainStep(sb, adam, 1.0);
      nanos += System.nanoTime() - t0;
      done++;
    }
    return (double) done * batch / (nanos / 1e9);
  }

  /** The machine: CPU model, cores, load average. */
  static Map<String, Object> machine() {
    Map<String, Object> m = new LinkedHashMap<>();
    String cpu = "unknown CPU";
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          cpu = line.substring(line.indexOf(':') + 1).strip();
          break;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux: the JVM's view only
    }
    m.put("cpu", cpu + ", " + Runtime.getRuntime().availableProcessors() + " CPUs");
    double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    m.put("loadAverage", load < 0 ? null : load);
    m.put("java", System.getProperty("java.runtime.version"));
    return m;
  }
}
