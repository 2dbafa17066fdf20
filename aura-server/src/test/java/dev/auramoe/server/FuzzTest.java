package dev.auramoe.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * 10,000 malformed requests, seeded: valid requests mutated byte by byte, cut short, given wrong
 * types, non-finite or overflowing numbers, wrong dimensions, unknown fields, foreign content
 * types, random bytes, unknown paths and methods. None may get a 5xx, none may change any model
 * (digests and the model list compared before and after), and every refusal is JSON without a
 * stack trace.
 */
@ExtendWith(NoOutputExtension.class)
class FuzzTest {

  private static final long SEED = 20261122L;
  private static final int REQUESTS = 10_000;
  private static RoutingServer server;
  private static TestClient client;

  @BeforeAll
  static void start() {
    server = RoutingServer.builder().port(0).limits(ServerLimits.DEFAULT.withMaxBodyBytes(16 * 1024).withMaxBatch(16))
        .build().start();
    client = new TestClient(server.port());
    assertThat(client.postJson("/v1/models", Map.of("name", "m", "inputDim", 3, "outputDim", 2, "experts", 4,
        "hidden", 8)).status()).isEqualTo(201);
    for (int i = 0; i < 20; i++) {
      client.postJson("/v1/models/m/learn", Map.of("x", List.of(i, 1, -2), "y", List.of(1, 0)));
    }
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /** Valid requests that the fuzzer mutates (each one alone would change the model). */
  private static final String[][] SEEDS = {
      {"POST", "/v1/models/m/route", "{\"x\": [0.5, 1, -2]}"},
      {"POST", "/v1/models/m/route/batch", "{\"xs\": [[0.5, 1, -2], [1, 2, 3]], \"stream\": \"default\"}"},
      {"POST", "/v1/models/m/predict", "{\"x\": [0.5, 1, -2]}"},
      {"POST", "/v1/models/m/learn", "{\"x\": [0.5, 1, -2], \"y\": [1, 0]}"},
      {"POST", "/v1/models/m/learn/batch", "{\"xs\": [[0.5, 1, -2]], \"ys\": [[1, 0]]}"},
      {"POST", "/v1/models", "{\"name\": \"n\", \"inputDim\": 3}"},
      {"PATCH", "/v1/models/m", "{\"temperature\": 0.5}"},
      {"POST", "/v1/models/m/experts", "{\"name\": \"x9\", \"mu\": 0.3}"},
      {"PATCH", "/v1/models/m/experts/e0", "{\"name\": \"z\"}"},
  };

  private static final String[] JUNK_VALUES = {"NaN", "\"NaN\"", "Infinity", "-Infinity", "1e39", "-1e400", "null",
      "true", "\"x\"", "{}", "[]", "[[]]", "9".repeat(400), "[1,2]", "[1,2,3,4]", "{\"a\":1}", "\"\\u0000\"",
      "-", "0x10", "01", "1.", ".5", "+1"};

  private static final String[] PATHS = {"/v1/models/nope/route", "/v1/models/m/rout", "/v1/models/m/learn/x",
      "/v1/models/m/streams/nope/reset", "/v1/models/%20x", "/v1/models/m/..",
      "/v1/models/" + "a".repeat(300) + "/learn"};

  @Test
  void tenThousandMalformedRequestsGetNo5xxAndChangeNothing() {
    String before = client.digest("m");
    String list = client.get("/v1/models").body();
    SplittableRandom r = new SplittableRandom(SEED);
    List<String> failures = new ArrayList<>();
    int refused = 0;
    for (int i = 0; i < REQUESTS && failures.size() < 10; i++) {
      String[] seed = SEEDS[r.nextInt(SEEDS.length)];
      String method = seed[0];
      String path = seed[1];
      String body = seed[2];
      String contentType = "application/json";
      int kind = r.nextInt(9);
      switch (kind) {
        case 0 -> body = flipBytes(body, r); // byte-level damage
        case 1 -> body = body.substring(0, r.nextInt(Math.max(1, body.length()))); // cut short
        case 2 -> body = replaceValue(body, JUNK_VALUES[r.nextInt(JUNK_VALUES.length)], r); // wrong type or value
        case 3 -> body = body.isEmpty() ? "{\"zz\": 1}" : body.replaceFirst("\\{", "{\"zz\": 1, "); // unknown field
        case 4 -> contentType = r.nextBoolean() ? "text/plain" : "application/x-www-form-urlencoded";
        case 5 -> body = randomBytes(r);
        case 6 -> path = PATHS[r.nextInt(PATHS.length)];
        case 7 -> method = r.nextBoolean() ? "PUT" : "DELETE";
        default -> body = "{\"x\": [" + "1,".repeat(20_000) + "1]}"; // over the body limit
      }
      if (kind == 7 && (path.equals("/v1/models") || path.equals("/v1/models/m") || path.contains("/streams/")
          || path.contains("/experts/"))) {
        // PUT/DELETE on these are valid operations (open/close a stream, ...): keep them malformed.
        path = path + "/nothing-here";
      }
      HttpRequest.Builder b = HttpRequest.newBuilder(client.uri(path)).timeout(java.time.Duration.ofSeconds(30))
          .header("Content-Type", contentType)
          .method(method, HttpRequest.BodyPublishers.ofByteArray(body.getBytes(StandardCharsets.ISO_8859_1)));
      TestClient.Response resp;
      try {
        resp = client.send(b.build());
      } catch (IllegalStateException e) {
        // An over-limit body may close the connection early; that is a refusal, not a fault.
        refused++;
        continue;
      }
      if (resp.status() >= 500) {
        failures.add(resp.status() + " for " + method + " " + path + " " + abbreviate(body) + ": " + resp.body());
      }
      if (resp.status() >= 400 && resp.body().contains("\tat ")) {
        failures.add("stack trace for " + method + " " + path + ": " + resp.body());
      }
      if (resp.status() < 300 && !(method.equals("GET"))) {
        failures.add("accepted " + method + " " + path + " " + abbreviate(body) + ": " + resp.body());
      }
    }
    assertThat(failures).isEmpty();
    assertThat(refused).isLessThan(REQUESTS / 4);
    assertThat(client.digest("m")).as("no request changed the model").isEqualTo(before);
    assertThat(client.get("/v1/models").body()).as("no model created or deleted").isEqualTo(list);
    assertThat(client.get("/health").status()).isEqualTo(200);
  }

  private static String flipBytes(String body, SplittableRandom r) {
    if (body.isEmpty()) {
      return "\u00ff";
    }
    char[] c = body.toCharArray();
    int flips = 1 + r.nextInt(3);
    for (int i = 0; i < flips; i++) {
      int at = r.nextInt(c.length);
      c[at] = (char) (r.nextInt(256));
    }
    // A flip alone can leave a valid request (a digit for a digit, a letter of the name): a trailing
    // control byte makes sure the body is not one JSON value.
    return new String(c) + (char) (1 + r.nextInt(8)); // 1..8: not JSON whitespace
  }

  private static String replaceValue(String body, String junk, SplittableRandom r) {
    if (body.contains("[0.5, 1, -2]") && r.nextBoolean()) {
      return body.replaceFirst("\\[0\\.5, 1, -2\\]", junk.startsWith("[") ? junk : "[0.5, " + junk + ", -2]");
    }
    if (body.contains("\"temperature\": 0.5")) {
      return body.replace("\"temperature\": 0.5", "\"temperature\": " + junk);
    }
    if (body.contains("\"inputDim\": 3")) {
      return body.replace("\"inputDim\": 3", "\"inputDim\": " + junk);
    }
    if (body.contains("[1, 0]")) {
      return body.replace("[1, 0]", "[1, " + junk + "]");
    }
    return "{\"x\": " + junk + "}";
  }

  private static String randomBytes(SplittableRandom r) {
    byte[] b = new byte[1 + r.nextInt(200)];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) r.nextInt(256);
    }
    return new String(b, StandardCharsets.ISO_8859_1);
  }

  private static String abbreviate(String s) {
    return s.length() > 120 ? s.substring(0, 120) + "..." : s;
  }
}
