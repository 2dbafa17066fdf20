package dev.auramoe.stream.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.stream.data.Attribute;
import dev.auramoe.stream.data.Instance;
import dev.auramoe.stream.data.InstanceStream;
import dev.auramoe.stream.data.MalformedRowException;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** IDX images and labels from bytes written here, their errors, and Fashion-MNIST when installed. */
class IdxReaderTest {

  @TempDir
  Path dir;

  /** An IDX images file of {@code count} images of 2x3 pixels, pixel p of image i = (i * 40 + p * 50) mod 256. */
  private static byte[] images(int count, int magic) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeInt(magic);
    out.writeInt(count);
    out.writeInt(2);
    out.writeInt(3);
    for (int i = 0; i < count; i++) {
      for (int p = 0; p < 6; p++) {
        out.writeByte((i * 40 + p * 50) % 256);
      }
    }
    return bytes.toByteArray();
  }

  private static byte[] labels(int... labels) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeInt(IdxReader.LABELS_MAGIC);
    out.writeInt(labels.length);
    for (int l : labels) {
      out.writeByte(l);
    }
    return bytes.toByteArray();
  }

  private Path write(String name, byte[] content) throws IOException {
    Path file = dir.resolve(name);
    if (name.endsWith(".gz")) {
      try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
        out.write(content);
      }
    } else {
      Files.write(file, content);
    }
    return file;
  }

  @Test
  void imagesAndLabelsRoundTripScaledToUnitRange() throws IOException {
    Path images = write("x-images-idx3-ubyte.gz", images(4, IdxReader.IMAGES_MAGIC));
    Path labels = write("x-labels-idx1-ubyte", labels(3, 0, 9, 3));
    try (IdxReader in = IdxReader.open(images, labels)) {
      assertThat(in.size()).isEqualTo(4);
      assertThat(in.rows()).isEqualTo(2);
      assertThat(in.columns()).isEqualTo(3);
      assertThat(in.schema().relation()).isEqualTo("x");
      assertThat(in.schema().size()).isEqualTo(7);
      assertThat(in.schema().attributes()).extracting(Attribute::name)
          .containsExactly("pixel0", "pixel1", "pixel2", "pixel3", "pixel4", "pixel5", "class");
      assertThat(in.schema().target().values()).containsExactly("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
      Instance row = new Instance(in.schema());
      int[] expectedLabels = {3, 0, 9, 3};
      for (int i = 0; i < 4; i++) {
        assertThat(in.next(row)).isTrue();
        for (int p = 0; p < 6; p++) {
          assertThat(row.value(p)).isEqualTo(((i * 40 + p * 50) % 256) / 255.0);
        }
        assertThat(row.value(6)).isEqualTo(expectedLabels[i]);
        assertThat(row.line()).isEqualTo(i + 1);
      }
      assertThat(in.next(row)).isFalse();
      assertThat(Arrays.stream(row.values()).limit(6)).allMatch(v -> v >= 0 && v <= 1);
    }
  }

  @Test
  void classNamesCanBeGiven() throws IOException {
    Path images = write("i", images(1, IdxReader.IMAGES_MAGIC));
    Path labels = write("l", labels(1));
    try (IdxReader in = IdxReader.open(images, labels, List.of("cat", "dog"))) {
      Instance row = new Instance(in.schema());
      assertThat(in.next(row)).isTrue();
      assertThat(in.schema().target().values().get((int) row.value(6))).isEqualTo("dog");
    }
    try (IdxReader in = IdxReader.open(images, write("l2", labels(2)), List.of("cat", "dog"))) {
      Instance row = new Instance(in.schema());
      assertThatThrownBy(() -> in.next(row)).isInstanceOfSatisfying(MalformedRowException.class, e -> {
        assertThat(e.line()).isEqualTo(1);
        assertThat(e.reason()).isEqualTo("label 2 outside 0..1");
      });
    }
  }

  @Test
  void aTruncatedFileFailsNamingTheRecord() throws IOException {
    byte[] full = images(3, IdxReader.IMAGES_MAGIC);
    Path images = write("cut.gz", Arrays.copyOf(full, full.length - 2));
    Path labels = write("l", labels(1, 2, 3));
    try (IdxReader in = IdxReader.open(images, labels)) {
      Instance row = new Instance(in.schema());
      assertThat(in.next(row)).isTrue();
      assertThat(in.next(row)).isTrue();
      assertThatThrownBy(() -> in.next(row)).isInstanceOf(IOException.class)
          .hasMessage(images + ": truncated: the file ends inside image 3 of 3");
    }
    byte[] fullLabels = labels(1, 2, 3);
    Path shortLabels = write("sl", Arrays.copyOf(fullLabels, fullLabels.length - 1));
    try (IdxReader in = IdxReader.open(write("ok", full), shortLabels)) {
      Instance row = new Instance(in.schema());
      assertThat(in.next(row)).isTrue();
      assertThat(in.next(row)).isTrue();
      assertThatThrownBy(() -> in.next(row)).hasMessage(shortLabels + ": truncated: the file ends before label 3 of 3");
    }
    Path header = write("h", Arrays.copyOf(full, 10));
    assertThatThrownBy(() -> IdxReader.open(header, labels))
        .hasMessage(header + ": truncated: the file ends inside its IDX header");
  }

  @Test
  void wrongMagicNumbersAndCountsAreRejected() throws IOException {
    Path images = write("i", images(3, IdxReader.IMAGES_MAGIC));
    Path labels = write("l", labels(1, 2, 3));
    assertThatThrownBy(() -> IdxReader.open(labels, images)).isInstanceOf(IOException.class)
        .hasMessage(labels + ": magic number 0x00000801, expected 0x00000803 (an IDX file of unsigned-byte images)");
    assertThatThrownBy(() -> IdxReader.open(images, images))
        .hasMessage(images + ": magic number 0x00000803, expected 0x00000801 (an IDX file of unsigned-byte labels)");
    Path floats = write("f", images(3, 0x00000D03));
    assertThatThrownBy(() -> IdxReader.open(floats, labels)).hasMessageContaining("magic number 0x00000d03");
    Path two = write("two", labels(1, 2));
    assertThatThrownBy(() -> IdxReader.open(images, two))
        .hasMessage(images + " holds 3 images but " + two + " holds 2 labels");
    assertThatThrownBy(() -> IdxReader.open(dir.resolve("absent"), labels)).isInstanceOf(NoSuchFileException.class);
  }

  @Test
  void fashionMnistIsTrainThenTestAndSaysHowToInstallIt() throws IOException {
    assertThat(FashionMnist.isAvailable(dir)).isFalse();
    assertThatThrownBy(() -> FashionMnist.stream(dir)).isInstanceOf(NoSuchFileException.class)
        .hasMessageContaining("apt-get install dataset-fashion-mnist");
    write("train-images-idx3-ubyte.gz", images(3, IdxReader.IMAGES_MAGIC));
    write("train-labels-idx1-ubyte.gz", labels(0, 9, 4));
    write("t10k-images-idx3-ubyte.gz", images(2, IdxReader.IMAGES_MAGIC));
    write("t10k-labels-idx1-ubyte.gz", labels(8, 1));
    assertThat(FashionMnist.isAvailable(dir)).isTrue();
    try (InstanceStream in = FashionMnist.stream(dir)) {
      assertThat(in.schema().target().values()).isEqualTo(FashionMnist.CLASS_NAMES);
      Instance row = new Instance(in.schema());
      int[] labels = new int[5];
      int n = 0;
      while (in.next(row)) {
        labels[n++] = (int) row.value(in.schema().targetIndex());
      }
      assertThat(n).isEqualTo(5);
      assertThat(labels).containsExactly(0, 9, 4, 8, 1);
      assertThat(in.schema().target().values().get(9)).isEqualTo("Ankle boot");
    }
  }

  @Test
  void theInstalledFashionMnistHas70000ImagesAnd7000PerClass() throws IOException {
    Assumptions.assumeTrue(FashionMnist.isAvailable(), "Debian package dataset-fashion-mnist not installed");
    try (InstanceStream in = FashionMnist.stream()) {
      assertThat(in.schema().size()).isEqualTo(28 * 28 + 1);
      assertThat(in.schema().attribute(783).name()).isEqualTo("pixel783");
      Instance row = new Instance(in.schema());
      int[] perClass = new int[10];
      int n = 0;
      double max = 0;
      while (in.next(row)) {
        perClass[(int) row.value(784)]++;
        n++;
        for (int p = 0; p < 784; p++) {
          max = Math.max(max, row.value(p));
        }
      }
      assertThat(n).isEqualTo(FashionMnist.TRAIN_SIZE + FashionMnist.TEST_SIZE).isEqualTo(70_000);
      assertThat(perClass).containsOnly(7_000);
      assertThat(max).isEqualTo(1.0);
    }
  }
}
