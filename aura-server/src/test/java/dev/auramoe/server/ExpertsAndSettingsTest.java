package dev.auramoe.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The expert endpoints (list, add, remove, rename) and model configuration, against a real server:
 * what each changes, what each refuses without changing anything, and that a restart replays them
 * bit for bit.
 */
class ExpertsAndSettingsTest {

  @TempDir
  Path tmp;

  private static RoutingServer start(Path data) {
    RoutingServer.Builder b = RoutingServer.builder().host("127.0.0.1").port(0);
    return (data == null ? b : b.dataDir(data)).build().start();
  }

  private static void create(TestClient c, String name) {
    TestClient.Response r = c.postJson("/v1/models", Map.of("name", name, "inputDim", 3, "experts", 3, "topK", 2,
        "hidden", 8, "seed", 5));
    assertThat(r.status()).as(r.body()).isEqualTo(201);
  }

  private static void learn(TestClient c, String model, int n) {
    for (int i = 0; i < n; i++) {
      TestClient.Response r = c.postJson("/v1/models/" + model + "/learn",
          Map.of("x", List.of(i % 5 - 2, i % 3, (i * 7) % 4 - 1.5), "y", List.of((i % 5 - 2) * 0.5)));
      assertThat(r.status()).as(r.body()).isEqualTo(200);
    }
  }

  private static TestClient.Response patch(TestClient c, String path, String body) {
    return c.send("PATCH", path, body);
  }

  private static List<String> names(JsonNode experts) {
    List<String> l = new ArrayList<>();
    experts.forEach(e -> l.add(e.isTextual() ? e.asText() : e.get("name").asText()));
    return l;
  }

  @Test
  void expertsAreListedAddedRenamedAndRemoved() {
    try (RoutingServer server = start(null)) {
      TestClient c = new TestClient(server.port());
      create(c, "m");
      learn(c, "m", 50);

      TestClient.Response list = c.get("/v1/models/m/experts");
      assertThat(list.status()).isEqualTo(200);
      assertThat(list.json().get("count").asInt()).isEqualTo(3);
      JsonNode first = list.json().get("experts").get(0);
      assertThat(first.get("name").asText()).isEqualTo("e0");
      assertThat(first.get("kind").asText()).isEqualTo("nlms");
      long selections = 0;
      for (JsonNode e : list.json().get("experts")) {
        selections += e.get("selections").asLong();
      }
      assertThat(selections).as("50 learns of two experts each").isEqualTo(100);

      TestClient.Response add = c.postJson("/v1/models/m/experts", Map.of("name", "rls-1", "kind", "rls",
          "lambda", 0.995));
      assertThat(add.status()).as(add.body()).isEqualTo(201);
      assertThat(add.json().get("index").asInt()).isEqualTo(3);
      assertThat(add.json().get("seq").asLong()).isPositive();
      assertThat(names(add.json().get("expertNames"))).containsExactly("e0", "e1", "e2", "rls-1");
      JsonNode added = c.get("/v1/models/m/experts").json().get("experts").get(3);
      assertThat(added.get("kind").asText()).isEqualTo("rls");
      assertThat(added.get("hyperParameters").get(0).asDouble()).isCloseTo(0.995, org.assertj.core.data.Offset.offset(1e-6));
      assertThat(added.get("selections").asLong()).isZero();
      assertThat(c.get("/v1/models/m").json().get("config").get("experts").asInt()).isEqualTo(4);

      TestClient.Response ren = patch(c, "/v1/models/m/experts/e1", "{\"name\":\"trend\"}");
      assertThat(ren.status()).as(ren.body()).isEqualTo(200);
      assertThat(names(ren.json().get("expertNames"))).containsExactly("e0", "trend", "e2", "rls-1");

      // Routes name the experts of the model as it is now.
      learn(c, "m", 30);
      TestClient.Response route = c.postJson("/v1/models/m/route", Map.of("x", List.of(1, 0, -1)));
      for (JsonNode n : route.json().get("expertNames")) {
        assertThat(n.asText()).isIn("e0", "trend", "e2", "rls-1");
      }

      TestClient.Response rm = c.delete("/v1/models/m/experts/e0");
      assertThat(rm.status()).as(rm.body()).isEqualTo(200);
      assertThat(names(rm.json().get("expertNames"))).containsExactly("trend", "e2", "rls-1");
      assertThat(names(c.get("/v1/models/m/experts").json().get("experts"))).containsExactly("trend", "e2", "rls-1");
      learn(c, "m", 10);
      assertThat(c.get("/v1/models/m/stats").status()).isEqualTo(200);
    }
  }

