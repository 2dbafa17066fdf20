package dev.auramoe.cli;

import dev.auramoe.cell.CellConfig;
import dev.auramoe.cli.seq.SeqData;
import dev.auramoe.cli.seq.SeqModels;
import dev.auramoe.seq.SequenceTrainer;
import dev.auramoe.seq.data.LongCsv;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** The options the sequence commands share: the data, the models' knobs and the training budget (picocli mixins). */
final class SeqOptions {

  private SeqOptions() {}

  /** Where the data come from. */
  static final class Data {

    @Option(names = "--train", paramLabel = "FILE", description = "Training set, long-format CSV: one row per time "
        + "step with an id column, an optional time column, feature columns and a label column (docs/seq.md).")
    Path train;

    @Option(names = "--test", paramLabel = "FILE", description = "Test set in the training set's format.")
    Path test;

    @Option(names = "--fashion-mnist", paramLabel = "FORM", description = "Fashion-MNIST as sequences instead of "
        + "files: plain (28 rows as 28 steps), irregular (a seeded 30% of the rows dropped, elapsed times given) or "
        + "events (the changes of the binarised pixels, with elapsed times). From " + "'"
        + SeqData.FASHION_MNIST_HINT + "'.")
    SeqData.FashionForm fashionMnist;

    @Option(names = "--fashion-mnist-dir", paramLabel = "DIR", description = "Where the Fashion-MNIST IDX files "
        + "are (default: ${DEFAULT-VALUE}).")
    Path fashionMnistDir = SeqData.FASHION_MNIST;

    @Option(names = "--train-size", paramLabel = "N", description = "Train on a seeded subset of N sequences "
        + "(default: all).")
    int trainSize;

    @Option(names = "--test-size", paramLabel = "N", description = "Test on a seeded subset of N sequences "
        + "(default: all).")
    int testSize;

    @Option(names = "--id", paramLabel = "COL", description = "The CSV's id column (default: ${DEFAULT-VALUE}).")
    String id = "id";

    @Option(names = "--time", paramLabel = "COL", description = "The CSV's time column, increasing within an id; "
        + "its differences are the elapsed times (default: none, regular sampling).")
    String time;

    @Option(names = "--label", paramLabel = "COL", description = "The CSV's label column, a class name or number "
        + "(default: ${DEFAULT-VALUE}).")
    String label = "label";

    @Option(names = "--first-elapsed", paramLabel = "GAP", description = "With --time, the gap before each "
        + "sequence's first step, in the time column's unit (default: none, the regular step).")
    Float firstElapsed;

    @Option(names = "--target", paramLabel = "COL", split = ",", description = "Regression target column(s) "
        + "instead of a label.")
    List<String> targets;

    @Option(names = "--features", paramLabel = "COLS", split = ",", description = "The CSV's feature columns "
        + "(default: every other column).")
    List<String> features;

    @Option(names = "--elapsed-feature", paramLabel = "WHEN", description = "Give the models each step's elapsed "
        + "time as one more feature: auto (when the data have elapsed times), on, off (default: ${DEFAULT-VALUE}).")
    SeqData.ElapsedFeature elapsedFeature = SeqData.ElapsedFeature.AUTO;

