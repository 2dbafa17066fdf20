package dev.auramoe.cli;

import dev.auramoe.seq.SequenceTrainer;
import dev.auramoe.snn.Encoding;
import dev.auramoe.snn.EnergyProfile;
import dev.auramoe.snn.LifConfig;
import dev.auramoe.snn.Operations;
import dev.auramoe.snn.SavedSpikingModel;
import dev.auramoe.snn.SpikingMoE;
import dev.auramoe.snn.data.ChannelStandardisation;
import dev.auramoe.snn.data.ImageBatcher;
import dev.auramoe.snn.data.ImageDataset;
import dev.auramoe.snn.data.ImageFiles;
import dev.auramoe.snn.data.ImageShape;
import dev.auramoe.balance.BalanceConfig;
import dev.auramoe.cli.snn.SpikingPlot;
import dev.auramoe.seq.data.Standardisation;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
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

/** {@code aura spiking}: the spiking mixture of experts for images. */
@Command(name = "spiking", mixinStandardHelpOptions = true, subcommands = {SpikingCommand.Train.class, SpikingCommand.Bench.class, SpikingCommand.Classify.class},
    description = "The spiking mixture of experts for images (SpikingMoE): a spike-driven Transformer whose MLP "
        + "block is a mixture of spiking experts chosen by a router that reads spikes and only accumulates, with "
        + "energy estimates from counted operations. 'aura spiking train' trains it and its dense twin and reports "
        + "accuracy beside estimated energy per image (docs/snn.md).")
public final class SpikingCommand implements Runnable {

  /** Where Debian's dataset-fashion-mnist puts the IDX files. */
  static final Path FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");

  /** The time steps of the accuracy-against-energy sweep. */
  static final int[] SWEEP = {1, 2, 4, 8};

