package dev.auramoe.stream.io;

import dev.auramoe.stream.data.Instance;
import dev.auramoe.stream.data.InstanceStream;
import dev.auramoe.stream.data.MalformedRowException;
import java.io.Closeable;
import java.io.IOException;
import java.util.List;
import java.util.function.Function;

/**
 * What {@link ArffReader} and {@link CsvReader} share: reading row after row into the caller's
 * instance, checking its texts with {@link ReadOptions#textCheck()}, handing each row that cannot be
 * read to {@link ReadOptions#policy()} with its line, and the count and list of the rows skipped.
 */
public abstract sealed class TextReader implements InstanceStream permits ArffReader, CsvReader {

  /** The name that errors give: the file, or what the caller named the reader. */
  final String source;
  private final MalformedRows malformed;
  private final Function<String, String> textCheck;
  /** The schema's text columns, found on the first row (the subclass sets the schema after this constructor). */
  private int[] textColumns;

  TextReader(String source, ReadOptions options) {
    this.source = source;
    this.malformed = new MalformedRows(source, options);
    this.textCheck = options.textCheck();
  }

  /** How many malformed rows were skipped so far (always 0 under {@link MalformedRowPolicy#ABORT}). */
  public final long skippedRows() {
    return malformed.skipped();
  }

  /** The first {@link ReadOptions#maxProblems()} skipped rows, each with its line and reason. */
  public final List<MalformedRowException> problems() {
    return malformed.problems();
  }

  /**
   * Fills {@code into} with the next row that can be read and sets its line; a row that cannot
   * is skipped or aborts the stream, as the options say.
   *
   * @throws IllegalArgumentException when {@code into} has not as many columns as the schema, or
   *     no room for the texts of a schema with text columns
   */
  @Override
  public final boolean next(Instance into) throws IOException {
    double[] values = into.values();
    String[] texts = into.texts();
    if (values.length != schema().size()) {
      throw new IllegalArgumentException("instance has " + values.length + " columns, schema " + schema().size());
    }
    if (textColumns == null) {
      textColumns = java.util.stream.IntStream.range(0, schema().size()).filter(c -> schema().attribute(c).isText())
          .toArray();
    }
    if (textColumns.length > 0 && texts == null) {
      throw new IllegalArgumentException("the schema has text columns and the instance no room for them: make it "
          + "with new Instance(schema)");
    }
    while (nextRow()) {
      String problem = parseRow(values, texts);
      if (problem == null && textColumns.length > 0) {
        problem = checkTexts(texts);
      }
      if (problem == null) {
        into.setLine(rowLine());
        return true;
      }
      malformed.report(rowLine(), problem);
    }
    return false;
  }

  /** What {@link ReadOptions#textCheck()} finds wrong with the row's first bad text, naming its column; or null. */
  private String checkTexts(String[] texts) {
    if (textCheck == null) {
      return null;
    }
    for (int c : textColumns) {
      String text = texts[c];
      if (text != null) {
        String problem = textCheck.apply(text);
        if (problem != null) {
          return "text in column " + Printable.quoted(schema().attribute(c).name()) + ": " + problem;
        }
      }
    }
    return null;
  }

  /** Moves to the next row of data; false at the end of input. */
  abstract boolean nextRow() throws IOException;

  /**
   * Parses the current row into {@code values} and, for text columns, {@code texts} (null when the
   * schema has none; a missing text is null there and NaN in {@code values}); returns null, or what
   * is wrong with the row.
   */
  abstract String parseRow(double[] values, String[] texts);

  /** The 1-based line where the current row starts. */
  abstract long rowLine();

  /** Something opened on a resource that is closed if the opening fails. */
  @FunctionalInterface
  interface Opening<T> {
    T open() throws IOException;
  }

  /**
   * The result of {@code opening}; when it fails, {@code resource} is closed and the failure
   * rethrown, so that a header that cannot be read leaves no file open.
   */
  static <T> T closedOnFailure(Closeable resource, Opening<T> opening) throws IOException {
    try {
      return opening.open();
    } catch (IOException | RuntimeException e) {
      resource.close();
      throw e;
    }
  }
}