  @Test
  void refusedExpertChangesChangeNothing() {
    try (RoutingServer server = start(null)) {
      TestClient c = new TestClient(server.port());
      create(c, "m");
      learn(c, "m", 20);
      String digest = c.digest("m");
      Object[][] refusals = {
          {"POST", "/v1/models/m/experts", "{\"name\":\"e0\"}", 409, "already has an expert named 'e0'"},
          {"POST", "/v1/models/m/experts", "{\"name\":\"x\",\"kind\":\"tree\"}", 400, "expert kind must be"},
          {"POST", "/v1/models/m/experts", "{\"name\":\"x\",\"mu\":2.5}", 400, "mu must lie in (0, 2)"},
          {"POST", "/v1/models/m/experts", "{\"name\":\"x\",\"kind\":\"rls\",\"lambda\":0}", 400, "lambda"},
          // Valid as doubles, not as the floats the experts hold.
          {"POST", "/v1/models/m/experts", "{\"name\":\"x\",\"mu\":1.9999999999}", 400, "mu must lie in (0, 2)"},
          {"POST", "/v1/models/m/experts", "{\"name\":\"x\",\"mu\":1e-50}", 400, "mu must lie in (0, 2)"},
          {"POST", "/v1/models/m/experts", "{\"name\":\"x\",\"kind\":\"rls\",\"lambda\":1e-39}", 400, "lambda"},
          {"POST", "/v1/models/m/experts", "{\"name\":\"x\",\"kind\":\"rls\",\"delta\":1e-46}", 400, "delta"},
          {"POST", "/v1/models/m/experts", "{\"name\":\"bad name\"}", 400, "expert name must be"},
          // A parameter of the other kind would be ignored: refused instead.
          {"POST", "/v1/models/m/experts", "{\"name\":\"x\",\"lambda\":0.9}", 400, "'lambda' does not apply to an expert of kind 'nlms'"},
          {"POST", "/v1/models/m/experts", "{\"name\":\"x\",\"kind\":\"nlms\",\"delta\":2}", 400, "'delta' does not apply"},
          {"POST", "/v1/models/m/experts", "{\"name\":\"x\",\"kind\":\"rls\",\"mu\":0.5}", 400, "'mu' does not apply to an expert of kind 'rls', which takes lambda and delta"},
          {"POST", "/v1/models/m/experts", "{\"kind\":\"nlms\"}", 400, "field 'name' is required"},
          {"POST", "/v1/models/m/experts", "{\"name\":\"x\",\"size\":3}", 400, "size"},
          {"POST", "/v1/models/nope/experts", "{\"name\":\"x\"}", 404, "unknown model 'nope'"},
          {"DELETE", "/v1/models/m/experts/zz", null, 404, "has no expert named 'zz'"},
          {"PATCH", "/v1/models/m/experts/zz", "{\"name\":\"y\"}", 404, "has no expert named 'zz'"},
          {"PATCH", "/v1/models/m/experts/e0", "{\"name\":\"e1\"}", 409, "already has an expert named 'e1'"},
          {"PATCH", "/v1/models/m/experts/e0", "{\"name\":\"\"}", 400, "expert name must be"},
          {"PATCH", "/v1/models/m/experts/e0", "{}", 400, "field 'name' (the new name) is required"},
          {"PATCH", "/v1/models/m", "{\"temperature\":0}", 400, "temperature must be finite and > 0"},
          {"PATCH", "/v1/models/m", "{\"temperature\":\"hot\"}", 400, "must be a finite number"},
          {"PATCH", "/v1/models/m", "{\"routerLearningRate\":2}", 400, "routerLearningRate must lie in [0, 2)"},
          {"PATCH", "/v1/models/m", "{\"balanceDecay\":1}", 400, "balanceDecay must lie in [0, 1)"},
          {"PATCH", "/v1/models/m", "{\"balance\":1}", 400, "must be true or false"},
          {"PATCH", "/v1/models/m", "{\"balanceGamma\":1e39}", 400, "balanceGamma must be finite (as a float)"},
          {"PATCH", "/v1/models/m", "{\"balanceBiasCap\":1e39}", 400, "balanceBiasCap must be finite (as a float)"},
          {"PATCH", "/v1/models/m", "{\"temperature\":1e39}", 400, "temperature must be finite"},
          {"PATCH", "/v1/models/m", "{\"temperature\":null}", 400, "name at least one setting"},
          {"PATCH", "/v1/models/m", "{\"topK\":3}", 400, "topK"},
          {"PATCH", "/v1/models/m", "{}", 400, "name at least one setting"},
      };
      for (Object[] r : refusals) {
        TestClient.Response resp = c.send((String) r[0], (String) r[1], (String) r[2]);
        assertThat(resp.status()).as(r[0] + " " + r[1] + " " + r[2] + ": " + resp.body()).isEqualTo(r[3]);
        assertThat(resp.json().get("error").asText()).as(resp.body()).contains((String) r[4]);
      }
      assertThat(c.digest("m")).as("no refusal changed the model").isEqualTo(digest);
      assertThat(c.get("/v1/models/m/experts").json().get("count").asInt()).isEqualTo(3);
      // Down to topK = 2 experts, then one more removal is refused.
      assertThat(c.delete("/v1/models/m/experts/e2").status()).isEqualTo(200);
      String two = c.digest("m");
      TestClient.Response last = c.delete("/v1/models/m/experts/e1");
      assertThat(last.status()).isEqualTo(409);
      assertThat(last.json().get("error").asText()).contains("routes each input to 2 experts");
      assertThat(c.digest("m")).isEqualTo(two);
      assertThat(two).isNotEqualTo(digest);
    }
  }

