package dev.auramoe.seq.data;

import dev.auramoe.seq.Task;
import dev.auramoe.stream.data.Instance;
import dev.auramoe.stream.io.FashionMnist;
import dev.auramoe.stream.io.IdxReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * Images of an IDX file pair (MNIST, Fashion-MNIST) as sequence data sets, in three forms. The files
 * are read by the stream module's {@link IdxReader}, which checks the magic numbers, that images and
 * labels agree in count, that no file ends early and that every label names a class; pixel values
 * are the bytes divided by 255, in [0, 1]. Sequence i's id is the file's name stem and i
 * ({@code train-0}, {@code t10k-9999}); its label is the image's.
 *
 * <ul>
 *   <li>{@link Form#plain()}: row by row, each of the {@code rows} rows a step of {@code columns}
 *       features ({@code c0 ..}), elapsed time NaN (the regular step): 28 steps of 28 for
 *       Fashion-MNIST.
 *   <li>{@link Form#irregular(long)}: the same with each row dropped with probability
 *       {@value #DROP_FRACTION}, independently (as the irregularly sampled tasks of the ODE-LSTM and
 *       CfC papers thin their sequences). Elapsed time is in rows: a kept row's is the number of rows
 *       since the previous kept row (1 when none was dropped between them); the first kept row's is
 *       1, the sequence starting there. Image i's drops depend only on the seed and i, so a seed
 *       gives the same drops in every run and for any subset read. An image whose rows all drop
 *       (probability 0.3^28, about 2e-15, for Fashion-MNIST) keeps its last row.
 *   <li>{@link Form#events()}: the event-based sequential MNIST of the ODE-LSTM and CfC papers,
 *       applied to these images: the pixels flattened row-major, binarised ({@code byte > 128}, that
 *       is value &gt; 128/255, as the reference code thresholds the raw bytes), and only the pixels
 *       where the binary value changes kept, the first pixel always (the value before it counts as
 *       neither). An event's one feature ({@code value}) is the new binary value; its elapsed time is
 *       the number of pixels since the previous event (since pixel -1 for the first, so 1) divided by
 *       the image width: in rows, like the irregular form (the reference code divides by its padding
 *       length, 256, instead). A sequence stops at {@link Form#maxEvents()} events
 *       ({@value #EVENT_LIMIT}, as the reference pads and truncates to), the rest of the image then
 *       lost; the pixels after the last event hold its value.
 * </ul>
 */
public final class ImageSequences {

  /** The fraction of rows the irregular form drops, on average. */
  public static final double DROP_FRACTION = 0.3;

  /** The most events per image in the event form by default, the reference construction's padding. */
  public static final int EVENT_LIMIT = 256;

  /** A pixel byte above this is 1 in the event form. */
  public static final int EVENT_THRESHOLD = 128;

  private ImageSequences() {}

  /** How images become sequences. */
  public enum Kind { PLAIN, IRREGULAR, EVENTS }

  /**
   * A form and its parameters.
   *
   * @param dropFraction the probability that a row is dropped (irregular), in [0, 1)
   * @param seed the seed of the drops (irregular)
   * @param maxEvents the most events per image (events), at least 1
   */
  public record Form(Kind kind, double dropFraction, long seed, int maxEvents) {

    /** Validates the parameters. */
    public Form {
      if (kind == null) {
        throw new IllegalArgumentException("a form needs a kind");
      }
      if (!(dropFraction >= 0 && dropFraction < 1)) {
        throw new IllegalArgumentException("the drop fraction must be in [0, 1), got " + dropFraction);
      }
      if (maxEvents < 1) {
        throw new IllegalArgumentException("need at least 1 event per image, got " + maxEvents);
      }
    }

    /** Row by row. */
    public static Form plain() {
      return new Form(Kind.PLAIN, 0, 0, EVENT_LIMIT);
    }

    /** Row by row with {@value ImageSequences#DROP_FRACTION} of the rows dropped, seeded. */
    public static Form irregular(long seed) {
      return irregular(DROP_FRACTION, seed);
    }

    /** Row by row with this fraction of the rows dropped, seeded. */
    public static Form irregular(double dropFraction, long seed) {
      return new Form(Kind.IRREGULAR, dropFraction, seed, EVENT_LIMIT);
    }

    /** The changes of the binarised pixels, at most {@value ImageSequences#EVENT_LIMIT}. */
    public static Form events() {
      return events(EVENT_LIMIT);
    }

    /** The changes of the binarised pixels, at most {@code maxEvents}. */
    public static Form events(int maxEvents) {
      return new Form(Kind.EVENTS, 0, 0, maxEvents);
    }

    /**
     * The long-format CSV options that write and read this form back as it is, for images
     * {@code columns} wide: a time column {@code time} for the irregular and event forms, and the
     * first step's elapsed time (1 row; 1 pixel, that is 1/columns rows).
     */
    public LongCsv.Options csvOptions(int columns) {
      LongCsv.Options o = LongCsv.Options.defaults();
      return switch (kind) {
        case PLAIN -> o;
        case IRREGULAR -> o.withTime("time").withFirstElapsed(1f);
        case EVENTS -> o.withTime("time").withFirstElapsed(1f / columns);
      };
    }
  }

  /** Fashion-MNIST's 60,000 training images from {@code dir} in this form. */
  public static SequenceDataset fashionMnistTrain(Path dir, Form form) throws IOException {
    try (IdxReader images = FashionMnist.train(dir)) {
      return read(images, form);
    }
  }

  /** Fashion-MNIST's 10,000 test images from {@code dir} in this form. */
  public static SequenceDataset fashionMnistTest(Path dir, Form form) throws IOException {
    try (IdxReader images = FashionMnist.test(dir)) {
      return read(images, form);
    }
  }

  /** Every image of {@code images} in this form. The reader is not closed. */
  public static SequenceDataset read(IdxReader images, Form form) throws IOException {
    int rows = images.rows();
    int columns = images.columns();
    int pixels = rows * columns;
    List<String> classes = images.schema().target().values();
    List<String> features = form.kind() == Kind.EVENTS ? List.of("value")
        : IntStream.range(0, columns).mapToObj(j -> "c" + j).toList();
    SequenceDataset.Builder b = SequenceDataset.builder(Task.classification(classes.size()), features)
        .classNames(classes);
    String stem = images.schema().relation();
    Instance image = new Instance(images.schema());
    double[] v = image.values();
    float[] x = new float[Math.max(pixels, form.maxEvents())];
    float[] elapsed = new float[Math.max(rows, form.maxEvents())];
    double threshold = EVENT_THRESHOLD / 255.0;
    Random random = new Random();
    for (int i = 0; images.next(image); i++) {
      int label = (int) v[pixels];
      String id = stem + "-" + i;
      switch (form.kind()) {
        case PLAIN -> {
          for (int p = 0; p < pixels; p++) {
            x[p] = (float) v[p];
          }
          b.add(id, rows, x, null, label);
        }
        case IRREGULAR -> {
          random.setSeed(mix(form.seed(), i));
          int kept = 0;
          int previous = -1;
          for (int r = 0; r < rows; r++) {
            boolean drop = random.nextDouble() < form.dropFraction();
            if (drop && !(r == rows - 1 && kept == 0)) {
              continue;
            }
            for (int c = 0; c < columns; c++) {
              x[kept * columns + c] = (float) v[r * columns + c];
            }
            elapsed[kept] = previous < 0 ? 1f : r - previous;
            previous = r;
            kept++;
          }
          b.add(id, kept, x, elapsed, label);
        }
        case EVENTS -> {
          int events = 0;
          int last = -1;
          int previous = -1;
          for (int p = 0; p < pixels && events < form.maxEvents(); p++) {
            int bit = v[p] > threshold ? 1 : 0;
            if (bit != last) {
              x[events] = bit;
              elapsed[events] = (p - previous) / (float) columns;
              events++;
              previous = p;
              last = bit;
            }
          }
          b.add(id, events, x, elapsed, label);
        }
      }
    }
    return b.build();
  }

  /** A seed for image i that differs in all its bits from its neighbours' (SplitMix64's finaliser). */
  private static long mix(long seed, long i) {
    long z = seed + (i + 1) * 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
