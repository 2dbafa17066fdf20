package dev.auramoe.stream.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.stream.data.Attribute;
import dev.auramoe.stream.data.Instance;
import dev.auramoe.stream.data.InstanceStream;
import dev.auramoe.stream.data.Schema;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The exact text of both writers for a small hand-built stream with awkward names, values and missing values. */
class WriterTextTest {

  private static final double NA = Double.NaN;

  static final Schema SCHEMA = new Schema("tiny data", List.of(Attribute.numeric("x"),
      Attribute.numeric("my value"),
      Attribute.nominal("colour", List.of("red", "dark blue", "it's", "a,b", "{x}", "?", "say \"hi\"", "50%")),
      Attribute.nominal("class", List.of("yes", "no"))), 3);

  static final double[][] ROWS = {
    {1.5, NA, 1, 0},
    {NA, 1e-5, NA, 1},
    {42, 0.1, 2, 0},
    {-3, 1e20, 3, 1},
    {0, 123456789.125, 5, 0},
    {-0.0, 1.0 / 3, 6, NA},
    {Double.MIN_VALUE, -2.5e-300, 7, 1},
    {4, 5, 4, 0},
  };

  static final String ARFF = """
      @relation 'tiny data'

      @attribute x numeric
      @attribute 'my value' numeric
      @attribute colour {red,'dark blue','it\\'s','a,b','{x}','?','say \\"hi\\"','50\\%'}
      @attribute class {yes,no}

      @data
      1.5,?,'dark blue',yes
      ?,1.0E-5,?,no
      42,0.1,'it\\'s',yes
      -3,1.0E20,'a,b',no
      0,1.23456789125E8,'?',yes
      -0.0,0.3333333333333333,'say \\"hi\\"',?
      4.9E-324,-2.5E-300,'50\\%',no
      4,5,'{x}',yes
      """;

  static final String CSV = """
      x,my value,colour,class
      1.5,,dark blue,yes
      ,1.0E-5,,no
      42,0.1,it's,yes
      -3,1.0E20,"a,b",no
      0,1.23456789125E8,"?",yes
      -0.0,0.3333333333333333,"say ""hi""\",
      4.9E-324,-2.5E-300,50%,no
      4,5,{x},yes
      """;

  /** A stream over fixed rows. */
  static final class RowStream implements InstanceStream {
    private final Schema schema;
    private final double[][] rows;
    private int next;

    RowStream(Schema schema, double[][] rows) {
      this.schema = schema;
      this.rows = rows;
    }

    @Override
    public Schema schema() {
      return schema;
    }

    @Override
    public boolean next(Instance into) {
      if (next == rows.length) {
        return false;
      }
      System.arraycopy(rows[next++], 0, into.values(), 0, rows[0].length);
      return true;
    }
  }

  @Test
  void arffTextIsWekasLayoutWithQuotingAndMissingValues(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("tiny.arff");
    assertThat(ArffWriter.write(new RowStream(SCHEMA, ROWS), file, 100)).isEqualTo(ROWS.length);
    assertThat(Files.readString(file, StandardCharsets.UTF_8)).isEqualTo(ARFF);
  }

  @Test
  void csvTextIsRfc4180WithAHeaderAndEmptyMissingFields(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("tiny.csv");
    assertThat(CsvWriter.write(new RowStream(SCHEMA, ROWS), file, 100)).isEqualTo(ROWS.length);
    assertThat(Files.readString(file, StandardCharsets.UTF_8)).isEqualTo(CSV);
  }

  @Test
  void theArffTextReadsBackToTheSameSchemaAndValues() {
    TestArff.Parsed p = TestArff.parse(ARFF);
    assertThat(p.schema()).isEqualTo(SCHEMA);
    assertThat(p.rows()).hasSize(ROWS.length);
    for (int i = 0; i < ROWS.length; i++) {
      for (int j = 0; j < 4; j++) {
        assertThat(Double.doubleToLongBits(p.rows().get(i)[j])).as("row %d column %d", i, j)
            .isEqualTo(Double.doubleToLongBits(ROWS[i][j]));
      }
    }
  }

  @Test
  void writingOneByOneStopsAtNAndCountsLines() throws IOException {
    StringWriter text = new StringWriter();
    try (CsvWriter w = new CsvWriter(text, SCHEMA)) {
      assertThat(w.writeAll(new RowStream(SCHEMA, ROWS), 2)).isEqualTo(2);
      Instance row = new Instance(SCHEMA);
      System.arraycopy(ROWS[7], 0, row.values(), 0, 4);
      w.write(row);
      assertThat(w.written()).isEqualTo(3);
    }
    assertThat(text.toString()).isEqualTo("""
        x,my value,colour,class
        1.5,,dark blue,yes
        ,1.0E-5,,no
        4,5,{x},yes
        """);
  }

  @Test
  void fieldsNeedingQuotesAreQuoted() {
    assertThat(CsvWriter.quote("")).isEqualTo("\"\"");
    assertThat(CsvWriter.quote(" lead")).isEqualTo("\" lead\"");
    assertThat(CsvWriter.quote("two\nlines")).isEqualTo("\"two\nlines\"");
    assertThat(CsvWriter.quote("plain")).isEqualTo("plain");
    assertThat(List.of("?", "NA", "NaN", "nan")).as("values spelled as a missing one read back as themselves")
        .allSatisfy(v -> assertThat(CsvWriter.quote(v)).isEqualTo('"' + v + '"'));
    assertThat(CsvWriter.quote("NAN")).isEqualTo("NAN");
    assertThat(ArffWriter.quote("")).isEqualTo("''");
    assertThat(ArffWriter.quote("tab\there")).isEqualTo("'tab\\there'");
    assertThat(ArffWriter.quote("back\\slash")).isEqualTo("'back\\\\slash'");
    assertThat(ArffWriter.quote("plain-1.5")).isEqualTo("plain-1.5");
  }

  @Test
  void badInstancesAndCountsAreRefused(@TempDir Path dir) throws IOException {
    try (ArffWriter w = new ArffWriter(new StringWriter(), SCHEMA)) {
      Instance bad = new Instance(SCHEMA);
      bad.set(2, 8);
      assertThatThrownBy(() -> w.write(bad)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("colour").hasMessageContaining("0..7");
      bad.set(2, 1.5);
      assertThatThrownBy(() -> w.write(bad)).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> w.write(new Instance(3))).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("3 columns");
    }
    assertThatThrownBy(() -> ArffWriter.write(new RowStream(SCHEMA, ROWS), dir.resolve("a"), -1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(">= 0");
    Schema other = SCHEMA.withTarget(2);
    try (CsvWriter w = new CsvWriter(new StringWriter(), other)) {
      assertThatThrownBy(() -> w.writeAll(new RowStream(SCHEMA, ROWS), 1))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("differs");
    }
  }
}
