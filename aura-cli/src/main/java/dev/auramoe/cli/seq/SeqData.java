package dev.auramoe.cli.seq;

import dev.auramoe.cell.CellConfig;
import dev.auramoe.seq.data.ImageSequences;
import dev.auramoe.seq.data.LongCsv;
import dev.auramoe.seq.data.Preprocessing;
import dev.auramoe.seq.data.SequenceDataset;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The data of a sequence command: a training and a test set, from long-format CSV files or from
 * Fashion-MNIST in one of its three forms, optionally cut to seeded subsets, and the preprocessing
 * fitted on the training set ({@link Preprocessing}).
 *
 * @param source what the data is, for reports
 * @param raw the training set as read
 * @param train the training set as the models see it
 * @param test the test set as the models see it
 * @param preprocessing fitted on the raw training set
 */
public record SeqData(String source, SequenceDataset raw, SequenceDataset train, SequenceDataset test,
    Preprocessing preprocessing) {

  /** Where Debian's dataset-fashion-mnist puts the IDX files. */
  public static final Path FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");

  /** The install hint when they are missing. */
  public static final String FASHION_MNIST_HINT = "apt-get install -y dataset-fashion-mnist";

  /** Whether the elapsed time becomes a feature: always, never, or when the data have elapsed times. */
  public enum ElapsedFeature { AUTO, ON, OFF }

  /** The Fashion-MNIST forms by name. */
  public enum FashionForm {
    PLAIN, IRREGULAR, EVENTS;

    ImageSequences.Form form(long seed) {
      return switch (this) {
        case PLAIN -> ImageSequences.Form.plain();
        case IRREGULAR -> ImageSequences.Form.irregular(seed);
        case EVENTS -> ImageSequences.Form.events();
      };
    }

    /** The name used on the command line and in reports. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * Fashion-MNIST in a form.
   *
   * @param trainSize the number of training sequences kept (a seeded subset), or 0 for all 60,000
   * @param testSize the number of test sequences kept, or 0 for all 10,000
   * @param seed the irregular form's drops and the subsets
   */
  public static SeqData fashionMnist(Path dir, FashionForm form, int trainSize, int testSize, long seed,
      CellConfig cell, ElapsedFeature elapsed) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("no Fashion-MNIST at " + dir + ": " + FASHION_MNIST_HINT);
    }
    SequenceDataset train = subset(ImageSequences.fashionMnistTrain(dir, form.form(seed)), trainSize, seed);
    SequenceDataset test = subset(ImageSequences.fashionMnistTest(dir, form.form(seed)), testSize, seed + 1);
    return of("fashion-mnist " + form.label(), train, test, cell, elapsed);
  }

  /** Long-format CSV files; the test file is read with the training file's class names. */
  public static SeqData csv(Path trainFile, Path testFile, LongCsv.Options options, int trainSize, int testSize,
      long seed, CellConfig cell, ElapsedFeature elapsed) throws IOException {
    SequenceDataset train = LongCsv.read(trainFile, options);
    LongCsv.Options testOptions = train.task().kind() == dev.auramoe.seq.Task.Kind.CLASSIFICATION
        ? options.withClasses(train.classNames()) : options;
    SequenceDataset test = LongCsv.read(testFile, testOptions);
    if (!test.featureNames().equals(train.featureNames())) {
      throw new IllegalArgumentException(testFile + " has the features " + test.featureNames() + ", " + trainFile
          + " " + train.featureNames());
    }
    return of(trainFile.getFileName() + " / " + testFile.getFileName(), subset(train, trainSize, seed),
        subset(test, testSize, seed + 1), cell, elapsed);
  }

  private static SeqData of(String source, SequenceDataset train, SequenceDataset test, CellConfig cell,
      ElapsedFeature elapsed) {
    boolean irregular = !Double.isNaN(Preprocessing.medianGap(train));
    boolean feature = switch (elapsed) {
      case AUTO -> irregular;
      case ON -> true;
      case OFF -> false;
    };
    Preprocessing p = Preprocessing.fit(train, cell, feature);
    return new SeqData(source, train, p.apply(train), p.apply(test), p);
  }

  /** A seeded subset of {@code size} sequences in the data set's order, or all of them for 0. */
  static SequenceDataset subset(SequenceDataset data, int size, long seed) {
    if (size < 0) {
      throw new IllegalArgumentException("a subset size must be >= 0, got " + size);
    }
    if (size == 0 || size >= data.size()) {
      return data;
    }
    return data.select(dev.auramoe.seq.data.Samples.sorted(data.size(), size, seed));
  }

  /** Whether the data have elapsed times (irregular sampling). */
  public boolean irregular() {
    return !Double.isNaN(preprocessing.medianGap());
  }
}