  @Test
  void configurationChangesOnlyTheNamedSettings() {
    try (RoutingServer server = start(null)) {
      TestClient c = new TestClient(server.port());
      create(c, "m");
      JsonNode before = c.get("/v1/models/m").json().get("settings");
      assertThat(before.get("temperature").asDouble()).isEqualTo(1.0);
      assertThat(before.get("balance").asBoolean()).isTrue();
      TestClient.Response p = patch(c, "/v1/models/m", "{\"temperature\":0.7,\"balance\":false}");
      assertThat(p.status()).as(p.body()).isEqualTo(200);
      assertThat(p.json().get("seq").asLong()).isPositive();
      JsonNode after = c.get("/v1/models/m").json().get("settings");
      assertThat(after.get("temperature").floatValue()).isEqualTo(0.7f);
      assertThat(after.get("balance").asBoolean()).isFalse();
      assertThat(after.get("routerLearningRate").asDouble()).isEqualTo(before.get("routerLearningRate").asDouble());
      assertThat(after.get("balanceGamma").asDouble()).isEqualTo(before.get("balanceGamma").asDouble());
      // The routing uses it: the temperature of a decision is the configured one (no attention gain).
      TestClient.Response route = c.postJson("/v1/models/m/route", Map.of("x", List.of(1, 2, 3)));
      assertThat(route.json().get("temperature").floatValue()).isEqualTo(0.7f);
      assertThat(c.get("/v1/models/m/stats").json().get("balance").get("mode").asText()).isEqualTo("off");
    }
  }

