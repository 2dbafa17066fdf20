package dev.auramoe.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.auramoe.MixtureOfExperts;
import dev.auramoe.cell.CellConfig;
import dev.auramoe.experts.Experts;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The happy path of every endpoint, against a real server on a random loopback port. */
class EndpointsTest {

  private static RoutingServer server;
  private static TestClient client;

  @BeforeAll
  static void start() {
    server = RoutingServer.builder().host("127.0.0.1").port(0).build().start();
    client = new TestClient(server.port());
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static void create(String name, int in, int out) {
    TestClient.Response r = client.postJson("/v1/models", Map.of("name", name, "inputDim", in, "outputDim", out,
        "experts", 4, "topK", 2, "hidden", 8, "seed", 7));
    assertThat(r.status()).as(r.body()).isEqualTo(201);
  }

  private static float[] floats(JsonNode n) {
    float[] v = new float[n.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = n.get(i).floatValue();
    }
    return v;
  }

  @Test
  void portIsBoundAndHealthIsUp() {
    assertThat(server.port()).isPositive();
    TestClient.Response r = client.get("/health");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().get("status").asText()).isEqualTo("UP");
  }

  @Test
  void createGetListDelete() {
    TestClient.Response c = client.postJson("/v1/models", Map.of("name", "crud", "inputDim", 3));
    assertThat(c.status()).isEqualTo(201);
    JsonNode config = c.json().get("config");
    assertThat(config.get("outputDim").asInt()).isEqualTo(1);
    // The library's defaults, as aura stream and the stream learner have them.
    assertThat(config.get("experts").asInt()).isEqualTo(dev.auramoe.Defaults.EXPERTS).isEqualTo(8);
    assertThat(config.get("topK").asInt()).isEqualTo(2);
    assertThat(config.get("hidden").asInt()).isEqualTo(dev.auramoe.Defaults.HIDDEN).isEqualTo(8);
    assertThat(config.get("seed").asLong()).isEqualTo(42);
    assertThat(c.json().get("digest").asText()).hasSize(64);

    TestClient.Response g = client.get("/v1/models/crud?digest=true");
    assertThat(g.status()).isEqualTo(200);
    assertThat(g.json().get("name").asText()).isEqualTo("crud");
    assertThat(g.json().get("digest").asText()).isEqualTo(c.json().get("digest").asText());
    assertThat(g.json().get("counters").get("learns").asLong()).isZero();
    assertThat(g.json().get("streams").get("open").asInt()).isEqualTo(1);
    assertThat(client.get("/v1/models/crud").json().has("digest")).as("only when asked for").isFalse();

    TestClient.Response l = client.get("/v1/models");
    assertThat(l.status()).isEqualTo(200);
    assertThat(l.json().get("models").findValuesAsText("name")).contains("crud");

    assertThat(client.delete("/v1/models/crud").status()).isEqualTo(200);
    assertThat(client.get("/v1/models/crud").status()).isEqualTo(404);
  }

  @Test
  void modelIsTheLibrarysModel() {
    // A server model and a library model from the same configuration hold the same state.
    create("twin", 4, 2);
    MixtureOfExperts lib = MixtureOfExperts.builder(4, 2).experts(Experts.nlms("e", 4, 4, 2, 0.5))
        .cell(CellConfig.DEFAULT.withHidden(8)).topK(2).seed(7).build();
    lib.enableDiagnostics(1024, 0.99);
    assertThat(client.digest("twin")).isEqualTo(lib.digest());
  }

  @Test
  void routeAndRouteBatch() {
    create("rt", 4, 1);
    TestClient.Response r = client.postJson("/v1/models/rt/route", Map.of("x", List.of(0.1, -0.2, 0.3, 0.4)));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonNode j = r.json();
    assertThat(j.get("experts").size()).isEqualTo(2);
    assertThat(j.get("expertNames").get(0).asText()).startsWith("e");
    assertThat(floats(j.get("weights"))[0] + floats(j.get("weights"))[1]).isCloseTo(1f,
        org.assertj.core.data.Offset.offset(1e-5f));
    assertThat(j.get("probabilities").size()).isEqualTo(4);
    assertThat(j.get("temperature").floatValue()).isPositive();

    TestClient.Response b = client.postJson("/v1/models/rt/route/batch",
        Map.of("xs", List.of(List.of(1, 2, 3, 4), List.of(0, 0, 0, 0), List.of(-1, 0.5, 2, 1e-3))));
    assertThat(b.status()).as(b.body()).isEqualTo(200);
    assertThat(b.json().get("count").asInt()).isEqualTo(3);
    assertThat(b.json().get("results")).hasSize(3);
    assertThat(b.json().get("results").get(2).get("experts")).hasSize(2);
    assertThat(client.get("/v1/models/rt").json().get("counters").get("routes").asLong()).isEqualTo(4);
  }

