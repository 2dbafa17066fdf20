package dev.auramoe.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inputs and targets at the edge of float range: every prediction and error is answered as a JSON
 * number (a prediction beyond float range saturates at +-3.4028235E38, never "Infinity"), the
 * model's state stays finite (a snapshot of it succeeds), and a restart replays it bit for bit.
 */
class FloatRangeTest {

  @TempDir
  Path tmp;

  private static void assertFiniteNumbers(JsonNode values, String what) {
    assertThat(values.isArray()).as(what).isTrue();
    for (JsonNode v : values) {
      assertThat(v.isNumber()).as("%s: %s is a JSON number", what, v).isTrue();
      assertThat(Float.isFinite(v.floatValue())).as("%s: %s is a float", what, v).isTrue();
    }
  }

  private static void assertLearned(JsonNode sample, String what) {
    assertFiniteNumbers(sample.get("prediction"), what + " prediction");
    assertThat(sample.get("squaredError").isNumber()).as("%s squaredError %s", what, sample.get("squaredError"))
        .isTrue();
    assertThat(Double.isFinite(sample.get("squaredError").doubleValue())).isTrue();
  }

  @Test
  void predictionsBeyondFloatRangeSaturateAndTheStateStaysFinite() {
    Path data = tmp.resolve("data");
    String digest;
    try (RoutingServer server = RoutingServer.builder().port(0).dataDir(data).build().start()) {
      TestClient c = new TestClient(server.port());
      assertThat(c.postJson("/v1/models", Map.of("name", "m", "inputDim", 3, "experts", 1, "topK", 1, "hidden", 4))
          .status()).isEqualTo(201);
      List<Float> small = List.of(1f, 1f, 1f);
      List<Float> huge = List.of(2e38f, 2e38f, 2e38f);
      // Targets at the top of float range teach weights of order 1e38 / 4 ...
      for (int i = 0; i < 5; i++) {
        TestClient.Response r = c.postJson("/v1/models/m/learn", Map.of("x", small, "y", List.of(3e38f)));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertLearned(r.json(), "learn " + i);
      }
      // ... so that a large input overflows the float sum, and a target of the other sign the error.
      TestClient.Response r = c.postJson("/v1/models/m/learn", Map.of("x", huge, "y", List.of(-Float.MAX_VALUE)));
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      assertLearned(r.json(), "learn at 2e38");
      TestClient.Response p = c.postJson("/v1/models/m/predict", Map.of("x", huge));
      assertThat(p.status()).as(p.body()).isEqualTo(200);
      assertFiniteNumbers(p.json().get("prediction"), "predict");
      assertThat(Math.abs(p.json().get("prediction").get(0).floatValue())).as("saturated").isEqualTo(Float.MAX_VALUE);
      TestClient.Response b = c.postJson("/v1/models/m/learn/batch", Map.of("xs", List.of(huge, small, huge),
          "ys", List.of(List.of(-Float.MAX_VALUE), List.of(Float.MAX_VALUE), List.of(Float.MAX_VALUE))));
      assertThat(b.status()).as(b.body()).isEqualTo(200);
      for (JsonNode s : b.json().get("results")) {
        assertLearned(s, "batch");
      }
      assertThat(b.json().get("meanSquaredError").isNumber()).isTrue();
      TestClient.Response pb = c.postJson("/v1/models/m/predict/batch", Map.of("xs", List.of(huge, small)));
      for (JsonNode s : pb.json().get("results")) {
        assertFiniteNumbers(s.get("prediction"), "predict/batch");
      }
      // A snapshot refuses a non-finite state: this one is taken.
      TestClient.Response snap = c.post("/v1/models/m/snapshot", "");
      assertThat(snap.status()).as(snap.body()).isEqualTo(200);
      assertThat(c.postJson("/v1/models/m/learn", Map.of("x", huge, "y", List.of(Float.MAX_VALUE))).status())
          .isEqualTo(200);
      digest = c.digest("m");
    }
    try (RoutingServer server = RoutingServer.builder().port(0).dataDir(data).build().start()) {
      assertThat(new TestClient(server.port()).digest("m")).as("replayed bit for bit").isEqualTo(digest);
    }
  }
}
