package dev.auramoe.stream.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

import dev.auramoe.stream.data.Attribute;
import dev.auramoe.stream.data.Instance;
import dev.auramoe.stream.data.MalformedRowException;
import dev.auramoe.stream.data.Schema;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** CSV quoting, type inference, missing values, targets, the AUTO rule and malformed rows. */
class CsvReaderTest {

  @TempDir
  Path dir;

  private Path write(String name, String text) throws IOException {
    Path file = dir.resolve(name);
    Files.writeString(file, text, StandardCharsets.UTF_8);
    return file;
  }

  private static List<Instance> all(CsvReader in) throws IOException {
    List<Instance> rows = new ArrayList<>();
    Instance row = new Instance(in.schema());
    while (in.next(row)) {
      Instance copy = new Instance(in.schema());
      copy.copyFrom(row);
      rows.add(copy);
    }
    return rows;
  }

  @Test
  void typesAreInferredAndNominalValuesKeepFirstAppearanceOrder() throws IOException {
    Path file = write("weather.csv", """
        temp,outlook,id,windy,play
        20.5,sunny,1,no,yes
        ?,rainy,2,NA,no
        -3,"sunny",x7,,yes
        1e2,overcast,4,yes,maybe
        """);
    try (CsvReader in = CsvReader.open(file)) {
      Schema s = in.schema();
      assertThat(s.relation()).isEqualTo("weather");
      assertThat(s.attributes()).extracting(Attribute::name).containsExactly("temp", "outlook", "id", "windy", "play");
      assertThat(s.attribute(0).isNominal()).isFalse();
      assertThat(s.attribute(1).values()).containsExactly("sunny", "rainy", "overcast");
      assertThat(s.attribute(2).values()).as("a numeric column that turns nominal late keeps its order")
          .containsExactly("1", "2", "x7", "4");
      assertThat(s.attribute(3).values()).containsExactly("no", "yes");
      assertThat(s.targetIndex()).isEqualTo(4);
      assertThat(s.target().values()).containsExactly("yes", "no", "maybe");
      List<Instance> rows = all(in);
      assertThat(rows).hasSize(4);
      assertThat(rows.get(0).values()).containsExactly(20.5, 0, 0, 0, 0);
      assertThat(rows.get(1).isMissing(0)).isTrue();
      assertThat(rows.get(1).isMissing(3)).isTrue();
      assertThat(rows.get(2).values()).startsWith(-3, 0, 2);
      assertThat(rows.get(2).isMissing(3)).isTrue();
      assertThat(rows.get(3).values()).containsExactly(100, 2, 3, 1, 2);
      assertThat(rows).extracting(Instance::line).containsExactly(2L, 3L, 4L, 5L);
    }
  }

  @Test
  void quotedFieldsHoldSeparatorsQuotesAndLineBreaksAndLinesStayExact() throws IOException {
    Path file = write("q.csv", "\uFEFFname,\"x, y\",label\r\n"
        + "\"a, b\",1,\"say \"\"hi\"\"\"\r\n"
        + "\"two\nline\r\nvalue\",2,plain\r\n"
        + "\r\n"
        + "  \"padded\" ,3,plain\n"
        + "\"\",4,\"\"\n"
        + "last,5,plain");
    try (CsvReader in = CsvReader.open(file)) {
      Schema s = in.schema();
      assertThat(s.attributes()).extracting(Attribute::name).containsExactly("name", "x, y", "label");
      assertThat(s.attribute(0).values()).containsExactly("a, b", "two\nline\nvalue", "padded", "", "last");
      assertThat(s.target().values()).containsExactly("say \"hi\"", "plain", "");
      List<Instance> rows = all(in);
      assertThat(rows).extracting(Instance::line).containsExactly(2L, 3L, 7L, 8L, 9L);
      assertThat(rows.get(3).values()).as("a quoted empty field is a value, not missing").containsExactly(3, 4, 2);
    }
  }

