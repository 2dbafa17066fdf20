package dev.auramoe.stream.io;

import dev.auramoe.stream.data.Attribute;
import dev.auramoe.stream.data.InstanceStream;
import dev.auramoe.stream.data.Schema;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes instances as a Weka ARFF file (UTF-8, lines ending in {@code \n}), in the layout Weka itself writes:
 *
 * <pre>
 * &#64;relation sea
 *
 * &#64;attribute attrib1 numeric
 * &#64;attribute class {groupA,groupB}
 *
 * &#64;data
 * 2.5,7,?,groupA
 * </pre>
 *
 * Numbers are written so that they parse back to the same double (integral values as integers, others as
 * {@link Double#toString(double)}); a missing value (NaN) is {@code ?}; nominal values are written as their names.
 * The relation name, attribute names and nominal values are quoted as Weka's {@code Utils.quote} does: in single
 * quotes when they contain a space, a comma, a brace, a quote, a backslash, a {@code %}, a tab or a line break, are
 * empty or are {@code ?}, with {@code \\ \' \" \% \t \n \r} escaped by a backslash inside the quotes.
 *
 * <p>The header is written when the writer is created. Output is buffered; {@link #close()} flushes and closes it.
 */
public final class ArffWriter extends InstanceWriter {

  /** Creates (or replaces) {@code path} and writes the header of {@code schema}. */
  public ArffWriter(Path path, Schema schema) throws IOException {
    this(Files.newBufferedWriter(path, StandardCharsets.UTF_8), schema);
  }

  /** Writes the header of {@code schema} to {@code out}, which is buffered here unless it already is. */
  public ArffWriter(Writer out, Schema schema) throws IOException {
    super(out, schema, "an ARFF", "?");
    writeHeader();
  }

  /**
   * Writes the first {@code n} instances of {@code stream} (fewer if it ends first) to a new file at {@code path}.
   * The stream is not closed.
   *
   * @return the number of instances written
   */
  public static long write(InstanceStream stream, Path path, long n) throws IOException {
    return writeFile(ArffWriter::new, stream, path, n);
  }

  @Override
  String quoted(String text) {
    return quote(text);
  }

  private void writeHeader() throws IOException {
    StringBuilder h = new StringBuilder();
    h.append("@relation ").append(quote(schema.relation())).append("\n\n");
    for (Attribute a : schema.attributes()) {
      h.append("@attribute ").append(quote(a.name())).append(' ');
      if (a.isNominal()) {
        h.append('{');
        List<String> values = a.values();
        for (int i = 0; i < values.size(); i++) {
          if (i > 0) {
            h.append(',');
          }
          h.append(quote(values.get(i)));
        }
        h.append('}');
      } else if (a.isText()) {
        h.append("string");
      } else {
        h.append("numeric");
      }
      h.append('\n');
    }
    h.append("\n@data\n");
    out.append(h);
  }

  /**
   * A name or nominal value as ARFF text: unchanged when it needs no quotes, otherwise in single quotes with
   * backslash escapes, as Weka's {@code Utils.quote}.
   */
  public static String quote(String s) {
    boolean needs = s.isEmpty() || s.equals("?");
    for (int i = 0; i < s.length() && !needs; i++) {
      char c = s.charAt(i);
      needs = c <= ' ' || c == ',' || c == '{' || c == '}' || c == '\'' || c == '"' || c == '\\' || c == '%';
    }
    if (!needs) {
      return s;
    }
    StringBuilder q = new StringBuilder(s.length() + 8).append('\'');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\\' -> q.append("\\\\");
        case '\'' -> q.append("\\'");
        case '"' -> q.append("\\\"");
        case '%' -> q.append("\\%");
        case '\t' -> q.append("\\t");
        case '\n' -> q.append("\\n");
        case '\r' -> q.append("\\r");
        default -> q.append(c);
      }
    }
    return q.append('\'').toString();
  }
}