  @Test
  void predictMatchesTheLibrary() {
    create("pr", 4, 2);
    MixtureOfExperts lib = MixtureOfExperts.builder(4, 2).experts(Experts.nlms("e", 4, 4, 2, 0.5))
        .cell(CellConfig.DEFAULT.withHidden(8)).topK(2).seed(7).build();
    Random rnd = new Random(3);
    for (int i = 0; i < 20; i++) {
      float[] x = {rnd.nextFloat(), rnd.nextFloat(), rnd.nextFloat(), rnd.nextFloat()};
      float[] y = {rnd.nextFloat(), -rnd.nextFloat()};
      lib.learn(MixtureOfExperts.DEFAULT_STREAM, x, y);
      assertThat(client.postJson("/v1/models/pr/learn", Map.of("x", x, "y", y)).status()).isEqualTo(200);
    }
    float[] x = {0.5f, 0.25f, -0.75f, 1f};
    float[] expected = lib.predict(MixtureOfExperts.DEFAULT_STREAM, x);
    TestClient.Response p = client.postJson("/v1/models/pr/predict", Map.of("x", x));
    assertThat(p.status()).as(p.body()).isEqualTo(200);
    assertThat(floats(p.json().get("prediction"))).containsExactly(expected);
    assertThat(p.json().get("experts")).hasSize(2);

    float[] x2 = {0f, 1f, 0f, 1f};
    float[] e1 = lib.predict(MixtureOfExperts.DEFAULT_STREAM, x);
    float[] e2 = lib.predict(MixtureOfExperts.DEFAULT_STREAM, x2);
    TestClient.Response b = client.postJson("/v1/models/pr/predict/batch", Map.of("xs", List.of(x, x2)));
    assertThat(b.status()).as(b.body()).isEqualTo(200);
    assertThat(floats(b.json().get("results").get(0).get("prediction"))).containsExactly(e1);
    assertThat(floats(b.json().get("results").get(1).get("prediction"))).containsExactly(e2);
  }

  @Test
  void learnAndLearnBatch() {
    create("ln", 4, 1);
    MixtureOfExperts lib = MixtureOfExperts.builder(4, 1).experts(Experts.nlms("e", 4, 4, 1, 0.5))
        .cell(CellConfig.DEFAULT.withHidden(8)).topK(2).seed(7).build();
    lib.enableDiagnostics(1024, 0.99);
    float[] x = {1f, 2f, 3f, 4f};
    float[] y = {0.5f};
    MixtureOfExperts.LearnResult expected = lib.learn(MixtureOfExperts.DEFAULT_STREAM, x, y);
    TestClient.Response r = client.postJson("/v1/models/ln/learn", Map.of("x", x, "y", y));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(floats(r.json().get("prediction"))).containsExactly(expected.prediction());
    assertThat(r.json().get("squaredError").asDouble()).isEqualTo(expected.squaredError());
    assertThat(r.json().get("experts").get(0).asInt()).isEqualTo(expected.experts()[0]);

    float[][] xs = {{0f, 1f, 0f, 1f}, {1f, 0f, 1f, 0f}, {0.5f, 0.5f, 0.5f, 0.5f}};
    float[][] ys = {{1f}, {-1f}, {0f}};
    for (int i = 0; i < 3; i++) {
      lib.learn(MixtureOfExperts.DEFAULT_STREAM, xs[i], ys[i]);
    }
    TestClient.Response b = client.postJson("/v1/models/ln/learn/batch", Map.of("xs", xs, "ys", ys));
    assertThat(b.status()).as(b.body()).isEqualTo(200);
    assertThat(b.json().get("count").asInt()).isEqualTo(3);
    assertThat(b.json().get("meanSquaredError").isNumber()).isTrue();
    JsonNode model = client.get("/v1/models/ln?digest=true").json();
    assertThat(model.get("counters").get("learns").asLong()).isEqualTo(4);
    assertThat(model.get("counters").get("learnSteps").asLong()).isEqualTo(4);
    assertThat(model.get("digest").asText()).isEqualTo(lib.digest());
  }

