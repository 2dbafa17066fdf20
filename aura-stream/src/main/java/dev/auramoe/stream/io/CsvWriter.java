package dev.auramoe.stream.io;

import dev.auramoe.stream.data.InstanceStream;
import dev.auramoe.stream.data.Schema;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes instances as CSV (UTF-8, RFC 4180 fields, records ending in {@code \n}): a header row with the attribute
 * names, then one record per instance. Numbers are written so that they parse back to the same double (integral
 * values as integers, others as {@link Double#toString(double)}); nominal values as their names; a missing value
 * (NaN) as an empty field. A field is put in double quotes, with each double quote doubled, when it contains a
 * comma, a double quote, a CR or an LF, starts or ends with a space or tab, or is empty (so that an empty nominal
 * value, {@code ""}, is told from a missing one).
 *
 * <p>The header row is written when the writer is created. Output is buffered; {@link #close()} flushes and closes
 * it.
 */
public final class CsvWriter extends InstanceWriter {

  /** Creates (or replaces) {@code path} and writes the header row of {@code schema}. */
  public CsvWriter(Path path, Schema schema) throws IOException {
    this(Files.newBufferedWriter(path, StandardCharsets.UTF_8), schema);
  }

  /** Writes the header row of {@code schema} to {@code out}, which is buffered here unless it already is. */
  public CsvWriter(Writer out, Schema schema) throws IOException {
    super(out, schema, "a CSV", "");
    StringBuilder h = new StringBuilder();
    for (int i = 0; i < schema.size(); i++) {
      if (i > 0) {
        h.append(',');
      }
      h.append(quote(schema.attribute(i).name()));
    }
    h.append('\n');
    this.out.append(h);
  }

  /**
   * Writes the first {@code n} instances of {@code stream} (fewer if it ends first) to a new file at {@code path}.
   * The stream is not closed.
   *
   * @return the number of instances written
   */
  public static long write(InstanceStream stream, Path path, long n) throws IOException {
    return writeFile(CsvWriter::new, stream, path, n);
  }

  @Override
  String quoted(String text) {
    return quote(text);
  }

  /**
   * A field as RFC 4180 text: unchanged when it needs no quotes, otherwise in double quotes, quotes
   * doubled. A value spelled as a missing one ({@code ?}, {@code NA}, ...) is quoted, so that it reads
   * back as itself.
   */
  public static String quote(String s) {
    boolean needs = s.isEmpty() || isBlank(s.charAt(0)) || isBlank(s.charAt(s.length() - 1))
        || CsvReader.isMissing(s.toCharArray(), 0, s.length());
    for (int i = 0; i < s.length() && !needs; i++) {
      char c = s.charAt(i);
      needs = c == ',' || c == '"' || c == '\r' || c == '\n';
    }
    return needs ? '"' + s.replace("\"", "\"\"") + '"' : s;
  }

  private static boolean isBlank(char c) {
    return c == ' ' || c == '\t';
  }
}
