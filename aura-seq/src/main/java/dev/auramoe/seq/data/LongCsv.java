package dev.auramoe.seq.data;

import dev.auramoe.seq.Task;
import dev.auramoe.stream.data.Attribute;
import dev.auramoe.stream.data.Instance;
import dev.auramoe.stream.data.MalformedRowException;
import dev.auramoe.stream.data.Schema;
import dev.auramoe.stream.io.CsvReader;
import dev.auramoe.stream.io.CsvWriter;
import dev.auramoe.stream.io.Printable;
import dev.auramoe.stream.io.ReadOptions;
import java.io.Closeable;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Sequence data sets as long-format CSV: one row per time step.
 *
 * <pre>
 * id,time,heart_rate,temperature,label
 * p1,0,72,36.6,healthy
 * p1,0.5,75,36.7,healthy
 * p2,0,90,38.2,fever
 * p1,2,71,36.6,healthy
 * p2,1,95,38.9,fever
 * </pre>
 *
 * <p><b>Columns</b> (names set by {@link Options}): the sequence id ({@link Options#id()}, any text);
 * an optional time column ({@link Options#time()}, a number); the features (by default every other
 * column, in file order; {@link Options#features()} picks some, and the rest are then ignored); and
 * either a class label ({@link Options#label()}, a name or a number) or, for a regression, numeric
 * target columns ({@link Options#targets()}). The file is read by the stream module's {@link
 * CsvReader} (RFC 4180, gzip, strict UTF-8, exact number parsing), so what it says about quoting and
 * numbers holds here.
 *
 * <p><b>Rows and sequences.</b> Rows of one id need not be contiguous: ids may interleave (as
 * several sensors logged in time order do), and the sequences keep the order in which their ids
 * first appear. Within an id the rows are the steps in file order; with a time column their times
 * must strictly increase (a file whose rows are out of time order is refused, naming both lines,
 * rather than silently sorted: a decrease more often means two ids mixed up than a shuffled export).
 * The label (or targets) is the sequence's, so it must be the same on each of its rows.
 *
 * <p><b>Elapsed time.</b> With a time column, step t's elapsed time is {@code time[t] - time[t-1]}
 * (computed in double, then rounded to float), and the first step's is {@link Options#firstElapsed()}:
 * NaN by default, the model's regular step (0 would mean "no integration step", so that the first
 * input would be lost; it is refused). Without a time column every step's is NaN.
 *
 * <p><b>Missing values</b> (an empty field, {@code ?}, {@code NA}, {@code NaN}) are refused, naming
 * the line and the column: imputing them is a modelling decision the file's author should make.
 *
 * <p><b>Classes.</b> By default the classes are the labels seen; when every label is an integer they
 * are in numeric order (so that labels 0..k-1 keep their numbers), else in order of first appearance.
 * A held-out or test file must be read with the training set's classes
 * ({@code options.withClasses(train.classNames())}), so that a class has the same index in both; a
 * label outside them is then refused.
 *
 * <p><b>Errors.</b> Bad input fails with an {@link IOException} naming the file and, where there is
 * one, the line and column ({@link MalformedRowException} for a row): a missing column, an
 * unparsable or missing value, a label that changes within an id, a time that does not increase, an
 * empty file, a sequence longer than {@link Options#maxLength()}, more than {@link
 * Options#maxClasses()} labels, more values than a data set holds. Nothing is returned then.
 *
 * <p><b>Writing</b> ({@link #write}) is the inverse: the id, the time when {@link Options#time()} is
 * named (0 at each sequence's first step, then the running sum of the elapsed times), the features
 * under the data set's feature names, the label as the class's name (or the targets). Values are
 * written in their shortest float form. A data set that would not read back as it is is refused
 * before anything is written: elapsed times without a time column, a first step's elapsed time other
 * than {@link Options#firstElapsed()}, a later one that is NaN or 0 (times must increase).
 */
public final class LongCsv {

  private LongCsv() {}

  /**
   * Column names and limits of a long-format CSV file. Immutable; the {@code with*} methods return a
   * changed copy.
   *
   * @param id the id column
   * @param time the time column, or null when the file has none (every elapsed time NaN)
   * @param label the class label column (a classification), or null for a regression
   * @param targets the numeric target columns of a regression, empty for a classification
   * @param features the feature columns in order, or null for every column not named above
   * @param classes the class names (class k at index k), or null to take them from the labels
   * @param firstElapsed the elapsed time of each sequence's first step when there is a time column:
   *     NaN (the regular step) or finite and &gt; 0
   * @param separator the field separator
   * @param maxLength the most steps a sequence may have
   * @param maxClasses the most distinct labels
   */
  public record Options(String id, String time, String label, List<String> targets, List<String> features,
      List<String> classes, float firstElapsed, char separator, int maxLength, int maxClasses) {

    /** Steps a sequence may have by default. */
    public static final int DEFAULT_MAX_LENGTH = 1_000_000;

    /** Validates the options. */
    public Options {
      Objects.requireNonNull(id, "id");
      targets = List.copyOf(Objects.requireNonNull(targets, "targets"));
      features = features == null ? null : List.copyOf(features);
      classes = classes == null ? null : List.copyOf(classes);
      if ((label == null) == targets.isEmpty()) {
        throw new IllegalArgumentException("name either a label column (a classification) or target columns (a "
            + "regression), not " + (label == null ? "neither" : "both"));
      }
      List<String> named = new ArrayList<>();
      named.add(id);
      if (time != null) {
        named.add(time);
      }
      if (label != null) {
        named.add(label);
      }
      named.addAll(targets);
      if (features != null) {
        if (features.isEmpty()) {
          throw new IllegalArgumentException("name at least one feature column, or null for every other column");
        }
        named.addAll(features);
      }
      Set<String> seen = new HashSet<>();
      for (String name : named) {
        if (!seen.add(name)) {
          throw new IllegalArgumentException("column " + Printable.quoted(name) + " is named for two roles");
        }
      }
      if (classes != null) {
        if (label == null) {
          throw new IllegalArgumentException("class names are for a classification; a regression has targets");
        }
        if (classes.size() < 2 || new HashSet<>(classes).size() != classes.size()) {
          throw new IllegalArgumentException("need at least 2 distinct class names, got " + classes);
        }
      }
      if (!(Float.isNaN(firstElapsed) || Float.isFinite(firstElapsed) && firstElapsed > 0)) {
        throw new IllegalArgumentException("the first step's elapsed time must be NaN (the regular step) or finite "
            + "and > 0 (0 is no step, so the first input would be lost), got " + firstElapsed);
      }
      if (separator == '"' || separator == '\n' || separator == '\r') {
        throw new IllegalArgumentException("the separator cannot be a quote or a line break");
      }
      if (maxLength < 1 || maxClasses < 2) {
        throw new IllegalArgumentException("need maxLength >= 1 and maxClasses >= 2, got " + maxLength + " and "
            + maxClasses);
      }
    }

    /**
     * Columns {@code id} and {@code label}, no time column, every other column a feature, classes
     * from the labels, ',' as separator, at most {@value #DEFAULT_MAX_LENGTH} steps per sequence and
     * {@value ReadOptions#DEFAULT_MAX_LEVELS} classes.
     */
    public static Options defaults() {
      return new Options("id", null, "label", List.of(), null, null, Float.NaN, ',', DEFAULT_MAX_LENGTH,
          ReadOptions.DEFAULT_MAX_LEVELS);
    }

    /** The same options with this id column. */
    public Options withId(String name) {
      return new Options(name, time, label, targets, features, classes, firstElapsed, separator, maxLength,
          maxClasses);
    }

    /** The same options with this time column (null: none). */
    public Options withTime(String name) {
      return new Options(id, name, label, targets, features, classes, firstElapsed, separator, maxLength,
          maxClasses);
    }

    /** The same options for a classification with this label column. */
    public Options withLabel(String name) {
      return new Options(id, time, Objects.requireNonNull(name, "label"), List.of(), features, classes, firstElapsed,
          separator, maxLength, maxClasses);
    }

    /** The same options for a regression of these target columns (no label, no classes). */
    public Options withTargets(List<String> names) {
      return new Options(id, time, null, names, features, null, firstElapsed, separator, maxLength, maxClasses);
    }

    /** The same options with these feature columns (null: every other column). */
    public Options withFeatures(List<String> names) {
      return new Options(id, time, label, targets, names, classes, firstElapsed, separator, maxLength, maxClasses);
    }

    /** The same options with these class names (null: from the labels). */
    public Options withClasses(List<String> names) {
      return new Options(id, time, label, targets, features, names, firstElapsed, separator, maxLength, maxClasses);
    }

    /** The same options with this elapsed time for each sequence's first step. */
    public Options withFirstElapsed(float e) {
      return new Options(id, time, label, targets, features, classes, e, separator, maxLength, maxClasses);
    }

    /** The same options with this separator. */
    public Options withSeparator(char c) {
      return new Options(id, time, label, targets, features, classes, firstElapsed, c, maxLength, maxClasses);
    }

    /** The same options with these limits. */
    public Options withLimits(int maxSteps, int maxLabels) {
      return new Options(id, time, label, targets, features, classes, firstElapsed, separator, maxSteps, maxLabels);
    }
  }

  // ---------------------------------------------------------------- reading

  /** Reads a long-format CSV file (gzip or plain) as a data set. */
  public static SequenceDataset read(Path file, Options options) throws IOException {
    try (Rows rows = Rows.open(file, options, true)) {
      return new Assembly(rows, options).read();
    }
  }

  /**
   * A long-format CSV file read one row at a time, for a caller that consumes each row as it comes
   * (a live stream's scorer) rather than a whole data set: the columns are found by the options'
   * names and each value is parsed and checked as {@link #read} does, with the same messages (a
   * missing column names its role and the header; a missing or unparsable value names file, line and
   * column). Sequences are not assembled: the order of times within an id, labels and limits are the
   * caller's. Not thread-safe.
   */
  public static final class Rows implements Closeable {

    private final String source;
    private final Columns columns;
    private final CsvReader in;
    private final Instance row;

    private Rows(Path file, Options options, boolean labelRequired) throws IOException {
      this.source = file.toString();
      Columns[] found = new Columns[1];
      this.in = CsvReader.open(file, names -> {
        found[0] = new Columns(source, names, options, labelRequired);
        return found[0].schema;
      }, ReadOptions.defaults().withSeparator(options.separator()));
      this.columns = found[0];
      this.row = new Instance(columns.schema);
    }

    /**
     * Opens a file (gzip or plain) and reads its header.
     *
     * @param labelRequired whether a header without the options' label column is refused; when
     *     false, such a file reads with {@link #hasLabel()} false (a file to score may lack labels)
     * @throws IOException naming the file: a column the options name is missing, or the file cannot
     *     be read
     */
    public static Rows open(Path file, Options options, boolean labelRequired) throws IOException {
      return new Rows(file, options, labelRequired);
    }

    /** Reads the next row; false at the end of the file. */
    public boolean next() throws IOException {
      return in.next(row);
    }

    /** The current row's line in the file. */
    public long line() {
      return row.line();
    }

    /** The current row's sequence id; refused when missing. */
    public String id() throws MalformedRowException {
      return text(columns.id);
    }

    /** Whether the options name a time column. */
    public boolean hasTime() {
      return columns.time >= 0;
    }

    /** The current row's time; refused when missing. Only with {@link #hasTime()}. */
    public double time() throws MalformedRowException {
      return number(columns.time);
    }

    /** Whether the file has the label column. */
    public boolean hasLabel() {
      return columns.label >= 0;
    }

    /** The current row's label; refused when missing. Only with {@link #hasLabel()}. */
    public String label() throws MalformedRowException {
      return text(columns.label);
    }

    /** The feature columns' names, in the order {@link #features} writes them. */
    public List<String> featureNames() {
      return columns.featureNames;
    }

    /** Writes the current row's features, rounded to float, into {@code x[off ..]}; refused when one is missing. */
    public void features(float[] x, int off) throws MalformedRowException {
      for (int i = 0; i < columns.features.length; i++) {
        x[off + i] = (float) number(columns.features[i]);
      }
    }

    /** The current row's target k (a regression's); refused when missing. */
    public double target(int k) throws MalformedRowException {
      return number(columns.targets[k]);
    }

    /** A refusal of the current row, naming the file and its line. */
    public MalformedRowException bad(String reason) {
      return bad(row.line(), reason);
    }

    @Override
    public void close() throws IOException {
      in.close();
    }

    private String text(int c) throws MalformedRowException {
      String t = row.text(c);
      if (t == null) {
        throw bad("missing value" + in(c));
      }
      return t;
    }

    private double number(int c) throws MalformedRowException {
      double v = row.value(c);
      if (Double.isNaN(v)) {
        throw bad("missing value" + in(c) + " (missing values are refused: fill them in, or leave the "
            + "column out of the features)");
      }
      return v;
    }

    private String in(int c) {
      return " in column " + Printable.quoted(columns.names.get(c));
    }

    private MalformedRowException bad(long line, String reason) {
      return new MalformedRowException(source, line, reason);
    }
  }

  /** Where each role's columns are in the file, and the schema the file is read with. */
  private static final class Columns {

    final int id;
    final int time;
    final int label;
    final int[] targets;
    final int[] features;
    final List<String> featureNames;
    final List<String> names;
    final Schema schema;

    Columns(String source, List<String> names, Options o, boolean labelRequired) throws IOException {
      this.names = names;
      this.id = find(source, names, o.id(), "the id column");
      this.time = o.time() == null ? -1 : find(source, names, o.time(), "the time column");
      this.label = o.label() == null ? -1
          : labelRequired ? find(source, names, o.label(), "the label column") : names.indexOf(o.label());
      this.targets = new int[o.targets().size()];
      for (int k = 0; k < targets.length; k++) {
        targets[k] = find(source, names, o.targets().get(k), "a target column");
      }
      if (o.features() != null) {
        features = new int[o.features().size()];
        for (int i = 0; i < features.length; i++) {
          features[i] = find(source, names, o.features().get(i), "a feature column");
        }
      } else {
        Set<Integer> roles = new HashSet<>(List.of(id, time, label));
        for (int t : targets) {
          roles.add(t);
        }
        features = java.util.stream.IntStream.range(0, names.size()).filter(c -> !roles.contains(c)).toArray();
        if (features.length == 0) {
          throw new IOException(source + ": no feature columns: the header names only " + Printable.of(names.toString()));
        }
      }
      this.featureNames = Arrays.stream(features).mapToObj(names::get).toList();
      boolean[] numeric = new boolean[names.size()];
      if (time >= 0) {
        numeric[time] = true;
      }
      for (int c : targets) {
        numeric[c] = true;
      }
      for (int c : features) {
        numeric[c] = true;
      }
      // The id, the label and any column left out are read as text: never parsed, so a label may be a
      // name or a number and an ignored column holds anything. The schema's target is only a role the
      // stream reader needs (a text column cannot be one): the first feature.
      List<Attribute> attributes = new ArrayList<>();
      for (int c = 0; c < names.size(); c++) {
        attributes.add(numeric[c] ? Attribute.numeric(names.get(c)) : Attribute.text(names.get(c)));
      }
      this.schema = new Schema(Path.of(source).getFileName().toString(), attributes, features[0]);
    }

    private static int find(String source, List<String> names, String name, String role) throws IOException {
      int c = names.indexOf(name);
      if (c < 0) {
        throw new IOException(source + ": no column named " + Printable.quoted(name) + " (" + role + "); columns: "
            + Printable.of(names.toString()));
      }
      return c;
    }
  }

  /** One sequence as it is read: its steps so far and what must stay the same on each of its rows. */
  private static final class Sequence {

    final String id;
    final long firstLine;
    float[] x;
    float[] elapsed = new float[8];
    int steps;
    double lastTime;
    long lastLine;
    String label;
    float[] target;

    Sequence(String id, long line, int features) {
      this.id = id;
      this.firstLine = line;
      this.x = new float[8 * features];
    }
  }

  /** Reads the rows into sequences, then builds the data set. */
  private static final class Assembly {

    private final Rows rows;
    private final String source;
    private final Columns columns;
    private final Options options;
    private final Map<String, Sequence> sequences = new LinkedHashMap<>();
    /** Each label seen, with the first line it is on. */
    private final Map<String, Long> labels = new LinkedHashMap<>();
    private long values;

    Assembly(Rows rows, Options options) {
      this.rows = rows;
      this.source = rows.source;
      this.columns = rows.columns;
      this.options = options;
    }

    SequenceDataset read() throws IOException {
      int f = columns.features.length;
      float[] step = new float[f];
      float[] target = new float[columns.targets.length];
      while (rows.next()) {
        long line = rows.line();
        String id = rows.id();
        rows.features(step, 0);
        Sequence s = sequences.get(id);
        if (s == null) {
          s = new Sequence(id, line, f);
          sequences.put(id, s);
        }
        if (s.steps == options.maxLength()) {
          throw bad(line, "sequence " + Printable.quoted(id) + " has more than " + options.maxLength()
              + " steps (from line " + s.firstLine + ")");
        }
        values += f;
        if (values > SequenceDataset.MAX_VALUES) {
          throw bad(line, "more than " + SequenceDataset.MAX_VALUES + " values, more than a data set holds");
        }
        float elapsed = Float.NaN;
        if (columns.time >= 0) {
          double t = rows.time();
          if (s.steps == 0) {
            elapsed = options.firstElapsed();
          } else {
            if (!(t > s.lastTime)) {
              throw bad(line, "time " + t + " of sequence " + Printable.quoted(id) + " does not increase (line "
                  + s.lastLine + " has " + s.lastTime + ")" + in(columns.time) + "; a sequence's rows are in "
                  + "time order");
            }
            elapsed = (float) (t - s.lastTime);
            if (!(elapsed > 0) || Float.isInfinite(elapsed)) {
              throw bad(line, "time " + t + " of sequence " + Printable.quoted(id) + " is " + (t - s.lastTime)
                  + " after line " + s.lastLine + "'s, which is " + elapsed + " in float" + in(columns.time));
            }
          }
          s.lastTime = t;
        }
        if (columns.label >= 0) {
          String label = rows.label();
          if (s.label == null) {
            s.label = label;
            if (labels.putIfAbsent(label, line) == null && labels.size() > options.maxClasses()) {
              throw bad(line, "more than " + options.maxClasses() + " distinct labels" + in(columns.label)
                  + " (a regression target? name it as a target column)");
            }
          } else if (!s.label.equals(label)) {
            throw bad(line, "label " + Printable.quoted(label) + " of sequence " + Printable.quoted(id)
                + " differs from " + Printable.quoted(s.label) + " on line " + s.firstLine + in(columns.label)
                + "; a sequence has one label");
          }
        } else {
          for (int k = 0; k < target.length; k++) {
            target[k] = (float) rows.target(k);
          }
          if (s.target == null) {
            s.target = target.clone();
          } else {
            for (int k = 0; k < target.length; k++) {
              if (Float.floatToIntBits(target[k]) != Float.floatToIntBits(s.target[k])) {
                throw bad(line, "target " + target[k] + " of sequence " + Printable.quoted(id) + " differs from "
                    + s.target[k] + " on line " + s.firstLine + in(columns.targets[k]) + "; a sequence has one "
                    + "target");
              }
            }
          }
        }
        if (s.steps == s.elapsed.length) {
          s.elapsed = Arrays.copyOf(s.elapsed, 2 * s.steps);
          s.x = Arrays.copyOf(s.x, 2 * s.steps * f);
        }
        System.arraycopy(step, 0, s.x, s.steps * f, f);
        s.elapsed[s.steps] = elapsed;
        s.steps++;
        s.lastLine = line;
      }
      if (sequences.isEmpty()) {
        throw new IOException(source + ": no rows after the header");
      }
      return build();
    }

    private SequenceDataset build() throws IOException {
      SequenceDataset.Builder b;
      if (columns.label < 0) {
        b = SequenceDataset.builder(Task.regression(columns.targets.length), columns.featureNames);
      } else {
        List<String> classes = options.classes() != null ? options.classes() : classesOf();
        Map<String, Integer> index = new HashMap<>();
        for (int k = 0; k < classes.size(); k++) {
          index.put(classes.get(k), k);
        }
        for (Map.Entry<String, Long> e : labels.entrySet()) {
          if (!index.containsKey(e.getKey())) {
            throw bad(e.getValue(), "label " + Printable.quoted(e.getKey()) + " is not one of the classes "
                + Printable.of(classes.toString()) + in(columns.label));
          }
        }
        b = SequenceDataset.builder(Task.classification(classes.size()), columns.featureNames).classNames(classes);
        for (Sequence s : sequences.values()) {
          b.add(s.id, s.steps, s.x, s.elapsed, index.get(s.label));
        }
        return b.build();
      }
      for (Sequence s : sequences.values()) {
        b.add(s.id, s.steps, s.x, s.elapsed, s.target);
      }
      return b.build();
    }

    /** The labels seen: in numeric order when all are integers, else in order of first appearance. */
    private List<String> classesOf() throws IOException {
      if (labels.size() < 2) {
        throw new IOException(source + ": every sequence has the label " + Printable.quoted(labels.keySet()
            .iterator().next()) + "; a classification needs at least two classes (name them in the options when "
            + "a file holds only some)");
      }
      Map<Long, String> numbers = new java.util.TreeMap<>();
      for (String label : labels.keySet()) {
        Long v = integer(label);
        if (v == null) {
          return List.copyOf(labels.keySet());
        }
        String other = numbers.put(v, label);
        if (other != null) {
          throw bad(labels.get(label), "labels " + Printable.quoted(other) + " and " + Printable.quoted(label)
              + " are the same number" + in(columns.label));
        }
      }
      return List.copyOf(numbers.values());
    }

    private static Long integer(String s) {
      if (s.isEmpty() || s.length() > 18) {
        return null;
      }
      for (int i = s.charAt(0) == '-' || s.charAt(0) == '+' ? 1 : 0; i < s.length(); i++) {
        if (s.charAt(i) < '0' || s.charAt(i) > '9') {
          return null;
        }
      }
      return s.length() == 1 && !Character.isDigit(s.charAt(0)) ? null : Long.parseLong(s);
    }

    private String in(int c) {
      return rows.in(c);
    }

    private MalformedRowException bad(long line, String reason) {
      return rows.bad(line, reason);
    }
  }

  // ---------------------------------------------------------------- writing

  /**
   * Writes a data set as a long-format CSV file (UTF-8), replacing {@code file}. Everything is
   * checked before the file is opened.
   *
   * @throws IllegalArgumentException when the data set would not read back as it is under these
   *     options (see the class comment), naming the sequence and step; or a column name is taken twice
   */
  public static void write(SequenceDataset data, Path file, Options options) throws IOException {
    Schema schema = checkWritable(data, options);
    try (CsvWriter out = new CsvWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8), schema)) {
      rows(data, options, schema, out);
    }
  }

  /** Writes a data set as long-format CSV to {@code out}, which is flushed, not closed. */
  public static void write(SequenceDataset data, Writer out, Options options) throws IOException {
    Schema schema = checkWritable(data, options);
    CsvWriter w = new CsvWriter(out, schema);
    rows(data, options, schema, w);
    w.flush();
  }

  private static Schema checkWritable(SequenceDataset data, Options o) {
    boolean regression = data.task().kind() == Task.Kind.REGRESSION;
    if (regression && o.targets().size() != data.task().size()) {
      throw new IllegalArgumentException("a regression of " + data.task().size() + " targets needs as many target "
          + "columns named, got " + o.targets());
    }
    if (!regression && o.label() == null) {
      throw new IllegalArgumentException("a classification needs a label column named");
    }
    List<Attribute> attributes = new ArrayList<>();
    attributes.add(Attribute.text(o.id()));
    if (o.time() != null) {
      attributes.add(Attribute.numeric(o.time()));
    }
    for (String name : data.featureNames()) {
      attributes.add(Attribute.numeric(name));
    }
    int target = attributes.size();
    if (regression) {
      for (String name : o.targets()) {
        attributes.add(Attribute.numeric(name));
      }
    } else {
      attributes.add(Attribute.nominal(o.label(), data.classNames()));
    }
    Set<String> names = new HashSet<>();
    for (Attribute a : attributes) {
      if (!names.add(a.name())) {
        throw new IllegalArgumentException("column " + Printable.quoted(a.name()) + " would appear twice: a feature "
            + "has the name of the id, time, label or a target column");
      }
    }
    for (int s = 0; s < data.size(); s++) {
      double time = 0;
      for (int t = 0; t < data.length(s); t++) {
        float e = data.elapsed(s, t);
        if (o.time() == null) {
          if (!Float.isNaN(e)) {
            throw new IllegalArgumentException(SequenceDataset.name(s, data.id(s)) + " has elapsed time " + e
                + " at step " + t + ", which a file without a time column loses: name a time column");
          }
        } else if (t == 0) {
          if (Float.floatToIntBits(e) != Float.floatToIntBits(o.firstElapsed())) {
            throw new IllegalArgumentException(SequenceDataset.name(s, data.id(s)) + " has elapsed time " + e
                + " at its first step, which reads back as the options' first elapsed time " + o.firstElapsed());
          }
        } else if (!(e > 0)) {
          throw new IllegalArgumentException(SequenceDataset.name(s, data.id(s)) + " has elapsed time " + e
              + " at step " + t + "; in a time column the times must increase");
        } else {
          double next = time + e;
          if ((float) (next - time) != e) {
            throw new IllegalArgumentException(SequenceDataset.name(s, data.id(s)) + ": the time at step " + t
                + " would not read back to its elapsed time " + e + " (the running time is too large for it)");
          }
          time = next;
        }
      }
    }
    return new Schema("sequences", attributes, target);
  }

  private static void rows(SequenceDataset data, Options o, Schema schema, CsvWriter out) throws IOException {
    Instance row = new Instance(schema);
    double[] v = row.values();
    int f = data.features();
    int from = o.time() == null ? 1 : 2;
    float[] step = new float[f];
    for (int s = 0; s < data.size(); s++) {
      double time = 0;
      for (int t = 0; t < data.length(s); t++) {
        row.setText(0, data.id(s));
        if (o.time() != null) {
          if (t > 0) {
            time += data.elapsed(s, t);
          }
          v[1] = time;
        }
        data.copyStep(s, t, step, 0);
        for (int i = 0; i < f; i++) {
          v[from + i] = shortest(step[i]);
        }
        if (data.task().kind() == Task.Kind.REGRESSION) {
          for (int k = 0; k < data.task().size(); k++) {
            v[from + f + k] = shortest(data.target(s, k));
          }
        } else {
          v[from + f] = data.label(s);
        }
        out.write(row);
      }
    }
  }

  /** The double nearest the shortest decimal that reads back as {@code v} in float: written in few digits. */
  private static double shortest(float v) {
    return v == (long) v ? v : Double.parseDouble(Float.toString(v));
  }
}
