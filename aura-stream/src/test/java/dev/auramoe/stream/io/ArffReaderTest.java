package dev.auramoe.stream.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

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
import java.util.Locale;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** ARFF header and row syntax, targets, sparse rows, gzip, malformed rows and Weka's example files. */
class ArffReaderTest {

  private static final Path WEKA_EXAMPLES = Path.of("/usr/share/doc/weka/examples");

  private static final String EDGES = """
      % a comment before everything
      @RELATION 'edge cases'

      @Attribute 'sepal length' NUMERIC
      @attribute "say \\"hi\\"" real   % trailing comment
      @ATTRIBUTE colour {red, 'dark blue', "x,y", 'it\\'s'}
      @attribute count Integer
      @attribute class {yes,no}

      @DATA
      % a comment in the data
      1.5, 0.25, 'dark blue', 7, yes
      ?,?,red,?,no

        -2e3 , 4,"x,y",8,?   % trailing comment
      0,5,'it\\'s',9,"no"
      """;

  static ArffReader read(String text) throws IOException {
    return read(text, ReadOptions.defaults());
  }

  static ArffReader read(String text, ReadOptions options) throws IOException {
    return ArffReader.open(new StringReader(text), "test.arff", options);
  }

  static List<double[]> all(ArffReader in) throws IOException {
    List<double[]> rows = new ArrayList<>();
    Instance row = new Instance(in.schema());
    while (in.next(row)) {
      rows.add(row.values().clone());
    }
    return rows;
  }

  @Test
  void quotedNamesCommentsCaseAndMissingValues() throws IOException {
    try (ArffReader in = read(EDGES)) {
      Schema s = in.schema();
      assertThat(s.relation()).isEqualTo("edge cases");
      assertThat(s.attributes()).extracting(Attribute::name)
          .containsExactly("sepal length", "say \"hi\"", "colour", "count", "class");
      assertThat(s.attribute(1).isNominal()).isFalse();
      assertThat(s.attribute(2).values()).containsExactly("red", "dark blue", "x,y", "it's");
      assertThat(s.attribute(3).isNominal()).isFalse();
      assertThat(s.targetIndex()).isEqualTo(4);
      assertThat(s.target().values()).containsExactly("yes", "no");

      Instance row = new Instance(s);
      assertThat(in.next(row)).isTrue();
      assertThat(row.values()).containsExactly(1.5, 0.25, 1, 7, 0);
      assertThat(row.line()).isEqualTo(12);
      assertThat(in.next(row)).isTrue();
      assertThat(row.isMissing(0)).isTrue();
      assertThat(row.isMissing(1)).isTrue();
      assertThat(row.value(2)).isEqualTo(0);
      assertThat(row.isMissing(3)).isTrue();
      assertThat(row.value(4)).isEqualTo(1);
      assertThat(row.line()).isEqualTo(13);
      assertThat(in.next(row)).isTrue();
      assertThat(row.values()).startsWith(-2000, 4, 2, 8);
      assertThat(row.isMissing(4)).isTrue();
      assertThat(row.line()).isEqualTo(15);
      assertThat(in.next(row)).isTrue();
      assertThat(row.values()).containsExactly(0, 5, 3, 9, 1);
      assertThat(row.line()).isEqualTo(16);
      assertThat(in.next(row)).isFalse();
      assertThat(in.skippedRows()).isZero();
    }
  }

  @Test
  void theTargetIsChosenByName() throws IOException {
    try (ArffReader in = read(EDGES, ReadOptions.defaults().withTarget("colour"))) {
      assertThat(in.schema().targetIndex()).isEqualTo(2);
      assertThat(in.schema().classes()).isEqualTo(4);
    }
    assertThatThrownBy(() -> read(EDGES, ReadOptions.defaults().withTarget("nope")))
        .isInstanceOf(IOException.class).hasMessageContaining("no attribute named 'nope'")
        .hasMessageContaining("sepal length");
    assertThatThrownBy(() -> read(EDGES, ReadOptions.defaults().withTargetType(TargetType.NUMERIC)))
        .hasMessageContaining("target 'class' is declared nominal");
  }

  @Test
  void relationalAttributesAreRejectedByName() {
    assertThatThrownBy(() -> read("@relation r\n@attribute bag relational\n@data\n"))
        .hasMessageContaining("attribute 'bag' has type relational");
    assertThatThrownBy(() -> read("@relation r\n@attribute a numeric\n@attribute b {x}\n"))
        .hasMessageContaining("no @data section");
    assertThatThrownBy(() -> read("@relation r\n@attribute a numeric\n@attribute a {x}\n@data\n"))
        .hasMessageContaining("test.arff:3: attribute 'a' is declared twice");
    assertThatThrownBy(() -> read("@relation r\n@attribute a bogus\n@data\n"))
        .hasMessageContaining("unknown type 'bogus'");
    assertThatThrownBy(() -> read("@relation r\n@attribute a {x, y\n@data\n"))
        .hasMessageContaining("lack a closing '}'");
  }

