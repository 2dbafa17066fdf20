package dev.auramoe.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code aura stream} and {@code aura generate} end to end on small files. */
class StreamCommandTest {

  /** A CSV classification stream (class = a + b > 0) with malformed rows at known lines. */
  private static Path csv(Path dir, int rows, int... badLines) throws Exception {
    StringBuilder sb = new StringBuilder("a,b,colour,class\n");
    Random r = new Random(1);
    int line = 1;
    for (int i = 0; i < rows; i++) {
      line++;
      boolean bad = false;
      for (int b : badLines) {
        bad |= b == line;
      }
      if (bad) {
        sb.append(i % 2 == 0 ? "1.5,-0.5,red\n" : "1.5,2.5,blue,yes,extra\n");
        continue;
      }
      double a = r.nextGaussian();
      double b = r.nextGaussian();
      sb.append(a).append(',').append(b).append(',').append(i % 3 == 0 ? "red" : "blue").append(',')
          .append(a + b > 0 ? "yes" : "no").append('\n');
    }
    Path f = dir.resolve("s.csv");
    Files.writeString(f, sb);
    return f;
  }

  @Test
  void skippedRowsAreReportedWithTheirLineNumbersAndCounted(@TempDir Path dir) throws Exception {
    Path f = csv(dir, 3000, 7, 1500);
    Path json = dir.resolve("r.json");
    CliTest.Run r = CliTest.run("stream", "--input", f.toString(), "--no-progress", "--json", json.toString(),
        "--plot", dir.resolve("plots").toString());
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.err()).contains("s.csv:7:").contains("s.csv:1500:");
    assertThat(r.out()).containsPattern("malformed rows skipped\\s+2").contains("accuracy").contains("kappa");
    JsonNode doc = Json.mapper().readTree(json.toFile());
    assertThat(doc.get("instances").asLong()).isEqualTo(2998);
    assertThat(doc.get("skippedRows").asLong()).isEqualTo(2);
    assertThat(doc.get("problems").get(0).get("line").asLong()).isEqualTo(7);
    assertThat(doc.get("problems").get(1).get("line").asLong()).isEqualTo(1500);
    assertThat(doc.get("accuracy").asDouble()).isGreaterThan(0.9);
    assertThat(doc.get("kappa").asDouble()).isGreaterThan(0.8);
    assertThat(doc.get("instancesPerSecond").asDouble()).isPositive();
    assertThat(doc.get("task").asText()).isEqualTo("classification");
    assertThat(dir.resolve("plots/stream.png")).exists();
  }

  @Test
  void abortStopsAtTheFirstMalformedRowWithItsLine(@TempDir Path dir) throws Exception {
    Path f = csv(dir, 100, 42);
    CliTest.Run r = CliTest.run("stream", "--input", f.toString(), "--no-progress", "--on-error", "abort");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("aborted").contains("s.csv:42:");
  }

  @Test
  void aNumericTargetIsRegressionWithMaeAndRmse(@TempDir Path dir) throws Exception {
    StringBuilder sb = new StringBuilder("x1,x2,y\n");
    Random r = new Random(2);
    for (int i = 0; i < 4000; i++) {
      double x1 = r.nextGaussian();
      double x2 = r.nextGaussian();
      sb.append(x1).append(',').append(x2).append(',').append(50 + 20 * x1 - 5 * x2 + 0.1 * r.nextGaussian())
          .append('\n');
    }
    Path f = dir.resolve("reg.csv");
    Files.writeString(f, sb);
    Path json = dir.resolve("reg.json");
    CliTest.Run run = CliTest.run("stream", "--input", f.toString(), "--no-progress", "--json", json.toString());
    assertThat(run.exitCode()).as(run.err()).isZero();
    JsonNode doc = Json.mapper().readTree(json.toFile());
    assertThat(doc.get("task").asText()).isEqualTo("regression");
    assertThat(doc.get("windowRmse").asDouble()).isLessThan(2.0);
    assertThat(doc.get("mae").asDouble()).isPositive();
    assertThat(doc.has("accuracy")).isFalse();
    CliTest.Run bad = CliTest.run("stream", "--input", f.toString(), "--task", "clustering");
    assertThat(bad.exitCode()).isNotZero();
    assertThat(bad.err()).contains("--task must be auto, classification or regression");
  }

  @Test
  void generatedStreamsRoundTripThroughAFile(@TempDir Path dir) throws Exception {
    Path arff = dir.resolve("sea.arff");
    CliTest.Run g = CliTest.run("generate", "sea", "--instances", "2000", "--out", arff.toString());
    assertThat(g.exitCode()).as(g.err()).isZero();
    assertThat(Files.readString(arff)).startsWith("@relation");
    Path json = dir.resolve("sea.json");
    CliTest.Run s = CliTest.run("stream", "--input", arff.toString(), "--no-progress", "--json", json.toString());
    assertThat(s.exitCode()).as(s.err()).isZero();
    JsonNode doc = Json.mapper().readTree(json.toFile());
    assertThat(doc.get("instances").asLong()).isEqualTo(2000);
    assertThat(doc.get("accuracy").asDouble()).isGreaterThan(0.7);
    assertThat(CliTest.run("generate", "nope", "--out", arff.toString()).err()).contains("unknown stream 'nope'");
    assertThat(CliTest.run("generate", "--list").out()).contains("sea").contains("hyperplane").contains("led");
    assertThat(CliTest.run("stream", "--input", dir.resolve("missing.csv").toString()).exitCode()).isNotZero();
  }

  @Test
  void theDriftBenchScoresEveryDetectorOnEveryStream(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("drift.json");
    CliTest.Run r = CliTest.run("drift-bench", "--instances", "4000", "--json", json.toString());
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("sea #0").contains("agrawal (no drift) #2").contains("page-hinkley");
    JsonNode doc = Json.mapper().readTree(json.toFile());
    assertThat(doc.get("runs")).hasSize(2 * 6 * 3);
    for (JsonNode run : doc.get("runs")) {
      assertThat(run.get("delays")).hasSize(run.get("drifts").asInt());
      assertThat(run.get("detected").asInt() + run.get("missed").asInt()).isEqualTo(run.get("drifts").asInt());
    }
    assertThat(doc.get("checks")).hasSize(4);
    assertThat(r.err()).contains("finds every abrupt drift within 1,000 instances");
  }

  @Test
  void infiniteValuesAreMalformedRowsAndAMissingFileIsOneLineNotAStackTrace(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("inf.csv");
    Files.writeString(f, "a,b,y\n1,2,3\n1,inf,4\n2,3,1e999\n3,4,5\n");
    CliTest.Run r = CliTest.run("stream", "--input", f.toString(), "--no-progress");
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.err()).contains("inf.csv:3: infinite number 'inf'").contains("inf.csv:4: infinite number '1e999'");
    assertThat(r.out()).containsPattern("malformed rows skipped\\s+2");
    CliTest.Run missing = CliTest.run("stream", "--input", dir.resolve("nope.csv").toString(), "--no-progress");
    assertThat(missing.exitCode()).isEqualTo(1);
    assertThat(missing.err()).contains("no such file").doesNotContain("\tat ");
  }
}
