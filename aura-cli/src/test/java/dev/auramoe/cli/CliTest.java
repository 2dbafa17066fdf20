package dev.auramoe.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Runs the command line in-process with stdout and stderr captured. */
class CliTest {

  @TempDir
  Path tmp;

  record Run(int exitCode, String out, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = AuraCli.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int rc = cl.execute(args);
    return new Run(rc, out.toString(), err.toString());
  }

  static List<String> fieldNames(JsonNode n) {
    List<String> l = new ArrayList<>();
    n.fieldNames().forEachRemaining(l::add);
    return l;
  }

  @Test
  void demoWritesTableJsonAndPlots() throws Exception {
    Path json = tmp.resolve("demo.json");
    Path plots = tmp.resolve("plots");
    Run r = run("demo", "--steps", "20000", "--no-progress", "--json", json.toString(), "--plot", plots.toString());

    assertThat(r.exitCode()).isZero();
    assertThat(r.out()).contains("Prequential MSE", "mixture of experts", "Expert usage per regime", "Load balance",
        "Energy per token", "routes per second");
    assertThat(r.err()).contains("PASS moeMse <= 0.35").containsPattern("(PASS|FAIL) moeMse <= 3.0 x oracleMse")
        .containsPattern("(PASS|FAIL) maxOverMeanLoad");

    JsonNode doc = Json.mapper().readTree(json.toFile());
    assertThat(fieldNames(doc)).contains("moeMse", "singleMse", "oracleMse", "maxOverMeanLoad",
        "picojoulesPerToken", "tokensPerSecond", "shareByRegime", "picojoulesPerTokenByComponent", "kernels",
        "steps", "seed", "balanceMode");
    for (String k : List.of("moeMse", "singleMse", "oracleMse", "maxOverMeanLoad", "picojoulesPerToken",
        "tokensPerSecond")) {
      assertThat(doc.get(k).isNumber()).as(k).isTrue();
      assertThat(Double.isFinite(doc.get(k).asDouble())).as(k).isTrue();
    }
    assertThat(doc.get("moeMse").asDouble()).isLessThan(doc.get("singleMse").asDouble());
    assertThat(doc.get("moeOverOracle").asDouble())
        .isEqualTo(doc.get("moeMse").asDouble() / doc.get("oracleMse").asDouble());
    assertThat(doc.get("checks").has("moeMseAtMost3xOracle")).isTrue();
    assertThat(doc.get("steps").asLong()).isEqualTo(20_000);

    for (String f : List.of("usage-over-time.png", "usage-by-regime.png", "tau-histogram.png", "error-curves.png")) {
      Path p = plots.resolve(f);
      assertThat(p).exists();
      byte[] head = Files.readAllBytes(p);
      assertThat(head.length).as(f).isGreaterThan(1000);
      assertThat(new String(head, 1, 3, java.nio.charset.StandardCharsets.US_ASCII)).as(f).isEqualTo("PNG");
    }
  }

  @Test
  void skewedWithoutBalancingExplainsTheCollapseAndCheckFails() {
    Run r = run("demo", "--steps", "20000", "--no-progress", "--skewed", "--no-balance", "--check");

    assertThat(r.err()).contains("balancing is off").contains("FAIL maxOverMeanLoad");
    assertThat(r.exitCode()).isEqualTo(1);
  }

  @Test
  void evenLoadSpreadsTheSkewedStreamAndExcludesNoBalance() {
    Run even = run("demo", "--steps", "20000", "--no-progress", "--skewed", "--even-load");
    assertThat(even.exitCode()).isZero();
    assertThat(even.out()).contains("balancing on (bias cap 1)");
    assertThat(even.err()).contains("PASS maxOverMeanLoad").doesNotContain("note: regime r0");
    Run both = run("demo", "--steps", "20000", "--no-progress", "--no-balance", "--even-load");
    assertThat(both.exitCode()).isEqualTo(2);
    assertThat(both.err()).contains("--no-balance and --even-load exclude each other");
  }