  @Test
  void streamsOpenRouteResetClose() {
    create("st", 2, 1);
    assertThat(client.put("/v1/models/st/streams/s-1").status()).isEqualTo(201);
    assertThat(client.get("/v1/models/st/streams").json().get("streams").toString()).contains("s-1");
    TestClient.Response r = client.postJson("/v1/models/st/route", Map.of("x", List.of(1, 1), "stream", "s-1"));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().get("stream").asText()).isEqualTo("s-1");
    String before = client.digest("st");
    TestClient.Response reset = client.post("/v1/models/st/streams/s-1/reset", "");
    assertThat(reset.status()).as(reset.body()).isEqualTo(200);
    assertThat(client.digest("st")).isNotEqualTo(before);
    assertThat(client.delete("/v1/models/st/streams/s-1").status()).isEqualTo(200);
    assertThat(client.postJson("/v1/models/st/route", Map.of("x", List.of(1, 1), "stream", "s-1")).status())
        .isEqualTo(404);
  }

  /**
   * The streams are listed page by page in id order: each page names the next page's "after", null
   * on the last, and an "after" closed since still works. The listing used to copy every id in one
   * answer, under the model's lock.
   */
  @Test
  void streamsAreListedPageByPage() {
    create("pg", 2, 1);
    List<String> opened = new java.util.ArrayList<>(List.of("default"));
    for (int i = 24; i >= 0; i--) {
      String id = String.format("p%02d", i);
      assertThat(client.put("/v1/models/pg/streams/" + id).status()).isEqualTo(201);
      opened.add(id);
    }
    JsonNode first = client.get("/v1/models/pg/streams?limit=10").json();
    assertThat(first.get("open").asInt()).isEqualTo(26);
    assertThat(first.get("streams")).hasSize(10);
    assertThat(first.get("streams").get(0).asText()).isEqualTo("default");
    assertThat(first.get("next").asText()).isEqualTo("p08");
    assertThat(client.delete("/v1/models/pg/streams/p08").status()).as("the cursor may go").isEqualTo(200);
    List<String> listed = new java.util.ArrayList<>();
    first.get("streams").forEach(n -> listed.add(n.asText()));
    String after = first.get("next").asText();
    int pages = 1;
    while (after != null) {
      JsonNode page = client.get("/v1/models/pg/streams?limit=10&after=" + after).json();
      page.get("streams").forEach(n -> listed.add(n.asText()));
      after = page.get("next").isNull() ? null : page.get("next").asText();
      pages++;
    }
    assertThat(pages).isEqualTo(3);
    assertThat(listed).as("every stream once, in id order").isSorted().doesNotHaveDuplicates()
        .containsExactlyInAnyOrderElementsOf(opened);
    JsonNode all = client.get("/v1/models/pg/streams").json();
    assertThat(all.get("streams")).as("default page: 1000").hasSize(25);
    assertThat(all.get("next").isNull()).isTrue();
    for (String bad : List.of("limit=0", "limit=10001", "limit=ten", "after=%20x")) {
      ErrorsTest.assertError(client.get("/v1/models/pg/streams?" + bad), 400, bad.substring(0, bad.indexOf('=')));
    }
  }

  @Test
  void statsReportBalanceDiagnosticsAndEnergy() {
    create("sx", 4, 1);
    for (int i = 0; i < 10; i++) {
      client.postJson("/v1/models/sx/learn", Map.of("x", List.of(i, 1, -i, 0.5), "y", List.of(i % 2)));
    }
    TestClient.Response s = client.get("/v1/models/sx/stats");
    assertThat(s.status()).as(s.body()).isEqualTo(200);
    JsonNode b = s.json().get("balance");
    assertThat(b.get("counts")).hasSize(4);
    assertThat(b.get("load")).hasSize(4);
    assertThat(b.get("maxOverMeanCounts").asDouble()).isGreaterThanOrEqualTo(1.0);
    assertThat(b.get("mode").asText()).isNotBlank();
    JsonNode d = s.json().get("diagnostics");
    assertThat(d.get("tokens").asLong()).isEqualTo(10);
    assertThat(d.get("windowLoad")).hasSize(4);
    JsonNode e = s.json().get("energy");
    assertThat(e.get("totalMacs").asLong()).isPositive();
    assertThat(e.get("joules").asDouble()).isPositive();
    assertThat(e.get("components").get("CELL").get("macs").asLong()).isPositive();
    assertThat(e.get("components").get("LEARNING").get("macs").asLong()).isPositive();
    assertThat(e.get("basis").asText()).contains("estimate");
  }

  @Test
  void metricsAreServed() {
    client.get("/health");
    TestClient.Response m = client.get("/metrics");
    assertThat(m.status()).isEqualTo(200);
    assertThat(m.contentType()).startsWith("text/plain; version=0.0.4");
    assertThat(m.body()).contains("aura_http_requests_total{endpoint=\"GET /health\",status=\"200\"}");
    assertThat(m.body()).contains("# TYPE aura_http_request_duration_seconds summary");
    assertThat(m.body()).contains("aura_models ");
  }
}
