package dev.auramoe.stream.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

import dev.auramoe.stream.data.Attribute;
import dev.auramoe.stream.data.Instance;
import dev.auramoe.stream.data.MalformedRowException;
import dev.auramoe.stream.data.Schema;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Text columns in ARFF ({@code string}) and CSV (inferred or asked for), and their checks. */
class TextColumnsTest {

  @TempDir
  Path dir;

  /** Refuses blank text and text over 40 chars, as a real check (aura-text's) refuses its own cases. */
  private static final Function<String, String> CHECK = t -> t.isBlank() ? "text is blank"
      : t.length() > 40 ? "text is " + t.length() + " chars long" : null;

  private Path write(String name, String text) throws IOException {
    Path file = dir.resolve(name);
    Files.writeString(file, text, StandardCharsets.UTF_8);
    return file;
  }

  /** Every row's texts and values, copied. */
  private static List<Instance> all(TextReader in) throws IOException {
    List<Instance> rows = new ArrayList<>();
    Instance row = new Instance(in.schema());
    while (in.next(row)) {
      Instance copy = new Instance(in.schema());
      copy.copyFrom(row);
      rows.add(copy);
    }
    return rows;
  }

  // ---------------------------------------------------------------- ARFF

  private static final String REVIEWS = """
      @relation reviews
      @attribute stars numeric
      @attribute review string
      @attribute 'the title' STRING
      @attribute class {bad,good}
      @data
      1,'awful, \\'broken\\' on day one',Broke,bad
      5,"a joy\\nto use",'Great',good
      3,?,plain words here,good
      {0 4, 1 'sparse text', 3 good}
      2,'',x,bad
      """;

  @Test
  void arffStringAttributesAreTextWithEscapesMissingAndSparseRows() throws IOException {
    try (ArffReader in = ArffReader.open(new StringReader(REVIEWS), "r.arff",
        ReadOptions.defaults().withPolicy(MalformedRowPolicy.SKIP).withTextCheck(CHECK))) {
      Schema s = in.schema();
      assertThat(s.attributes()).extracting(Attribute::kind).containsExactly(Attribute.Kind.NUMERIC,
          Attribute.Kind.TEXT, Attribute.Kind.TEXT, Attribute.Kind.NOMINAL);
      assertThat(s.hasText()).isTrue();
      assertThat(dev.auramoe.stream.StreamSources.textNotes(in)).containsExactly(
          "column 'review' is read as text: the file declares it string",
          "column 'the title' is read as text: the file declares it string");
      List<Instance> rows = all(in);
      assertThat(rows).extracting(r -> r.text(1), r -> r.text(2), Instance::line).containsExactly(
          tuple("awful, 'broken' on day one", "Broke", 7L),
          tuple("a joy\nto use", "Great", 8L),
          tuple(null, "plain words here", 9L),
          tuple("sparse text", null, 10L));
      assertThat(rows.get(2).isMissing(1)).isTrue();
      assertThat(rows.get(0).value(1)).as("a present text's value").isZero();
      assertThat(rows.get(3).isMissing(2)).as("an absent text of a sparse row is missing").isTrue();
      assertThat(rows.get(3).value(0)).isEqualTo(4);
      assertThat(in.problems()).extracting(MalformedRowException::line, MalformedRowException::reason)
          .containsExactly(tuple(11L, "text in column 'review': text is blank"));
    }
  }

  @Test
  void aTextTheCheckRefusesAbortsWithItsLineAndColumnBeforeTheRowIsGiven() throws IOException {
    String arff = "@relation r\n@attribute t string\n@attribute c {a,b}\n@data\n'fine text',a\n'"
        + "x".repeat(41) + "',b\n'never read',a\n";
    try (ArffReader in = ArffReader.open(new StringReader(arff), "r.arff",
        ReadOptions.defaults().withTextCheck(CHECK))) {
      Instance row = new Instance(in.schema());
      assertThat(in.next(row)).isTrue();
      assertThat(row.text(0)).isEqualTo("fine text");
      assertThatThrownBy(() -> in.next(row)).isInstanceOf(MalformedRowException.class)
          .hasMessage("r.arff:6: text in column 't': text is 41 chars long");
    }
  }

