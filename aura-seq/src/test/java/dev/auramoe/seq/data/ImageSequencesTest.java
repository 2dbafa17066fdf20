package dev.auramoe.seq.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.stream.io.FashionMnist;
import dev.auramoe.stream.io.IdxReader;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageSequencesTest {

  @TempDir
  Path dir;

  /** Images of random bytes, a third of them 128 or 129 (either side of the threshold), in runs. */
  private static byte[][] images(int n, int pixels, long seed) {
    Random r = new Random(seed);
    byte[][] images = new byte[n][pixels];
    for (byte[] image : images) {
      int p = 0;
      while (p < pixels) {
        int run = 1 + r.nextInt(6);
        int value = switch (r.nextInt(3)) {
          case 0 -> 128 + r.nextInt(2);
          case 1 -> r.nextInt(128);
          default -> 129 + r.nextInt(127);
        };
        for (int k = 0; k < run && p < pixels; k++) {
          image[p++] = (byte) value;
        }
      }
    }
    return images;
  }

  /** Writes the gzip IDX pair {@code <part>-images-idx3-ubyte.gz}, {@code <part>-labels-idx1-ubyte.gz}. */
  private Path[] idx(String part, byte[][] images, int rows, int columns, int imagesMagic, int labelCount)
      throws IOException {
    Path img = dir.resolve(part + "-images-idx3-ubyte.gz");
    Path lab = dir.resolve(part + "-labels-idx1-ubyte.gz");
    try (DataOutputStream out = new DataOutputStream(new GZIPOutputStream(Files.newOutputStream(img)))) {
      out.writeInt(imagesMagic);
      out.writeInt(images.length);
      out.writeInt(rows);
      out.writeInt(columns);
      for (byte[] image : images) {
        out.write(image);
      }
    }
    try (DataOutputStream out = new DataOutputStream(new GZIPOutputStream(Files.newOutputStream(lab)))) {
      out.writeInt(IdxReader.LABELS_MAGIC);
      out.writeInt(labelCount);
      for (int i = 0; i < labelCount; i++) {
        out.write(i % 10);
      }
    }
    return new Path[] {img, lab};
  }

  private SequenceDataset read(byte[][] images, int rows, int columns, ImageSequences.Form form) throws IOException {
    Path[] f = idx("t10k", images, rows, columns, IdxReader.IMAGES_MAGIC, images.length);
    try (IdxReader in = IdxReader.open(f[0], f[1], FashionMnist.CLASS_NAMES)) {
      return ImageSequences.read(in, form);
    }
  }

  @Test
  void thePlainFormIsOneRowPerStep() throws IOException {
    byte[][] images = images(30, 4 * 5, 1);
    SequenceDataset d = read(images, 4, 5, ImageSequences.Form.plain());
    assertThat(d.size()).isEqualTo(30);
    assertThat(d.features()).isEqualTo(5);
    assertThat(d.featureNames()).containsExactly("c0", "c1", "c2", "c3", "c4");
    assertThat(d.classNames()).isEqualTo(FashionMnist.CLASS_NAMES);
    assertThat(d.id(17)).isEqualTo("t10k-17");
    assertThat(d.label(17)).isEqualTo(7);
    assertThat(d.maxLength()).isEqualTo(4);
    assertThat(d.isRegular()).isTrue();
    for (int s = 0; s < 30; s++) {
      assertThat(d.length(s)).isEqualTo(4);
      for (int p = 0; p < 20; p++) {
        assertThat(d.value(s, p / 5, p % 5)).isEqualTo((float) ((images[s][p] & 0xff) / 255.0));
      }
    }
  }

  /** The kept rows are original rows, their elapsed times the gaps between them, 30% dropped, by the seed. */
  @Test
  void theIrregularFormDropsASeededThirtyPercentOfTheRows() throws IOException {
    int n = 2000;
    int rows = 28;
    int columns = 6;
    byte[][] images = new byte[n][rows * columns];
    Random random = new Random(2);
    for (byte[] image : images) {
      random.nextBytes(image);
    }
    SequenceDataset a = read(images, rows, columns, ImageSequences.Form.irregular(42));
    SequenceDataset again = read(images, rows, columns, ImageSequences.Form.irregular(42));
    SequenceDataset other = read(images, rows, columns, ImageSequences.Form.irregular(43));
    LongCsvTest.assertSameData(again, a);
    long kept = 0;
    int differ = 0;
    for (int s = 0; s < n; s++) {
      kept += a.length(s);
      differ += a.length(s) != other.length(s) ? 1 : 0;
      int row = firstRow(images[s], a, s, rows, columns);
      assertThat(a.elapsed(s, 0)).isEqualTo(1f);
      for (int t = 0; t < a.length(s); t++) {
        if (t > 0) {
          row += (int) a.elapsed(s, t);
          assertThat(a.elapsed(s, t) % 1f).isZero();
          assertThat(a.elapsed(s, t)).isGreaterThanOrEqualTo(1f);
        }
        assertThat(row).isLessThan(rows);
        for (int c = 0; c < columns; c++) {
          assertThat(a.value(s, t, c)).isEqualTo((float) ((images[s][row * columns + c] & 0xff) / 255.0));
        }
      }
    }
    double dropped = 1 - (double) kept / ((long) n * rows);
    // Binomial over 56,000 rows: a standard deviation of 0.0019; 0.01 is over five.
    assertThat(dropped).isBetween(0.29, 0.31);
    assertThat(differ).as("another seed, other drops").isGreaterThan(n / 2);

    SequenceDataset most = read(images(200, 4 * 2, 3), 4, 2, ImageSequences.Form.irregular(0.95, 1));
    int single = 0;
    for (int s = 0; s < most.size(); s++) {
      assertThat(most.length(s)).isPositive();
      single += most.length(s) == 1 ? 1 : 0;
    }
    assertThat(single).as("images whose rows all drop keep one").isGreaterThan(100);
  }

  /** The index of the original row that sequence s starts with (rows of six random bytes are distinct). */
  private static int firstRow(byte[] image, SequenceDataset d, int s, int rows, int columns) {
    for (int r = 0; r < rows; r++) {
      boolean same = true;
      for (int c = 0; c < columns && same; c++) {
        same = d.value(s, 0, c) == (float) ((image[r * columns + c] & 0xff) / 255.0);
      }
      if (same) {
        return r;
      }
    }
    throw new AssertionError("sequence " + s + " starts with no row of its image");
  }

  /**
   * Replays the events of sequence s into a binary image (each event's value from its pixel until
   * the next event's) and compares it with the image binarised at byte &gt; 128: the whole image
   * when the sequence was not truncated, else up to its last event.
   */
  private static void assertEventsRebuild(byte[] image, SequenceDataset d, int s, int columns, int maxEvents) {
    int pixels = image.length;
    int[] rebuilt = new int[pixels];
    Arrays.fill(rebuilt, -1);
    int p = -1;
    int n = d.length(s);
    for (int t = 0; t < n; t++) {
      p += Math.round(d.elapsed(s, t) * columns);
      int end = t + 1 < n ? p + Math.round(d.elapsed(s, t + 1) * columns) : pixels;
      float value = d.value(s, t, 0);
      assertThat(value).isIn(0f, 1f);
      Arrays.fill(rebuilt, p, end, (int) value);
    }
    int covered = n < maxEvents ? pixels : p + 1;
    for (int q = 0; q < covered; q++) {
      assertThat(rebuilt[q]).as("pixel %d of image %d", q, s).isEqualTo((image[q] & 0xff) > 128 ? 1 : 0);
    }
    for (int t = 1; t < n; t++) {
      assertThat(d.value(s, t, 0)).as("an event is a change").isNotEqualTo(d.value(s, t - 1, 0));
    }
  }

  @Test
  void theEventFormRebuildsTheBinarisedImage() throws IOException {
    byte[][] images = images(300, 8 * 7, 4);
    SequenceDataset d = read(images, 8, 7, ImageSequences.Form.events());
    assertThat(d.featureNames()).containsExactly("value");
    for (int s = 0; s < d.size(); s++) {
      assertThat(d.elapsed(s, 0)).as("the first pixel is always an event").isEqualTo(1f / 7);
      assertEventsRebuild(images[s], d, s, 7, ImageSequences.EVENT_LIMIT);
    }
    SequenceDataset cut = read(images, 8, 7, ImageSequences.Form.events(5));
    int truncated = 0;
    for (int s = 0; s < cut.size(); s++) {
      assertThat(cut.length(s)).isEqualTo(Math.min(5, d.length(s)));
      truncated += d.length(s) > 5 ? 1 : 0;
      assertEventsRebuild(images[s], cut, s, 7, 5);
    }
    assertThat(truncated).isGreaterThan(250);
  }

  @Test
  void everyFormRoundTripsThroughLongCsv() throws IOException {
    byte[][] images = images(40, 28 * 28, 5);
    for (ImageSequences.Form form : new ImageSequences.Form[] {ImageSequences.Form.plain(),
        ImageSequences.Form.irregular(9), ImageSequences.Form.events()}) {
      SequenceDataset d = read(images, 28, 28, form);
      Path file = dir.resolve(form.kind() + ".csv");
      LongCsv.Options o = form.csvOptions(28);
      LongCsv.write(d, file, o);
      LongCsvTest.assertSameData(LongCsv.read(file, o.withClasses(d.classNames())), d);
    }
  }

  @Test
  void corruptFilesAreRefusedNamingTheFile() throws IOException {
    byte[][] images = images(3, 4, 6);
    Path[] f = idx("t10k", images, 2, 2, 0x00000804, 3);
    assertThatThrownBy(() -> ImageSequences.fashionMnistTest(dir, ImageSequences.Form.plain()))
        .isInstanceOf(IOException.class)
        .hasMessage(f[0] + ": magic number 0x00000804, expected 0x00000803 (an IDX file of unsigned-byte images)");
    idx("t10k", images, 2, 2, IdxReader.IMAGES_MAGIC, 4);
    assertThatThrownBy(() -> ImageSequences.fashionMnistTest(dir, ImageSequences.Form.events()))
        .hasMessage(f[0] + " holds 3 images but " + f[1] + " holds 4 labels");
    idx("t10k", images, 2, 2, IdxReader.IMAGES_MAGIC, 3);
    try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(f[0]))) {
      out.writeInt(IdxReader.IMAGES_MAGIC);
      out.writeInt(3);
      out.writeInt(2);
      out.writeInt(2);
      out.write(new byte[6]);
    }
    assertThatThrownBy(() -> ImageSequences.fashionMnistTest(dir, ImageSequences.Form.plain()))
        .hasMessage(f[0] + ": truncated: the file ends inside image 2 of 3");
    assertThatThrownBy(() -> ImageSequences.fashionMnistTrain(dir, ImageSequences.Form.plain()))
        .hasMessageContaining("Fashion-MNIST is not in " + dir);
    assertThatThrownBy(() -> ImageSequences.Form.irregular(1.0, 1)).hasMessageContaining("[0, 1)");
    assertThatThrownBy(() -> ImageSequences.Form.events(0)).hasMessageContaining("at least 1 event");
  }

  /** On the real test set, when the Debian package is installed. */
  @Test
  void fashionMnistTestSetInEachForm() throws IOException {
    Assumptions.assumeTrue(FashionMnist.isAvailable(), "dataset-fashion-mnist is not installed");
    byte[][] images = new byte[FashionMnist.TEST_SIZE][];
    try (IdxReader in = FashionMnist.test(FashionMnist.DEFAULT_DIR)) {
      var row = new dev.auramoe.stream.data.Instance(in.schema());
      for (int i = 0; in.next(row); i++) {
        images[i] = new byte[784];
        for (int p = 0; p < 784; p++) {
          images[i][p] = (byte) Math.round(row.value(p) * 255);
        }
      }
    }
    SequenceDataset plain = ImageSequences.fashionMnistTest(FashionMnist.DEFAULT_DIR, ImageSequences.Form.plain());
    assertThat(plain.size()).isEqualTo(10_000);
    assertThat(plain.totalSteps()).isEqualTo(280_000);
    assertThat(plain.id(9999)).isEqualTo("t10k-9999");
    SequenceDataset irregular = ImageSequences.fashionMnistTest(FashionMnist.DEFAULT_DIR,
        ImageSequences.Form.irregular(1));
    assertThat(1 - irregular.totalSteps() / 280_000.0).isBetween(0.29, 0.31);
    SequenceDataset events = ImageSequences.fashionMnistTest(FashionMnist.DEFAULT_DIR, ImageSequences.Form.events());
    for (int s = 0; s < events.size(); s++) {
      assertEventsRebuild(images[s], events, s, 28, ImageSequences.EVENT_LIMIT);
    }
  }
}
