package dev.auramoe.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import javax.imageio.ImageIO;
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
  void aQuickRunWritesTheGridHeatMap(@TempDir Path dir) throws Exception {
    Path plots = dir.resolve("plots");
    CliTest.Run r = CliTest.run("learn-bench", "--quick", "--instances", "300", "--no-progress", "--plot",
        plots.toString());
    assertThat(r.exitCode()).as(r.err()).isZero();
    Path png = plots.resolve("learn-grid.png");
    assertThat(r.err()).contains("wrote " + png);
    BufferedImage image = ImageIO.read(png.toFile());
    assertThat(image).as("a PNG that ImageIO reads").isNotNull();
    // Two heat maps, one under the other.
    assertThat(image.getWidth()).isGreaterThanOrEqualTo(600);
    assertThat(image.getHeight()).isGreaterThan(image.getWidth());
  }

  @Test
  void aPlotFolderWhoseParentIsMissingIsRefusedBeforeTheRun(@TempDir Path dir) {
    Path plots = dir.resolve("no/plots");
    CliTest.Run r = CliTest.run("learn-bench", "--quick", "--instances", "300", "--no-progress", "--plot",
        plots.toString());
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err()).contains("--plot " + plots + ": the folder " + plots.getParent() + " does not exist");
    assertThat(r.out()).as("nothing was run").isEmpty();
    assertThat(dir.resolve("no")).doesNotExist();
  }

  @Test
  void tooFewInstancesAreRefused() {
    CliTest.Run r = CliTest.run("learn-bench", "--quick", "--instances", "50", "--no-progress");
    assertThat(r.exitCode()).isNotZero();
    assertThat(r.err()).contains("--instances must be at least 100");
  }
}
