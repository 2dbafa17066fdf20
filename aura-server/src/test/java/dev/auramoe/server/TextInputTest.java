package dev.auramoe.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Text in route, predict and learn over HTTP, with a deterministic embedder: a text is routed,
 * predicted and learned exactly as its embedding sent as {@code x}; the log keeps the embedding, so a
 * restart recovers without an embedder; and every bad text (missing embedder, another dimension,
 * empty, blank, unpaired surrogate, too long, invalid UTF-8, a body over the limit, an embedder that
 * fails) is a clear error that changes nothing.
 */
class TextInputTest {

  private static final int DIM = 16;
  private static final List<String> TEXTS = List.of("the invoice is overdue", "reset my password please",
      "Grüße aus Köln 🚀", "how do I export a report?", "the invoice was paid twice", "login fails after reset");

  @TempDir
  Path tmp;

  private static RoutingServer start(HashTextEmbedder embedder, Path data) {
    RoutingServer.Builder b = RoutingServer.builder().port(0);
    if (embedder != null) {
      b.textEmbedder(embedder);
    }
    if (data != null) {
      b.dataDir(data);
    }
    return b.build().start();
  }

  private static void create(TestClient c, String name, int inputDim) {
    TestClient.Response r = c.postJson("/v1/models", Map.of("name", name, "inputDim", inputDim, "experts", 4,
        "hidden", 6, "seed", 3));
    assertThat(r.status()).as(r.body()).isEqualTo(201);
  }

  private static List<Float> list(float[] v) {
    List<Float> l = new ArrayList<>();
    for (float f : v) {
      l.add(f);
    }
    return l;
  }

  @Test
  void aTextIsRoutedPredictedAndLearnedExactlyAsItsEmbedding() {
    HashTextEmbedder embedder = new HashTextEmbedder(DIM, 10_000);
    HashTextEmbedder same = new HashTextEmbedder(DIM, 10_000);
    try (RoutingServer server = start(embedder, null)) {
      TestClient c = new TestClient(server.port());
      create(c, "text", DIM);
      create(c, "vectors", DIM);
      for (int round = 0; round < 3; round++) {
        for (String t : TEXTS) {
          List<Float> x = list(same.embed(t).embedding());
          TestClient.Response a = c.postJson("/v1/models/text/route", Map.of("text", t));
          TestClient.Response b = c.postJson("/v1/models/vectors/route", Map.of("x", x));
          assertThat(a.status()).as(a.body()).isEqualTo(200);
          assertThat(a.body()).isEqualTo(b.body());
          a = c.postJson("/v1/models/text/predict", Map.of("text", t));
          b = c.postJson("/v1/models/vectors/predict", Map.of("x", x));
          assertThat(a.status()).as(a.body()).isEqualTo(200);
          assertThat(a.body()).isEqualTo(b.body());
          List<Double> y = List.of(t.length() % 3 - 1.0);
          a = c.postJson("/v1/models/text/learn", Map.of("text", t, "y", y));
          b = c.postJson("/v1/models/vectors/learn", Map.of("x", x, "y", y));
          assertThat(a.status()).as(a.body()).isEqualTo(200);
          assertThat(a.json().get("prediction")).isEqualTo(b.json().get("prediction"));
          assertThat(a.json().get("experts")).isEqualTo(b.json().get("experts"));
        }
      }
      assertThat(c.digest("text")).isEqualTo(c.digest("vectors"));
      assertThat(embedder.calls()).isEqualTo(3 * 3 * TEXTS.size());
    }
  }

