package dev.auramoe.stream.io;

import dev.auramoe.stream.data.Instance;
import dev.auramoe.stream.data.InstanceStream;
import dev.auramoe.stream.data.Schema;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * Fashion-MNIST (Zalando, 2017): 70,000 greyscale 28x28 images of clothing in 10 classes, as an
 * {@link IdxReader} stream. On Debian the package {@code dataset-fashion-mnist} installs the four
 * gzip IDX files in {@link #DEFAULT_DIR}.
 *
 * <pre>{@code
 * if (FashionMnist.isAvailable()) {
 *   try (InstanceStream s = FashionMnist.stream()) { ... }   // train then t10k
 * }
 * }</pre>
 */
public final class FashionMnist {

  /** Where {@code apt-get install dataset-fashion-mnist} puts the files. */
  public static final Path DEFAULT_DIR = Path.of("/usr/share/datasets/fashion-mnist");

  /** The class names, label k at index k. */
  public static final List<String> CLASS_NAMES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
      "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

  /** Images in the training files. */
  public static final int TRAIN_SIZE = 60_000;
  /** Images in the test (t10k) files. */
  public static final int TEST_SIZE = 10_000;

  /** The four files, as Zalando publishes them. */
  public static final List<String> FILES = List.of("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
      "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz");

  private static final String INSTALL_HINT = "install it with: apt-get install dataset-fashion-mnist";

  private FashionMnist() {}

  /** Whether the four files are in {@link #DEFAULT_DIR}. */
  public static boolean isAvailable() {
    return isAvailable(DEFAULT_DIR);
  }

  /** Whether the four files are in {@code dir}. */
  public static boolean isAvailable(Path dir) {
    for (String part : new String[] {"train", "t10k"}) {
      if (!Files.isRegularFile(images(dir, part)) || !Files.isRegularFile(labels(dir, part))) {
        return false;
      }
    }
    return true;
  }

  /** Which of the four files {@code dir} lacks, as a sentence ("it has none of them", "it lacks ..."). */
  public static String missing(Path dir) {
    List<String> lacking = FILES.stream().filter(f -> !Files.isRegularFile(dir.resolve(f))).toList();
    return lacking.size() == FILES.size() ? "it has none of them" : lacking.isEmpty() ? "it has all of them"
        : "it lacks " + String.join(", ", lacking);
  }

  /** The training images (60,000) from {@code dir}. */
  public static IdxReader train(Path dir) throws IOException {
    return open(dir, "train");
  }

  /** The test images (10,000) from {@code dir}. */
  public static IdxReader test(Path dir) throws IOException {
    return open(dir, "t10k");
  }

  /** All 70,000 images from {@link #DEFAULT_DIR}: train, then test. */
  public static InstanceStream stream() throws IOException {
    return stream(DEFAULT_DIR);
  }

  /** All 70,000 images from {@code dir}: train, then test. */
  public static InstanceStream stream(Path dir) throws IOException {
    IdxReader train = train(dir);
    try {
      return new Concatenation(train, test(dir));
    } catch (IOException | RuntimeException e) {
      train.close();
      throw e;
    }
  }

  private static IdxReader open(Path dir, String part) throws IOException {
    for (Path p : new Path[] {images(dir, part), labels(dir, part)}) {
      if (!Files.isRegularFile(p)) {
        throw new NoSuchFileException(p.toString(), null, "Fashion-MNIST is not in " + dir + "; " + INSTALL_HINT);
      }
    }
    return IdxReader.open(images(dir, part), labels(dir, part), CLASS_NAMES);
  }

  private static Path images(Path dir, String part) {
    return dir.resolve(FILES.get(part.equals("train") ? 0 : 2));
  }

  private static Path labels(Path dir, String part) {
    return dir.resolve(FILES.get(part.equals("train") ? 1 : 3));
  }

  /** One stream, then the other; the line of an instance is its record number in its own files. */
  private static final class Concatenation implements InstanceStream {

    private final IdxReader first;
    private final IdxReader second;
    private final Schema schema;
    private boolean onSecond;

    Concatenation(IdxReader first, IdxReader second) {
      this.first = first;
      this.second = second;
      this.schema = first.schema();
      if (!second.schema().attributes().equals(schema.attributes())) {
        throw new IllegalArgumentException("train and test images differ in shape: " + first.rows() + "x"
            + first.columns() + " and " + second.rows() + "x" + second.columns());
      }
    }

    @Override
    public Schema schema() {
      return schema;
    }

    @Override
    public boolean next(Instance into) throws IOException {
      if (!onSecond) {
        if (first.next(into)) {
          return true;
        }
        onSecond = true;
      }
      return second.next(into);
    }

    @Override
    public void close() throws IOException {
      try {
        first.close();
      } finally {
        second.close();
      }
    }
  }
}
