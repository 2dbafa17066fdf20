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

/**
 * 10,000 malformed requests, seeded: valid requests mutated byte by byte, cut short, given wrong
 * types, non-finite or overflowing numbers, wrong dimensions, unknown fields, foreign content
 * types, random bytes, unknown paths and methods. None may get a 5xx, none may change any model
 * (digests and the model list compared before and after), and every refusal is JSON without a
 * stack trace.
 *
 * <p>Then 4,000 requests written byte by byte over raw sockets (java.net.http refuses to send them):
 * malformed request lines, methods, targets and versions, missing, duplicated, oversized and
 * malformed headers, every shape of Content-Length and Transfer-Encoding (request smuggling
 * included), chunked bodies over the limit, content codings, content types and charsets, bodies
 * that are not UTF-8. Each gets an answer; every refusal is the JSON error with a status that
 * matches its body; none is a server fault (the only 5xx allowed are 501 for a transfer coding and
 * 505 for an HTTP version the server does not speak); none changes any model.
 */
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

  private static final int RAW_REQUESTS = 4_000;
  private static final String CRLF = "\r\n";

  @Test
  void fourThousandMalformedRawRequestsGetJsonRefusalsAndChangeNothing() {
    String before = client.digest("m");
    String list = client.get("/v1/models").body();
    SplittableRandom r = new SplittableRandom(SEED + 1);
    List<String> failures = new ArrayList<>();
    java.util.Map<Integer, Integer> statuses = new java.util.TreeMap<>();
    for (int i = 0; i < RAW_REQUESTS && failures.size() < 10; i++) {
      byte[] request = rawRequest(r);
      String shown = abbreviate(new String(request, StandardCharsets.ISO_8859_1).replace("\r", "\\r")
          .replace("\n", "\\n"));
      TestClient.Response resp = client.raw(request);
      int status = resp.status();
      statuses.merge(status, 1, Integer::sum);
      boolean head = new String(request, 0, Math.min(5, request.length), StandardCharsets.ISO_8859_1).equals("HEAD ");
      if (status == 0) {
        failures.add("no answer to " + shown);
      } else if (status >= 500 && status != 501 && status != 505) {
        failures.add(status + " for " + shown + ": " + resp.body());
      } else if (status >= 400 && !resp.contentType().startsWith("application/json")) {
        failures.add("not JSON (" + resp.contentType() + ") for " + shown + ": " + resp.body());
      } else if (status >= 400 && !head && (resp.json() == null || resp.json().get("status") == null
          || resp.json().get("status").asInt() != status || !resp.json().path("error").isTextual()
          || resp.json().get("error").asText().isEmpty())) {
        failures.add("not the JSON error for " + shown + ": " + status + " " + resp.body());
      } else if (status >= 400 && resp.body().contains("\tat ")) {
        failures.add("stack trace for " + shown + ": " + resp.body());
      } else if (status < 300 && !shown.startsWith("GET ") && !head) {
        failures.add("accepted " + shown + ": " + resp.body());
      }
    }
    assertThat(failures).as("statuses so far %s", statuses).isEmpty();
    // The generator reaches every layer: Helidon's refusals and the endpoints' own.
    assertThat(statuses.keySet()).contains(400, 404, 405, 413, 414, 415, 431, 505);
    assertThat(client.digest("m")).as("no request changed the model").isEqualTo(before);
    assertThat(client.get("/v1/models").body()).as("no model created or deleted").isEqualTo(list);
    assertThat(client.get("/health").status()).isEqualTo(200);
  }

  private static final String[] METHODS = {"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE", "PATCH", "BREW",
      "post", "G\u0001T", "P\u00d6ST", "CONNECT"};
  private static final String[] TARGETS = {"/v1/models/%zz/route", "/v1/models/%", "/v1/\u0001models",
      "/v1/models/m/route?x=%zz", "*", "http://x/v1/models/m/route", "/v1/models/%C0%AF/route",
      "/v1/models/m/route#frag", "", "/v1 /models", "/v1/models/m/route\u00ff", "//v1//models",
      "/v1/models/m/../m/route", "/" + "a".repeat(5_000)};
  private static final String[] VERSIONS = {"HTTP/1.0", "HTTP/2.0", "HTTP/1.2", "HTTP/1", "http/1.1", "",
      "HTTP/1.1 extra", "HTTP/1.1\u0000"};
  private static final String[] CONTENT_TYPES = {";;;", "application/json; charset=latin1", "text/plain",
      "application/json; charset=\"", "application/", "*/*", "application/json;;", "\u00ff/\u00ff"};
  private static final String[] CODINGS = {"gzip", "br", "identity", "deflate", "gzip, identity", "x-zip",
      "compress", " ", "identity, gzip"};
  private static final String[] BODIES = {"{\"x\": [0.5, 1]}", "{\"x\": [0.5, 1, \u00ff]}", "{\"x\": [1, 2, 3",
      "\u00ff\u00fe\u0000\u0001", "[1, 2, 3]", "{\"x\": \"\u00c3\u0028\"}"};

  /**
   * A request to route on model m whose body is always refused by the endpoint (wrong dimension,
   * not UTF-8, not JSON), so that nothing the HTTP layer lets through may change the model; then
   * damaged at one or more layers.
   */
  private static byte[] rawRequest(SplittableRandom r) {
    String method = r.nextInt(6) == 0 ? METHODS[r.nextInt(METHODS.length)] : "POST";
    String target = r.nextInt(6) == 0 ? TARGETS[r.nextInt(TARGETS.length)] : "/v1/models/m/route";
    String version = r.nextInt(10) == 0 ? VERSIONS[r.nextInt(VERSIONS.length)] : "HTTP/1.1";
    String eol = r.nextInt(30) == 0 ? "\n" : CRLF;
    String body = r.nextInt(8) == 0 ? randomBytes(r) : BODIES[r.nextInt(BODIES.length)];
    List<String> h = new ArrayList<>();
    switch (r.nextInt(12)) {
      case 0 -> { } // no Host
      case 1 -> {
        h.add("Host: x");
        h.add("Host: y");
      }
      case 2 -> h.add("Host:");
      case 3 -> h.add("Host: x:notaport");
      default -> h.add("Host: x");
    }
    if (r.nextInt(5) != 0) {
      h.add("Content-Type: " + (r.nextInt(4) == 0 ? CONTENT_TYPES[r.nextInt(CONTENT_TYPES.length)]
          : "application/json"));
    }
    if (r.nextInt(5) == 0) {
      h.add("Content-Encoding: " + CODINGS[r.nextInt(CODINGS.length)]);
    }
    switch (r.nextInt(14)) {
      case 0 -> h.add("X-Big: " + "a".repeat(17_000));
      case 1 -> {
        for (int i = 0, n = 1_000 + r.nextInt(2_000); i < n; i++) {
          h.add("X-" + i + ": y");
        }
      }
      case 2 -> h.add("Foo bar");
      case 3 -> h.add("Foo : bar");
      case 4 -> {
        h.add("Foo: bar");
        h.add(" folded");
      }
      case 5 -> h.add("Foo: b\u0000r");
      case 6 -> h.add("F(o)o: bar");
      case 7 -> h.add("Expect: 100-continue");
      case 8 -> h.add(": empty name");
      default -> { }
    }
    String len = Integer.toString(body.length());
    String payload = body;
    switch (r.nextInt(16)) {
      case 0 -> h.add("Content-Length: -" + (1 + r.nextInt(100)));
      case 1 -> h.add("Content-Length: " + (r.nextBoolean() ? "abc" : "9".repeat(25)));
      case 2 -> h.add("Content-Length: " + len + ", " + len);
      case 3 -> {
        h.add("Content-Length: " + len);
        h.add("Content-Length: " + (body.length() + 1));
      }
      case 4 -> { // request smuggling, both orders
        h.add("Content-Length: 4");
        h.add("Transfer-Encoding: chunked");
        payload = chunked(body);
      }
      case 5 -> {
        h.add("Transfer-Encoding: chunked");
        h.add("Content-Length: " + len);
        payload = chunked(body);
      }
      case 6 -> h.add("Transfer-Encoding: " + (r.nextBoolean() ? "gzip" : "gzip, chunked"));
      case 7 -> {
        h.add("Transfer-Encoding: chunked, chunked");
        payload = chunked(body);
      }
      case 8 -> {
        h.add("Transfer-Encoding: chunked");
        payload = "zz" + CRLF + body + CRLF + "0" + CRLF + CRLF; // a chunk size that is not hex
      }
      case 9 -> { // chunked, over the body limit
        h.add("Transfer-Encoding: chunked");
        payload = chunked("{\"x\": [" + "1,".repeat(12_000) + "1]}");
      }
      case 10 -> h.add("Content-Length: " + Math.max(0, body.length() - 3)); // the rest is the next "request"
      case 11 -> h.add("Content-Length: " + (body.length() + 50)); // cut short
      case 12 -> h.add("Content-Length: 100000"); // over the body limit
      default -> h.add("Content-Length: " + len);
    }
    StringBuilder out = new StringBuilder(method).append(' ').append(target);
    if (!version.isEmpty()) {
      out.append(' ').append(version);
    }
    out.append(eol);
    for (String line : h) {
      out.append(line).append(eol);
    }
    return out.append(eol).append(payload).toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  private static String chunked(String body) {
    StringBuilder b = new StringBuilder();
    for (int at = 0; at < body.length(); at += 4096) {
      String part = body.substring(at, Math.min(body.length(), at + 4096));
      b.append(Integer.toHexString(part.length())).append(CRLF).append(part).append(CRLF);
    }
    return b.append("0").append(CRLF).append(CRLF).toString();
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
