package dev.auramoe.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.http.HttpRequest;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * With a token, every state-changing request needs it; reads do not, unless the operator asks
 * (then all but {@code GET /health} do, and /health tells only its status without it); a refusal
 * changes nothing.
 */
class TokenTest {

  private static final String TOKEN = "s3cret-Token_42";
  private static RoutingServer server;
  private static TestClient client;

  @BeforeAll
  static void start() {
    server = RoutingServer.builder().port(0).token(TOKEN).build().start();
    client = new TestClient(server.port());
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static TestClient.Response send(String method, String path, String body, String authorization) {
    return send(client, method, path, body, authorization);
  }

  private static TestClient.Response send(TestClient c, String method, String path, String body,
      String authorization) {
    HttpRequest.Builder b = HttpRequest.newBuilder(c.uri(path)).header("Content-Type", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return c.send(b.build());
  }

  @Test
  void mutatingRequestsNeedTheTokenAndReadsDoNot() {
    String create = "{\"name\": \"m\", \"inputDim\": 2, \"experts\": 2, \"hidden\": 4}";
    assertThat(send("POST", "/v1/models", create, null).status()).isEqualTo(401);
    assertThat(send("POST", "/v1/models", create, "Bearer wrong").status()).isEqualTo(401);
    assertThat(send("POST", "/v1/models", create, "Bearer " + TOKEN + "x").status()).isEqualTo(401);
    assertThat(send("POST", "/v1/models", create, TOKEN).status()).as("no Bearer scheme").isEqualTo(401);
    assertThat(client.get("/v1/models").json().get("models")).isEmpty();
    assertThat(send("POST", "/v1/models", create, "Bearer " + TOKEN).status()).isEqualTo(201);

    String digest = client.digest("m");
    TestClient.Response refused = send("POST", "/v1/models/m/learn", "{\"x\": [1, 2], \"y\": [1]}", "Bearer nope");
    assertThat(refused.status()).isEqualTo(401);
    assertThat(refused.json().get("error").asText()).contains("bearer token");
    assertThat(send("POST", "/v1/models/m/route", "{\"x\": [1, 2]}", null).status()).isEqualTo(401);
    assertThat(send("DELETE", "/v1/models/m", null, null).status()).isEqualTo(401);
    assertThat(send("POST", "/v1/models/m/streams/default/reset", null, null).status()).isEqualTo(401);
    assertThat(client.digest("m")).as("refused requests change nothing").isEqualTo(digest);

    assertThat(send("POST", "/v1/models/m/learn", "{\"x\": [1, 2], \"y\": [1]}", "Bearer " + TOKEN).status())
        .isEqualTo(200);
    assertThat(send("POST", "/v1/models/m/learn", "{\"x\": [1, 2], \"y\": [1]}", "bearer " + TOKEN).status())
        .as("the scheme is case-insensitive").isEqualTo(200);
    assertThat(client.digest("m")).isNotEqualTo(digest);
    assertThat(client.get("/health").status()).isEqualTo(200);
    assertThat(client.get("/v1/models/m/stats").status()).isEqualTo(200);
    assertThat(client.get("/metrics").status()).isEqualTo(200);
  }

  @Test
  void withTokenReadsEveryRequestButHealthNeedsTheToken() {
    try (RoutingServer guarded = RoutingServer.builder().port(0).token(TOKEN).tokenReads(true).build().start()) {
      TestClient c = new TestClient(guarded.port());
      String create = "{\"name\": \"r\", \"inputDim\": 2, \"experts\": 2, \"hidden\": 4}";
      assertThat(send(c, "POST", "/v1/models", create, "Bearer " + TOKEN).status()).isEqualTo(201);
      for (String path : List.of("/v1/models", "/v1/models/r", "/v1/models/r?digest=true", "/v1/models/r/stats",
          "/v1/models/r/streams", "/v1/models/r/experts", "/metrics", "/openapi.json")) {
        TestClient.Response anonymous = c.get(path);
        assertThat(anonymous.status()).as("GET %s without the token", path).isEqualTo(401);
        assertThat(anonymous.json().get("error").asText()).contains("to read");
        assertThat(send(c, "GET", path, null, "Bearer nope").status()).isEqualTo(401);
        assertThat(send(c, "GET", path, null, "Bearer " + TOKEN).status()).as("GET %s", path)
            .isEqualTo(200);
      }
      assertThat(c.get("/health").status()).as("liveness probes need no token").isEqualTo(200);
      assertThat(send(c, "POST", "/v1/models/r/route", "{\"x\": [1, 2]}", null).status()).isEqualTo(401);
    }
    assertThatThrownBy(() -> RoutingServer.builder().tokenReads(true).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("needs a token");
  }

  /**
   * Under --token-reads, /health answers a request without the token (or with a wrong one) with its
   * status alone, and the same HTTP status: the reason names the wedged model, and the recovery
   * report names models and files. With the token it tells everything. It used to tell everyone.
   */
  @Test
  void withTokenReadsHealthTellsOnlyItsStatusWithoutTheToken(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
    try (RoutingServer guarded = RoutingServer.builder().port(0).token(TOKEN).tokenReads(true)
        .dataDir(dir.resolve("data")).build().start()) {
      TestClient c = new TestClient(guarded.port());
      TestClient.Response anonymous = c.get("/health");
      assertThat(anonymous.status()).isEqualTo(200);
      assertThat(anonymous.body()).isEqualTo("{\"status\":\"UP\"}");
      assertThat(send(c, "GET", "/health", null, "Bearer nope").body()).isEqualTo("{\"status\":\"UP\"}");
      TestClient.Response full = send(c, "GET", "/health", null, "Bearer " + TOKEN);
      assertThat(full.json().get("status").asText()).isEqualTo("UP");
      assertThat(full.json().has("recovery")).isTrue();
    }
    java.util.concurrent.atomic.AtomicLong seq = new java.util.concurrent.atomic.AtomicLong();
    dev.auramoe.server.journal.OperationJournal learnsRunOutOfMemory = op -> {
      if (op.type() == dev.auramoe.server.journal.Operation.Type.LEARN) {
        throw new OutOfMemoryError("Java heap space (test)");
      }
      return java.util.concurrent.CompletableFuture.completedFuture(seq.incrementAndGet());
    };
    try (RoutingServer guarded = RoutingServer.builder().port(0).token(TOKEN).tokenReads(true)
        .journal(learnsRunOutOfMemory).build().start()) {
      TestClient c = new TestClient(guarded.port());
      String create = "{\"name\": \"secret-model\", \"inputDim\": 2, \"experts\": 2, \"hidden\": 4}";
      assertThat(send(c, "POST", "/v1/models", create, "Bearer " + TOKEN).status()).isEqualTo(201);
      assertThat(send(c, "POST", "/v1/models/secret-model/learn", "{\"x\": [1, 2], \"y\": [1]}", "Bearer " + TOKEN)
          .status()).isEqualTo(503);
      TestClient.Response anonymous = c.get("/health");
      assertThat(anonymous.status()).as("a probe still sees DOWN").isEqualTo(503);
      assertThat(anonymous.body()).isEqualTo("{\"status\":\"DOWN\"}");
      TestClient.Response full = send(c, "GET", "/health", null, "Bearer " + TOKEN);
      assertThat(full.status()).isEqualTo(503);
      assertThat(full.json().get("reason").asText()).contains("model 'secret-model'");
    }
    try (RoutingServer open = RoutingServer.builder().port(0).token(TOKEN).dataDir(dir.resolve("open")).build()
        .start()) {
      assertThat(new TestClient(open.port()).get("/health").json().has("recovery"))
          .as("without --token-reads, health tells everyone everything").isTrue();
    }
  }

  @Test
  void badTokensAreRefusedWhenTheServerIsBuilt() {
    for (String bad : List.of("", "has space", "tab\tx", "caf\u00e9")) {
      assertThatThrownBy(() -> RoutingServer.builder().token(bad)).isInstanceOf(IllegalArgumentException.class);
    }
  }
}