  @Test
  void anArffTextTargetAndKindsTheHeaderDoesNotDeclareAreRefused() {
    assertThatThrownBy(() -> ArffReader.open(new StringReader(REVIEWS), "r.arff",
        ReadOptions.defaults().withTarget("review")))
        .isInstanceOf(IOException.class).hasMessage("r.arff: target 'review' is declared string (a text); a target is "
            + "numeric or nominal");
    assertThatThrownBy(() -> ArffReader.open(new StringReader(REVIEWS.replace("@attribute class {bad,good}",
        "@attribute class string")), "r.arff", ReadOptions.defaults()))
        .isInstanceOf(IOException.class).hasMessageContaining("target 'class' is declared string");
    assertThatThrownBy(() -> ReadOptions.defaults().withTextColumns(Set.of("review")).withTarget("review"))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("the target 'review' cannot be a text column");
    assertThatThrownBy(() -> ArffReader.open(new StringReader(REVIEWS), "r.arff",
        ReadOptions.defaults().withTextColumns(Set.of("stars"))))
        .isInstanceOf(IOException.class).hasMessage("r.arff: attribute 'stars' is declared numeric, not string; an "
            + "ARFF header declares the types");
    assertThatThrownBy(() -> ArffReader.open(new StringReader(REVIEWS), "r.arff",
        ReadOptions.defaults().withNominalColumns(Set.of("review"))))
        .isInstanceOf(IOException.class).hasMessageContaining("attribute 'review' is declared text, not nominal");
    assertThatThrownBy(() -> ArffReader.open(new StringReader(REVIEWS), "r.arff",
        ReadOptions.defaults().withTextColumns(Set.of("nope"))))
        .isInstanceOf(IOException.class).hasMessageContaining("no attribute named 'nope' (asked to be read as string)");
  }

  // ---------------------------------------------------------------- CSV inference

  /** A text column of distinct five-word sentences, a city of repeated phrases, an identifier, a number. */
  private static String mixed(int rows) {
    String[] cities = {"New York", "San Francisco", "Los Angeles"};
    StringBuilder sb = new StringBuilder("id,city,message,size,label\n");
    for (int i = 0; i < rows; i++) {
      sb.append("u").append(i).append(',').append(cities[i % 3]).append(',')
          .append(i % 7 == 0 ? "\"thanks, it works\nnow " + i + "\"" : "please fix my order " + i).append(',')
          .append(i * 0.5).append(',').append(i % 2 == 0 ? "yes" : "no").append('\n');
    }
    return sb.toString();
  }

  @Test
  void aCsvColumnOfMostlyDistinctPhrasesIsTextAndRepeatedPhrasesStayNominal() throws IOException {
    Path file = write("m.csv", mixed(60));
    try (CsvReader in = CsvReader.open(file)) {
      Schema s = in.schema();
      assertThat(s.attributes()).extracting(Attribute::kind).containsExactly(Attribute.Kind.NOMINAL,
          Attribute.Kind.NOMINAL, Attribute.Kind.TEXT, Attribute.Kind.NUMERIC, Attribute.Kind.NOMINAL);
      assertThat(s.attribute(1).values()).containsExactly("New York", "San Francisco", "Los Angeles");
      assertThat(in.textNotes()).containsExactly("column 'message' is read as text: 60 of its 60 values are phrases "
          + "(4.0 words on average)");
      List<Instance> rows = all(in);
      assertThat(rows).hasSize(60);
      assertThat(rows.get(0).text(2)).isEqualTo("thanks, it works\nnow 0");
      assertThat(rows.get(1).text(2)).isEqualTo("please fix my order 1");
      assertThat(rows.get(8).line()).as("lines stay exact after quoted line breaks").isEqualTo(12);
    }
  }