  @Test
  void datesAreMillisecondsSinceTheEpochInUtc() throws IOException {
    String text = """
        @relation d
        @attribute when date
        @attribute day date "yyyy-MM-dd"
        @attribute y numeric
        @data
        1970-01-02T00:00:01,'2000-03-01',1
        ?,1970-01-01,2
        yesterday,1970-01-01,3
        """;
    try (ArffReader in = read(text, ReadOptions.defaults().withPolicy(MalformedRowPolicy.SKIP))) {
      List<double[]> rows = all(in);
      assertThat(rows).hasSize(2);
      assertThat(rows.get(0)[0]).isEqualTo(86_401_000.0);
      assertThat(rows.get(0)[1]).isEqualTo(951_868_800_000.0);
      assertThat(rows.get(1)[0]).isNaN();
      assertThat(in.problems()).singleElement().satisfies(p -> {
        assertThat(p.line()).isEqualTo(8);
        assertThat(p.reason()).isEqualTo("unparsable date 'yesterday' for attribute 'when'");
      });
    }
  }

  @Test
  void sparseRowsFillAbsentColumnsWithZero() throws IOException {
    String text = """
        @relation s
        @attribute a numeric
        @attribute b {x, y, z}
        @attribute c numeric
        @attribute class {no, yes}
        @data
        {0 2.5, 3 yes}
        {}
        { 1 'z' , 2 ? }
        {4 1}
        {1 y, 0 1} , {0.5}
        """;
    try (ArffReader in = read(text, ReadOptions.defaults().withPolicy(MalformedRowPolicy.SKIP))) {
      List<double[]> rows = all(in);
      assertThat(rows).hasSize(3);
      assertThat(rows.get(0)).containsExactly(2.5, 0, 0, 1);
      assertThat(rows.get(1)).containsExactly(0, 0, 0, 0);
      assertThat(rows.get(2)[1]).isEqualTo(2);
      assertThat(rows.get(2)[2]).isNaN();
      assertThat(in.problems()).extracting(MalformedRowException::line, MalformedRowException::reason)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple(10L, "sparse row: column index 4 outside 0..3"),
              org.assertj.core.groups.Tuple.tuple(11L, "instance weights ({...} after the values) are not supported"));
    }
  }

  @Test
  void gzipFilesAreReadTransparently(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("edges.arff.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
      out.write(EDGES.getBytes(StandardCharsets.UTF_8));
    }
    try (ArffReader in = ArffReader.open(file)) {
      assertThat(all(in)).hasSize(4);
      assertThat(in.schema().relation()).isEqualTo("edge cases");
    }
  }

  private static final String TWO_COLUMNS = """
      @relation m
      @attribute x numeric
      @attribute class {a, b}
      @data
      1,a
      """;

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "2,b,3          | more than 2 values",
      "2              | expected 2 values, found 1",
      "two,a          | unparsable number 'two' for attribute 'x'",
      "2,c            | unknown nominal value 'c' for attribute 'class'",
      "2,'a           | unterminated quote (')",
      "2,             | empty value for attribute 'class' (use ? for missing)",
      "2,a,{3}        | instance weights ({...} after the values) are not supported",
      "1e300,a        | out-of-range number '1e300' for attribute 'x' (beyond 3.4e38 in magnitude, the float range "
          + "the model computes in)",
      "0x10,a         | unparsable number '0x10' for attribute 'x'",
      "x\u001b[2J,a    | unparsable number 'x\\u001b[2J' for attribute 'x'"})
  void everyMalformedRowAbortsWithItsLineAndReason(String row, String reason) throws IOException {
    String text = TWO_COLUMNS + "\n" + row + "\n3,b\n";
    try (ArffReader in = read(text)) {
      Instance instance = new Instance(in.schema());
      assertThat(in.next(instance)).isTrue();
      assertThatThrownBy(() -> in.next(instance)).isInstanceOfSatisfying(MalformedRowException.class, e -> {
        assertThat(e.line()).isEqualTo(7);
        assertThat(e.source()).isEqualTo("test.arff");
        assertThat(e.reason()).isEqualTo(reason);
        assertThat(e.getMessage()).isEqualTo("test.arff:7: " + e.reason());
      });
    }
  }

  @Test
  void nanInANumericColumnIsMissingAsInWeka() throws IOException {
    try (ArffReader in = read(TWO_COLUMNS + "NaN,b\n")) {
      List<double[]> rows = all(in);
      assertThat(rows.get(1)).containsExactly(Double.NaN, 1);
    }
  }

  @Test
  void aTruncatedGzipFileIsNamedWithTheLineReached(@TempDir Path dir) throws IOException {
    StringBuilder sb = new StringBuilder(TWO_COLUMNS);
    for (int i = 0; i < 20_000; i++) {
      sb.append(i * 0.37).append(i % 2 == 0 ? ",a\n" : ",b\n");
    }
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try (OutputStream out = new GZIPOutputStream(bytes)) {
      out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
    }
    Path file = dir.resolve("cut.arff.gz");
    Files.write(file, java.util.Arrays.copyOf(bytes.toByteArray(), bytes.size() / 2));
    try (ArffReader in = ArffReader.open(file)) {
      assertThatThrownBy(() -> all(in)).isInstanceOf(IOException.class)
          .hasMessageStartingWith(file + ": truncated gzip data: the file ends inside its compressed stream "
              + "(reading line ");
    }
    Path empty = dir.resolve("empty.arff");
    Files.writeString(empty, "");
    assertThatThrownBy(() -> ArffReader.open(empty)).hasMessage(empty + ": empty file, expected an ARFF header");
  }

  @Test
  void skippedRowsAreCountedListedAndReportedAndReadingGoesOn() throws IOException {
    String text = TWO_COLUMNS + """
        2,b,3
        two,a
        % comment
        2,c
        2,'a
        4,b
        """;
    List<MalformedRowException> heard = new ArrayList<>();
    ReadOptions options = ReadOptions.defaults().withPolicy(MalformedRowPolicy.SKIP).withMaxProblems(2)
        .withListener(heard::add);
    try (ArffReader in = read(text, options)) {
      Instance row = new Instance(in.schema());
      assertThat(in.next(row)).isTrue();
      assertThat(row.line()).isEqualTo(5);
      assertThat(in.next(row)).isTrue();
      assertThat(row.values()).containsExactly(4, 1);
      assertThat(row.line()).isEqualTo(11);
      assertThat(in.next(row)).isFalse();
      assertThat(in.skippedRows()).isEqualTo(4);
      assertThat(in.problems()).extracting(MalformedRowException::line).containsExactly(6L, 7L);
      assertThat(heard).extracting(MalformedRowException::line).containsExactly(6L, 7L, 9L, 10L);
      assertThat(heard.get(3).reason()).isEqualTo("unterminated quote (')");
    }
  }

  @Test
  void wekaExampleFilesParseWithEveryDataLine() throws IOException {
    Assumptions.assumeTrue(Files.isDirectory(WEKA_EXAMPLES), "Debian package weka not installed");
    List<Path> files;
    try (Stream<Path> s = Files.list(WEKA_EXAMPLES)) {
      files = s.filter(p -> p.toString().endsWith(".arff")).sorted().toList();
    }
    Assumptions.assumeFalse(files.isEmpty(), "no ARFF examples");
    int parsed = 0;
    for (Path file : files) {
      List<String> lines = Files.readAllLines(file, StandardCharsets.ISO_8859_1);
      boolean hasString = lines.stream().map(l -> l.strip().toLowerCase(Locale.ROOT))
          .anyMatch(l -> l.startsWith("@attribute") && l.matches(".*\\s(string)\\s*$"));
      if (hasString) {
        assertThatThrownBy(() -> ArffReader.open(file)).as(file.toString())
            .hasMessageContaining("has type string, which is not supported");
        continue;
      }
      long expected = dataLines(lines);
      try (ArffReader in = ArffReader.open(file)) {
        Instance row = new Instance(in.schema());
        long count = 0;
        while (in.next(row)) {
          count++;
          assertThat(row.isMissing(in.schema().targetIndex()) || row.value(in.schema().targetIndex()) >= 0).isTrue();
        }
        assertThat(count).as(file.toString()).isEqualTo(expected).isPositive();
      }
      parsed++;
    }
    assertThat(parsed).isGreaterThanOrEqualTo(files.size() / 2);
    Path iris = WEKA_EXAMPLES.resolve("iris.arff");
    if (Files.exists(iris)) {
      try (ArffReader in = ArffReader.open(iris)) {
        assertThat(in.schema().classes()).isEqualTo(3);
        Instance row = new Instance(in.schema());
        assertThat(in.next(row)).isTrue();
        assertThat(row.value(0)).isCloseTo(5.1, within(1e-12));
      }
    }
  }

  /** Non-blank, non-comment lines after {@code @data}. */
  private static long dataLines(List<String> lines) {
    long count = 0;
    boolean data = false;
    for (String line : lines) {
      String l = line.strip();
      if (!data) {
        data = l.toLowerCase(Locale.ROOT).startsWith("@data");
      } else if (!l.isEmpty() && !l.startsWith("%")) {
        count++;
      }
    }
    return count;
  }

  @Test
  void readingARowAllocatesNothing() throws IOException {
    StringBuilder sb = new StringBuilder(TWO_COLUMNS);
    java.util.Random r = new java.util.Random(3);
    for (int i = 0; i < 60_000; i++) {
      sb.append(r.nextGaussian()).append(i % 2 == 0 ? ",a\n" : ",b\n");
    }
    ReadAllocation.assertReadingARowAllocatesNothing(read(sb.toString()));
  }
}