    /** Reads the data; {@code seed} draws the subsets and the irregular form's drops. */
    SeqData load(CommandLine cl, long seed) throws IOException {
      if (fashionMnist != null && (train != null || test != null)) {
        throw new CommandLine.ParameterException(cl, "give either --fashion-mnist or --train and --test, not both");
      }
      if (trainSize < 0 || testSize < 0) {
        throw new CommandLine.ParameterException(cl, "--train-size and --test-size must be >= 0");
      }
      if (fashionMnist != null) {
        return SeqData.fashionMnist(fashionMnistDir, fashionMnist, trainSize, testSize, seed, CellConfig.DEFAULT,
            elapsedFeature);
      }
      if (train == null || test == null) {
        throw new CommandLine.ParameterException(cl, "give --train FILE and --test FILE (long-format CSV), or "
            + "--fashion-mnist plain|irregular|events");
      }
      LongCsv.Options o = LongCsv.Options.defaults().withId(id);
      if (time != null) {
        o = o.withTime(time);
      }
      if (firstElapsed != null) {
        if (time == null) {
          throw new CommandLine.ParameterException(cl, "--first-elapsed needs --time");
        }
        o = o.withFirstElapsed(firstElapsed);
      }
      if (targets != null && !targets.isEmpty()) {
        o = o.withTargets(targets);
      } else {
        o = o.withLabel(label);
      }
      if (features != null && !features.isEmpty()) {
        o = o.withFeatures(features);
      }
      return SeqData.csv(train, test, o, trainSize, testSize, seed, CellConfig.DEFAULT, elapsedFeature);
    }
  }

  /** The models' knobs. */
  static final class Model {

    @Option(names = "--experts", paramLabel = "N", description = "Liquid experts of the mixtures (default: "
        + "${DEFAULT-VALUE}).")
    int experts = SeqModels.Knobs.DEFAULT.experts();

    @Option(names = "--hidden", paramLabel = "H", description = "Units per expert (default: ${DEFAULT-VALUE}).")
    int hidden = SeqModels.Knobs.DEFAULT.hidden();

    @Option(names = "--scale-ratio", paramLabel = "R", description = "Ratio of consecutive experts' time scales in "
        + "the multi-rate mixture: scales 1, R, R^2, ... (default: ${DEFAULT-VALUE}).")
    float ratio = SeqModels.Knobs.DEFAULT.ratio();

    @Option(names = "--top-k", paramLabel = "K", description = "Keep K experts per sequence (a sparse gate "
        + "balanced without a loss); 0 for the soft gate (default: ${DEFAULT-VALUE}).")
    int topK = SeqModels.Knobs.DEFAULT.topK();

    @Option(names = "--lstm-hidden", paramLabel = "H", description = "The LSTM's units (default: ${DEFAULT-VALUE}).")
    int lstmHidden = SeqModels.Knobs.DEFAULT.lstmHidden();

    SeqModels.Knobs knobs(long seed) {
      return new SeqModels.Knobs(experts, hidden, ratio, topK, lstmHidden, seed);
    }
  }

  /** The training budget. */
  static final class Training {

    @Option(names = "--epochs", paramLabel = "N", description = "Passes over the training set (default: "
        + "${DEFAULT-VALUE}).")
    int epochs = SequenceTrainer.Settings.DEFAULT.epochs();

    @Option(names = "--batch", paramLabel = "N", description = "Sequences per mini-batch (default: "
        + "${DEFAULT-VALUE}).")
    int batch = SequenceTrainer.Settings.DEFAULT.batchSize();

    @Option(names = "--lr", paramLabel = "RATE", description = "Adam's learning rate, decayed on a cosine to a tenth "
        + "of it (default: ${DEFAULT-VALUE}).")
    float lr = SequenceTrainer.Settings.DEFAULT.learningRate();

    @Option(names = "--clip", paramLabel = "NORM", description = "Global gradient-norm bound (default: "
        + "${DEFAULT-VALUE}).")
    double clip = SequenceTrainer.Settings.DEFAULT.clipNorm();

    @Option(names = "--min-steps", paramLabel = "N", description = "Train at least N optimiser steps: a small "
        + "training set gets more epochs than --epochs (default: ${DEFAULT-VALUE}).")
    int minSteps = SequenceTrainer.Settings.DEFAULT.minSteps();

    @Option(names = "--seed", paramLabel = "S", description = "Seed of the weights, the batches and the subsets "
        + "(default: ${DEFAULT-VALUE}).")
    long seed = 1;

    SequenceTrainer.Settings settings() {
      return new SequenceTrainer.Settings(epochs, batch, lr, 0f, clip, SequenceTrainer.Schedule.COSINE, minSteps);
    }
  }
}