  @Test
  void theRuleNeedsHalfPhrasesAndSentencesOrMoreThanHalfDistinctOrMoreThanMaxLevels() throws IOException {
    // Half of the values phrases, all distinct: text. Fewer than half phrases: nominal.
    StringBuilder half = new StringBuilder("t,y\n");
    StringBuilder fewer = new StringBuilder("t,y\n");
    for (int i = 0; i < 10; i++) {
      half.append(i % 2 == 0 ? "two words" + i : "one" + i).append(",a\n");
      fewer.append(i % 3 == 0 ? "two words" + i : "one" + i).append(",a\n");
    }
    try (CsvReader in = CsvReader.open(write("h.csv", half.toString()))) {
      assertThat(in.schema().attribute(0).isText()).isTrue();
    }
    try (CsvReader in = CsvReader.open(write("f.csv", fewer.toString()))) {
      assertThat(in.schema().attribute(0).isNominal()).isTrue();
    }
    // Phrases, exactly half distinct: nominal; one more distinct: text.
    StringBuilder repeated = new StringBuilder("t,y\n");
    for (int i = 0; i < 10; i++) {
      repeated.append("a phrase ").append(i % 5).append(",a\n");
    }
    try (CsvReader in = CsvReader.open(write("r.csv", repeated.toString()))) {
      assertThat(in.schema().attribute(0).isNominal()).isTrue();
    }
    try (CsvReader in = CsvReader.open(write("r6.csv", repeated + "a phrase 5,a\n"))) {
      assertThat(in.schema().attribute(0).isText()).isTrue();
      assertThat(in.textNotes()).containsExactly("column 't' is read as text: 11 of its 11 values are phrases (2.0 "
          + "words on average), 6 of them distinct");
    }
    // Sentences (four words or more on average) are text however often they repeat.
    StringBuilder sentences = new StringBuilder("t,y\n");
    for (int i = 0; i < 10; i++) {
      sentences.append(i % 2 == 0 ? "please call me back" : "where is my parcel").append(",a\n");
    }
    try (CsvReader in = CsvReader.open(write("s.csv", sentences.toString()))) {
      assertThat(in.schema().attribute(0).isText()).isTrue();
      assertThat(in.textNotes()).containsExactly("column 't' is read as text: 10 of its 10 values are phrases (4.0 "
          + "words on average)");
    }
    try (CsvReader in = CsvReader.open(write("s3.csv", sentences.toString().replace(" back", "")
        .replace(" parcel", "")))) {
      assertThat(in.schema().attribute(0).isNominal()).as("three words, two values").isTrue();
    }
    // More distinct values than maxLevels: phrases are text, single words (an identifier) are left out.
    StringBuilder many = new StringBuilder("words,ids,y\n");
    for (int i = 0; i < 40; i++) {
      many.append("a phrase ").append(i % 12).append(",id").append(i).append(",a\n");
    }
    try (CsvReader in = CsvReader.open(write("many.csv", many.toString()), ReadOptions.defaults().withMaxLevels(10))) {
      assertThat(in.schema().attributes()).extracting(Attribute::name, Attribute::kind)
          .containsExactly(tuple("words", Attribute.Kind.TEXT), tuple("y", Attribute.Kind.NOMINAL));
      assertThat(in.leftOut()).containsExactly("ids");
      assertThat(in.textNotes()).containsExactly("column 'words' is read as text: 40 of its 40 values are phrases "
          + "(2.0 words on average), and it has more than 10 distinct values");
    }
  }

  @Test
  void timestampsAndSpacedNumbersAreNoPhrases() throws IOException {
    // A date and a time of day, all distinct; a number with a space as thousands separator. Before text
    // columns, the first two were nominal (or left out past --max-levels); they are not free text.
    StringBuilder sb = new StringBuilder("when,clock,amount,n,y\n");
    for (int i = 0; i < 40; i++) {
      sb.append(String.format(java.util.Locale.ROOT, "2023-01-%02d %02d:%02d:00,%02d:%02d %s,%d %03d,%d,%s%n",
          1 + i % 28, i % 24, i, 1 + i % 12, i, i % 2 == 0 ? "+01:00" : "-05:00", 1 + i, 7 * i, i, i % 2 == 0 ? "a"
              : "b"));
    }
    try (CsvReader in = CsvReader.open(write("t.csv", sb.toString()))) {
      assertThat(in.schema().attributes()).extracting(Attribute::name, Attribute::kind).containsExactly(
          tuple("when", Attribute.Kind.NOMINAL), tuple("clock", Attribute.Kind.NOMINAL),
          tuple("amount", Attribute.Kind.NOMINAL), tuple("n", Attribute.Kind.NUMERIC), tuple("y", Attribute.Kind.NOMINAL));
      assertThat(in.textNotes()).isEmpty();
    }
    // Past --max-levels they are identifiers, left out, as before.
    try (CsvReader in = CsvReader.open(write("t.csv", sb.toString()), ReadOptions.defaults().withMaxLevels(10))) {
      assertThat(in.leftOut()).containsExactly("when", "clock", "amount");
      assertThat(in.textNotes()).isEmpty();
    }
  }

