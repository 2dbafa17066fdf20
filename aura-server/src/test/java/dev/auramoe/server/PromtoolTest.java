package dev.auramoe.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Prometheus' own checker accepts what the service serves: {@code promtool check metrics} on a real
 * server's {@code /metrics} (its parser and its naming lint), and {@code promtool check config} on
 * the sample scrape configuration of the docs.
 *
 * <p>SKIPPED, NOT PASSED, where promtool is not on the PATH (Debian: {@code apt-get install
 * prometheus}); the reason says so. With {@code AURA_REQUIRE_PROMTOOL=1} in the environment a
 * missing promtool fails instead.
 */
class PromtoolTest {

  /** The sample scrape configuration of docs/server.md. */
  static final Path SCRAPE_CONFIG = Path.of("..", "docs", "grafana", "prometheus.yml");

  private static Path promtool() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path p = Path.of(dir.isEmpty() ? "." : dir, "promtool");
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    String why = "promtool is not on the PATH (Debian: apt-get install prometheus): the promtool checks are SKIPPED";
    if ("1".equals(System.getenv("AURA_REQUIRE_PROMTOOL"))) {
      throw new AssertionError(why + ", and AURA_REQUIRE_PROMTOOL=1 requires them");
    }
    Assumptions.abort(why);
    return null;
  }

  /** Runs promtool with the file as its last argument; its exit status and everything it wrote. */
  private static String[] run(Path promtool, Path dir, List<String> args, Path stdin) throws Exception {
    Path out = dir.resolve("promtool.out");
    ProcessBuilder pb = new ProcessBuilder(args).redirectErrorStream(true).redirectOutput(out.toFile());
    pb.command().addFirst(promtool.toString());
    if (stdin != null) {
      pb.redirectInput(stdin.toFile());
    }
    Process p = pb.start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("promtool ends").isTrue();
    return new String[] {Integer.toString(p.exitValue()), Files.readString(out, StandardCharsets.UTF_8)};
  }

  @Test
  void metricsPassPromtoolCheckMetrics(@TempDir Path dir) throws Exception {
    Path promtool = promtool();
    Path text = dir.resolve("metrics.txt");
    try (RoutingServer server = RoutingServer.builder().port(0).build().start()) {
      Files.writeString(text, Scrapes.afterTraffic(server), StandardCharsets.UTF_8);
    }
    String[] r = run(promtool, dir, new java.util.ArrayList<>(List.of("check", "metrics")), text);
    assertThat(r[1]).as("promtool's findings").isEmpty();
    assertThat(r[0]).as("promtool's exit status").isEqualTo("0");

    // The check can fail: a counter without _total is one of its findings.
    Path bad = dir.resolve("bad.txt");
    Files.writeString(bad, "# HELP aura_bad A counter named against the conventions.\n# TYPE aura_bad counter\n"
        + "aura_bad 1\n", StandardCharsets.UTF_8);
    String[] refused = run(promtool, dir, new java.util.ArrayList<>(List.of("check", "metrics")), bad);
    assertThat(refused[0]).isNotEqualTo("0");
    assertThat(refused[1]).contains("_total");
  }

  @Test
  void theSampleScrapeConfigurationPassesPromtoolCheckConfig(@TempDir Path dir) throws Exception {
    Path promtool = promtool();
    String[] r = run(promtool, dir, new java.util.ArrayList<>(List.of("check", "config",
        SCRAPE_CONFIG.toAbsolutePath().normalize().toString())), null);
    assertThat(r[0]).as(r[1]).isEqualTo("0");
    assertThat(r[1]).contains("SUCCESS");
  }
}
