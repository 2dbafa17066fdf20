package dev.auramoe.snn.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.snn.data.ImageFiles.Options;
import dev.auramoe.snn.data.ImageFiles.Split;
import dev.auramoe.stream.data.MalformedRowException;
import dev.auramoe.stream.io.FashionMnist;
import dev.auramoe.stream.io.IdxReader;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFilesTest {

  @TempDir
  Path dir;

  /** Writes an IDX pair {@code <part>-images-idx3-ubyte[.gz]}, {@code <part>-labels-idx1-ubyte[.gz]}. */
  private void idx(String part, byte[][] images, int rows, int columns, byte[] labels, boolean gzip)
      throws IOException {
    String gz = gzip ? ".gz" : "";
    try (DataOutputStream out = new DataOutputStream(open(dir.resolve(part + "-images-idx3-ubyte" + gz), gzip))) {
      out.writeInt(IdxReader.IMAGES_MAGIC);
      out.writeInt(images.length);
      out.writeInt(rows);
      out.writeInt(columns);
      for (byte[] image : images) {
        out.write(image);
      }
    }
    try (DataOutputStream out = new DataOutputStream(open(dir.resolve(part + "-labels-idx1-ubyte" + gz), gzip))) {
      out.writeInt(IdxReader.LABELS_MAGIC);
      out.writeInt(labels.length);
      out.write(labels);
    }
  }

  private static OutputStream open(Path p, boolean gzip) throws IOException {
    OutputStream out = Files.newOutputStream(p);
    return gzip ? new GZIPOutputStream(out) : out;
  }

  private Path csv(String name, String text) throws IOException {
    Path p = dir.resolve(name);
    if (name.endsWith(".gz")) {
      try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(p))) {
        out.write(text.getBytes(StandardCharsets.UTF_8));
      }
    } else {
      Files.writeString(p, text);
    }
    return p;
  }

  @Test
  void anIdxDirectoryIsReadSplitBySplitGzipOrNot() throws IOException {
    byte[][] train = {{0, 1, 2, 3, 4, 5}, {(byte) 255, (byte) 128, 0, 0, 0, 7}, {9, 9, 9, 9, 9, 9}};
    idx("train", train, 2, 3, new byte[] {3, 0, 9}, true);
    idx("t10k", new byte[][] {{10, 20, 30, 40, 50, 60}}, 2, 3, new byte[] {5}, false);

    ImageDataset d = ImageFiles.read(dir, Split.TRAIN, Options.defaults());
    assertThat(d.size()).isEqualTo(3);
    assertThat(d.shape()).isEqualTo(new ImageShape(1, 2, 3));
    assertThat(d.classNames()).as("IDX files name no classes").containsExactly("0", "1", "2", "3", "4", "5", "6",
        "7", "8", "9");
    assertThat(d.label(0)).isEqualTo(3);
    assertThat(d.label(2)).isEqualTo(9);
    assertThat(d.pixel(0, 0, 1, 2)).as("row 1, column 2: byte 5").isEqualTo((float) (5 / 255.0));
    assertThat(d.pixel(1, 0, 0, 0)).isEqualTo(1f);
    assertThat(d.pixel(1, 0, 0, 1)).isEqualTo((float) (128 / 255.0));

    ImageDataset t = ImageFiles.read(dir, Split.TEST, Options.defaults().withClasses(FashionMnist.CLASS_NAMES)
        .withShape(ImageShape.of(2, 3)));
    assertThat(t.size()).isEqualTo(1);
    assertThat(t.classNames()).isEqualTo(FashionMnist.CLASS_NAMES);
    assertThat(t.label(0)).isEqualTo(5);
    assertThat(t.pixel(0, 0, 1, 0)).isEqualTo((float) (40 / 255.0));
  }

  @Test
  void badIdxDirectoriesAreRefusedNamingTheFile() throws IOException {
    assertThatThrownBy(() -> ImageFiles.read(dir, Split.TRAIN, Options.defaults()))
        .isInstanceOf(NoSuchFileException.class)
        .hasMessageContaining(dir + " has no train-images-idx3-ubyte (nor with .gz)");
    idx("train", new byte[][] {{1, 2, 3, 4}}, 2, 2, new byte[] {1}, true);
    idx("train", new byte[][] {{1, 2, 3, 4}}, 2, 2, new byte[] {1}, false);
    assertThatThrownBy(() -> ImageFiles.read(dir, Split.TRAIN, Options.defaults()))
        .hasMessage(dir + ": both train-images-idx3-ubyte and train-images-idx3-ubyte.gz; keep one");
    Files.delete(dir.resolve("train-images-idx3-ubyte"));
    Files.delete(dir.resolve("train-labels-idx1-ubyte"));
    assertThatThrownBy(() -> ImageFiles.read(dir, Split.TRAIN, Options.defaults().withShape(new ImageShape(3, 2, 2))))
        .hasMessage(dir.resolve("train-images-idx3-ubyte.gz") + ": images of 1x2x2, not the 3x2x2 asked for");
    idx("train", new byte[][] {{1, 2, 3, 4}}, 2, 2, new byte[] {12}, true);
    assertThatThrownBy(() -> ImageFiles.read(dir, Split.TRAIN, Options.defaults()))
        .isInstanceOf(MalformedRowException.class)
        .hasMessage(dir.resolve("train-labels-idx1-ubyte.gz") + ":1: label 12 outside 0..9");
    idx("train", new byte[0][], 2, 2, new byte[0], true);
    assertThatThrownBy(() -> ImageFiles.read(dir, Split.TRAIN, Options.defaults()))
        .hasMessage(dir.resolve("train-images-idx3-ubyte.gz") + ": no images");
  }

  @Test
  void aCsvFileWithAnInferredSquareShape() throws IOException {
    Path f = csv("digits.csv", """
        p0,p1,label,p2,p3
        0,1,7,2,3
        4,5,3,6,7.5
        8,9,7,10,11
        """);
    ImageDataset d = ImageFiles.read(f, Split.TRAIN, Options.defaults());
    assertThat(d.shape()).isEqualTo(new ImageShape(1, 2, 2));
    assertThat(d.size()).isEqualTo(3);
    assertThat(d.classNames()).as("integer labels in numeric order").containsExactly("3", "7");
    assertThat(new int[] {d.label(0), d.label(1), d.label(2)}).containsExactly(1, 0, 1);
    assertThat(d.pixel(1, 0, 1, 1)).as("the pixel columns in file order, the label skipped").isEqualTo(7.5f);
    assertThat(d.pixel(2, 0, 1, 0)).isEqualTo(10f);

    ImageDataset scaled = ImageFiles.read(f, Split.TRAIN, Options.defaults().withPixelMax(15));
    assertThat(scaled.pixel(2, 0, 1, 0)).isEqualTo((float) (10 / 15.0));
  }

  @Test
  void aCsvFileWithAGivenShapeAndStringLabelsSortedGzipped() throws IOException {
    StringBuilder text = new StringBuilder("label");
    for (int p = 0; p < 12; p++) {
      text.append(",v").append(p);
    }
    text.append('\n');
    String[] labels = {"coat", "Bag", "coat", "\"Ankle boot\""};
    for (int i = 0; i < labels.length; i++) {
      text.append(labels[i]);
      for (int p = 0; p < 12; p++) {
        text.append(',').append(i * 100 + p);
      }
      text.append('\n');
    }
    Path f = csv("clothes.csv.gz", text.toString());
    ImageDataset d = ImageFiles.read(f, Split.TEST, Options.defaults().withShape(ImageShape.parse("3x2x2")));
    assertThat(d.shape()).isEqualTo(new ImageShape(3, 2, 2));
    assertThat(d.classNames()).as("sorted as strings, upper case first").containsExactly("Ankle boot", "Bag",
        "coat");
    assertThat(new int[] {d.label(0), d.label(1), d.label(2), d.label(3)}).containsExactly(2, 1, 2, 0);
    assertThat(d.pixel(1, 2, 1, 0)).as("channels first: channel 2, row 1, column 0 is value 10").isEqualTo(110f);
    assertThat(d.pixel(3, 1, 0, 1)).isEqualTo(305f);

    assertThatThrownBy(() -> ImageFiles.read(f, Split.TEST, Options.defaults()))
        .hasMessage(f + ": 12 pixel columns is not a square number of pixels; give the image shape (C x H x W, or "
            + "H x W for one channel) whose sizes multiply to 12");
    assertThatThrownBy(() -> ImageFiles.read(f, Split.TEST, Options.defaults().withShape(ImageShape.of(3, 3))))
        .hasMessage(f + ": 12 pixel columns, but an image of 1x3x3 holds 9 values");
  }

  @Test
  void aTestFileReadWithTheTrainingClassesKeepsTheirIndices() throws IOException {
    Path train = csv("train.csv", "label,a,b,c,d\ncat,0,0,0,0\ndog,1,1,1,1\nemu,2,2,2,2\n");
    Path test = csv("test.csv", "label,a,b,c,d\nemu,0,0,0,0\nemu,1,1,1,1\n");
    ImageDataset tr = ImageFiles.read(train, Split.TRAIN, Options.defaults());
    ImageDataset te = ImageFiles.read(test, Split.TEST, Options.defaults().matching(tr));
    assertThat(te.classNames()).containsExactly("cat", "dog", "emu");
    assertThat(te.label(0)).isEqualTo(2);
    assertThatThrownBy(() -> ImageFiles.read(test, Split.TEST, Options.defaults()))
        .hasMessage(test + ": every row has the label 'emu'; a classification needs at least two classes (give the "
            + "classes when a file holds only some)");
    Path other = csv("other.csv", "label,a,b,c,d\ncat,0,0,0,0\nyak,1,1,1,1\n");
    assertThatThrownBy(() -> ImageFiles.read(other, Split.TEST, Options.defaults().matching(tr)))
        .isInstanceOf(MalformedRowException.class)
        .hasMessage(other + ":3: label 'yak' is not one of the classes [cat, dog, emu] in column 'label'");
    Path wide = csv("wide.csv", "label,a,b,c,d,e,f,g,h,i\ncat,0,0,0,0,0,0,0,0,0\n");
    assertThatThrownBy(() -> ImageFiles.read(wide, Split.TEST, Options.defaults().matching(tr)))
        .hasMessage(wide + ": 9 pixel columns, but an image of 1x2x2 holds 4 values");
  }

  /** Each bad file is refused with the file, line and column, as the class comment lists. */
  @Test
  void everyBadCsvFileIsRefusedNamingFileLineAndColumn() throws IOException {
    Options o = Options.defaults();
    refused("empty.csv", "", o, ": empty file, expected a header row");
    refused("header.csv", "label,a,b,c,d\n", o, ": no rows after the header");
    refused("nolabel.csv", "a,b,c,d\n1,2,3,4\n", o,
        ": no column named 'label' (the label column); columns: [a, b, c, d]");
    refused("onlylabel.csv", "label\n1\n", o, ": no pixel columns: the header names only the label column");
    refused("ragged.csv", "label,a,b,c,d\n1,0,0,0,0\n2,0,0,0\n", o, ":3: expected 5 fields, found 4");
    refused("long.csv", "label,a,b,c,d\n1,0,0,0,0\n2,0,0,0,0,0\n", o, ":3: expected 5 fields, found 6");
    refused("nan.csv", "label,a,b,c,d\n1,0,0,0,0\n2,0,NaN,0,0\n", o,
        ":3: missing pixel value in column 'b' (missing and NaN values are refused)");
    refused("empty-pixel.csv", "label,a,b,c,d\n1,0,0,0,\n", o,
        ":2: missing pixel value in column 'd' (missing and NaN values are refused)");
    refused("inf.csv", "label,a,b,c,d\n1,0,0,Infinity,0\n", o, ":2: infinite number 'Infinity' in column 'c'");
    refused("huge.csv", "label,a,b,c,d\n1,0,0,1e39,0\n", o, ":2: out-of-range number '1e39' in column 'c'");
    refused("text.csv", "label,a,b,c,d\n1,0,0,0,dark\n", o, ":2: unparsable number 'dark' in column 'd'");
    refused("nolabelvalue.csv", "label,a,b,c,d\n1,0,0,0,0\n,0,0,0,0\n", o, ":3: missing label in column 'label'");
    refused("samenumber.csv", "label,a,b,c,d\n1,0,0,0,0\n01,0,0,0,0\n", o,
        ":3: labels '1' and '01' are the same number in column 'label'");
    refused("range.csv", "label,a,b,c,d\n1,0,0,0,0\n2,0,256,0,0\n", o.withPixelMax(255),
        ":3: pixel value 256.0 in column 'b' is outside [0, 255.0], the range given");
    refused("negative.csv", "label,a,b,c,d\n1,0,0,0,0\n2,0,-1,0,0\n", o.withPixelMax(255),
        ":3: pixel value -1.0 in column 'b' is outside [0, 255.0], the range given");
    StringBuilder many = new StringBuilder("label,a\n");
    for (int i = 0; i <= ImageFiles.MAX_CLASSES; i++) {
      many.append("c").append(i).append(",0\n");
    }
    refused("many.csv", many.toString(), o, ":" + (ImageFiles.MAX_CLASSES + 2) + ": more than "
        + ImageFiles.MAX_CLASSES + " distinct labels in column 'label'");
  }

  private void refused(String name, String text, Options o, String message) throws IOException {
    Path f = csv(name, text);
    assertThatThrownBy(() -> ImageFiles.read(f, Split.TRAIN, o)).as(name).isInstanceOf(IOException.class)
        .hasMessageStartingWith(f + message);
  }

  @Test
  void thePathDecidesTheReader() throws IOException {
    Path txt = csv("images.txt", "label,a\n1,0\n");
    assertThatThrownBy(() -> ImageFiles.read(txt, Split.TRAIN, Options.defaults()))
        .hasMessage(txt + ": neither a directory of IDX files nor a .csv or .csv.gz file");
    Path none = dir.resolve("none.csv");
    assertThatThrownBy(() -> ImageFiles.read(none, Split.TRAIN, Options.defaults()))
        .isInstanceOf(NoSuchFileException.class).hasMessageContaining(none.toString());
    Path upper = csv("IMAGES.CSV", "label,a\n1,0\n2,1\n");
    assertThat(ImageFiles.read(upper, Split.TRAIN, Options.defaults()).size()).isEqualTo(2);
  }

  @Test
  void badOptionsAndShapesAreRefused() {
    assertThatThrownBy(() -> Options.defaults().withPixelMax(0)).hasMessageContaining("finite and > 0");
    assertThatThrownBy(() -> Options.defaults().withLabelColumn("")).hasMessage("name the label column");
    assertThat(ImageShape.parse(" 3 X 32 x 32 ")).isEqualTo(new ImageShape(3, 32, 32));
    assertThat(ImageShape.parse("28x28")).isEqualTo(new ImageShape(1, 28, 28));
    assertThat(ImageShape.parse("28x28").toString()).isEqualTo("1x28x28");
    assertThatThrownBy(() -> ImageShape.parse("28")).hasMessage("image shape '28' is not C x H x W (such as "
        + "3x32x32) or H x W (one channel, such as 28x28)");
    assertThatThrownBy(() -> ImageShape.parse("0x28")).hasMessageContaining("got 1x0x28");
    assertThatThrownBy(() -> ImageShape.parse("99999999999x1")).hasMessageContaining("a size beyond");
    assertThatThrownBy(() -> ImageShape.parse("65536x65536")).hasMessageContaining("4294967296 values, more than");
  }

  /** On Fashion-MNIST itself, when the Debian package is installed. */
  @Test
  void fashionMnistTrainingAndTestSets() throws IOException {
    Assumptions.assumeTrue(FashionMnist.isAvailable(), "dataset-fashion-mnist is not installed");
    Options o = Options.defaults().withClasses(FashionMnist.CLASS_NAMES);
    ImageDataset test = ImageFiles.read(FashionMnist.DEFAULT_DIR, Split.TEST, o);
    assertThat(test.size()).isEqualTo(FashionMnist.TEST_SIZE);
    assertThat(test.shape()).isEqualTo(ImageShape.of(28, 28));
    assertThat(test.classCounts()).as("1,000 images of each class").containsOnly(1000);
    assertThat(test.classNames().get(test.label(0))).as("the first test image").isEqualTo("Ankle boot");
    float max = 0;
    for (int y = 0; y < 28; y++) {
      for (int x = 0; x < 28; x++) {
        max = Math.max(max, test.pixel(0, 0, y, x));
      }
    }
    assertThat(max).isBetween(0.5f, 1f);
    ImageDataset train = ImageFiles.read(FashionMnist.DEFAULT_DIR, Split.TRAIN, o);
    assertThat(train.size()).isEqualTo(FashionMnist.TRAIN_SIZE);
    assertThat(train.classCounts()).containsOnly(6000);
  }
}
