package dev.auramoe.snn.data;

import dev.auramoe.stream.data.Attribute;
import dev.auramoe.stream.data.Instance;
import dev.auramoe.stream.data.MalformedRowException;
import dev.auramoe.stream.data.Schema;
import dev.auramoe.stream.io.CsvReader;
import dev.auramoe.stream.io.IdxReader;
import dev.auramoe.stream.io.Printable;
import dev.auramoe.stream.io.ReadOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;

/**
 * Reads image data sets from files: a directory of IDX files (MNIST, Fashion-MNIST) or a CSV file of
 * pixel columns and a label column. {@link #read(Path, Split, Options)} decides by the path: a
 * directory is read as IDX, the split saying which pair of files; a file named {@code *.csv} or
 * {@code *.csv.gz} is read as CSV (the file is the split). Anything else is refused.
 *
 * <p><b>IDX</b> ({@link #readIdx}): the directory holds {@code <prefix>-images-idx3-ubyte} and
 * {@code <prefix>-labels-idx1-ubyte}, each gzip-compressed ({@code .gz}) or not, the prefix {@code
 * train} or {@code t10k} ({@link Split}); {@code .} for the last {@code -} ({@code
 * train-images.idx3-ubyte}, as some copies of MNIST name them) is accepted. The files are read by the
 * stream module's {@link IdxReader}, which checks the magic numbers, that both files hold as many
 * records, that neither ends early and that each label names a class; the pixels are the bytes
 * divided by 255, in [0, 1]; an image is 1 x rows x columns. IDX files name no classes: they are
 * {@link Options#classes()} when given, else {@code "0"} to {@code "9"}.
 *
 * <p><b>CSV</b> ({@link #readCsv}): a header row, a label column ({@link Options#labelColumn()},
 * {@code label} by default, anywhere in the row) and every other column a pixel, in the order of the
 * image's flat layout, channels first ({@link ImageDataset}). The file is read by the stream module's
 * {@link CsvReader} (RFC 4180 quoting, gzip, strict UTF-8, exact number parsing). Pixels are taken as
 * written, or divided by {@link Options#pixelMax()} when it is set (255 for bytes), which then refuses
 * a value outside [0, pixelMax]. The image shape is {@link Options#shape()} when given, which must
 * hold as many values as there are pixel columns; else a square number s*s of pixel columns is an
 * image of 1 x s x s, and any other number is refused, asking for the shape.
 *
 * <p><b>Classes of a CSV file.</b> Labels are text (a name or a number). With {@link
 * Options#classes()} they must be among those classes, and class k is the k-th (so that a test file
 * read with the training set's classes, {@link Options#matching}, gives each class its training
 * index). Without, the classes are the distinct labels, sorted: numerically when every label is an
 * integer (so labels 0..k-1 keep their numbers), else as strings ({@link String#compareTo}, by
 * UTF-16 code unit: {@code "Bag" < "Coat" < "bag"}); sorting makes a class's index independent of the
 * order of the rows. At least two distinct labels are needed then, and at most {@value
 * #MAX_CLASSES}.
 *
 * <p><b>Errors</b> are {@link IOException}s naming the file and, for a row, its line (a {@link
 * MalformedRowException}) and the column: a missing label column, no pixel column, an empty file, a
 * header without rows, a row with too few or too many fields, a missing, unparsable, infinite or
 * out-of-range pixel, a missing label, more than {@value ImageDataset#MAX_VALUES} values in all, a
 * shape that does not fit. Nothing is returned then.
 */
public final class ImageFiles {

  /** The most distinct labels a CSV file may have when the classes are taken from it. */
  public static final int MAX_CLASSES = ReadOptions.DEFAULT_MAX_LEVELS;

  private static final List<String> DIGITS = IntStream.range(0, 10).mapToObj(Integer::toString).toList();

  private ImageFiles() {}

  /** Which pair of IDX files of a directory to read. */
  public enum Split {
    /** {@code train-images-idx3-ubyte} and {@code train-labels-idx1-ubyte}. */
    TRAIN("train"),
    /** {@code t10k-images-idx3-ubyte} and {@code t10k-labels-idx1-ubyte}. */
    TEST("t10k");

    private final String prefix;

    Split(String prefix) {
      this.prefix = prefix;
    }

    /** The file names' prefix. */
    public String prefix() {
      return prefix;
    }
  }