  @Test
  void benchQuickWritesEveryKey() throws Exception {
    Path json = tmp.resolve("bench.json");
    Run r = run("bench", "--quick", "--json", json.toString());

    assertThat(r.exitCode()).isZero();
    assertThat(r.out()).contains("routeP50Nanos", "fractionOfPeak", "manyStreamTokensPerSecond",
        "manyStreamFractionOfPeak", "PyTorch CPU");
    JsonNode doc = Json.mapper().readTree(json.toFile());
    assertThat(fieldNames(doc)).contains("fmaPeakGflops", "routeP50Nanos", "routeP99Nanos", "timerOverheadNanos",
        "batchTokensPerSecond", "fractionOfPeak", "learnOverRoute", "bytesPerRoute", "routesPerSecond", "kernels",
        "jvm", "cpuModel", "targets", "reference", "allocSettleRoutes", "allocStillAllocating",
        "manyStreamTokensPerSecond", "manyStreamFractionOfPeak", "manyStreamFractionOfPeakMedian", "manyStreams");
    // Surefire starts the JVM with the Vector API module and aura-simd is on the class path.
    assertThat(doc.get("fmaPeakGflops").asDouble()).isPositive();
    assertThat(doc.get("routeP50Nanos").asLong()).isPositive();
    assertThat(doc.get("batchTokensPerSecond").asDouble()).isPositive();
    assertThat(doc.get("learnOverRoute").asDouble()).isPositive();
    assertThat(doc.get("bytesPerRoute").asDouble()).isGreaterThanOrEqualTo(0);
    assertThat(doc.get("manyStreamTokensPerSecond").asDouble()).isPositive();
    assertThat(doc.get("manyStreamFractionOfPeak").asDouble()).isPositive();
    assertThat(doc.get("cpuModel").asText()).isNotBlank();
    assertThat(fieldNames(doc.get("targets"))).containsExactly("routeP50Nanos", "fractionOfPeak",
        "manyStreamFractionOfPeak", "learnOverRoute", "bytesPerRoute");
  }

  @Test
  void everyCommandChecksItsOutputPathsBeforeTheRunAndCreatesNoFolderAboveThem() throws Exception {
    Path missing = tmp.resolve("no/such");
    String notCreated = " does not exist (it is not created: create it first)";
    Run demo = run("demo", "--steps", "20000", "--no-progress", "--json", missing.resolve("d.json").toString());
    assertThat(demo.exitCode()).isEqualTo(1);
    assertThat(demo.err()).isEqualTo("aura demo: --json " + missing.resolve("d.json") + ": the folder " + missing
        + notCreated + System.lineSeparator());
    assertThat(demo.out()).as("refused before the run").isEmpty();

    Path file = Files.writeString(tmp.resolve("a-file"), "x");
    Run bench = run("bench", "--quick", "--json", file.resolve("b.json").toString());
    assertThat(bench.exitCode()).isEqualTo(1);
    assertThat(bench.err()).isEqualTo("aura bench: --json " + file.resolve("b.json") + ": the folder " + file
        + " is not a directory" + System.lineSeparator());
    assertThat(bench.out()).isEmpty();

    Run routing = run("routing-bench", "--steps", "1280", "--plot", missing.resolve("plots").toString());
    assertThat(routing.exitCode()).isEqualTo(1);
    assertThat(routing.err()).contains("--plot " + missing.resolve("plots") + ": the folder " + missing + notCreated);
    assertThat(routing.out()).isEmpty();

    Run drift = run("drift-bench", "--instances", "1000", "--json", tmp.toString());
    assertThat(drift.exitCode()).isEqualTo(1);
    assertThat(drift.err()).contains("--json " + tmp + ": is a directory; give a file name");
    assertThat(drift.out()).isEmpty();

    Run generate = run("generate", "sea", "--instances", "100", "--out", missing.resolve("sea.csv").toString());
    assertThat(generate.exitCode()).isEqualTo(1);
    assertThat(generate.err()).isEqualTo("aura generate: --out " + missing.resolve("sea.csv") + ": the folder "
        + missing + notCreated + System.lineSeparator());
    assertThat(tmp.resolve("no")).as("no folder created").doesNotExist();

    Run ok = run("generate", "sea", "--instances", "100", "--out", tmp.resolve("sea.csv").toString());
    assertThat(ok.exitCode()).as(ok.err()).isZero();
    assertThat(tmp.resolve("sea.csv")).isRegularFile();
  }

  @Test
  void versionAndHelpGoToStdout() {
    Run v = run("--version");
    assertThat(v.exitCode()).isZero();
    assertThat(v.out()).startsWith("aura-moe ").doesNotContain("${project.version}");

    Run h = run("--help");
    assertThat(h.exitCode()).isZero();
    assertThat(h.out()).contains("demo", "bench");
  }

  @Test
  void badOptionIsAnErrorOnStderr() {
    Run r = run("demo", "--steps", "many");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).contains("--steps");
  }
}