  @Test
  void theSeparatorTargetAndGzipAreOptions() throws IOException {
    Path file = dir.resolve("semi.csv.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
      out.write("a;b;c\n1,5;x;3\n2;y;4\n".getBytes(StandardCharsets.UTF_8));
    }
    try (CsvReader in = CsvReader.open(file, ReadOptions.defaults().withSeparator(';').withTarget("b"))) {
      assertThat(in.schema().relation()).isEqualTo("semi");
      assertThat(in.schema().targetIndex()).isEqualTo(1);
      assertThat(in.schema().attribute(0).values()).as("'1,5' is not a number").containsExactly("1,5", "2");
      assertThat(in.schema().attribute(2).isNominal()).isFalse();
      assertThat(all(in)).hasSize(2);
    }
    Path tabs = write("t.tsv", "a\tb\n 1 \t2\n");
    try (CsvReader in = CsvReader.open(tabs, ReadOptions.defaults().withSeparator('\t'))) {
      assertThat(in.schema().target().values()).as("one integer target value: class '2'").containsExactly("2");
      assertThat(all(in).get(0).values()).containsExactly(1, 0);
    }
    assertThatThrownBy(() -> CsvReader.open(file, ReadOptions.defaults().withSeparator(';').withTarget("zz")))
        .hasMessageContaining("no column named 'zz'");
    Path dup = write("dup.csv", "a,b,a\n1,2,3\n");
    assertThatThrownBy(() -> CsvReader.open(dup)).hasMessageContaining("dup.csv:1: column name 'a' appears twice");
    Path one = write("one.csv", "a;b\n1;2\n");
    assertThatThrownBy(() -> CsvReader.open(one)).hasMessageContaining("is the separator ',' right?");
  }

  @Test
  void autoMakesSmallIntegerTargetsNominalInNumericOrder() throws IOException {
    StringBuilder few = new StringBuilder("x,y\n");
    for (int i = 0; i < 64; i++) {
      few.append(i).append(',').append((i * 7) % 32).append('\n');
    }
    try (CsvReader in = CsvReader.open(write("few.csv", few.toString()))) {
      assertThat(in.schema().isClassification()).isTrue();
      assertThat(in.schema().classes()).isEqualTo(32);
      assertThat(in.schema().target().values()).startsWith("0", "1", "2").endsWith("31");
      List<Instance> rows = all(in);
      assertThat(rows.get(3).value(1)).isEqualTo(21);
    }
    StringBuilder many = new StringBuilder("x,y\n");
    for (int i = 0; i < 33; i++) {
      many.append(i).append(',').append(i).append('\n');
    }
    try (CsvReader in = CsvReader.open(write("many.csv", many.toString()))) {
      assertThat(in.schema().isClassification()).as("33 distinct integers are a regression target").isFalse();
    }
    try (CsvReader in = CsvReader.open(write("frac.csv", "x,y\n1,0\n2,0.5\n3,1\n"))) {
      assertThat(in.schema().isClassification()).isFalse();
    }
    try (CsvReader in = CsvReader.open(write("neg.csv", "x,y\n1,-1\n2,1.0\n3,1\n4,-0\n5,?\n"))) {
      assertThat(in.schema().target().values()).containsExactly("-1", "0", "1");
      assertThat(all(in)).extracting(r -> r.value(1)).containsExactly(0.0, 2.0, 2.0, 1.0, Double.NaN);
    }
  }

  @Test
  void nominalAndNumericTargetTypesOverrideTheRule() throws IOException {
    Path file = write("t.csv", "x,y\n1,2.5\n2,1\n3,1.0\n4,2.5\n");
    try (CsvReader in = CsvReader.open(file, ReadOptions.defaults().withTargetType(TargetType.NOMINAL))) {
      assertThat(in.schema().target().values()).containsExactly("1", "2.5");
      assertThat(all(in)).extracting(r -> r.value(1)).containsExactly(1.0, 0.0, 0.0, 1.0);
    }
    Path ints = write("i.csv", "x,y\n1,0\n2,1\n");
    try (CsvReader in = CsvReader.open(ints, ReadOptions.defaults().withTargetType(TargetType.NUMERIC))) {
      assertThat(in.schema().isClassification()).isFalse();
      assertThat(all(in)).extracting(r -> r.value(1)).containsExactly(0.0, 1.0);
    }
    Path text = write("text.csv", "x,y\n1,0.5\n2,high\n3,2\n");
    try (CsvReader in = CsvReader.open(text, ReadOptions.defaults().withTargetType(TargetType.NUMERIC))) {
      Instance row = new Instance(in.schema());
      assertThat(in.next(row)).isTrue();
      assertThatThrownBy(() -> in.next(row)).isInstanceOfSatisfying(MalformedRowException.class, e -> {
        assertThat(e.line()).isEqualTo(3);
        assertThat(e.reason()).isEqualTo("unparsable number 'high' in column 'y'");
      });
    }
    Path empty = write("empty.csv", "x,y\n1,?\n2,\n");
    assertThatThrownBy(() -> CsvReader.open(empty, ReadOptions.defaults().withTargetType(TargetType.NOMINAL)))
        .hasMessageContaining("target column 'y' has no values");
  }