  @Test
  void anExpertThatWouldTakeTheModelOverItsParameterLimitIsRefused() {
    try (RoutingServer server = RoutingServer.builder().port(0)
        .limits(ServerLimits.DEFAULT.withMaxParameters(3_000)).build().start()) {
      TestClient c = new TestClient(server.port());
      // 64 * (16 + 3) + 64 + 2 * 8 + 24 + 3 + 3 * 65 = 1,518 parameters.
      assertThat(c.postJson("/v1/models", Map.of("name", "m", "inputDim", 64, "experts", 3, "hidden", 8)).status())
          .isEqualTo(201);
      assertThat(c.postJson("/v1/models/m/experts", Map.of("name", "small")).status()).isEqualTo(201);
      String digest = c.digest("m");
      // An RLS expert holds a 65 x 65 matrix besides its weights.
      TestClient.Response r = c.postJson("/v1/models/m/experts", Map.of("name", "big", "kind", "rls"));
      assertThat(r.status()).as(r.body()).isEqualTo(409);
      assertThat(r.json().get("error").asText()).contains("more than the limit of 3000 per model");
      assertThat(c.digest("m")).isEqualTo(digest);
    }
  }

  @Test
  void concurrentChangesOfDifferentSettingsDoNotUndoEachOther() throws Exception {
    try (RoutingServer server = start(null)) {
      TestClient c = new TestClient(server.port());
      create(c, "m");
      int n = 60;
      Thread a = Thread.ofPlatform().start(() -> {
        for (int i = 1; i <= n; i++) {
          patch(c, "/v1/models/m", "{\"temperature\":" + (0.5 + i / 100.0) + "}");
        }
      });
      Thread b = Thread.ofPlatform().start(() -> {
        for (int i = 1; i <= n; i++) {
          patch(c, "/v1/models/m", "{\"routerLearningRate\":" + (i / 100.0) + "}");
        }
      });
      a.join();
      b.join();
      JsonNode s = c.get("/v1/models/m").json().get("settings");
      assertThat(s.get("temperature").floatValue()).isEqualTo((float) (0.5 + n / 100.0));
      assertThat(s.get("routerLearningRate").floatValue()).isEqualTo((float) (n / 100.0));
    }
  }

  @Test
  void aRestartReplaysExpertChangesAndSettingsBitForBit() {
    Path data = tmp.resolve("data");
    String digest;
    String snapDigest;
    try (RoutingServer server = start(data)) {
      TestClient c = new TestClient(server.port());
      create(c, "m");
      create(c, "s");
      learn(c, "m", 40);
      assertThat(c.postJson("/v1/models/m/experts", Map.of("name", "fresh", "mu", 0.2)).status()).isEqualTo(201);
      learn(c, "m", 40);
      assertThat(patch(c, "/v1/models/m", "{\"temperature\":0.65,\"balanceGamma\":0.003}").status()).isEqualTo(200);
      assertThat(patch(c, "/v1/models/m/experts/e2", "{\"name\":\"two\"}").status()).isEqualTo(200);
      learn(c, "m", 20);
      assertThat(c.delete("/v1/models/m/experts/e0").status()).isEqualTo(200);
      learn(c, "m", 20);
      digest = c.digest("m");
      // A snapshot taken after a change of the expert set restores with it.
      assertThat(c.postJson("/v1/models/s/experts", Map.of("name", "x", "kind", "rls")).status()).isEqualTo(201);
      learn(c, "s", 15);
      assertThat(c.post("/v1/models/s/snapshot", "").status()).isEqualTo(200);
      assertThat(c.delete("/v1/models/s/experts/e1").status()).isEqualTo(200);
      learn(c, "s", 15);
      snapDigest = c.digest("s");
    }
    try (RoutingServer server = start(data)) {
      TestClient c = new TestClient(server.port());
      assertThat(c.digest("m")).isEqualTo(digest);
      assertThat(names(c.get("/v1/models/m/experts").json().get("experts"))).containsExactly("e1", "two", "fresh");
      assertThat(c.get("/v1/models/m").json().get("settings").get("temperature").floatValue()).isEqualTo(0.65f);
      assertThat(c.digest("s")).isEqualTo(snapDigest);
      assertThat(names(c.get("/v1/models/s/experts").json().get("experts"))).containsExactly("e0", "e2", "x");
      // Restoring the snapshot brings back the expert removed after it.
      assertThat(c.post("/v1/models/s/restore", "").status()).isEqualTo(200);
      assertThat(names(c.get("/v1/models/s/experts").json().get("experts"))).containsExactly("e0", "e1", "e2", "x");
    }
  }
}
