package dev.auramoe.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.auramoe.cli.routing.RoutingBench;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code aura routing-bench} on a short run: every policy on both streams, JSON and plots written. */
class RoutingBenchTest {

  @Test
  void theTableAndTheJsonListEveryPolicyOnBothStreams(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("rb.json");
    CliTest.Run r = CliTest.run("routing-bench", "--steps", "1280", "--json", json.toString(), "--plot",
        dir.resolve("plots").toString());
    assertThat(r.exitCode()).as(r.err()).isZero();
    for (RoutingBench.PolicySpec p : RoutingBench.policies()) {
      assertThat(r.out()).contains("regime   " + p.name()).contains("skewed   " + p.name());
    }
    JsonNode doc = Json.mapper().readTree(json.toFile());
    assertThat(doc.get("runs")).hasSize(2 * RoutingBench.policies().size());
    for (JsonNode run : doc.get("runs")) {
      for (String key : new String[] {"mse", "maxOverMeanLoad", "expertsPerToken", "expertMacsPerToken",
          "picojoulesPerToken", "tokensPerSecond"}) {
        assertThat(run.get(key).isNumber()).as("%s of %s", key, run.get("policy")).isTrue();
      }
      if (run.get("policy").asText().startsWith("sinkhorn") || run.get("policy").asText().startsWith("expert-choice")) {
        assertThat(run.get("worstWindowMaxOverMean").asDouble()).as("window policies balance every window")
            .isLessThanOrEqualTo(1.05);
      }
    }
    assertThat(doc.get("checks")).hasSize(4);
    assertThat(dir.resolve("plots/load-over-time.png")).exists();
    assertThat(dir.resolve("plots/error-vs-energy.png")).exists();
  }
}