  @CommandLine.Spec
  private CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "name a subcommand: train, bench, classify");
  }

  /** {@code aura spiking train}. */
  @Command(name = "train", mixinStandardHelpOptions = true,
      description = {"Trains the spiking MoE and its dense twin (the same architecture with ReLU, one step and a "
          + "softmax-weighted mixture) with the same budget: Adam, cosine decay, gradient clipping. Scores both on "
          + "the test set and estimates each one's energy per image from its counted operations (multiply-"
          + "accumulates and synaptic accumulates) on a device profile; sweeps the spiking model's time steps "
          + "over 1, 2, 4 and 8 for the accuracy-against-energy picture.",
          "Data: a directory of IDX files (train-* and t10k-*, gzip or not; Fashion-MNIST by default) or CSV files "
              + "with a label column and one column per pixel, channels first. Pixels are standardised per "
              + "channel with the training set's statistics."})
  static class Train implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--train", paramLabel = "FILE|DIR", description = "Training images: an IDX directory or a CSV "
        + "file (default: ${DEFAULT-VALUE}).")
    private Path train = FASHION_MNIST;

    @Option(names = "--test", paramLabel = "FILE|DIR", description = "Test images, the same kind (default: the "
        + "training directory's t10k files).")
    private Path test;

    @Option(names = "--shape", paramLabel = "CxHxW", description = "The CSV images' shape, C x H x W or H x W "
        + "(default: inferred from a square number of pixel columns).")
    private String shape;

    @Option(names = "--pixel-max", paramLabel = "MAX", description = "Divide CSV pixels by MAX and refuse values "
        + "outside [0, MAX] (default: none).")
    private Double pixelMax;

    @Option(names = "--train-size", paramLabel = "N", description = "Train on a seeded subset of N images "
        + "(default: all for train; 10,000 for bench unless --full).")
    Integer trainSize;

    @Option(names = "--test-size", paramLabel = "N", description = "Test on a seeded subset of N images "
        + "(default: all).")
    Integer testSize;

    @Option(names = "--epochs", paramLabel = "N", description = "Passes over the training set (default: "
        + "${DEFAULT-VALUE}).")
    int epochs = 10;

    @Option(names = "--batch", paramLabel = "N", description = "Images per mini-batch (default: ${DEFAULT-VALUE}).")
    private int batch = 64;

    @Option(names = "--lr", paramLabel = "RATE", description = "Adam's learning rate, decayed on a cosine to a "
        + "tenth (default: ${DEFAULT-VALUE}).")
    private float lr = 2e-3f;

    @Option(names = "--steps", paramLabel = "T", description = "Time steps the spiking model sees each image "
        + "(default: ${DEFAULT-VALUE}).")
    private int steps = 4;

    @Option(names = "--experts", paramLabel = "E", description = "Experts (default: ${DEFAULT-VALUE}).")
    private int experts = 4;

    @Option(names = "--top-k", paramLabel = "K", description = "Experts per token (default: ${DEFAULT-VALUE}).")
    private int topK = 2;

    @Option(names = "--dim", paramLabel = "D", description = "Channels of the tokens (default: ${DEFAULT-VALUE}).")
    private int dim = 64;

    @Option(names = "--stem", paramLabel = "C", description = "Channels of the first convolution (default: "
        + "${DEFAULT-VALUE}).")
    private int stem = 16;

    @Option(names = "--expert-hidden", paramLabel = "H", description = "Each expert's hidden width (default: "
        + "${DEFAULT-VALUE}).")
    private int expertHidden = 128;

    @Option(names = "--profile", paramLabel = "NAME", description = "Energy profile: horowitz-45nm, loihi or "
        + "truenorth (default: ${DEFAULT-VALUE}).")
    private String profile = "horowitz-45nm";

    @Option(names = "--balance", paramLabel = "MODE", description = "The router's load balancing: default (the "
        + "core's bias, capped at 0.05: evens the load among experts the router finds alike), even (capped at 1: "
        + "even load first) or off (default: ${DEFAULT-VALUE}).")
    private String balance = "default";

    @Option(names = "--encoding", paramLabel = "KIND", description = "How the spiking model presents an image: direct "
        + "(standardised pixels as a current, the same at every step; the first convolution multiplies) or rate "
        + "(pixel intensities in [0, 1] as Bernoulli spikes, drawn anew at every step; every operation accumulates; "
        + "needs more steps) (default: ${DEFAULT-VALUE}).")
    private String encoding = "direct";

    @Option(names = "--no-twin", description = "Skip the dense twin.")
    private boolean noTwin;

    @Option(names = "--seed", paramLabel = "S", description = "Seed of the weights, the batches and the subsets "
        + "(default: ${DEFAULT-VALUE}).")
    private long seed = 1;

    @Mixin
    private JsonOption json;

    @Option(names = "--save", paramLabel = "FILE", description = "Save the trained spiking model with its "
        + "standardisation and class names, for 'aura spiking classify'. " + OutputPaths.FILE_RULE)
    private Path saveFile;

    @Option(names = "--plot", paramLabel = "DIR", description = "Also write DIR/" + SpikingPlot.ENERGY + ", DIR/"
        + SpikingPlot.FIRING + " and DIR/" + SpikingPlot.USAGE + ". " + OutputPaths.DIRECTORY_RULE)
    private Path plotDir;

    @Override
    public Integer call() throws Exception {
      EnergyProfile energy;
      BalanceConfig balancing;
      Encoding encoder;
      SequenceTrainer.Settings settings;
      ImageFiles.Options options = ImageFiles.Options.defaults();
      if (train.equals(FASHION_MNIST)) {
        options = options.withClasses(dev.auramoe.stream.io.FashionMnist.CLASS_NAMES);
      }
      try {
        energy = EnergyProfile.preset(profile);
        balancing = balanceConfig(balance);
        encoder = switch (encoding) {
          case "direct" -> Encoding.DIRECT;
          case "rate" -> Encoding.RATE;
          default -> throw new IllegalArgumentException("--encoding must be direct or rate, got '" + encoding + "'");
        };
        settings = new SequenceTrainer.Settings(epochs, batch, lr, 0f, 1.0, SequenceTrainer.Schedule.COSINE, 0);
        if (trainSize != null && trainSize <= 0 || testSize != null && testSize <= 0) {
          throw new IllegalArgumentException("--train-size and --test-size must be > 0");
        }
        if (shape != null) {
          options = options.withShape(ImageShape.parse(shape));
        }
        if (pixelMax != null) {
          options = options.withPixelMax(pixelMax);
        }
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      json.checkPath();
      OutputPaths.checkDirectory("--plot", plotDir);
      OutputPaths.checkFile("--save", saveFile);
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      ImageDataset trainSet = read(train, ImageFiles.Split.TRAIN, options);
      Path testPath = test != null ? test : train;
      if (test == null && !Files.isDirectory(train)) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--test is needed with a training file");
      }
      ImageDataset testSet = read(testPath, ImageFiles.Split.TEST, options.matching(trainSet));
      trainSet = subset(trainSet, trainSize, seed);
      testSet = subset(testSet, testSize, seed + 1);
      Standardisation z;
      if (encoder == Encoding.RATE) {
        try {
          ChannelStandardisation.checkIntensities(trainSet);
          ChannelStandardisation.checkIntensities(testSet);
        } catch (IllegalArgumentException e) {
          throw new CommandLine.ParameterException(spec.commandLine(), "--encoding rate: " + e.getMessage());
        }
        z = ChannelStandardisation.identity(trainSet.shape().channels());
      } else {
        z = ChannelStandardisation.fit(trainSet);
        trainSet = ChannelStandardisation.apply(z, trainSet);
        testSet = ChannelStandardisation.apply(z, testSet);
      }
      ImageShape s = trainSet.shape();
      SpikingMoE.Config cfg;
      try {
        cfg = new SpikingMoE.Config(s.channels(), s.height(), s.width(), trainSet.classes(), steps, stem, dim, experts,
            topK, expertHidden, LifConfig.DEFAULT, balancing, true, seed, encoder);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      out.printf(Locale.ROOT, "data: %s, %,d training and %,d test images of %s, %d classes%n", train,
          trainSet.size(), testSet.size(), s, trainSet.classes());
      out.flush();
      Map<String, Object> doc = new LinkedHashMap<>();
      Result spiking = run("spiking MoE", new SpikingMoE(cfg), trainSet, testSet, settings, energy, out, err);
      Map<String, Double> firing = spiking.model.firingRates();
      long[][] usage = spiking.model.expertUsage();
      List<Map<String, Object>> sweep = new ArrayList<>();
      List<SpikingPlot.Point> points = new ArrayList<>();
      for (int t : SWEEP) {
        Result r = t == steps ? spiking : evaluate(spiking.model, t, testSet, settings, energy);
        points.add(new SpikingPlot.Point(Integer.toString(t), r.accuracy, r.joules));
        sweep.add(Map.of("steps", t, "accuracy", r.accuracy, "energyPerSampleJoules", r.joules,
            "synapticOpsPerSample", r.ops.accumulates()));
        out.printf(Locale.ROOT, "  T = %d: accuracy %.4f, %s per image%n", t, r.accuracy, joules(r.joules));
      }
      spiking.model.setSteps(steps);
      if (saveFile != null) {
        new SavedSpikingModel(spiking.model, z, trainSet.classNames(), pixelMax == null ? Double.NaN : pixelMax)
            .save(saveFile);
        err.println("wrote " + saveFile);
      }
      doc.put("encoding", encoding);
      doc.put("balance", balance);
      doc.put("accuracy", spiking.accuracy);
      doc.put("macroAuroc", spiking.eval.macroAuroc());
      doc.put("macroAuprc", spiking.eval.macroAuprc());
      doc.put("synapticOpsPerSample", spiking.ops.accumulates());
      doc.put("macsPerSample", spiking.ops.macs());
      doc.put("energyPerSampleJoules", spiking.joules);
      doc.put("routerEnergyPerSampleJoules", spiking.routerJoules);
      doc.put("trainSeconds", spiking.trainSeconds);
      doc.put("imagesPerSecond", spiking.imagesPerSecond);
      doc.put("parameters", spiking.model.parameterCount());
      doc.put("firingRates", firing);
      doc.put("expertUsageByClass", usageJson(trainSet.classNames(), usage));
      double[] load = load(usage);
      double max = 0;
      double entropy = 0;
      for (double l : load) {
        max = Math.max(max, l);
        entropy -= l > 0 ? l * Math.log(l) : 0;
      }
      doc.put("expertLoad", load);
      doc.put("maxMeanLoad", max * load.length);
      doc.put("loadEntropyNats", entropy);
      out.printf(Locale.ROOT, "  routing: expert load %s, max/mean %.3f, entropy %.3f of %.3f nats%n",
          java.util.Arrays.toString(java.util.Arrays.stream(load).map(l -> Math.round(l * 1000) / 1000.0).toArray()),
          max * load.length, entropy, Math.log(load.length));
      SpikingPlot.Point twinPoint = null;
      if (!noTwin) {
        ImageDataset twinTrain = trainSet;
        ImageDataset twinTest = testSet;
        if (encoder == Encoding.RATE) {
          // The twin reads pixels as a current, standardised as direct encoding reads them: like for like.
          Standardisation zt = ChannelStandardisation.fit(trainSet);
          twinTrain = ChannelStandardisation.apply(zt, trainSet);
          twinTest = ChannelStandardisation.apply(zt, testSet);
        }
        Result twin = run("dense twin", new SpikingMoE(cfg.twin()), twinTrain, twinTest, settings, energy, out, err);
        doc.put("denseAccuracy", twin.accuracy);
        doc.put("denseEnergyPerSampleJoules", twin.joules);
        doc.put("denseRouterEnergyPerSampleJoules", twin.routerJoules);
        doc.put("denseMacsPerSample", twin.ops.macs());
        doc.put("denseTrainSeconds", twin.trainSeconds);
        twinPoint = new SpikingPlot.Point("dense twin", twin.accuracy, twin.joules);
        out.printf(Locale.ROOT, "spiking MoE %.4f vs dense twin %.4f (%+.2f points); energy %s vs %s per image "
            + "(%.2fx); router %s vs %s (%.3fx)%n", spiking.accuracy, twin.accuracy,
            100 * (spiking.accuracy - twin.accuracy), joules(spiking.joules), joules(twin.joules),
            spiking.joules / twin.joules, joules(spiking.routerJoules), joules(twin.routerJoules),
            spiking.routerJoules / twin.routerJoules);
      }
      doc.put("timeStepSweep", sweep);
      doc.put("energyProfile", Map.of("name", energy.name(), "basis", energy.basis(),
          "picojoulesPerMac", energy.mac().picojoulesPerMac(),
          "picojoulesPerAccumulate", energy.accumulate().picojoulesPerMac(),
          "note", "an estimate: arithmetic only (no memory traffic, no neuron-state updates), batch normalisation "
              + "folded into the weights"));
      doc.put("settings", Map.of("epochs", epochs, "batch", batch, "learningRate", lr, "steps", steps,
          "experts", experts, "topK", topK, "dim", dim, "stem", stem, "expertHidden", expertHidden, "seed", seed));
      doc.put("machine", SeqBenchCommand.machine());
      json.write(doc, err);
      if (plotDir != null) {
        err.println("wrote " + SpikingPlot.energy(points, twinPoint, energy.name(), plotDir));
        err.println("wrote " + SpikingPlot.firingRates(firing, plotDir));
        err.println("wrote " + SpikingPlot.expertUsage(trainSet.classNames(), usage, plotDir));
      }
      return 0;
    }

    /** Each expert's share of all routed tokens. */
    private static double[] load(long[][] usage) {
      double[] load = new double[usage.length == 0 ? 0 : usage[0].length];
      double total = 0;
      for (long[] row : usage) {
        for (int e = 0; e < row.length; e++) {
          load[e] += row[e];
          total += row[e];
        }
      }
      for (int e = 0; e < load.length; e++) {
        load[e] = total == 0 ? 0 : load[e] / total;
      }
      return load;
    }

    private static Map<String, Object> usageJson(List<String> classes, long[][] usage) {
      Map<String, Object> m = new LinkedHashMap<>();
      for (int c = 0; c < usage.length; c++) {
        List<Long> row = new ArrayList<>();
        for (long u : usage[c]) {
          row.add(u);
        }
        m.put(classes.get(c), row);
      }
      return m;
    }

    private ImageDataset read(Path p, ImageFiles.Split split, ImageFiles.Options o) throws IOException {
      try {
        return ImageFiles.read(p, split, o);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
    }

    private static BalanceConfig balanceConfig(String mode) {
      return switch (mode) {
        case "default" -> BalanceConfig.DEFAULT;
        case "even" -> BalanceConfig.EVEN_LOAD;
        case "off" -> BalanceConfig.OFF;
        default -> throw new IllegalArgumentException("--balance must be default, even or off, got '" + mode + "'");
      };
    }

    private static ImageDataset subset(ImageDataset d, Integer n, long seed) {
      if (n == null || n >= d.size()) {
        return d;
      }
      return d.subset(dev.auramoe.seq.data.Samples.sorted(d.size(), n, seed));
    }
  }

  /** {@code aura spiking bench}: {@code train} on a subset by default, the full run with {@code --full}. */
  @Command(name = "bench", mixinStandardHelpOptions = true,
      description = {"The spiking MoE against its dense twin on Fashion-MNIST (or the given images): 'aura spiking "
          + "train' on a seeded subset of 10,000 training images for 3 epochs by default (all 10,000 test images), "
          + "about 10 minutes on 2 cores; --full trains on every image for 10 epochs (the acceptance run, about "
          + "an hour and a quarter)."})
  static final class Bench extends Train {

    @Option(names = "--full", description = "Every training image and 10 epochs (unless --train-size or --epochs "
        + "say otherwise): the acceptance run.")
    private boolean full;

    Bench() {
      trainSize = 10_000;
      epochs = 3;
    }

    @Override
    public Integer call() throws Exception {
      if (full) {
        CommandLine.ParseResult given = spec.commandLine().getParseResult();
        if (!given.hasMatchedOption("--train-size")) {
          trainSize = null;
        }
        if (!given.hasMatchedOption("--epochs")) {
          epochs = 10;
        }
      }
      return super.call();
    }
  }

  /** {@code aura spiking classify}. */
  @Command(name = "classify", mixinStandardHelpOptions = true,
      description = "Classifies images with a model saved by 'aura spiking train --save': writes one CSV line per "
          + "image (its index, the predicted class, its probability, and the true label) and the accuracy. A CSV "
          + "file is read as the training file was (the saved model keeps its --pixel-max).")
  static final class Classify implements Callable<Integer> {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "FILE", description = "The saved model.")
    private Path modelFile;

    @Option(names = "--input", required = true, paramLabel = "FILE|DIR", description = "Images: a CSV file with "
        + "the training file's columns, or an IDX directory (its t10k files).")
    private Path input;

    @Option(names = "--batch", paramLabel = "N", description = "Images per batch (default: ${DEFAULT-VALUE}).")
    private int batch = 256;

    @Override
    public Integer call() throws Exception {
      if (batch <= 0) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--batch must be > 0, got " + batch);
      }
      SavedSpikingModel saved;
      try {
        saved = SavedSpikingModel.load(modelFile);
      } catch (java.nio.file.NoSuchFileException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--model: no such file: " + modelFile);
      }
      SpikingMoE m = saved.model();
      SpikingMoE.Config c = m.config();
      ImageFiles.Options o = ImageFiles.Options.defaults().withShape(new ImageShape(c.channels(), c.height(),
          c.width())).withClasses(saved.classNames());
      if (!Double.isNaN(saved.pixelMax())) {
        // The training file's divisor, saved with the model: a CSV file is read as the training one was.
        o = o.withPixelMax(saved.pixelMax());
      }
      ImageDataset images;
      try {
        images = ChannelStandardisation.apply(saved.standardisation(), ImageFiles.read(input,
            ImageFiles.Split.TEST, o));
        if (c.encoding() == Encoding.RATE) {
          ChannelStandardisation.checkIntensities(images);
        }
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--input: " + e.getMessage());
      }
      PrintWriter out = spec.commandLine().getOut();
      out.println("image,predicted,probability,label");
      ImageBatcher source = new ImageBatcher(images, 0);
      dev.auramoe.seq.SequenceBatch b = new dev.auramoe.seq.SequenceBatch(images.shape().size(), 0);
      float[] p = new float[batch * c.classes()];
      source.start(false);
      int seen = 0;
      int right = 0;
      int n;
      while ((n = source.next(b, batch)) > 0) {
        m.predict(b, p);
        for (int i = 0; i < n; i++) {
          int best = 0;
          for (int k = 1; k < c.classes(); k++) {
            best = p[i * c.classes() + k] > p[i * c.classes() + best] ? k : best;
          }
          int label = b.labels()[i];
          right += best == label ? 1 : 0;
          out.printf(Locale.ROOT, "%d,%s,%.4f,%s%n", seen + i, saved.classNames().get(best),
              p[i * c.classes() + best], saved.classNames().get(label));
        }
        seen += n;
      }
      out.flush();
      spec.commandLine().getErr().printf(Locale.ROOT, "%,d images, accuracy %.4f%n", seen, (double) right / seen);
      return 0;
    }
  }

  /** One trained model's figures on the test set. */
  private record Result(SpikingMoE model, SequenceTrainer.Evaluation eval, double accuracy, Operations ops,
      double joules, double routerJoules, double trainSeconds, double imagesPerSecond) {}

  private static Result run(String label, SpikingMoE model, ImageDataset train, ImageDataset test,
      SequenceTrainer.Settings settings, EnergyProfile energy, PrintWriter out, PrintWriter err) {
    out.printf(Locale.ROOT, "%s: %,d parameters, T = %d%n", label, model.parameterCount(), model.steps());
    out.flush();
    SequenceTrainer trainer = new SequenceTrainer(settings);
    SequenceTrainer.Result r = trainer.train(model, new ImageBatcher(train, model.config().seed()),
        new ImageBatcher(test, 0), SeqCommand.epochPrinter(settings.epochs(), err));
    Result e = evaluate(model, model.steps(), test, settings, energy);
    out.printf(Locale.ROOT, "  %s: accuracy %.4f, %s per image (router %s), %,.0f synaptic operations and %,.0f "
        + "MACs per image; trained %.1f s, %,.0f images/s%n", label, e.accuracy, joules(e.joules),
        joules(e.routerJoules), e.ops.accumulates(), e.ops.macs(), r.trainSeconds(), r.sequencesPerSecond());
    out.flush();
    return new Result(model, e.eval, e.accuracy, e.ops, e.joules, e.routerJoules, r.trainSeconds(),
        r.sequencesPerSecond());
  }

  private static Result evaluate(SpikingMoE model, int steps, ImageDataset test, SequenceTrainer.Settings settings,
      EnergyProfile energy) {
    if (model.config().spiking()) {
      model.setSteps(steps);
    }
    model.resetCounts();
    SequenceTrainer.Evaluation e = SequenceTrainer.evaluate(model, new ImageBatcher(test, 0), settings.batchSize());
    Operations ops = model.operations();
    return new Result(model, e, e.accuracy(), ops, energy.joules(ops), energy.joules(model.routerOperations()),
        Double.NaN, Double.NaN);
  }

  /** Joules in the unit that suits them. */
  static String joules(double j) {
    if (j >= 1e-3) {
      return String.format(Locale.ROOT, "%.3f mJ", j * 1e3);
    }
    if (j >= 1e-6) {
      return String.format(Locale.ROOT, "%.3f uJ", j * 1e6);
    }
    return String.format(Locale.ROOT, "%.3f nJ", j * 1e9);
  }
}