  /**
   * How to read image files. Immutable; the {@code with*} methods return a changed copy.
   *
   * @param shape the image shape, or null to take it from the files (IDX: their header; CSV: a square
   *     number of pixel columns); when given, an IDX file's must equal it
   * @param classes class k's name at index k, or null (IDX: "0" to "9"; CSV: the labels, sorted)
   * @param labelColumn the CSV label column's name
   * @param separator the CSV field separator
   * @param pixelMax the largest pixel value of a CSV file, by which each is divided (so in [0, 1]),
   *     or NaN to take the values as written
   */
  public record Options(ImageShape shape, List<String> classes, String labelColumn, char separator,
      double pixelMax) {

    /** Validates the options. */
    public Options {
      classes = classes == null ? null : List.copyOf(classes);
      if (labelColumn == null || labelColumn.isEmpty()) {
        throw new IllegalArgumentException("name the label column");
      }
      if (!Double.isNaN(pixelMax) && !(pixelMax > 0 && Double.isFinite(pixelMax))) {
        throw new IllegalArgumentException("the largest pixel value must be finite and > 0 (or NaN: values as "
            + "written), got " + pixelMax);
      }
    }

    /** The shape and classes from the files, label column {@code label}, ',' between fields, values as written. */
    public static Options defaults() {
      return new Options(null, null, "label", ',', Double.NaN);
    }

    /**
     * These options with the shape and classes of {@code training}: for a test set, which must then
     * have images of the same shape and labels among the same classes, each with its training index.
     */
    public Options matching(ImageDataset training) {
      return withShape(training.shape()).withClasses(training.classNames());
    }

    /** The same options with this shape (null: from the files). */
    public Options withShape(ImageShape s) {
      return new Options(s, classes, labelColumn, separator, pixelMax);
    }

    /** The same options with these classes (null: from the files). */
    public Options withClasses(List<String> names) {
      return new Options(shape, names, labelColumn, separator, pixelMax);
    }

    /** The same options with this label column. */
    public Options withLabelColumn(String name) {
      return new Options(shape, classes, name, separator, pixelMax);
    }

    /** The same options with this CSV separator. */
    public Options withSeparator(char c) {
      return new Options(shape, classes, labelColumn, c, pixelMax);
    }

    /** The same options dividing CSV pixels by this largest value (NaN: as written). */
    public Options withPixelMax(double max) {
      return new Options(shape, classes, labelColumn, separator, max);
    }
  }

