package dev.auramoe.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rows without a delay (no drift, or none found in time) say so, in the table and in the JSON. */
class DriftBenchCommandTest {

  @Test
  void rowsWithoutDelaysShowDashesInTheTableAndNullsInTheJson(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("drift.json");
    // 1,000 instances: the sentinel is still learning, so most drifts are missed as well.
    CliTest.Run r = CliTest.run("drift-bench", "--instances", "1000", "--json", json.toString());
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).doesNotContain("NaN").doesNotContainPattern(" -1( |$)")
        .containsPattern("sea \\(no drift\\) #0 +adwin .* - +- ")
        .contains("mean delay, max delay: - where no drift was found within 1,000 instances");

    String text = Files.readString(json);
    assertThat(text).doesNotContain("NaN").doesNotContain("-1");
    int withoutDelay = 0;
    for (JsonNode run : Json.mapper().readTree(text).get("runs")) {
      String name = run.get("stream").asText() + " " + run.get("detector").asText();
      boolean none = run.get("detected").asInt() == 0;
      assertThat(run.get("meanDelay").isNull()).as(name).isEqualTo(none);
      assertThat(run.get("maxDelay").isNull()).as(name).isEqualTo(none);
      assertThat(run.get("falseAlarmsPer100k").isNumber()).as(name).isTrue();
      int missed = 0;
      for (JsonNode d : run.get("delays")) {
        missed += d.isNull() ? 1 : 0;
      }
      assertThat(missed).as(name).isEqualTo(run.get("missed").asInt());
      withoutDelay += none ? 1 : 0;
    }
    assertThat(withoutDelay).as("runs without a delay: every one without drift, at least").isGreaterThanOrEqualTo(18);
  }
}
