package dev.auramoe.stream.io;

import dev.auramoe.stream.data.Attribute;
import dev.auramoe.stream.data.Instance;
import dev.auramoe.stream.data.InstanceStream;
import dev.auramoe.stream.data.MalformedRowException;
import dev.auramoe.stream.data.Schema;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Reads a pair of IDX files, images and labels (the format of MNIST and Fashion-MNIST), as a stream
 * of instances: one numeric column per pixel, {@code pixel0} to {@code pixel<n-1>} in row-major order,
 * holding the byte divided by 255 (so in [0, 1]), and a nominal target {@code class}.
 *
 * <p>Layout (big-endian), as published with MNIST:
 *
 * <pre>
 * images: int magic = 0x00000803 (unsigned bytes, 3 dimensions), int count, int rows, int columns,
 *         count * rows * columns unsigned bytes
 * labels: int magic = 0x00000801 (unsigned bytes, 1 dimension), int count, count unsigned bytes
 * </pre>
 *
 * <p>Both files may be gzip-compressed (detected by content). The reader checks the magic numbers,
 * that both files hold the same count, and that every label names a class; a file that ends early
 * fails with an {@link IOException} saying which record is cut. An instance's line is its 1-based
 * record number in the files.
 */
public final class IdxReader implements InstanceStream {

  /** Magic number of an unsigned-byte IDX file with 3 dimensions (images). */
  public static final int IMAGES_MAGIC = 0x00000803;
  /** Magic number of an unsigned-byte IDX file with 1 dimension (labels). */
  public static final int LABELS_MAGIC = 0x00000801;

  private static final double[] SCALE = IntStream.range(0, 256).mapToDouble(i -> i / 255.0).toArray();

  private final Path imagesPath;
  private final Path labelsPath;
  private final DataInputStream images;
  private final DataInputStream labels;
  private final int count;
  private final int rows;
  private final int columns;
  private final byte[] pixels;
  private final Schema schema;
  private int read;

  private IdxReader(Path imagesPath, Path labelsPath, List<String> classNames) throws IOException {
    this.imagesPath = imagesPath;
    this.labelsPath = labelsPath;
    if (classNames.isEmpty()) {
      throw new IllegalArgumentException("no class names");
    }
    this.images = new DataInputStream(Inputs.open(imagesPath));
    try {
      this.labels = new DataInputStream(Inputs.open(labelsPath));
    } catch (IOException e) {
      images.close();
      throw e;
    }
    try {
      int magic = headerInt(images, imagesPath);
      if (magic != IMAGES_MAGIC) {
        throw new IOException(imagesPath + ": magic number 0x" + hex(magic) + ", expected 0x" + hex(IMAGES_MAGIC)
            + " (an IDX file of unsigned-byte images)");
      }
      count = headerInt(images, imagesPath);
      rows = headerInt(images, imagesPath);
      columns = headerInt(images, imagesPath);
      if (count < 0 || rows <= 0 || columns <= 0 || (long) rows * columns > 1 << 24) {
        throw new IOException(imagesPath + ": implausible dimensions " + count + " x " + rows + " x " + columns);
      }
      int labelsMagic = headerInt(labels, labelsPath);
      if (labelsMagic != LABELS_MAGIC) {
        throw new IOException(labelsPath + ": magic number 0x" + hex(labelsMagic) + ", expected 0x"
            + hex(LABELS_MAGIC) + " (an IDX file of unsigned-byte labels)");
      }
      int labelCount = headerInt(labels, labelsPath);
      if (labelCount != count) {
        throw new IOException(imagesPath + " holds " + count + " images but " + labelsPath + " holds " + labelCount
            + " labels");
      }
      pixels = new byte[rows * columns];
      List<Attribute> attributes = new ArrayList<>(pixels.length + 1);
      for (int i = 0; i < pixels.length; i++) {
        attributes.add(Attribute.numeric("pixel" + i));
      }
      attributes.add(Attribute.nominal("class", classNames));
      String name = imagesPath.getFileName().toString().replaceFirst("(?i)(-images)?[-.]idx3-ubyte(\\.gz)?$", "");
      schema = new Schema(name, attributes, pixels.length);
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  /** Opens an images file and its labels with classes named "0" to "9". */
  public static IdxReader open(Path images, Path labels) throws IOException {
    return open(images, labels, IntStream.range(0, 10).mapToObj(Integer::toString).toList());
  }

  /** Opens an images file and its labels; label k is {@code classNames.get(k)}. */
  public static IdxReader open(Path images, Path labels, List<String> classNames) throws IOException {
    return new IdxReader(images, labels, classNames);
  }

  @Override
  public Schema schema() {
    return schema;
  }

  /** Number of images (and labels) in the files. */
  public int size() {
    return count;
  }

  /** Image height in pixels. */
  public int rows() {
    return rows;
  }

  /** Image width in pixels. */
  public int columns() {
    return columns;
  }

  @Override
  public boolean next(Instance into) throws IOException {
    double[] values = into.values();
    if (values.length != schema.size()) {
      throw new IllegalArgumentException("instance has " + values.length + " columns, schema " + schema.size());
    }
    if (read == count) {
      return false;
    }
    try {
      images.readFully(pixels);
    } catch (EOFException e) {
      throw new IOException(imagesPath + ": truncated: the file ends inside image " + (read + 1) + " of " + count, e);
    }
    int label = labels.read();
    if (label < 0) {
      throw new IOException(labelsPath + ": truncated: the file ends before label " + (read + 1) + " of " + count);
    }
    read++;
    if (label >= schema.classes()) {
      throw new MalformedRowException(labelsPath.toString(), read, "label " + label + " outside 0.."
          + (schema.classes() - 1));
    }
    for (int i = 0; i < pixels.length; i++) {
      values[i] = SCALE[pixels[i] & 0xff];
    }
    values[pixels.length] = label;
    into.setLine(read);
    return true;
  }

  @Override
  public void close() throws IOException {
    try {
      images.close();
    } finally {
      if (labels != null) {
        labels.close();
      }
    }
  }

  private static int headerInt(DataInputStream in, Path file) throws IOException {
    try {
      return in.readInt();
    } catch (EOFException e) {
      throw new IOException(file + ": truncated: the file ends inside its IDX header", e);
    }
  }

  private static String hex(int v) {
    return String.format("%08x", v);
  }
}
