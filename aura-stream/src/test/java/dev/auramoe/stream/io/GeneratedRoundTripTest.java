package dev.auramoe.stream.io;

import static org.assertj.core.api.Assertions.assertThat;

import dev.auramoe.stream.data.Attribute;
import dev.auramoe.stream.data.Instance;
import dev.auramoe.stream.data.InstanceStream;
import dev.auramoe.stream.gen.Generators;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The first 1,000 instances of every benchmark stream written as ARFF and CSV read back value for value. */
class GeneratedRoundTripTest {

  static List<String> names() {
    return Generators.names();
  }

  private static List<double[]> first(String name, int n) throws IOException {
    InstanceStream s = Generators.create(name, 100_000);
    Instance row = new Instance(s.schema());
    List<double[]> rows = new ArrayList<>();
    for (int i = 0; i < n && s.next(row); i++) {
      rows.add(row.values().clone());
    }
    return rows;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("names")
  void arffReadsBackExactly(String name, @TempDir Path dir) throws IOException {
    Path file = dir.resolve(name + ".arff");
    InstanceStream stream = Generators.create(name, 100_000);
    assertThat(ArffWriter.write(stream, file, 1000)).isEqualTo(1000);
    TestArff.Parsed p = TestArff.parse(Files.readString(file, StandardCharsets.UTF_8));
    assertThat(p.schema()).isEqualTo(stream.schema());
    assertSameRows(p.rows(), first(name, 1000));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("names")
  void csvReadsBackExactly(String name, @TempDir Path dir) throws IOException {
    Path file = dir.resolve(name + ".csv");
    InstanceStream stream = Generators.create(name, 100_000);
    assertThat(CsvWriter.write(stream, file, 1000)).isEqualTo(1000);
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    List<Attribute> atts = stream.schema().attributes();
    assertThat(lines.getFirst().split(",", -1)).containsExactly(atts.stream().map(Attribute::name)
        .toArray(String[]::new));
    List<double[]> rows = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] fields = line.split(",", -1);
      assertThat(fields).hasSize(atts.size());
      double[] row = new double[atts.size()];
      for (int j = 0; j < row.length; j++) {
        Attribute a = atts.get(j);
        row[j] = fields[j].isEmpty() ? Double.NaN : a.isNominal() ? a.indexOf(fields[j])
            : Double.parseDouble(fields[j]);
      }
      rows.add(row);
    }
    assertSameRows(rows, first(name, 1000));
  }

  private static void assertSameRows(List<double[]> actual, List<double[]> expected) {
    assertThat(actual).hasSize(expected.size());
    for (int i = 0; i < expected.size(); i++) {
      for (int j = 0; j < expected.get(i).length; j++) {
        assertThat(Double.doubleToLongBits(actual.get(i)[j])).as("row %d column %d", i, j)
            .isEqualTo(Double.doubleToLongBits(expected.get(i)[j]));
      }
    }
  }
}