  /**
   * Reads a directory of IDX files (the split's pair) or a {@code .csv} / {@code .csv.gz} file (the
   * split is then unused: the file is one).
   *
   * @throws IOException naming the path when it is neither, does not exist, or cannot be read as its kind
   */
  public static ImageDataset read(Path path, Split split, Options options) throws IOException {
    if (Files.isDirectory(path)) {
      return readIdx(path, split, options);
    }
    String name = path.getFileName() == null ? "" : path.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".csv") || name.endsWith(".csv.gz")) {
      if (!Files.isRegularFile(path)) {
        throw new NoSuchFileException(path.toString(), null, "no such file");
      }
      return readCsv(path, options);
    }
    if (!Files.exists(path)) {
      throw new NoSuchFileException(path.toString(), null, "no such file or directory");
    }
    throw new IOException(path + ": neither a directory of IDX files nor a .csv or .csv.gz file");
  }

  // ---------------------------------------------------------------- IDX

  /** Reads the split's pair of IDX files from {@code dir}. */
  public static ImageDataset readIdx(Path dir, Split split, Options options) throws IOException {
    Path images = find(dir, split.prefix() + "-images", "idx3-ubyte");
    Path labels = find(dir, split.prefix() + "-labels", "idx1-ubyte");
    List<String> classes = options.classes() != null ? options.classes() : DIGITS;
    try (IdxReader in = IdxReader.open(images, labels, classes)) {
      ImageShape shape = ImageShape.of(in.rows(), in.columns());
      if (options.shape() != null && !options.shape().equals(shape)) {
        throw new IOException(images + ": images of " + shape + ", not the " + options.shape() + " asked for");
      }
      int n = in.size();
      if (n == 0) {
        throw new IOException(images + ": no images");
      }
      if ((long) n * shape.size() > ImageDataset.MAX_VALUES) {
        throw new IOException(images + ": " + n + " images of " + shape + " are " + (long) n * shape.size()
            + " values, more than " + ImageDataset.MAX_VALUES);
      }
      int size = shape.size();
      float[] x = new float[n * size];
      int[] y = new int[n];
      Instance image = new Instance(in.schema());
      double[] v = image.values();
      for (int i = 0; i < n; i++) {
        if (!in.next(image)) {
          throw new IOException(images + ": " + n + " images announced, " + i + " read");
        }
        for (int p = 0; p < size; p++) {
          x[i * size + p] = (float) v[p];
        }
        y[i] = (int) v[size];
      }
      return ImageDataset.wrap(shape, x, y, classes);
    }
  }

  /** The one file of {@code dir} named {@code <stem>-<kind>} or {@code <stem>.<kind>}, gzip or not. */
  private static Path find(Path dir, String stem, String kind) throws IOException {
    List<Path> found = new ArrayList<>();
    for (String sep : new String[] {"-", "."}) {
      for (String gz : new String[] {"", ".gz"}) {
        Path p = dir.resolve(stem + sep + kind + gz);
        if (Files.isRegularFile(p)) {
          found.add(p);
        }
      }
    }
    if (found.isEmpty()) {
      throw new NoSuchFileException(dir.resolve(stem + "-" + kind).toString(), null, dir + " has no " + stem + "-"
          + kind + " (nor with .gz): expected an IDX pair such as train-images-idx3-ubyte.gz and "
          + "train-labels-idx1-ubyte.gz");
    }
    if (found.size() > 1) {
      throw new IOException(dir + ": both " + found.get(0).getFileName() + " and " + found.get(1).getFileName()
          + "; keep one");
    }
    return found.get(0);
  }

  // ---------------------------------------------------------------- CSV

  /** Reads a CSV file of images (gzip or plain), as the class comment says. */
  public static ImageDataset readCsv(Path file, Options options) throws IOException {
    String source = file.toString();
    Columns[] found = new Columns[1];
    try (CsvReader in = CsvReader.open(file, names -> {
      found[0] = new Columns(source, names, options);
      return found[0].schema;
    }, ReadOptions.defaults().withSeparator(options.separator()))) {
      return new Assembly(source, in, found[0], options).read();
    }
  }

  /** Where the label and the pixels are, the image shape and the schema the file is read with. */
  private static final class Columns {

    final List<String> names;
    final int label;
    final int[] pixels;
    final ImageShape shape;
    final Schema schema;

    Columns(String source, List<String> names, Options o) throws IOException {
      this.names = names;
      this.label = names.indexOf(o.labelColumn());
      if (label < 0) {
        throw new IOException(source + ": no column named " + Printable.quoted(o.labelColumn()) + " (the label "
            + "column); columns: " + Printable.of(names.toString()));
      }
      this.pixels = IntStream.range(0, names.size()).filter(c -> c != label).toArray();
      int n = pixels.length;
      if (n == 0) {
        throw new IOException(source + ": no pixel columns: the header names only the label column");
      }
      if (o.shape() != null) {
        if (o.shape().size() != n) {
          throw new IOException(source + ": " + n + " pixel columns, but an image of " + o.shape() + " holds "
              + o.shape().size() + " values");
        }
        shape = o.shape();
      } else {
        int s = (int) Math.round(Math.sqrt(n));
        if (s * s != n) {
          throw new IOException(source + ": " + n + " pixel columns is not a square number of pixels; give the "
              + "image shape (C x H x W, or H x W for one channel) whose sizes multiply to " + n);
        }
        shape = ImageShape.of(s, s);
      }
      // The label is read as text, never parsed, so that it may be a name or a number. The schema's
      // target is only a role the stream reader needs (a text column cannot be one): the first pixel.
      List<Attribute> attributes = new ArrayList<>(names.size());
      for (int c = 0; c < names.size(); c++) {
        attributes.add(c == label ? Attribute.text(names.get(c)) : Attribute.numeric(names.get(c)));
      }
      this.schema = new Schema(file(source), attributes, pixels[0]);
    }

    private static String file(String source) {
      Path name = Path.of(source).getFileName();
      return name == null ? source : name.toString();
    }

    String in(int c) {
      return " in column " + Printable.quoted(names.get(c));
    }
  }

  /** Reads the rows into growing arrays, then maps the labels to classes. */
  private static final class Assembly {

    private final String source;
    private final CsvReader in;
    private final Columns columns;
    private final Options options;
    /** Each distinct label with its first line, in order of first appearance (its id). */
    private final Map<String, Long> firstLine = new LinkedHashMap<>();
    private final Map<String, Integer> ids = new HashMap<>();

    Assembly(String source, CsvReader in, Columns columns, Options options) {
      this.source = source;
      this.in = in;
      this.columns = columns;
      this.options = options;
    }

    ImageDataset read() throws IOException {
      int size = columns.shape.size();
      int[] pixelColumns = columns.pixels;
      double max = options.pixelMax();
      boolean scaled = !Double.isNaN(max);
      Instance row = new Instance(columns.schema);
      double[] v = row.values();
      float[] x = new float[Math.min(64, ImageDataset.MAX_VALUES / size) * size];
      int[] labelIds = new int[x.length / size];
      int n = 0;
      while (in.next(row)) {
        long line = row.line();
        if ((long) (n + 1) * size > ImageDataset.MAX_VALUES) {
          throw new MalformedRowException(source, line, "more than " + ImageDataset.MAX_VALUES + " pixel values, "
              + "more than a data set holds (" + n + " images of " + columns.shape + " before this row)");
        }
        if (n == labelIds.length) {
          int grown = (int) Math.min((long) n * 2, ImageDataset.MAX_VALUES / size);
          x = Arrays.copyOf(x, grown * size);
          labelIds = Arrays.copyOf(labelIds, grown);
        }
        for (int p = 0; p < size; p++) {
          int c = pixelColumns[p];
          double value = v[c];
          if (Double.isNaN(value)) {
            throw new MalformedRowException(source, line, "missing pixel value" + columns.in(c) + " (missing and "
                + "NaN values are refused)");
          }
          if (scaled) {
            if (!(value >= 0 && value <= max)) {
              throw new MalformedRowException(source, line, "pixel value " + value + columns.in(c) + " is outside "
                  + "[0, " + max + "], the range given");
            }
            value /= max;
          }
          x[n * size + p] = (float) value;
        }
        String label = row.text(columns.label);
        if (label == null) {
          throw new MalformedRowException(source, line, "missing label" + columns.in(columns.label));
        }
        Integer id = ids.get(label);
        if (id == null) {
          if (options.classes() == null && ids.size() == MAX_CLASSES) {
            throw new MalformedRowException(source, line, "more than " + MAX_CLASSES + " distinct labels"
                + columns.in(columns.label));
          }
          id = ids.size();
          ids.put(label, id);
          firstLine.put(label, line);
        }
        labelIds[n] = id;
        n++;
      }
      if (n == 0) {
        throw new IOException(source + ": no rows after the header");
      }
      List<String> classes = options.classes() != null ? options.classes() : classesOf();
      Map<String, Integer> index = new HashMap<>();
      for (int k = 0; k < classes.size(); k++) {
        index.put(classes.get(k), k);
      }
      int[] classOfId = new int[ids.size()];
      for (Map.Entry<String, Long> e : firstLine.entrySet()) {
        Integer k = index.get(e.getKey());
        if (k == null) {
          throw new MalformedRowException(source, e.getValue(), "label " + Printable.quoted(e.getKey()) + " is not "
              + "one of the classes " + Printable.of(classes.toString()) + columns.in(columns.label));
        }
        classOfId[ids.get(e.getKey())] = k;
      }
      int[] y = new int[n];
      for (int i = 0; i < n; i++) {
        y[i] = classOfId[labelIds[i]];
      }
      float[] pixels = x.length == n * size ? x : Arrays.copyOf(x, n * size);
      try {
        return ImageDataset.wrap(columns.shape, pixels, y, classes);
      } catch (IllegalArgumentException e) {
        throw new IOException(source + ": " + e.getMessage(), e);
      }
    }

    /** The labels seen, sorted: numerically when all are integers, else as strings. */
    private List<String> classesOf() throws IOException {
      if (firstLine.size() < 2) {
        throw new IOException(source + ": every row has the label " + Printable.quoted(firstLine.keySet().iterator()
            .next()) + "; a classification needs at least two classes (give the classes when a file holds only "
            + "some)");
      }
      Map<Long, String> numbers = new TreeMap<>();
      for (String label : firstLine.keySet()) {
        Long value = integer(label);
        if (value == null) {
          return firstLine.keySet().stream().sorted().toList();
        }
        String other = numbers.put(value, label);
        if (other != null) {
          throw new MalformedRowException(source, Math.max(firstLine.get(other), firstLine.get(label)), "labels "
              + Printable.quoted(other) + " and " + Printable.quoted(label) + " are the same number"
              + columns.in(columns.label));
        }
      }
      return List.copyOf(numbers.values());
    }

    /** The integer a label spells (an optional sign and up to 18 digits), else null. */
    private static Long integer(String s) {
      int from = !s.isEmpty() && (s.charAt(0) == '-' || s.charAt(0) == '+') ? 1 : 0;
      if (s.length() == from || s.length() - from > 18) {
        return null;
      }
      for (int i = from; i < s.length(); i++) {
        if (s.charAt(i) < '0' || s.charAt(i) > '9') {
          return null;
        }
      }
      return Long.parseLong(s);
    }
  }
}
