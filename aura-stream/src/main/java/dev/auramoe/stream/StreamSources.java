package dev.auramoe.stream;

import dev.auramoe.stream.data.InstanceStream;
import dev.auramoe.stream.data.MalformedRowException;
import dev.auramoe.stream.io.ArffReader;
import dev.auramoe.stream.io.CsvReader;
import dev.auramoe.stream.io.FashionMnist;
import dev.auramoe.stream.io.ReadOptions;
import dev.auramoe.stream.io.TextReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** Opens a stream from a path by its kind: ARFF, CSV (each optionally gzipped) or a directory of IDX files. */
public final class StreamSources {

  private StreamSources() {}

  /**
   * Opens {@code path}:
   *
   * <ul>
   *   <li>a directory holding Fashion-MNIST's four IDX files: train, then t10k (70,000 instances);
   *       any other directory is refused, saying what it lacks;
   *   <li>{@code *.arff} or {@code *.arff.gz}: {@link ArffReader};
   *   <li>{@code *.csv}, {@code *.csv.gz} or anything else: {@link CsvReader}.
   * </ul>
   *
   * @throws NoSuchFileException when the path does not exist
   * @throws IOException naming the path when it is a directory without Fashion-MNIST, a device or a
   *     pipe, or when the file cannot be read
   */
  public static InstanceStream open(Path path, ReadOptions options) throws IOException {
    if (!Files.exists(path)) {
      throw new NoSuchFileException(path.toString(), null, "no such file or directory");
    }
    if (Files.isDirectory(path)) {
      if (!FashionMnist.isAvailable(path)) {
        throw new IOException(path + " is a directory: give a .csv or .arff file (optionally .gz), or a directory "
            + "holding Fashion-MNIST's four IDX files (" + String.join(", ", FashionMnist.FILES) + "); "
            + FashionMnist.missing(path));
      }
      return FashionMnist.stream(path);
    }
    String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".gz")) {
      name = name.substring(0, name.length() - 3);
    }
    return name.endsWith(".arff") ? ArffReader.open(path, options) : CsvReader.open(path, options);
  }

  /** Rows the stream's reader skipped as malformed (0 for sources that have none). */
  public static long skippedRows(InstanceStream s) {
    return s instanceof TextReader r ? r.skippedRows() : 0;
  }

  /** The input columns the stream's reader left out (too many distinct values); empty for most sources. */
  public static List<String> leftOut(InstanceStream s) {
    return s instanceof CsvReader c ? c.leftOut() : List.of();
  }

  /** What the stream's reader warns of (a column of numbers and text read as nominal); empty for most sources. */
  public static List<String> warnings(InstanceStream s) {
    return s instanceof CsvReader c ? c.warnings() : List.of();
  }

  /**
   * Why each text column of the stream's schema is text, one sentence each: what CSV type inference
   * decided ({@link CsvReader#textNotes()}), or that ARFF declares it {@code string}; empty when
   * there is none.
   */
  public static List<String> textNotes(InstanceStream s) {
    if (s instanceof CsvReader c) {
      return c.textNotes();
    }
    return s.schema().attributes().stream().filter(dev.auramoe.stream.data.Attribute::isText)
        .map(a -> "column " + dev.auramoe.stream.io.Printable.quoted(a.name()) + " is read as text: the file "
            + "declares it string").toList();
  }

  /** The first malformed rows the stream's reader skipped, with their line numbers. */
  public static List<MalformedRowException> problems(InstanceStream s) {
    return s instanceof TextReader r ? r.problems() : List.of();
  }
}
