package dev.auramoe.stream.io;

import dev.auramoe.stream.data.Attribute;
import dev.auramoe.stream.data.Schema;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads a CSV file with a header row as a stream, one row at a time.
 *
 * <p><b>Format.</b> RFC 4180: fields separated by {@link ReadOptions#separator()} (default
 * {@code ','}), optionally quoted with {@code "}; a quoted field may hold separators, line breaks and
 * doubled quotes ({@code ""}). Blanks around an unquoted field, and before an opening quote, are
 * dropped. An unquoted empty field, {@code ?}, {@code NA}, {@code NaN} or {@code nan} is a missing
 * value in any column (a quoted one is a value); in a numeric column so is any other spelling of NaN.
 * Blank lines are skipped. The first row names the columns; an empty name becomes {@code
 * column<k>} (k 1-based). Gzip files are read transparently.
 *
 * <p><b>Types.</b> {@link #open(Path, ReadOptions)} makes a first pass over the file: a column is
 * numeric when every non-missing value is a number, else nominal with its values in order of first
 * appearance (sorting would make the schema depend on spelling rather than on the data order, and
 * first-appearance order is what a stream would discover). A number is decimal ({@code 12},
 * {@code -1.5}, {@code 2e-3}); hexadecimal ({@code 0x10}), thousands separators and units make text,
 * and a column holding both numbers and text is nominal with a {@linkplain #warnings() warning}
 * naming the first of each.
 *
 * <p><b>Text.</b> An input column of words is <em>text</em> ({@link Attribute#text}), embedded by the
 * learner rather than one-hot encoded, when its values are sentences or mostly distinct phrases: at
 * least half of its non-missing values hold two words or more (runs of characters between blanks
 * that hold a letter: a date, a time of day or a number is no word),
 * and either they have {@value #SENTENCE_WORDS} words or more on average, or more than half of them
 * are distinct (or more than {@link ReadOptions#maxLevels()} are). Otherwise it is nominal: a
 * category spelled in words ({@code New York}) is short and repeats. {@link #textNotes()} says why
 * each text column is text; {@link ReadOptions#textColumns()} and {@link
 * ReadOptions#nominalColumns()} decide for the columns they name (text without blanks, such as
 * Chinese, needs the first). A missing text is as in any column; a quoted empty one ({@code ""}) is
 * a text, which {@link ReadOptions#textCheck()} may refuse.
 *
 * <p>An input column of single words with more than {@link ReadOptions#maxLevels()}
 * distinct values (an identifier) is {@linkplain #leftOut() left out} of the schema: its
 * one-hot encoding would be as wide as the file is long. The target column (named by {@link
 * ReadOptions#target()}, else the last) is typed by {@link ReadOptions#targetType()}: with {@link
 * TargetType#AUTO}, a numeric target whose values are all integers, at most {@value #AUTO_MAX_CLASSES}
 * distinct ones, becomes nominal; the labels of a numeric-looking nominal target are the numbers in
 * ascending order, written as integers where they are integers ({@code "0"}, {@code "1"}, ...), so
 * that class k of 0..k-1 labels has index k. {@link #open(Reader, String, Schema, ReadOptions)} takes
 * the types from a schema instead and reads in one pass, from any reader.
 *
 * <p><b>Malformed rows</b> (wrong field count, a value that is not a number in a numeric column, an
 * unknown nominal value in a given schema, text after a closing quote) are
 * handled by {@link ReadOptions#policy()}; the line reported and stored with each instance is the
 * 1-based physical line where the row starts, exact across quoted line breaks. A number must be
 * finite and within the float range (magnitude at most 3.4e38), which the model computes in. An
 * unterminated quote is no malformed row but an {@link IOException} under either policy: it runs to
 * the end of the file, so the rows after it would be lost (with type inference, {@link
 * #open(Path, ReadOptions)} fails with it before any row is read). So do bytes that are not
 * UTF-8, naming the line and the column. Messages escape control characters of the file ({@link
 * Printable}).
 */
public final class CsvReader extends TextReader {

  /** The mean words per value from which a column of phrases is text however often its values repeat. */
  public static final int SENTENCE_WORDS = 4;

  /** Most distinct integer values of a target that {@link TargetType#AUTO} makes nominal. */
  public static final int AUTO_MAX_CLASSES = 32;

  private enum Mode {
    NUMERIC,
    /** Nominal, its values as written. */
    NOMINAL,
    /** Nominal, its values numbers (a numeric-looking target). */
    LEVELS,
    /** Free text. */
    TEXT,
    /** A column left out of the schema (too many distinct values). */
    SKIP
  }

  private final Records records;
  private final Schema schema;
  /** Per column of the file. */
  private final Mode[] modes;
  /** Per column of the file: its index in the schema, or -1 when it is left out. */
  private final int[] slots;
  private final NominalIndex[] nominal;
  private final double[][] levels;
  private final NumberParser numbers = new NumberParser();
  private final List<String> leftOut;
  private final List<String> warnings;
  private final List<String> textNotes;

  private CsvReader(String source, Records records, Schema schema, Mode[] modes, int[] slots, double[][] levels,
      ReadOptions options, List<String> leftOut, List<String> warnings, List<String> textNotes) {
    super(source, options);
    this.records = records;
    this.schema = schema;
    this.modes = modes;
    this.slots = slots;
    this.levels = levels;
    this.nominal = new NominalIndex[modes.length];
    for (int i = 0; i < modes.length; i++) {
      if (modes[i] == Mode.NOMINAL) {
        nominal[i] = new NominalIndex(schema.attribute(slots[i]).values());
      }
    }
    this.leftOut = List.copyOf(leftOut);
    this.warnings = List.copyOf(warnings);
    this.textNotes = List.copyOf(textNotes);
  }

  /** Opens a CSV file with the default options, inferring the column types. */
  public static CsvReader open(Path file) throws IOException {
    return open(file, ReadOptions.defaults());
  }

  /** Opens a CSV file (gzip or plain), inferring the column types by a first pass over it. */
  public static CsvReader open(Path file, ReadOptions options) throws IOException {
    String source = file.toString();
    Inference inference = new Inference(source, options);
    try (Records r = new Records(Inputs.reader(file), options.separator(), source)) {
      inference.header(r);
      inference.scan(r, false);
    }
    if (inference.needsRescan()) {
      try (Records r = new Records(Inputs.reader(file), options.separator(), source)) {
        r.next();
        inference.scan(r, true);
      }
    }
    String name = file.getFileName().toString().replaceFirst("(?i)\\.csv(\\.gz)?$", "");
    Mode[] modes = new Mode[inference.names.size()];
    int[] slots = new int[modes.length];
    double[][] levels = new double[modes.length][];
    Schema schema = inference.schema(name, modes, slots, levels);
    Records r = new Records(Inputs.reader(file), options.separator(), source);
    return closedOnFailure(r, () -> {
      r.next();
      return new CsvReader(source, r, schema, modes, slots, levels, options, inference.leftOut, inference.warnings,
          inference.textNotes);
    });
  }

  /**
   * Reads a CSV file (gzip or plain) in one pass, with the column types of the schema that {@code
   * schemaOfHeader} makes from the header's column names (in file order): for a caller that knows
   * what each column must hold, so that a value of the wrong type is a malformed row naming its line
   * and column rather than a type guessed from the data. Only the header is read to make the schema;
   * the file is then read as by {@link #open(Reader, String, Schema, ReadOptions)}.
   *
   * @param schemaOfHeader the schema of these columns, whose names must be the header's, in order;
   *     it may throw an {@link IOException} (say, for a column that is not there), which is passed on
   */
  public static CsvReader open(Path file, SchemaOfHeader schemaOfHeader, ReadOptions options) throws IOException {
    String source = file.toString();
    List<String> names;
    try (Records r = new Records(Inputs.reader(file), options.separator(), source)) {
      names = headerNames(source, r);
    }
    Schema schema = schemaOfHeader.schema(List.copyOf(names));
    return open(Inputs.reader(file), source, schema, options);
  }

  /** Makes the schema of a file from its header's column names. */
  @FunctionalInterface
  public interface SchemaOfHeader {
    Schema schema(List<String> names) throws IOException;
  }

  /**
   * Reads CSV text from any reader in one pass, with the column types of {@code schema}, whose names
   * must equal the header's, in order. The target is {@link ReadOptions#target()} if set, else the
   * schema's; {@link ReadOptions#targetType()} is ignored. The reader is closed by {@link #close()},
   * or at once if the header does not match.
   *
   * @param source the name used in error messages
   */
  public static CsvReader open(Reader reader, String source, Schema schema, ReadOptions options) throws IOException {
    Records r = new Records(reader, options.separator(), source);
    return closedOnFailure(r, () -> {
      List<String> names = headerNames(source, r);
      List<String> expected = schema.attributes().stream().map(Attribute::name).toList();
      if (!names.equals(expected)) {
        throw new IOException(source + ":" + r.startLine + ": header " + Printable.of(names.toString())
            + " does not match the schema's columns " + Printable.of(expected.toString()));
      }
      int target = schema.targetIndex();
      if (options.target() != null) {
        target = schema.indexOf(options.target());
        if (target < 0) {
          throw noSuchColumn(source, options.target(), names);
        }
      }
      Mode[] modes = new Mode[schema.size()];
      int[] slots = new int[schema.size()];
      for (int i = 0; i < modes.length; i++) {
        modes[i] = switch (schema.attribute(i).kind()) {
          case NUMERIC -> Mode.NUMERIC;
          case NOMINAL -> Mode.NOMINAL;
          case TEXT -> Mode.TEXT;
        };
        slots[i] = i;
      }
      List<String> notes = schema.attributes().stream().filter(Attribute::isText)
          .map(a -> "column " + Printable.quoted(a.name()) + " is read as text: the schema says so").toList();
      return new CsvReader(source, r, schema.withTarget(target), modes, slots, new double[modes.length][], options,
          List.of(), List.of(), notes);
    });
  }

  @Override
  public Schema schema() {
    return schema;
  }

  /**
   * The input columns left out of the schema because they hold more than {@link
   * ReadOptions#maxLevels()} distinct values, in file order; empty when none was.
   */
  public List<String> leftOut() {
    return leftOut;
  }

  /**
   * What type inference decided that a reader of the file may not expect, one sentence each: a
   * column holding both numbers and text (so read as nominal), with the first of each and their
   * lines. Empty when nothing was.
   */
  public List<String> warnings() {
    return warnings;
  }

  /**
   * Why each text column is text, one sentence each, in file order (from type inference: its values
   * are sentences or mostly distinct phrases, or it was asked for; or the schema given); empty when
   * there is none.
   */
  public List<String> textNotes() {
    return textNotes;
  }

  @Override
  boolean nextRow() throws IOException {
    if (!records.next()) {
      return false;
    }
    if (records.unterminated) {
      throw records.unterminatedQuote();
    }
    return true;
  }

  @Override
  String parseRow(double[] values, String[] texts) {
    Records r = records;
    if (r.problem != null) {
      return r.problem;
    }
    if (r.count != modes.length) {
      return "expected " + modes.length + " fields, found " + r.count;
    }
    char[] text = r.text;
    for (int c = 0; c < modes.length; c++) {
      Mode mode = modes[c];
      if (mode == Mode.SKIP) {
        continue;
      }
      int slot = slots[c];
      int from = r.starts[c];
      int to = r.ends[c];
      if (!r.quoted[c] && isMissing(text, from, to)) {
        values[slot] = Double.NaN;
        if (mode == Mode.TEXT) {
          texts[slot] = null;
        }
        continue;
      }
      switch (mode) {
        case NUMERIC -> {
          if (!numbers.parse(text, from, to)) {
            return "unparsable number " + Printable.quoted(text, from, to) + inColumn(slot);
          }
          if (!numbers.usable()) {
            return numbers.rangeProblem(text, from, to, inColumn(slot));
          }
          values[slot] = numbers.value();
        }
        case NOMINAL -> {
          int index = nominal[c].indexOf(text, from, to);
          if (index < 0) {
            return "unknown nominal value " + Printable.quoted(text, from, to) + inColumn(slot);
          }
          values[slot] = index;
        }
        case LEVELS -> {
          if (!numbers.parse(text, from, to)) {
            return "unknown nominal value " + Printable.quoted(text, from, to) + inColumn(slot);
          }
          if (Double.isNaN(numbers.value())) {
            values[slot] = Double.NaN;
            continue;
          }
          // + 0.0 turns -0.0 into 0.0, which the levels hold
          int index = Arrays.binarySearch(levels[c], numbers.value() + 0.0);
          if (index < 0) {
            return "unknown nominal value " + Printable.quoted(text, from, to) + inColumn(slot);
          }
          values[slot] = index;
        }
        case TEXT -> {
          texts[slot] = r.field(c);
          values[slot] = 0;
        }
        case SKIP -> throw new AssertionError();
      }
    }
    return null;
  }

  @Override
  long rowLine() {
    return records.startLine;
  }

  private String inColumn(int slot) {
    return " in column " + Printable.quoted(schema.attribute(slot).name());
  }

  @Override
  public void close() throws IOException {
    records.close();
  }

  /** An unquoted empty field, {@code ?}, {@code NA}, {@code NaN} or {@code nan}. */
  static boolean isMissing(char[] text, int from, int to) {
    int n = to - from;
    return n == 0 || n == 1 && text[from] == '?' || n == 2 && text[from] == 'N' && text[from + 1] == 'A'
        || n == 3 && text[from + 1] == 'a' && (text[from] == 'N' && text[from + 2] == 'N'
            || text[from] == 'n' && text[from + 2] == 'n');
  }

  /**
   * The words of {@code text[from, to)}: its runs of characters that are not blank (white space or a
   * no-break space) and hold a letter. A phrase has two or more; a number, a date, a time of day
   * ({@code 2023-01-05 12:00:00}, {@code 1 234}) has none.
   */
  static int words(char[] text, int from, int to) {
    int words = 0;
    boolean letter = false;
    for (int i = from; i <= to; i++) {
      if (i == to || separatesWords(text[i])) {
        if (letter) {
          words++;
        }
        letter = false;
      } else if (!letter && Character.isLetter(Character.codePointAt(text, i, to))) {
        letter = true;
      }
    }
    return words;
  }

  private static boolean separatesWords(char c) {
    return Character.isWhitespace(c) || c == '\u00A0' || c == '\u2007' || c == '\u202F';
  }

  private static IOException noSuchColumn(String source, String name, List<String> names) {
    return new IOException(source + ": no column named " + Printable.quoted(name) + "; columns: "
        + Printable.of(names.toString()));
  }

  private static List<String> headerNames(String source, Records r) throws IOException {
    if (!r.next()) {
      throw new IOException(source + ": empty file, expected a header row");
    }
    if (r.unterminated) {
      throw r.unterminatedQuote();
    }
    if (r.problem != null) {
      throw new IOException(source + ":" + r.startLine + ": header row: " + r.problem);
    }
    List<String> names = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (int c = 0; c < r.count; c++) {
      String name = r.field(c);
      if (name.isEmpty()) {
        name = "column" + (c + 1);
      }
      if (!seen.add(name)) {
        throw new IOException(source + ":" + r.startLine + ": column name " + Printable.quoted(name)
            + " appears twice in the header");
      }
      names.add(name);
    }
    r.names = List.copyOf(names);
    return names;
  }

  /** Label of a numeric level: an integer without a fraction, else the shortest double text. */
  static String label(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
  }

  // ---------------------------------------------------------------- type inference

  /** What the first pass learns about the columns. */
  private static final class Inference {

    private final String source;
    private final ReadOptions options;
    private final NumberParser numbers = new NumberParser();
    private List<String> names;
    private int target;
    private boolean[] numeric;
    private boolean[] sawNumber;
    private boolean[] rescan;
    /** Distinct values of each text column, in order of appearance; null once there are too many. */
    private List<LinkedHashSet<String>> texts;
    private boolean[] tooMany;
    /** The first number and the first text of each column, with their lines (for the mixed-type warning). */
    private String[] firstNumber;
    private String[] firstText;
    private boolean integral = true;
    private final Set<Double> targetLevels = new TreeSet<>();
    private boolean tooManyLevels;
    /** Per column: its values that are not missing, those of them that are phrases, and their words. */
    private long[] present;
    private long[] phrases;
    private long[] words;
    final List<String> leftOut = new ArrayList<>();
    final List<String> warnings = new ArrayList<>();
    final List<String> textNotes = new ArrayList<>();

    Inference(String source, ReadOptions options) {
      this.source = source;
      this.options = options;
    }

    void header(Records r) throws IOException {
      names = headerNames(source, r);
      if (names.size() < 2) {
        throw new IOException(source + ":" + r.startLine + ": the header names " + names.size()
            + " column(s); a stream needs at least an input and a target (is the separator "
            + Printable.quoted(String.valueOf(options.separator())) + " right?)");
      }
      target = names.size() - 1;
      if (options.target() != null) {
        target = names.indexOf(options.target());
        if (target < 0) {
          throw noSuchColumn(source, options.target(), names);
        }
      }
      int n = names.size();
      numeric = new boolean[n];
      Arrays.fill(numeric, true);
      sawNumber = new boolean[n];
      rescan = new boolean[n];
      tooMany = new boolean[n];
      firstNumber = new String[n];
      firstText = new String[n];
      present = new long[n];
      phrases = new long[n];
      words = new long[n];
      texts = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        texts.add(null);
      }
      for (Set<String> asked : List.of(options.textColumns(), options.nominalColumns())) {
        for (String name : asked.stream().sorted().toList()) {
          int c = names.indexOf(name);
          if (c < 0) {
            throw new IOException(source + ": no column named " + Printable.quoted(name) + " (asked to be read as "
                + (asked == options.textColumns() ? "text" : "nominal") + "); columns: "
                + Printable.of(names.toString()));
          }
          if (c == target) {
            throw new IOException(source + ": the target " + Printable.quoted(name) + " cannot be read as "
                + (asked == options.textColumns() ? "text: a target is numeric or nominal"
                    : "nominal this way: the target type sets that"));
          }
          // Read as words from the first row on: a column of numbers asked to be nominal keeps them as written.
          numeric[c] = false;
          texts.set(c, new LinkedHashSet<>());
        }
      }
    }

    boolean needsRescan() {
      for (boolean b : rescan) {
        if (b) {
          return true;
        }
      }
      return false;
    }

    /**
     * One pass over the rows; malformed ones are left out here and reported by the reading pass. An
     * unterminated quote fails here, before any row is read.
     */
    void scan(Records r, boolean second) throws IOException {
      int n = names.size();
      if (second) {
        for (int c = 0; c < n; c++) {
          if (rescan[c]) {
            texts.set(c, new LinkedHashSet<>());
          }
        }
      }
      while (r.next()) {
        if (r.unterminated) {
          throw r.unterminatedQuote();
        }
        if (r.problem != null || r.count != n) {
          continue;
        }
        for (int c = 0; c < n; c++) {
          int from = r.starts[c];
          int to = r.ends[c];
          if (!r.quoted[c] && isMissing(r.text, from, to)) {
            continue;
          }
          if (second) {
            if (rescan[c] && !tooMany[c]) {
              addText(c, r);
            }
            continue;
          }
          present[c]++;
          if (tooMany[c]) {
            countWords(c, r.text, from, to);
            continue;
          }
          if (numeric[c]) {
            if (numbers.parse(r.text, from, to)) {
              double v = numbers.value();
              if (Double.isNaN(v)) {
                continue;
              }
              if (!sawNumber[c]) {
                sawNumber[c] = true;
                firstNumber[c] = Printable.quoted(r.text, from, to) + " on line " + r.startLine;
              }
              if (c == target) {
                level(v + 0.0);
              }
              continue;
            }
            numeric[c] = false;
            rescan[c] = sawNumber[c];
            texts.set(c, new LinkedHashSet<>());
          } else if (firstNumber[c] == null && numbers.parse(r.text, from, to) && !Double.isNaN(numbers.value())) {
            firstNumber[c] = Printable.quoted(r.text, from, to) + " on line " + r.startLine;
          }
          countWords(c, r.text, from, to);
          if (firstText[c] == null) {
            firstText[c] = Printable.quoted(r.text, from, to) + " on line " + r.startLine;
          }
          if (!rescan[c]) {
            addText(c, r);
          }
        }
      }
    }

    /** Adds the field's text to the column's values; past {@link ReadOptions#maxLevels()} forgets them all. */
    private void addText(int c, Records r) {
      LinkedHashSet<String> values = texts.get(c);
      if (values.add(r.field(c)) && values.size() > options.maxLevels()) {
        tooMany[c] = true;
        texts.set(c, null);
      }
    }

    private void level(double v) {
      if (v != Math.rint(v) || Math.abs(v) >= 1e15) {
        integral = false;
      }
      if (!tooManyLevels && targetLevels.add(v) && targetLevels.size() > (options.targetType() == TargetType.AUTO
          ? AUTO_MAX_CLASSES : options.maxLevels())) {
        tooManyLevels = true;
        targetLevels.clear();
      }
    }

    /** Counts a non-numeric value's words, and whether it is a phrase. */
    private void countWords(int c, char[] text, int from, int to) {
      int w = CsvReader.words(text, from, to);
      words[c] += w;
      if (w >= 2) {
        phrases[c]++;
      }
    }

    /**
     * Why a column of words is text rather than nominal, or null when it is not: at least half of its
     * values are phrases, and they are sentences ({@value CsvReader#SENTENCE_WORDS} words or more on average)
     * or mostly distinct (more than half of them, or more than {@link ReadOptions#maxLevels()}). A
     * category spelled in words ("New York") is short and repeats; an identifier is one word.
     */
    private String whyText(int c) {
      long n = present[c];
      if (n == 0 || phrases[c] * 2 < n) {
        return null;
      }
      double mean = (double) words[c] / n;
      String phrased = String.format(java.util.Locale.ROOT, "%,d of its %,d values are phrases (%.1f words on "
          + "average)", phrases[c], n, mean);
      if (mean >= SENTENCE_WORDS) {
        return phrased;
      }
      if (tooMany[c]) {
        return String.format(java.util.Locale.ROOT, "%s, and it has more than %,d distinct values", phrased,
            options.maxLevels());
      }
      int distinct = texts.get(c).size();
      return distinct * 2L > n ? String.format(java.util.Locale.ROOT, "%s, %,d of them distinct", phrased, distinct)
          : null;
    }

    private String tooManyValues(String column) {
      return String.format(java.util.Locale.ROOT, "%s: %s has more than %,d distinct values (an identifier or "
          + "free text?)", source, column, options.maxLevels());
    }

    Schema schema(String relation, Mode[] modes, int[] slots, double[][] levels) throws IOException {
      List<Attribute> attributes = new ArrayList<>();
      for (int c = 0; c < names.size(); c++) {
        String name = names.get(c);
        boolean isNumeric = numeric[c];
        boolean numericTarget = c == target && options.targetType() == TargetType.NUMERIC;
        String textReason = c == target || options.nominalColumns().contains(name) ? null
            : options.textColumns().contains(name) ? "as asked"
            : isNumeric ? null : whyText(c);
        if (textReason != null) {
          textNotes.add("column " + Printable.quoted(name) + " is read as text: " + textReason);
          slots[c] = attributes.size();
          modes[c] = Mode.TEXT;
          attributes.add(Attribute.text(name));
          continue;
        }
        if (firstNumber[c] != null && firstText[c] != null && !numericTarget
            && !options.nominalColumns().contains(name)) {
          warnings.add("column " + Printable.quoted(name) + " holds numbers (first " + firstNumber[c]
              + ") and text (first " + firstText[c] + "), so it is read as nominal: a number is decimal, like "
              + "-1.5e3; hexadecimal, thousands separators and units make text");
        }
        if (tooMany[c] && !numericTarget) {
          if (c == target) {
            throw new IOException(tooManyValues("the target column " + Printable.quoted(name)) + ", too many "
                + "classes to learn");
          }
          modes[c] = Mode.SKIP;
          slots[c] = -1;
          leftOut.add(name);
          continue;
        }
        slots[c] = attributes.size();
        if (c == target) {
          TargetType t = options.targetType();
          if (numericTarget) {
            modes[c] = Mode.NUMERIC;
            attributes.add(Attribute.numeric(name));
            continue;
          }
          if (isNumeric && t == TargetType.NOMINAL && tooManyLevels) {
            throw new IOException(tooManyValues("the target column " + Printable.quoted(name)) + ", too many "
                + "classes to learn");
          }
          if (isNumeric && (t == TargetType.NOMINAL || integral && !tooManyLevels && !targetLevels.isEmpty())) {
            if (targetLevels.isEmpty()) {
              throw new IOException(source + ": target column " + Printable.quoted(name)
                  + " has no values, so it has no classes");
            }
            modes[c] = Mode.LEVELS;
            levels[c] = targetLevels.stream().mapToDouble(Double::doubleValue).toArray();
            attributes.add(Attribute.nominal(name, Arrays.stream(levels[c]).mapToObj(CsvReader::label).toList()));
            continue;
          }
        }
        if (isNumeric) {
          modes[c] = Mode.NUMERIC;
          attributes.add(Attribute.numeric(name));
        } else {
          modes[c] = Mode.NOMINAL;
          attributes.add(Attribute.nominal(name, List.copyOf(texts.get(c))));
        }
      }
      if (attributes.size() < 2) {
        throw new IOException(String.format(java.util.Locale.ROOT, "%s: every input column has more than %,d "
            + "distinct values (%s), so none is left to learn from; allow more values per column to keep them",
            source, options.maxLevels(), Printable.of(String.join(", ", leftOut))));
      }
      return new Schema(relation, attributes, slots[target]);
    }
  }

  // ---------------------------------------------------------------- tokenizer

  /**
   * Splits the input into records of fields, RFC 4180 style, into reused buffers. Blank lines are
   * skipped. After {@link #next()}, {@link #problem} says what is wrong with the record, or is null.
   */
  private static final class Records extends ChunkedText {

    private final char separator;
    private final boolean trimBlanks;
    private boolean first = true;

    char[] text = new char[256];
    int length;
    int[] starts = new int[16];
    int[] ends = new int[16];
    boolean[] quoted = new boolean[16];
    int count;
    /** 1-based line where the current record starts. */
    long startLine;
    String problem;
    /** Whether {@link #problem} is an unterminated quote, which takes the rest of the file with it. */
    boolean unterminated;
    /** The column names, once the header is read. */
    List<String> names;

    Records(Reader in, char separator, String source) {
      super(in, source);
      this.separator = separator;
      this.trimBlanks = separator != ' ' && separator != '\t';
    }

    String field(int c) {
      return new String(text, starts[c], ends[c] - starts[c]);
    }

    /** The error for an unterminated quote: no row to skip, since the lines after it would be lost. */
    IOException unterminatedQuote() {
      return new IOException(source + ":" + startLine + ": " + problem + " (a quote inside a quoted field is written"
          + " twice: \"\")");
    }

    @Override
    String where() {
      String field = "field " + (count + 1);
      return names == null ? ", in " + field + " of the header"
          : count < names.size() ? ", in column " + Printable.quoted(names.get(count)) + " (" + field + ")"
          : ", in " + field;
    }

    boolean next() throws IOException {
      while (true) {
        count = 0;
        int c = read();
        if (c < 0) {
          return false;
        }
        if (first) {
          first = false;
          if (c == '\uFEFF') {
            c = read();
            if (c < 0) {
              return false;
            }
          }
        }
        startLine = line + 1;
        record(c);
        if (problem == null && count == 1 && ends[0] == starts[0] && !quoted[0]) {
          continue;
        }
        return true;
      }
    }

    /** Reads one record whose first character is {@code c}. */
    private void record(int c) throws IOException {
      count = 0;
      length = 0;
      problem = null;
      unterminated = false;
      while (true) {
        if (count == starts.length) {
          starts = Arrays.copyOf(starts, count * 2);
          ends = Arrays.copyOf(ends, count * 2);
          quoted = Arrays.copyOf(quoted, count * 2);
        }
        starts[count] = length;
        quoted[count] = false;
        while (trimBlanks && (c == ' ' || c == '\t')) {
          c = read();
        }
        if (c == '"') {
          quoted[count] = true;
          long opened = line + 1;
          while (true) {
            c = read();
            if (c < 0) {
              // The last line of the file: the one being read, unless the field ends with its line break.
              long last = length > starts[count] && text[length - 1] == '\n' ? line : line + 1;
              ends[count++] = length;
              problem = "unterminated quote: the field opened on line " + opened + " runs to the end of the file"
                  + (last == opened ? ", which ends inside it"
                      : " (line " + last + "), taking " + (last == opened + 1 ? "line " + last
                          : "lines " + (opened + 1) + " to " + last) + " with it");
              unterminated = true;
              return;
            }
            if (c == '"') {
              c = read();
              if (c != '"') {
                break;
              }
            } else if (c == '\n' || c == '\r') {
              c = newline(c);
              line++;
            }
            append((char) c);
          }
          ends[count++] = length;
          while (trimBlanks && (c == ' ' || c == '\t')) {
            c = read();
          }
          if (c != separator && c != '\n' && c != '\r' && c >= 0) {
            problem = "unexpected character " + Printable.quoted(String.valueOf((char) c))
                + " after the closing quote of field " + count;
            skipLine();
            return;
          }
        } else {
          while (c >= 0 && c != separator && c != '\n' && c != '\r') {
            append((char) c);
            c = read();
          }
          int end = length;
          while (trimBlanks && end > starts[count] && (text[end - 1] == ' ' || text[end - 1] == '\t')) {
            end--;
          }
          ends[count++] = end;
        }
        if (c == separator) {
          c = read();
          continue;
        }
        if (c >= 0) {
          newline(c);
        }
        line++;
        return;
      }
    }

    /** Consumes the {@code \n} of a {@code \r\n}; returns {@code '\n'}. */
    private int newline(int c) throws IOException {
      if (c == '\r') {
        skipLinefeedAfterReturn();
      }
      return '\n';
    }

    private void skipLine() throws IOException {
      int c = read();
      while (c >= 0 && c != '\n' && c != '\r') {
        c = read();
      }
      if (c >= 0) {
        newline(c);
      }
      line++;
    }

    private void append(char c) {
      if (length == text.length) {
        text = Arrays.copyOf(text, length * 2);
      }
      text[length++] = c;
    }
  }
}
