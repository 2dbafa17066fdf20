package dev.auramoe.stream.io;

import dev.auramoe.stream.data.Attribute;
import dev.auramoe.stream.data.Schema;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Reads a Weka ARFF file as a stream, one row at a time.
 *
 * <p>Supported: {@code @relation}, {@code @attribute} of type {@code numeric}, {@code real}, {@code
 * integer}, nominal ({@code {a, b, 'c d'}}), {@code string} (a text column: {@link
 * Attribute#text}) and {@code date [format]}; {@code @data} rows, dense ({@code 1.5,a,?,'some
 * text'}) or sparse ({@code {0 1.5, 2 a}}, where an absent column is 0, i.e. the first value of a
 * nominal column, as in Weka, and an absent text is missing). Keywords are case-insensitive; names
 * and values may be quoted with {@code '} or {@code "} and use backslash escapes ({@code \n}, {@code
 * \t}, {@code \'}, ...); {@code %} starts a comment; {@code ?} is a missing value, and so is {@code NaN} in a numeric
 * column (as in Weka); blank lines are ignored. A number is decimal ({@code 0x10} is a malformed
 * row) and must be finite and within the float range (magnitude at most 3.4e38), which the model
 * computes in; messages escape control characters of the file ({@link Printable}). A date
 * becomes a numeric column holding milliseconds since the epoch, the date read as UTC (its format is
 * a {@link DateTimeFormatter} pattern, which agrees with Weka's for the usual letters; default
 * {@code yyyy-MM-dd'T'HH:mm:ss}).
 *
 * <p>A text is quoted, with the escapes above ({@code 'it\'s'}); {@code ''} is an empty text, which
 * {@link ReadOptions#textCheck()} may refuse, and {@code ?} a missing one.
 *
 * <p>Not supported, with an error naming the attribute: {@code relational} attributes. Instance
 * weights ({@code , {0.5}} after a row) make the row malformed. Rows must fit on one line, as in
 * Weka. The file must be UTF-8: bytes that are not stop the reading with an {@link IOException}
 * naming the line and the character.
 *
 * <p>The target is the attribute named by {@link ReadOptions#target()}, else the last one. Rows that
 * cannot be read are handled by {@link ReadOptions#policy()}: see {@link MalformedRowPolicy}. Gzip
 * files are read transparently. Each instance carries its 1-based line number.
 *
 * <pre>{@code
 * try (ArffReader in = ArffReader.open(Path.of("iris.arff"))) {
 *   Instance row = new Instance(in.schema());
 *   while (in.next(row)) {
 *     // use row
 *   }
 * }
 * }</pre>
 */
public final class ArffReader extends TextReader {

  private static final String DEFAULT_DATE_FORMAT = "yyyy-MM-dd'T'HH:mm:ss";

  private final LineReader lines;
  private final Schema schema;
  private final NominalIndex[] nominal;
  private final DateTimeFormatter[] dates;
  private final boolean[] text;
  private final NumberParser numbers = new NumberParser();
  private char[] scratch = new char[64];
  private int scratchLength;
  // Position in the current line while a data row is parsed.
  private char[] buf;
  private int pos;
  private int end;

  private ArffReader(String source, Reader reader, ReadOptions options) throws IOException {
    super(source, options);
    this.lines = new LineReader(reader, source);
    List<Attribute> attributes = new ArrayList<>();
    List<DateTimeFormatter> formats = new ArrayList<>();
    String relation = readHeader(attributes, formats);
    if (relation == null) {
      relation = source;
    }
    int target = attributes.size() - 1;
    if (options.target() != null) {
      target = -1;
      for (int i = 0; i < attributes.size(); i++) {
        if (attributes.get(i).name().equals(options.target())) {
          target = i;
        }
      }
      if (target < 0) {
        throw new IOException(source + ": no attribute named " + Printable.quoted(options.target())
            + "; attributes: " + Printable.of(attributes.stream().map(Attribute::name).toList().toString()));
      }
    }
    if (attributes.size() < 2) {
      throw new IOException(source + ": declares " + attributes.size() + " attribute(s); a stream needs at least an"
          + " input and a target");
    }
    Attribute t = attributes.get(target);
    if (t.isText()) {
      throw new IOException(source + ": target " + Printable.quoted(t.name()) + " is declared string (a text); a "
          + "target is numeric or nominal");
    }
    checkDeclared(source, attributes, options.textColumns(), Attribute.Kind.TEXT, "string");
    checkDeclared(source, attributes, options.nominalColumns(), Attribute.Kind.NOMINAL, "nominal");
    if (options.targetType() == TargetType.NOMINAL && !t.isNominal()
        || options.targetType() == TargetType.NUMERIC && t.isNominal()) {
      throw new IOException(source + ": target " + Printable.quoted(t.name()) + " is declared "
          + t.kind().name().toLowerCase(Locale.ROOT) + " but the options ask for " + options.targetType());
    }
    this.schema = new Schema(relation, attributes, target);
    this.nominal = new NominalIndex[attributes.size()];
    this.text = new boolean[attributes.size()];
    for (int i = 0; i < attributes.size(); i++) {
      if (attributes.get(i).isNominal()) {
        nominal[i] = new NominalIndex(attributes.get(i).values());
      }
      text[i] = attributes.get(i).isText();
    }
    this.dates = formats.toArray(new DateTimeFormatter[0]);
  }

  /**
   * Refuses column kinds asked of the reader that the header does not declare: the header's
   * declarations are the file's own.
   */
  private static void checkDeclared(String source, List<Attribute> attributes, java.util.Set<String> names,
      Attribute.Kind kind, String declared) throws IOException {
    for (String name : names.stream().sorted().toList()) {
      Attribute a = attributes.stream().filter(x -> x.name().equals(name)).findFirst().orElseThrow(
          () -> new IOException(source + ": no attribute named " + Printable.quoted(name) + " (asked to be read as "
              + declared + "); attributes: "
              + Printable.of(attributes.stream().map(Attribute::name).toList().toString())));
      if (a.kind() != kind) {
        throw new IOException(source + ": attribute " + Printable.quoted(name) + " is declared "
            + a.kind().name().toLowerCase(Locale.ROOT) + ", not " + declared + "; an ARFF header declares the types");
      }
    }
  }

  /** Opens an ARFF file (gzip or plain) with the default options. */
  public static ArffReader open(Path file) throws IOException {
    return open(file, ReadOptions.defaults());
  }

  /** Opens an ARFF file (gzip or plain) and reads its header. */
  public static ArffReader open(Path file, ReadOptions options) throws IOException {
    return open(Inputs.reader(file), file.toString(), options);
  }

  /**
   * Reads ARFF text from a reader: the header now, the rows on demand. The reader is closed by
   * {@link #close()}, or at once if the header cannot be read.
   *
   * @param source the name used in error messages
   */
  public static ArffReader open(Reader reader, String source, ReadOptions options) throws IOException {
    return closedOnFailure(reader, () -> new ArffReader(source, reader, options));
  }

  @Override
  public Schema schema() {
    return schema;
  }

  @Override
  boolean nextRow() throws IOException {
    return nextStatement();
  }

  @Override
  String parseRow(double[] values, String[] texts) {
    return buf[pos] == '{' ? parseSparse(values, texts) : parseDense(values, texts);
  }

  @Override
  long rowLine() {
    return lines.lineNumber();
  }

  /**
   * Moves to the next line that is neither blank nor a comment, at its first non-blank character;
   * false at the end of input.
   */
  private boolean nextStatement() throws IOException {
    while (lines.next()) {
      buf = lines.buffer();
      end = lines.length();
      pos = 0;
      skipBlanks();
      if (pos < end && buf[pos] != '%') {
        return true;
      }
    }
    return false;
  }

  @Override
  public void close() throws IOException {
    lines.close();
  }

  // ---------------------------------------------------------------- data rows

  /** Parses a dense row into {@code values}; returns null or what is wrong. */
  private String parseDense(double[] values, String[] texts) {
    int n = values.length;
    int column = 0;
    while (true) {
      skipBlanks();
      if (column == n) {
        return pos < end && buf[pos] == '{' ? "instance weights ({...} after the values) are not supported"
            : "more than " + n + " values";
      }
      String problem = field(values, texts, column, false);
      if (problem != null) {
        return problem;
      }
      column++;
      skipBlanks();
      if (pos == end || buf[pos] == '%') {
        break;
      }
      if (buf[pos] != ',') {
        return "expected ',' after value " + column + ", found " + Printable.quoted(String.valueOf(buf[pos]));
      }
      pos++;
    }
    return column == n ? null : "expected " + n + " values, found " + column;
  }

  /** Parses a sparse row {@code {index value, ...}}; absent columns are 0, absent texts missing. */
  private String parseSparse(double[] values, String[] texts) {
    Arrays.fill(values, 0);
    if (texts != null) {
      for (int c = 0; c < text.length; c++) {
        if (text[c]) {
          values[c] = Double.NaN;
          texts[c] = null;
        }
      }
    }
    pos++;
    skipBlanks();
    if (pos < end && buf[pos] == '}') {
      pos++;
    } else {
      while (true) {
        skipBlanks();
        int start = pos;
        long index = 0;
        while (pos < end && buf[pos] >= '0' && buf[pos] <= '9' && index < Integer.MAX_VALUE) {
          index = index * 10 + (buf[pos++] - '0');
        }
        if (pos == start) {
          return "sparse row: expected a column index at character " + (pos + 1);
        }
        if (index >= values.length) {
          return "sparse row: column index " + index + " outside 0.." + (values.length - 1);
        }
        if (pos == end || !NumberParser.isBlank(buf[pos])) {
          return "sparse row: expected a blank between index " + index + " and its value";
        }
        skipBlanks();
        String problem = field(values, texts, (int) index, true);
        if (problem != null) {
          return problem;
        }
        skipBlanks();
        if (pos < end && buf[pos] == ',') {
          pos++;
        } else if (pos < end && buf[pos] == '}') {
          pos++;
          break;
        } else {
          return "sparse row: missing '}'";
        }
      }
    }
    skipBlanks();
    if (pos < end && buf[pos] == ',') {
      return "instance weights ({...} after the values) are not supported";
    }
    if (pos < end && buf[pos] != '%') {
      return "unexpected text after '}'";
    }
    return null;
  }

  /**
   * Reads one value at {@code pos} into {@code values[column]} (and a text into {@code
   * texts[column]}); returns null or what is wrong.
   */
  private String field(double[] values, String[] texts, int column, boolean sparse) {
    char[] b;
    int from;
    int to;
    boolean quoted = pos < end && (buf[pos] == '\'' || buf[pos] == '"');
    if (quoted) {
      String problem = quoted(buf, end);
      if (problem != null) {
        return problem;
      }
      b = scratch;
      from = 0;
      to = scratchLength;
    } else {
      from = pos;
      while (pos < end && buf[pos] != ',' && buf[pos] != '%' && !(sparse && buf[pos] == '}')) {
        pos++;
      }
      to = pos;
      while (to > from && NumberParser.isBlank(buf[to - 1])) {
        to--;
      }
      b = buf;
      if (to == from) {
        return "empty value" + forAttribute(column) + " (use ? for missing)";
      }
      if (to - from == 1 && b[from] == '?') {
        values[column] = Double.NaN;
        if (text[column]) {
          texts[column] = null;
        }
        return null;
      }
    }
    if (text[column]) {
      texts[column] = new String(b, from, to - from);
      values[column] = 0;
    } else if (nominal[column] != null) {
      int index = nominal[column].indexOf(b, from, to);
      if (index < 0) {
        return "unknown nominal value " + Printable.quoted(b, from, to) + forAttribute(column);
      }
      values[column] = index;
    } else if (dates[column] != null) {
      String text = new String(b, from, to - from);
      try {
        values[column] = epochMillis(dates[column], text);
      } catch (DateTimeParseException e) {
        return "unparsable date " + Printable.quoted(text) + forAttribute(column);
      }
    } else if (numbers.parse(b, from, to)) {
      if (!numbers.usable()) {
        return numbers.rangeProblem(b, from, to, forAttribute(column));
      }
      values[column] = numbers.value();
    } else {
      return "unparsable number " + Printable.quoted(b, from, to) + forAttribute(column);
    }
    return null;
  }

  private String forAttribute(int column) {
    return " for attribute " + Printable.quoted(schema.attribute(column).name());
  }

  /** Unescapes the quoted token at {@code pos} into {@code scratch}; returns null or what is wrong. */
  private String quoted(char[] b, int limit) {
    char quote = b[pos++];
    scratchLength = 0;
    while (pos < limit) {
      char c = b[pos++];
      if (c == quote) {
        return null;
      }
      if (c == '\\' && pos < limit) {
        c = b[pos++];
        c = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
      }
      if (scratchLength == scratch.length) {
        scratch = Arrays.copyOf(scratch, scratch.length * 2);
      }
      scratch[scratchLength++] = c;
    }
    return "unterminated quote (" + quote + ")";
  }

  private void skipBlanks() {
    while (pos < end && NumberParser.isBlank(buf[pos])) {
      pos++;
    }
  }

  private static double epochMillis(DateTimeFormatter format, String text) {
    TemporalAccessor t = format.parseBest(text, LocalDateTime::from, LocalDate::from);
    LocalDateTime time = t instanceof LocalDate d ? d.atStartOfDay() : (LocalDateTime) t;
    return time.toInstant(ZoneOffset.UTC).toEpochMilli();
  }

  // ---------------------------------------------------------------- header

  /** Reads up to and including {@code @data}; returns the relation name or null. */
  private String readHeader(List<Attribute> attributes, List<DateTimeFormatter> formats) throws IOException {
    String relation = null;
    while (nextStatement()) {
      String keyword = word().toLowerCase(Locale.ROOT);
      switch (keyword) {
        case "@relation" -> relation = headerToken("relation name");
        case "@attribute" -> attribute(attributes, formats);
        case "@data" -> {
          return relation;
        }
        default -> throw headerError("expected @relation, @attribute or @data, found " + Printable.quoted(keyword));
      }
      skipBlanks();
      if (pos < end && buf[pos] != '%') {
        throw headerError("unexpected text " + Printable.quoted(buf, pos, end));
      }
    }
    throw new IOException(lines.lineNumber() == 0 ? source + ": empty file, expected an ARFF header"
        : source + ": no @data section (end of file at line " + lines.lineNumber() + ")");
  }

  private void attribute(List<Attribute> attributes, List<DateTimeFormatter> formats) throws IOException {
    String name = headerToken("attribute name");
    for (Attribute a : attributes) {
      if (a.name().equals(name)) {
        throw headerError("attribute " + Printable.quoted(name) + " is declared twice");
      }
    }
    skipBlanks();
    if (pos < end && buf[pos] == '{') {
      pos++;
      List<String> values = new ArrayList<>();
      while (true) {
        skipBlanks();
        if (pos < end && (buf[pos] == '\'' || buf[pos] == '"')) {
          String problem = quoted(buf, end);
          if (problem != null) {
            throw headerError(problem + " in the values of attribute " + Printable.quoted(name));
          }
          values.add(new String(scratch, 0, scratchLength));
          skipBlanks();
        } else {
          int from = pos;
          while (pos < end && buf[pos] != ',' && buf[pos] != '}') {
            pos++;
          }
          int to = pos;
          while (to > from && NumberParser.isBlank(buf[to - 1])) {
            to--;
          }
          if (to == from && pos < end && buf[pos] == '}' && values.isEmpty()) {
            break;
          }
          values.add(new String(buf, from, to - from));
        }
        if (pos < end && buf[pos] == ',') {
          pos++;
        } else if (pos < end && buf[pos] == '}') {
          break;
        } else {
          throw headerError("the values of attribute " + Printable.quoted(name) + " lack a closing '}'");
        }
      }
      pos++;
      if (values.isEmpty()) {
        throw headerError("nominal attribute " + Printable.quoted(name) + " has no values");
      }
      try {
        attributes.add(Attribute.nominal(name, values));
      } catch (IllegalArgumentException e) {
        throw headerError(Printable.of(e.getMessage()));
      }
      formats.add(null);
      return;
    }
    String type = word().toLowerCase(Locale.ROOT);
    switch (type) {
      case "numeric", "real", "integer" -> {
        attributes.add(Attribute.numeric(name));
        formats.add(null);
      }
      case "date" -> {
        skipBlanks();
        String pattern = pos < end && buf[pos] != '%' ? headerToken("date format") : DEFAULT_DATE_FORMAT;
        try {
          formats.add(DateTimeFormatter.ofPattern(pattern, Locale.ROOT));
        } catch (IllegalArgumentException e) {
          throw headerError("date format " + Printable.quoted(pattern) + " of attribute " + Printable.quoted(name)
              + ": " + Printable.of(e.getMessage()));
        }
        attributes.add(Attribute.numeric(name));
      }
      case "string" -> {
        attributes.add(Attribute.text(name));
        formats.add(null);
      }
      case "relational" -> throw headerError("attribute " + Printable.quoted(name) + " has type " + type
          + ", which is not supported (only numeric, real, integer, nominal, string and date)");
      case "" -> throw headerError("attribute " + Printable.quoted(name) + " has no type");
      default -> throw headerError("attribute " + Printable.quoted(name) + " has unknown type "
          + Printable.quoted(type));
    }
  }

  /** A bare word at {@code pos} (up to a blank, '{' or '%'); empty at the end of the line. */
  private String word() {
    skipBlanks();
    int from = pos;
    while (pos < end && !NumberParser.isBlank(buf[pos]) && buf[pos] != '{' && buf[pos] != '%') {
      pos++;
    }
    return new String(buf, from, pos - from);
  }

  /** A quoted or bare token of the header. */
  private String headerToken(String what) throws IOException {
    skipBlanks();
    if (pos < end && (buf[pos] == '\'' || buf[pos] == '"')) {
      String problem = quoted(buf, end);
      if (problem != null) {
        throw headerError(problem + " in the " + what);
      }
      return new String(scratch, 0, scratchLength);
    }
    String w = word();
    if (w.isEmpty()) {
      throw headerError("missing " + what);
    }
    return w;
  }

  private IOException headerError(String reason) {
    return new IOException(source + ":" + lines.lineNumber() + ": " + reason);
  }
}