  @Test
  void columnsNamedTextOrNominalAreReadSoAndBadNamesAreRefused() throws IOException {
    Path file = write("m.csv", mixed(30));
    ReadOptions asked = ReadOptions.defaults().withTextColumns(Set.of("city", "size"))
        .withNominalColumns(Set.of("message"));
    try (CsvReader in = CsvReader.open(file, asked)) {
      assertThat(in.schema().attributes()).extracting(Attribute::kind).containsExactly(Attribute.Kind.NOMINAL,
          Attribute.Kind.TEXT, Attribute.Kind.NOMINAL, Attribute.Kind.TEXT, Attribute.Kind.NOMINAL);
      assertThat(in.textNotes()).containsExactly("column 'city' is read as text: as asked",
          "column 'size' is read as text: as asked");
      List<Instance> rows = all(in);
      assertThat(rows.get(3).text(3)).as("a number asked to be text is its text").isEqualTo("1.5");
    }
    // A column of numbers asked to be nominal keeps them as written, in order of appearance.
    try (CsvReader in = CsvReader.open(write("n.csv", "n,y\n2,a\n1.0,b\n2,a\n"),
        ReadOptions.defaults().withNominalColumns(Set.of("n")))) {
      assertThat(in.schema().attribute(0).values()).containsExactly("2", "1.0");
      assertThat(in.warnings()).as("no warning of numbers and text in a column asked to be nominal").isEmpty();
    }
    assertThatThrownBy(() -> CsvReader.open(file, ReadOptions.defaults().withTextColumns(Set.of("nope"))))
        .isInstanceOf(IOException.class).hasMessageContaining("no column named 'nope' (asked to be read as text)");
    assertThatThrownBy(() -> CsvReader.open(file, ReadOptions.defaults().withTextColumns(Set.of("label"))))
        .isInstanceOf(IOException.class).hasMessageEndingWith("the target 'label' cannot be read as text: a target is "
            + "numeric or nominal");
    assertThatThrownBy(() -> CsvReader.open(file, ReadOptions.defaults().withNominalColumns(Set.of("label"))))
        .isInstanceOf(IOException.class).hasMessageContaining("cannot be read as nominal this way");
    assertThatThrownBy(() -> ReadOptions.defaults().withTextColumns(Set.of("a")).withNominalColumns(Set.of("a")))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("columns named both text and nominal: a");
  }

  @Test
  void aCsvTextIsMissingWhenUnquotedEmptyAndAQuotedEmptyOneGoesToTheCheck() throws IOException {
    StringBuilder sb = new StringBuilder("note,y\n");
    for (int i = 0; i < 8; i++) {
      sb.append("some words ").append(i).append(",a\n");
    }
    sb.append(",b\n").append("?,b\n").append("\"  \",b\n").append("\"NA\",a\n");
    try (CsvReader in = CsvReader.open(write("e.csv", sb.toString()),
        ReadOptions.defaults().withPolicy(MalformedRowPolicy.SKIP).withTextCheck(CHECK))) {
      assertThat(in.schema().attribute(0).isText()).isTrue();
      List<Instance> rows = all(in);
      assertThat(rows).extracting(r -> r.text(0)).endsWith(null, null, "NA");
      assertThat(rows.get(8).isMissing(0)).isTrue();
      assertThat(in.problems()).extracting(MalformedRowException::line, MalformedRowException::reason)
          .containsExactly(tuple(12L, "text in column 'note': text is blank"));
    }
  }

  @Test
  void anInstanceWithoutRoomForTextsIsRefused() throws IOException {
    try (CsvReader in = CsvReader.open(write("m.csv", mixed(10)))) {
      assertThatThrownBy(() -> in.next(new Instance(in.schema().size())))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("new Instance(schema)");
    }
  }

  // ---------------------------------------------------------------- not UTF-8

