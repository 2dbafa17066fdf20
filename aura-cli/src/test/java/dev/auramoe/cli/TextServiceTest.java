package dev.auramoe.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.auramoe.server.RoutingServer;
import dev.auramoe.text.SentenceEncoder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The service with the real text encoder that {@code aura serve} gives it (all-MiniLM-L6-v2, loaded on
 * the first text request), end to end over HTTP: texts are routed, learned and rewarded; bad texts are
 * refused with the encoder's reasons and change nothing; and a restart recovers the model bit for bit
 * from the log without loading the encoder, equal to a run that sent the embeddings as vectors.
 */
class TextServiceTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> TEXTS = List.of("My invoice was charged twice this month",
      "I cannot log in after resetting my password", "How do I export the quarterly report as CSV?",
      "The app crashes when I open the settings page", "Please refund the duplicate payment",
      "Two-factor codes never arrive on my phone");

  @TempDir
  Path tmp;

  private final HttpClient http = HttpClient.newHttpClient();

  private record Answer(int status, JsonNode json) {}

  private Answer post(int port, String path, Object body) throws Exception {
    return send(port, path, JSON.writeValueAsBytes(body));
  }

  private Answer send(int port, String path, byte[] body) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    return new Answer(r.statusCode(), JSON.readTree(r.body()));
  }

  private JsonNode get(int port, String path) throws Exception {
    return JSON.readTree(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString()).body());
  }

  private String digest(int port) throws Exception {
    return get(port, "/v1/models/support?digest=true").get("digest").asText();
  }

  private void learnAll(int port, java.util.function.Function<String, Object> input) throws Exception {
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < TEXTS.size(); i++) {
        Map<String, Object> body = new java.util.HashMap<>(Map.of("y", List.of(i % 2 == 0 ? 1.0 : -1.0)));
        Object in = input.apply(TEXTS.get(i));
        body.put(in instanceof String ? "text" : "x", in);
        Answer a = post(port, "/v1/models/support/learn", body);
        assertThat(a.status()).as(a.json().toString()).isEqualTo(200);
      }
    }
  }

  @Test
  void textsAreRoutedLearnedAndRewardedAndRecoveredWithoutTheEncoder() throws Exception {
    Path data = tmp.resolve("data");
    Map<String, Object> spec = Map.of("name", "support", "inputDim", 384, "experts", 4, "topK", 2, "hidden", 8,
        "feedback", true, "feedbackMaxStep", 0.2, "feedbackMaxDrift", 1.0);
    String digest;
    String routeId;
    try (LazyTextEmbedder encoder = new LazyTextEmbedder(SentenceEncoder::allMiniLmL6V2);
        RoutingServer server = RoutingServer.builder().port(0).dataDir(data).textEmbedder(encoder).build().start()) {
      int port = server.port();
      assertThat(post(port, "/v1/models", spec).status()).isEqualTo(201);
      assertThat(post(port, "/v1/models", Map.of("name", "small", "inputDim", 10)).status()).isEqualTo(201);
      assertThat(encoder.loaded()).as("nothing loads the encoder before a text arrives").isFalse();

      learnAll(port, t -> t);
      assertThat(encoder.loaded()).isTrue();
      Answer routed = post(port, "/v1/models/support/route", Map.of("text", "I was billed two times"));
      assertThat(routed.status()).isEqualTo(200);
      routeId = routed.json().get("routeId").asText();
      Answer f = post(port, "/v1/models/support/feedback", Map.of("routeId", routeId,
          "expert", routed.json().get("expertNames").get(0).asText(), "reward", 1));
      assertThat(f.status()).as(f.json().toString()).isEqualTo(200);
      assertThat(f.json().get("change").asDouble()).isPositive().isLessThanOrEqualTo(0.2 * (1 + 1e-5));
      assertThat(f.json().get("seq").asLong()).isPositive();
      digest = digest(port);

      // Bad texts, refused with the encoder's own reasons; nothing changes.
      assertError(post(port, "/v1/models/support/route", Map.of("text", "   \n ")), 400, "blank");
      assertError(send(port, "/v1/models/support/route",
          "{\"text\":\"half a pair \\ud83d\"}".getBytes(StandardCharsets.UTF_8)), 400, "unpaired surrogate");
      ByteArrayOutputStream overlong = new ByteArrayOutputStream();
      overlong.writeBytes("{\"text\":\"bad ".getBytes(StandardCharsets.UTF_8));
      overlong.writeBytes(new byte[] {(byte) 0xC0, (byte) 0xAF});
      overlong.writeBytes("\"}".getBytes(StandardCharsets.UTF_8));
      assertError(send(port, "/v1/models/support/route", overlong.toByteArray()), 400, "not valid UTF-8");
      assertError(post(port, "/v1/models/small/route", Map.of("text", "hello")), 409,
          "reads inputs of 10 values but the text embedder gives 384");
      assertThat(digest(port)).isEqualTo(digest);
    }

    // A run without a restart, sending the embeddings as vectors, ends in the same state.
    try (SentenceEncoder same = SentenceEncoder.allMiniLmL6V2();
        RoutingServer server = RoutingServer.builder().port(0).build().start()) {
      int port = server.port();
      assertThat(post(port, "/v1/models", spec).status()).isEqualTo(201);
      learnAll(port, t -> floats(same.encode(t)));
      Answer routed = post(port, "/v1/models/support/route",
          Map.of("x", floats(same.encode("I was billed two times"))));
      assertThat(post(port, "/v1/models/support/feedback", Map.of("routeId", routed.json().get("routeId").asText(),
          "expert", routed.json().get("expertNames").get(0).asText(), "reward", 1)).status()).isEqualTo(200);
      assertThat(digest(port)).isEqualTo(digest);
    }

    // Recovery needs no encoder: the log holds the embeddings.
    try (RoutingServer server = RoutingServer.builder().port(0).dataDir(data).build().start()) {
      int port = server.port();
      assertThat(digest(port)).isEqualTo(digest);
      assertError(post(port, "/v1/models/support/feedback", Map.of("routeId", routeId, "expert", "e0", "reward", 1)),
          410, "issued before the server last started");
    }
  }

  private static List<Float> floats(float[] v) {
    List<Float> l = new ArrayList<>(v.length);
    for (float f : v) {
      l.add(f);
    }
    return l;
  }

  private static void assertError(Answer a, int status, String contains) throws IOException {
    assertThat(a.status()).as(a.json().toString()).isEqualTo(status);
    assertThat(a.json().get("error").asText()).contains(contains);
  }
}