  @Test
  void aLearnedTextIsRecoveredFromTheLogWithoutAnEmbedder() {
    Path data = tmp.resolve("data");
    String digest;
    String learns;
    try (RoutingServer server = start(new HashTextEmbedder(DIM, 10_000), data)) {
      TestClient c = new TestClient(server.port());
      create(c, "t", DIM);
      for (int i = 0; i < 30; i++) {
        String t = TEXTS.get(i % TEXTS.size());
        TestClient.Response r = c.postJson("/v1/models/t/learn", Map.of("text", t, "y", List.of(i % 4 * 0.25)));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().get("seq").asLong()).isPositive();
        assertThat(c.postJson("/v1/models/t/route", Map.of("text", t)).status()).isEqualTo(200);
      }
      digest = c.digest("t");
      learns = c.get("/v1/models/t").json().at("/counters/learns").toString();
    }
    // A run that never restarted: the same requests as vectors.
    HashTextEmbedder same = new HashTextEmbedder(DIM, 10_000);
    try (RoutingServer server = start(null, null)) {
      TestClient c = new TestClient(server.port());
      create(c, "t", DIM);
      for (int i = 0; i < 30; i++) {
        List<Float> x = list(same.embed(TEXTS.get(i % TEXTS.size())).embedding());
        assertThat(c.postJson("/v1/models/t/learn", Map.of("x", x, "y", List.of(i % 4 * 0.25))).status())
            .isEqualTo(200);
        assertThat(c.postJson("/v1/models/t/route", Map.of("x", x)).status()).isEqualTo(200);
      }
      assertThat(c.digest("t")).isEqualTo(digest);
    }
    // Recovery replays the embeddings the log kept: no embedder is needed.
    try (RoutingServer server = start(null, data)) {
      TestClient c = new TestClient(server.port());
      assertThat(c.digest("t")).isEqualTo(digest);
      assertThat(c.get("/v1/models/t").json().at("/counters/learns").toString()).isEqualTo(learns);
      TestClient.Response r = c.postJson("/v1/models/t/route", Map.of("text", "still here"));
      assertThat(r.status()).isEqualTo(501);
      assertThat(c.digest("t")).isEqualTo(digest);
    }
  }

  @Test
  void aServerWithoutAnEmbedderAnswers501AndChangesNothing() {
    try (RoutingServer server = start(null, null)) {
      TestClient c = new TestClient(server.port());
      create(c, "m", DIM);
      String before = c.digest("m");
      for (String endpoint : List.of("route", "predict", "learn")) {
        TestClient.Response r = c.postJson("/v1/models/m/" + endpoint, endpoint.equals("learn")
            ? Map.of("text", "hello", "y", List.of(1)) : Map.of("text", "hello"));
        assertError(r, 501, "no text embedder");
      }
      assertThat(c.digest("m")).isEqualTo(before);
    }
  }

  @Test
  void aModelOfAnotherInputDimensionIsAConflictNamingBoth() {
    try (RoutingServer server = start(new HashTextEmbedder(DIM, 10_000), null)) {
      TestClient c = new TestClient(server.port());
      create(c, "small", 5);
      String before = c.digest("small");
      for (String endpoint : List.of("route", "predict", "learn")) {
        TestClient.Response r = c.postJson("/v1/models/small/" + endpoint, endpoint.equals("learn")
            ? Map.of("text", "hello", "y", List.of(1)) : Map.of("text", "hello"));
        assertError(r, 409, "reads inputs of 5 values but the text embedder gives 16");
      }
      assertThat(c.digest("small")).isEqualTo(before);
    }
  }

  @Test
  void badTextIsRefusedWithAClearErrorAndChangesNothing() {
    HashTextEmbedder embedder = new HashTextEmbedder(DIM, 2_000);
    try (RoutingServer server = RoutingServer.builder().port(0).textEmbedder(embedder)
        .limits(ServerLimits.DEFAULT.withMaxBodyBytes(64 * 1024)).build().start()) {
      TestClient c = new TestClient(server.port());
      create(c, "m", DIM);
      assertThat(c.postJson("/v1/models/m/learn", Map.of("text", "warm up", "y", List.of(1))).status())
          .isEqualTo(200);
      String before = c.digest("m");
      JsonNode counters = c.get("/v1/models/m").json().get("counters");
      int calls = embedder.calls();
      // JSON texts: what is wrong with each, and how the refusal says so.
      Object[][] bodies = {
          {"{\"text\":\"hello\",\"x\":" + zeros() + "}", 400, "give either 'x' or 'text', not both"},
          {"{}", 400, "'x' is required (or 'text'"},
          {"{\"text\":5}", 400, "field 'text' must be a string"},
          {"{\"text\":[\"a\"]}", 400, "field 'text' must be a string"},
          {"{\"text\":\"\"}", 400, "text is empty"},
          {"{\"text\":\"  \\n\\t \"}", 400, "text is blank"},
          {"{\"text\":\"half a pair \\ud83d here\"}", 400, "unpaired surrogate"},
          {"{\"text\":\"low \\udc00 alone\"}", 400, "unpaired surrogate"},
          {"{\"text\":\"" + "a".repeat(2_001) + "\"}", 400, "over the limit of 2000"},
          {"{\"text\":\"" + "a".repeat(70_000) + "\"}", 413, "exceeds the limit of 65536 bytes"},
          {"{\"text\":\"hello\",\"stream\":\"nope\"}", 404, "unknown stream 'nope'"},
          {"{\"text\":\"hello\",\"extra\":1}", 400, "unknown field 'extra'"},
      };
      for (String endpoint : List.of("route", "predict", "learn")) {
        for (Object[] b : bodies) {
          String body = (String) b[0];
          if (endpoint.equals("learn") && body.startsWith("{\"text\"")) {
            body = "{\"y\":[1]," + body.substring(1);
          } else if (endpoint.equals("learn")) {
            body = "{\"y\":[1]" + (body.equals("{}") ? "}" : "," + body.substring(1));
          }
          assertError(c.post("/v1/models/m/" + endpoint, body), (int) b[1], (String) b[2]);
        }
        // Bytes that are not UTF-8 inside the text: Jackson would decode several of them silently.
        byte[][] bad = {
            {(byte) 0xC0, (byte) 0x80},                            // overlong NUL
            {(byte) 0xE0, (byte) 0x80, (byte) 0xAF},               // overlong '/'
            {(byte) 0xED, (byte) 0xA0, (byte) 0x80},               // an encoded surrogate, U+D800
            {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80},  // past U+10FFFF
            {(byte) 0xFF},                                         // never in UTF-8
            {(byte) 0xE2, (byte) 0x82},                            // truncated
        };
        for (byte[] seq : bad) {
          ByteArrayOutputStream out = new ByteArrayOutputStream();
          out.writeBytes(("{" + (endpoint.equals("learn") ? "\"y\":[1]," : "") + "\"text\":\"bad ").getBytes(
              StandardCharsets.UTF_8));
          out.writeBytes(seq);
          out.writeBytes(" bytes\"}".getBytes(StandardCharsets.UTF_8));
          HttpRequest req = HttpRequest.newBuilder(c.uri("/v1/models/m/" + endpoint)).timeout(Duration.ofSeconds(30))
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofByteArray(out.toByteArray())).build();
          TestClient.Response r = c.send(req);
          assertThat(r.status()).as("%s %s: %s", endpoint, java.util.HexFormat.of().formatHex(seq), r.body())
              .isEqualTo(400);
          assertThat(r.json().get("error").asText()).contains("UTF-8");
        }
      }
      assertThat(c.digest("m")).isEqualTo(before);
      assertThat(c.get("/v1/models/m").json().get("counters")).isEqualTo(counters);
      // Only the unknown stream, found under the model's lock once the text is embedded, reached the
      // embedder (once per endpoint): every bad text was refused before it.
      assertThat(embedder.calls()).isEqualTo(calls + 3);
    }
  }

  @Test
  void anEmbedderThatFailsAnswers503AndChangesNothing() {
    HashTextEmbedder embedder = new HashTextEmbedder(DIM, 10_000);
    try (RoutingServer server = start(embedder, null)) {
      TestClient c = new TestClient(server.port());
      create(c, "m", DIM);
      String before = c.digest("m");
      embedder.fail("the text encoder could not be loaded: no native library");
      assertError(c.postJson("/v1/models/m/route", Map.of("text", "hello")), 503,
          "the text embedder failed (the text encoder could not be loaded: no native library)");
      assertError(c.postJson("/v1/models/m/learn", Map.of("text", "hello", "y", List.of(1))), 503,
          "nothing was changed");
      assertThat(c.digest("m")).isEqualTo(before);
      embedder.fail(null);
      assertThat(c.postJson("/v1/models/m/route", Map.of("text", "hello")).status()).isEqualTo(200);
    }
  }

  private static String zeros() {
    return "[" + String.join(",", java.util.Collections.nCopies(DIM, "0")) + "]";
  }

  private static void assertError(TestClient.Response r, int status, String contains) {
    assertThat(r.status()).as(r.body()).isEqualTo(status);
    assertThat(r.contentType()).startsWith("application/json");
    assertThat(r.json().get("status").asInt()).isEqualTo(status);
    assertThat(r.json().get("error").asText()).contains(contains);
    assertThat(r.body()).doesNotContain("at dev.auramoe");
  }
}