  @Test
  void bytesThatAreNotUtf8StopACsvFileBeforeAnyRowNamingLineAndColumn() throws IOException {
    StringBuilder sb = new StringBuilder("x,note,y\n");
    for (int i = 0; i < 3000; i++) {
      sb.append(i).append(",caf\u00e9 number ").append(i).append(",a\n");
    }
    byte[] good = sb.toString().getBytes(StandardCharsets.UTF_8);
    byte[] tail = ",caf\u00e9 au lait,b\n".getBytes(StandardCharsets.ISO_8859_1);
    byte[] bad = java.util.Arrays.copyOf(good, good.length + 4 + tail.length);
    System.arraycopy("3000".getBytes(StandardCharsets.US_ASCII), 0, bad, good.length, 4);
    System.arraycopy(tail, 0, bad, good.length + 4, tail.length);
    Path file = dir.resolve("latin1.csv");
    Files.write(file, bad);
    // Line 3002 is far past the first chunks the reader decodes, so the line is counted, not guessed.
    assertThatThrownBy(() -> CsvReader.open(file)).isInstanceOf(IOException.class)
        .hasMessage(file + ":3002: not UTF-8: invalid byte 0xE9 at byte offset " + (good.length + 8)
            + ", in column 'note' (field 2); the file must be UTF-8 (convert it, for example: iconv -f latin1 "
            + "-t utf-8)");
    Files.write(file, java.util.Arrays.copyOf(good, good.length));
    try (CsvReader in = CsvReader.open(file)) {
      assertThat(all(in)).hasSize(3000).last().extracting(r -> r.text(1)).isEqualTo("caf\u00e9 number 2999");
    }
  }

  @Test
  void bytesThatAreNotUtf8StopAnArffFileAtTheirLineAndCharacter() throws IOException {
    byte[] head = "@relation r\n@attribute t string\n@attribute c {a,b}\n@data\n'ok',a\n'bad "
        .getBytes(StandardCharsets.UTF_8);
    byte[] rest = {(byte) 0xC3, (byte) 0x28, '\'', ',', 'b', '\n'};
    byte[] all = java.util.Arrays.copyOf(head, head.length + rest.length);
    System.arraycopy(rest, 0, all, head.length, rest.length);
    Path file = dir.resolve("bad.arff");
    Files.write(file, all);
    try (ArffReader in = ArffReader.open(file)) {
      Instance row = new Instance(in.schema());
      assertThat(in.next(row)).isTrue();
      assertThatThrownBy(() -> in.next(row)).isInstanceOf(IOException.class)
          .hasMessage(file + ":6: not UTF-8: invalid byte 0xC3 at byte offset " + head.length + ", at character 6 of "
              + "the line; the file must be UTF-8 (convert it, for example: iconv -f latin1 -t utf-8)");
    }
  }

  // ---------------------------------------------------------------- writing

  @Test
  void textsAreWrittenQuotedAndReadBackAsThemselves() throws IOException {
    Schema schema = new Schema("t", List.of(Attribute.text("note"), Attribute.nominal("y", List.of("a", "b"))), 1);
    String[] texts = {"plain", "with, comma", "two\nlines", "it's \"quoted\" 50%", "?", null, "NA"};
    StringWriter arff = new StringWriter();
    StringWriter csv = new StringWriter();
    try (ArffWriter a = new ArffWriter(arff, schema); CsvWriter c = new CsvWriter(csv, schema)) {
      Instance row = new Instance(schema);
      for (int i = 0; i < texts.length; i++) {
        row.setText(0, texts[i]);
        row.set(1, i % 2);
        a.write(row);
        c.write(row);
      }
    }
    assertThat(arff.toString()).contains("@attribute note string\n");
    try (ArffReader a = ArffReader.open(new StringReader(arff.toString()), "w.arff", ReadOptions.defaults());
        CsvReader c = CsvReader.open(new StringReader(csv.toString()), "w.csv", schema, ReadOptions.defaults())) {
      assertThat(a.schema()).isEqualTo(schema.withTarget(1));
      assertThat(all(a)).extracting(r -> r.text(0)).containsExactly(texts);
      assertThat(all(c)).extracting(r -> r.text(0)).containsExactly(texts);
    }
    Instance noText = new Instance(schema);
    noText.set(0, 0);
    try (CsvWriter c = new CsvWriter(new StringWriter(), schema)) {
      assertThatThrownBy(() -> c.write(noText)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("has no text");
    }
  }
}
