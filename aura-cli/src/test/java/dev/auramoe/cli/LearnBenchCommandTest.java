package dev.auramoe.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LearnBenchCommandTest {

  @Test
  void aTinyQuickRunWritesTheSummaryAndARowPerStream(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("learn.json");
    CliTest.Run r = CliTest.run("learn-bench", "--quick", "--instances", "500", "--no-progress", "--json",
        json.toString());
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("mixture/oracle: median").contains("reg-d8-r4-w250-strong-abrupt-rec-s0.1");
    JsonNode doc = Json.mapper().readTree(json.toFile());
    assertThat(doc.get("medianMixtureOverOracle").isNumber()).isTrue();
    assertThat(doc.get("worstMixtureOverSingle").isNumber()).isTrue();
    assertThat(doc.get("rows")).hasSize(8);
    for (JsonNode row : doc.get("rows")) {
      assertThat(row.get("stream").asText()).isNotEmpty();
      assertThat(row.get("ratios").get("mixtureOverSingle").isNumber()).isTrue();
      assertThat(row.get("macsPerInstance").get("mixture").asDouble()).isPositive();
      assertThat(row.get("instances").asLong()).isEqualTo(500);
    }
  }

  @Test
  void tooFewInstancesAreRefused() {
    CliTest.Run r = CliTest.run("learn-bench", "--quick", "--instances", "50", "--no-progress");
    assertThat(r.exitCode()).isNotZero();
    assertThat(r.err()).contains("--instances must be at least 100");
  }
}