  @Test
  void aGivenSchemaReadsFromAnyReaderAndRejectsUnknownValues() throws IOException {
    Schema schema = new Schema("s", List.of(Attribute.numeric("x"), Attribute.nominal("y", List.of("a", "b"))), 1);
    String text = "x,y\n1,a\n2,c\n3,b\n";
    try (CsvReader in = CsvReader.open(new StringReader(text), "mem", schema, ReadOptions.defaults())) {
      Instance row = new Instance(in.schema());
      assertThat(in.next(row)).isTrue();
      assertThatThrownBy(() -> in.next(row)).isInstanceOfSatisfying(MalformedRowException.class, e -> {
        assertThat(e.getMessage()).isEqualTo("mem:3: unknown nominal value 'c' in column 'y'");
      });
    }
    assertThatThrownBy(() -> CsvReader.open(new StringReader("y,x\n"), "mem", schema, ReadOptions.defaults()))
        .hasMessageContaining("header [y, x] does not match the schema's columns [x, y]");
  }

  /** A schema made from the header reads a gzipped file in one pass; a wrong value names its line and column. */
  @Test
  void aSchemaMadeFromTheHeaderReadsTheFileInOnePass() throws IOException {
    Path file = dir.resolve("h.csv.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
      out.write("name,x\nab,1.5\ncd,oops\n".getBytes(StandardCharsets.UTF_8));
    }
    List<List<String>> seen = new ArrayList<>();
    CsvReader.SchemaOfHeader schemaOf = names -> {
      seen.add(names);
      return new Schema("h", List.of(Attribute.text(names.get(0)), Attribute.numeric(names.get(1))), 1);
    };
    try (CsvReader in = CsvReader.open(file, schemaOf, ReadOptions.defaults())) {
      assertThat(seen).containsExactly(List.of("name", "x"));
      Instance row = new Instance(in.schema());
      assertThat(in.next(row)).isTrue();
      assertThat(row.text(0)).isEqualTo("ab");
      assertThat(row.value(1)).isEqualTo(1.5);
      assertThatThrownBy(() -> in.next(row)).isInstanceOfSatisfying(MalformedRowException.class, e ->
          assertThat(e.getMessage()).isEqualTo(file + ":3: unparsable number 'oops' in column 'x'"));
    }
    assertThatThrownBy(() -> CsvReader.open(file, names -> {
      throw new IOException("no column y");
    }, ReadOptions.defaults())).hasMessage("no column y");
    assertThatThrownBy(() -> CsvReader.open(write("empty.csv", ""), schemaOf, ReadOptions.defaults()))
        .hasMessageContaining("empty file, expected a header row");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
      "4,b,9        | expected 2 fields, found 3",
      "4            | expected 2 fields, found 1",
      "`\"4\"x,b`   | unexpected character 'x' after the closing quote of field 1",
      "1e300,b      | out-of-range number '1e300' in column 'x' (beyond 3.4e38 in magnitude, the float range the model "
          + "computes in)",
      "-inf,b       | infinite number '-inf' in column 'x'"})
  void everyMalformedRowAbortsWithItsLineAndReason(String row, String reason) throws IOException {
    Path file = write("m.csv", "x,y\n1,\"multi\nline\"\n" + row + "\n5,b\n");
    try (CsvReader in = CsvReader.open(file)) {
      Instance instance = new Instance(in.schema());
      assertThat(in.next(instance)).isTrue();
      assertThat(instance.line()).isEqualTo(2);
      assertThatThrownBy(() -> in.next(instance)).isInstanceOfSatisfying(MalformedRowException.class, e -> {
        assertThat(e.line()).isEqualTo(4);
        assertThat(e.reason()).isEqualTo(reason);
        assertThat(e.source()).isEqualTo(file.toString());
      });
    }
  }

  @Test
  void skippedRowsAreCountedListedAndReportedAndLinesStayExactAfterMultiLineFields() throws IOException {
    Path file = write("s.csv", """
        x,note,y
        1,"a
        b",0
        2,ok,0,extra
        3,"c
        d
        e",1
        oops
        4,"z"q,1
        5,fine,1
        1e39,fine,1
        """);
    List<MalformedRowException> heard = new ArrayList<>();
    // Two of the three values of note are distinct phrases (a line break is a blank): text unless asked otherwise.
    ReadOptions options = ReadOptions.defaults().withPolicy(MalformedRowPolicy.SKIP).withMaxProblems(3)
        .withListener(heard::add).withNominalColumns(java.util.Set.of("note"));
    try (CsvReader in = CsvReader.open(file, options)) {
      List<Instance> rows = all(in);
      assertThat(rows).extracting(r -> r.value(0), Instance::line)
          .containsExactly(tuple(1.0, 2L), tuple(3.0, 5L), tuple(5.0, 10L));
      assertThat(in.schema().attribute(1).values()).containsExactly("a\nb", "c\nd\ne", "fine");
      assertThat(in.skippedRows()).isEqualTo(4);
      assertThat(in.problems()).extracting(MalformedRowException::line).containsExactly(4L, 8L, 9L);
      assertThat(heard).extracting(MalformedRowException::line, MalformedRowException::reason).containsExactly(
          tuple(4L, "expected 3 fields, found 4"),
          tuple(8L, "expected 3 fields, found 1"),
          tuple(9L, "unexpected character 'q' after the closing quote of field 2"),
          tuple(11L, "out-of-range number '1e39' in column 'x' (beyond 3.4e38 in magnitude, the float range the model "
              + "computes in)"));
    }
  }

  @Test
  void anUnterminatedQuoteFailsUnderEitherPolicyNamingItsLineBeforeAnyRowIsRead() throws IOException {
    // Short, with one class left before the quote: this used to open, and the learner then said "a
    // softmax expert needs at least 2 classes".
    Path file = write("q.csv", "a,b,y\n1,2,x\n2,3,y\n3,\"4,x\n4,5,y\n5,6,x\n");
    Path last = write("last.csv", "a,b,y\n1,2,x\n2,3,\"y\n");
    assertThatThrownBy(() -> CsvReader.open(last, ReadOptions.defaults().withPolicy(MalformedRowPolicy.SKIP)))
        .hasMessage(last + ":3: unterminated quote: the field opened on line 3 runs to the end of the file, which ends"
            + " inside it (a quote inside a quoted field is written twice: \"\")");
    for (MalformedRowPolicy policy : MalformedRowPolicy.values()) {
      assertThatThrownBy(() -> CsvReader.open(file, ReadOptions.defaults().withPolicy(policy)))
          .isExactlyInstanceOf(IOException.class)
          .hasMessage(file + ":4: unterminated quote: the field opened on line 4 runs to the end of the file (line 6),"
              + " taking lines 5 to 6 with it (a quote inside a quoted field is written twice: \"\")");
    }
    Schema schema = new Schema("s", List.of(Attribute.numeric("a"), Attribute.numeric("b"),
        Attribute.nominal("y", List.of("x", "y"))), 2);
    ReadOptions skip = ReadOptions.defaults().withPolicy(MalformedRowPolicy.SKIP);
    try (CsvReader in = CsvReader.open(new java.io.StringReader(Files.readString(file)), "mem", schema, skip)) {
      Instance row = new Instance(schema);
      assertThat(in.next(row)).isTrue();
      assertThat(in.next(row)).isTrue();
      assertThatThrownBy(() -> in.next(row)).isExactlyInstanceOf(IOException.class)
          .hasMessageStartingWith("mem:4: unterminated quote");
      assertThat(in.skippedRows()).isZero();
    }
  }

  @Test
  void numbersBeyondTheFloatRangeAreMalformedRowsAndNanIsMissingInEveryColumn() throws IOException {
    Path file = write("r.csv", """
        x,colour,y
        1,red,2.5
        2,NaN,1e300
        nan,blue,-3.4e38
        NaN,nan,3.5e38
        NAN,red,1e999
        -1e39,blue,4.5
        """);
    List<MalformedRowException> heard = new ArrayList<>();
    ReadOptions options = ReadOptions.defaults().withPolicy(MalformedRowPolicy.SKIP).withListener(heard::add);
    try (CsvReader in = CsvReader.open(file, options)) {
      assertThat(in.schema().attribute(0).isNominal()).as("NaN in any spelling is a missing number").isFalse();
      assertThat(in.schema().attribute(1).values()).as("NaN and nan are missing in a text column too")
          .containsExactly("red", "blue");
      assertThat(in.warnings()).isEmpty();
      List<Instance> rows = all(in);
      assertThat(rows).extracting(Instance::line).containsExactly(2L, 4L);
      assertThat(rows.get(1).values()).containsExactly(Double.NaN, 1, -3.4e38);
      String beyond = " (beyond 3.4e38 in magnitude, the float range the model computes in)";
      assertThat(heard).extracting(MalformedRowException::line, MalformedRowException::reason).containsExactly(
          tuple(3L, "out-of-range number '1e300' in column 'y'" + beyond),
          tuple(5L, "out-of-range number '3.5e38' in column 'y'" + beyond),
          tuple(6L, "infinite number '1e999' in column 'y'"),
          tuple(7L, "out-of-range number '-1e39' in column 'x'" + beyond));
    }
  }

  @Test
  void aColumnOfNumbersAndTextIsNominalWithAWarningNamingTheFirstOfEach() throws IOException {
    Path file = write("h.csv", "a,b,y\n1,x,0\n2,y,1\n0x10,3,0\n4,z,1\n");
    try (CsvReader in = CsvReader.open(file)) {
      assertThat(in.schema().attribute(0).values()).as("hexadecimal is text").containsExactly("1", "2", "0x10", "4");
      assertThat(in.warnings()).containsExactly(
          "column 'a' holds numbers (first '1' on line 2) and text (first '0x10' on line 4), so it is read as "
              + "nominal: a number is decimal, like -1.5e3; hexadecimal, thousands separators and units make text",
          "column 'b' holds numbers (first '3' on line 4) and text (first 'x' on line 2), so it is read as "
              + "nominal: a number is decimal, like -1.5e3; hexadecimal, thousands separators and units make text");
      assertThat(all(in)).hasSize(4);
    }
  }

  @Test
  void anInputColumnWithTooManyDistinctValuesIsLeftOutAndSuchATargetIsRefused() throws IOException {
    StringBuilder sb = new StringBuilder("id,x,colour,y\n");
    for (int i = 0; i < 50; i++) {
      sb.append("user").append(i).append(',').append(i).append(',').append(i % 2 == 0 ? "red" : "blue").append(',')
          .append(i % 3 == 0 ? "a" : "b").append('\n');
    }
    Path file = write("ids.csv", sb.toString());
    try (CsvReader in = CsvReader.open(file, ReadOptions.defaults().withMaxLevels(10))) {
      assertThat(in.leftOut()).containsExactly("id");
      assertThat(in.schema().attributes()).extracting(Attribute::name).containsExactly("x", "colour", "y");
      assertThat(in.schema().targetIndex()).isEqualTo(2);
      List<Instance> rows = all(in);
      assertThat(rows).hasSize(50);
      assertThat(rows.get(3).values()).containsExactly(3, 1, 0);
    }
    try (CsvReader in = CsvReader.open(file)) {
      assertThat(in.leftOut()).as("50 values are within the default limit").isEmpty();
      assertThat(in.schema().attribute(0).cardinality()).isEqualTo(50);
    }
    assertThatThrownBy(() -> CsvReader.open(file, ReadOptions.defaults().withMaxLevels(10).withTarget("id")))
        .hasMessage(file + ": the target column 'id' has more than 10 distinct values (an identifier or free text?), "
            + "too many classes to learn");
    assertThatThrownBy(() -> CsvReader.open(file, ReadOptions.defaults().withMaxLevels(10).withTarget("x")
        .withTargetType(TargetType.NOMINAL))).hasMessageContaining("the target column 'x' has more than 10");
    Path wide = write("wide.csv", "a,b,y\n1a,2a,0\n1b,2b,1\n1c,2c,0\n");
    assertThatThrownBy(() -> CsvReader.open(wide, ReadOptions.defaults().withMaxLevels(2)))
        .hasMessage(wide + ": every input column has more than 2 distinct values (a, b), so none is left to learn "
            + "from; allow more values per column to keep them");
  }

  @Test
  void controlCharactersAndLongValuesOfTheFileAreEscapedInMessages() throws IOException {
    String long200 = "z".repeat(200);
    Path file = write("c.csv", "x,y\n1,2\n2,\u001b]0;owned\u0007\u202e\n3," + long200 + "\n\"a\u001bb\"!,4\n");
    List<MalformedRowException> heard = new ArrayList<>();
    ReadOptions options = ReadOptions.defaults().withPolicy(MalformedRowPolicy.SKIP).withListener(heard::add)
        .withTargetType(TargetType.NUMERIC);
    try (CsvReader in = CsvReader.open(file, options)) {
      assertThat(all(in)).hasSize(1);
    }
    assertThat(heard).extracting(MalformedRowException::reason).containsExactly(
        "unparsable number '\\u001b]0;owned\\u0007\\u202e' in column 'y'",
        "unparsable number '" + "z".repeat(Printable.MAX_CHARS) + "... (200 characters)' in column 'y'",
        "unexpected character '!' after the closing quote of field 1");
    Path dup = write("dup.csv", "a\tb,c,a\tb\n1,2,3\n");
    assertThatThrownBy(() -> CsvReader.open(dup))
        .hasMessage(dup + ":1: column name 'a\\tb' appears twice in the header");
  }

  @Test
  void aTruncatedGzipFileIsNamedWithTheLineReached() throws IOException {
    StringBuilder sb = new StringBuilder("x,y\n");
    java.util.Random r = new java.util.Random(1);
    for (int i = 0; i < 20_000; i++) {
      sb.append(r.nextGaussian()).append(',').append(i % 2).append('\n');
    }
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try (OutputStream out = new GZIPOutputStream(bytes)) {
      out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
    }
    Path file = dir.resolve("cut.csv.gz");
    Files.write(file, java.util.Arrays.copyOf(bytes.toByteArray(), bytes.size() / 2));
    assertThatThrownBy(() -> CsvReader.open(file)).isInstanceOf(IOException.class)
        .hasMessageStartingWith(file + ": truncated gzip data: the file ends inside its compressed stream "
            + "(reading line ")
        .hasMessageNotContaining("ZLIB");
    Path header = dir.resolve("cut-header.csv.gz");
    Files.write(header, java.util.Arrays.copyOf(bytes.toByteArray(), 5));
    assertThatThrownBy(() -> CsvReader.open(header)).hasMessage(header
        + ": truncated gzip data: the file ends inside its compressed stream");
    Path corrupt = dir.resolve("corrupt.csv.gz");
    byte[] broken = bytes.toByteArray().clone();
    for (int i = 20; i < 60; i++) {
      broken[i] = (byte) 0xff;
    }
    Files.write(corrupt, broken);
    assertThatThrownBy(() -> CsvReader.open(corrupt)).hasMessageStartingWith(corrupt + ": corrupt gzip data (");
  }

  @Test
  void directoriesDevicesAndEmptyFilesAreNamedForWhatTheyAre() throws IOException {
    assertThatThrownBy(() -> CsvReader.open(dir)).hasMessage(dir + " is a directory, not a data file");
    Path devNull = Path.of("/dev/null");
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(devNull));
    assertThatThrownBy(() -> CsvReader.open(devNull)).hasMessage("/dev/null is not a regular file (a device, pipe or "
        + "socket); give a .csv or .arff file, optionally gzipped");
    assertThatThrownBy(() -> CsvReader.open(dir.resolve("none.csv")))
        .isInstanceOf(java.nio.file.NoSuchFileException.class);
    Path empty = write("empty.csv", "");
    assertThatThrownBy(() -> CsvReader.open(empty)).hasMessage(empty + ": empty file, expected a header row");
  }

  @Test
  void readingARowAllocatesNothing() throws IOException {
    StringBuilder sb = new StringBuilder("x,colour,z,y\n");
    java.util.Random r = new java.util.Random(3);
    for (int i = 0; i < 60_000; i++) {
      sb.append(r.nextGaussian()).append(',').append(i % 3 == 0 ? "red" : "blue").append(',').append(i % 17)
          .append(',').append(i % 2).append('\n');
    }
    Path file = write("alloc.csv", sb.toString());
    ReadAllocation.assertReadingARowAllocatesNothing(CsvReader.open(file));
  }
}
