package dev.auramoe.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every class of bad request gets the right 4xx as JSON {@code {"error", "status"}}, with a clear
 * message and no stack trace, and leaves the model's digest unchanged.
 */
class ErrorsTest {

  private static final int MAX_BODY = 64 * 1024;
  private static final int MAX_BATCH = 8;
  private static RoutingServer server;
  private static TestClient client;

  @BeforeAll
  static void start() {
    server = RoutingServer.builder().port(0)
        .limits(ServerLimits.DEFAULT.withMaxBodyBytes(MAX_BODY).withMaxBatch(MAX_BATCH)).build().start();
    client = new TestClient(server.port());
    TestClient.Response r = client.postJson("/v1/models", Map.of("name", "m", "inputDim", 3, "outputDim", 1,
        "experts", 4, "hidden", 8));
    assertThat(r.status()).isEqualTo(201);
    // Some history, so that a change would show in the digest.
    for (int i = 0; i < 5; i++) {
      client.postJson("/v1/models/m/learn", Map.of("x", List.of(i, 1, 2), "y", List.of(1)));
    }
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static final String OK_X = "[0.5, 1, -2]";

  static Stream<Arguments> badRequests() {
    String big = "[" + "1,".repeat(MAX_BODY / 2) + "1]";
    String rows9 = "[" + String.join(",", java.util.Collections.nCopies(MAX_BATCH + 1, OK_X)) + "]";
    return Stream.of(
        // invalid JSON and wrong shapes
        Arguments.of("/route", "{\"x\": [1, 2", 400, "invalid JSON"),
        Arguments.of("/route", "", 400, "empty"),
        Arguments.of("/route", "[1, 2, 3]", 400, "expected a JSON object"),
        Arguments.of("/route", "{\"x\": " + OK_X + "} {}", 400, "invalid JSON"),
        Arguments.of("/route", "{\"x\": " + OK_X + ", \"x\": " + OK_X + "}", 400, "Duplicate field"),
        Arguments.of("/route", "{\"x\": " + OK_X + ", \"stram\": \"a\"}", 400, "unknown field 'stram'"),
        Arguments.of("/route", "{}", 400, "'x' is required"),
        Arguments.of("/route", "{\"x\": \"1,2,3\"}", 400, "must be an array"),
        // dimensions
        Arguments.of("/route", "{\"x\": [1, 2]}", 400, "must have length 3, got 2"),
        Arguments.of("/learn", "{\"x\": " + OK_X + ", \"y\": [1, 2]}", 400, "'y' must have length 1"),
        Arguments.of("/route/batch", "{\"xs\": [" + OK_X + ", [1]]}", 400, "'xs[1]' must have length 3"),
        Arguments.of("/learn/batch", "{\"xs\": [" + OK_X + "], \"ys\": [[1], [2]]}", 400, "rows"),
        Arguments.of("/route/batch", "{\"xs\": []}", 400, "at least one row"),
        // values that are not finite floats
        Arguments.of("/route", "{\"x\": [1, NaN, 2]}", 400, "invalid JSON"),
        Arguments.of("/route", "{\"x\": [1, Infinity, 2]}", 400, "invalid JSON"),
        Arguments.of("/route", "{\"x\": [1, \"NaN\", 2]}", 400, "'x[1]' must be a finite number"),
        Arguments.of("/route", "{\"x\": [1, \"Infinity\", 2]}", 400, "'x[1]' must be a finite number"),
        Arguments.of("/route", "{\"x\": [1, 2, 1e39]}", 400, "'x[2]' = 1.0E39 is out of float range"),
        Arguments.of("/route", "{\"x\": [1, 2, -1e400]}", 400, "out of float range"),
        Arguments.of("/route", "{\"x\": [1, 2, 1" + "0".repeat(60) + "]}", 400, "out of float range"),
        Arguments.of("/route", "{\"x\": [1, null, 2]}", 400, "'x[1]' must be a finite number"),
        Arguments.of("/learn", "{\"x\": " + OK_X + ", \"y\": [\"-Infinity\"]}", 400, "'y[0]'"),
        Arguments.of("/predict/batch", "{\"xs\": [[1, 2, 3.5e38]]}", 400, "'xs[0][2]'"),
        // unknown stream, malformed stream id
        Arguments.of("/route", "{\"x\": " + OK_X + ", \"stream\": \"nope\"}", 404, "unknown stream 'nope'"),
        Arguments.of("/learn", "{\"x\": " + OK_X + ", \"y\": [1], \"stream\": \"nope\"}", 404, "unknown stream"),
        Arguments.of("/predict", "{\"x\": " + OK_X + ", \"stream\": \"nope\"}", 404, "unknown stream"),
        Arguments.of("/route", "{\"x\": " + OK_X + ", \"stream\": \"a b\"}", 400, "stream id"),
        Arguments.of("/route", "{\"x\": " + OK_X + ", \"stream\": 3}", 400, "must be a string"),
        // limits
        Arguments.of("/route", "{\"x\": " + big + "}", 413, "exceeds the limit of " + MAX_BODY),
        Arguments.of("/route/batch", "{\"xs\": " + rows9 + "}", 413, "batch limit of " + MAX_BATCH),
        Arguments.of("/learn/batch", "{\"xs\": " + rows9 + ", \"ys\": [[1]]}", 413, "batch limit"));
  }

  @ParameterizedTest(name = "{0} {3}")
  @MethodSource("badRequests")
  void badRequestIsRefusedAndChangesNothing(String endpoint, String body, int status, String message) {
    String before = client.digest("m");
    TestClient.Response r = client.post("/v1/models/m" + endpoint, body);
    assertError(r, status, message);
    assertThat(client.digest("m")).isEqualTo(before);
  }

  @Test
  void unknownModelIs404() {
    assertError(client.postJson("/v1/models/nope/route", Map.of("x", List.of(1, 2, 3))), 404, "unknown model 'nope'");
    assertError(client.get("/v1/models/nope"), 404, "unknown model");
    assertError(client.delete("/v1/models/nope"), 404, "unknown model");
    assertError(client.get("/v1/models/nope/stats"), 404, "unknown model");
    assertError(client.post("/v1/models/nope/streams/default/reset", ""), 404, "unknown model");
  }

  @Test
  void unknownStreamResetIs404() {
    String before = client.digest("m");
    assertError(client.post("/v1/models/m/streams/ghost/reset", ""), 404, "unknown stream 'ghost'");
    assertError(client.delete("/v1/models/m/streams/ghost"), 404, "unknown stream");
    assertError(client.delete("/v1/models/m/streams/default"), 400, "cannot be closed");
    assertError(client.put("/v1/models/m/streams/default"), 409, "already open");
    assertThat(client.digest("m")).isEqualTo(before);
  }

  @Test
  void createIsValidated() {
    assertError(client.postJson("/v1/models", Map.of("name", "m", "inputDim", 3)), 409, "already exists");
    assertError(client.postJson("/v1/models", Map.of("inputDim", 3)), 400, "'name' is required");
    assertError(client.postJson("/v1/models", Map.of("name", "a b", "inputDim", 3)), 400, "model name");
    assertError(client.postJson("/v1/models", Map.of("name", "x1")), 400, "'inputDim' is required");
    assertError(client.postJson("/v1/models", Map.of("name", "x1", "inputDim", 0)), 400, "inputDim must lie in");
    assertError(client.postJson("/v1/models", Map.of("name", "x1", "inputDim", 2, "experts", 2, "topK", 3)), 400,
        "topK must lie in [1, 2]");
    assertError(client.postJson("/v1/models", Map.of("name", "x1", "inputDim", 2, "mu", 2.5)), 400, "mu");
    assertError(client.postJson("/v1/models", Map.of("name", "x1", "inputDim", 2.5)), 400, "must be an integer");
    assertError(client.postJson("/v1/models", Map.of("name", "x1", "inputDim", 1_000_000, "hidden", 4096)), 400,
        "parameters");
    assertError(client.postJson("/v1/models", Map.of("name", "x1", "inputDim", 2, "colour", "red")), 400,
        "unknown field 'colour'");
    assertThat(client.get("/v1/models/x1").status()).isEqualTo(404);
  }

  @Test
  void wrongMediaTypeIs415() {
    String before = client.digest("m");
    TestClient.Response r = client.send(HttpRequest.newBuilder(client.uri("/v1/models/m/route"))
        .header("Content-Type", "text/plain").POST(HttpRequest.BodyPublishers.ofString("{\"x\":[1,2,3]}")).build());
    assertError(r, 415, "application/json");
    assertThat(client.digest("m")).isEqualTo(before);
  }

  @Test
  void unknownPathIs404AndWrongMethodIs405() {
    assertError(client.get("/v2/nothing"), 404, "no endpoint for GET /v2/nothing");
    assertError(client.get("/v1/models/m/route"), 405, "allowed: POST");
    assertError(client.send("PUT", "/v1/models/m", "{}"), 405, "allowed: GET, HEAD, DELETE, PATCH");
    assertError(client.send("PUT", "/v1/models/m/experts/e0", "{}"), 405, "allowed: PATCH, DELETE");
  }

  @Test
  void chunkedBodyOverTheLimitIs413() {
    String before = client.digest("m");
    byte[] chunk = "1,".repeat(1024).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    java.util.List<byte[]> parts = new java.util.ArrayList<>();
    parts.add("{\"x\": [".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    for (int i = 0; i < 2 * MAX_BODY / chunk.length; i++) {
      parts.add(chunk);
    }
    parts.add("1]}".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    // ofByteArrays has no known length, so the client sends it chunked, without Content-Length.
    TestClient.Response r = client.send(HttpRequest.newBuilder(client.uri("/v1/models/m/route"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArrays(parts)).build());
    assertError(r, 413, "exceeds the limit");
    assertThat(client.digest("m")).isEqualTo(before);
  }

  private static final String CRLF = "\r\n";
  private static final String ROUTE = "/v1/models/m/route";
  private static final String OK_BODY = "{\"x\": " + OK_X + "}";

  /** A request as raw text: request line, headers, blank line, body. */
  private static byte[] request(String line, String headers, String body) {
    return (line + CRLF + headers + CRLF + body).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
  }

  private static byte[] post(String headers, String body) {
    return request("POST " + ROUTE + " HTTP/1.1", "Host: x" + CRLF + "Content-Type: application/json" + CRLF
        + headers, body);
  }

  private static String header(String name, String value) {
    return name + ": " + value + CRLF;
  }

  static Stream<Arguments> refusedBeforeRouting() {
    String len = header("Content-Length", Integer.toString(OK_BODY.length()));
    String manyHeaders = "";
    for (int i = 0; i < 2000; i++) {
      manyHeaders += header("X-" + i, "y");
    }
    return Stream.of(
        // Content-Length and the request smuggling shapes
        Arguments.of("negative Content-Length", post(header("Content-Length", "-5"), ""), 400,
            "Content-Length must be one non-negative integer, got '-5'"),
        Arguments.of("Content-Length not a number", post(header("Content-Length", "12abc"), OK_BODY), 400,
            "Content-Length must be one non-negative integer, got '12abc'"),
        Arguments.of("Content-Length beyond long", post(header("Content-Length", "9".repeat(30)), OK_BODY), 400,
            "Content-Length must be one non-negative integer"),
        Arguments.of("two Content-Lengths", post(len + header("Content-Length", "3"), OK_BODY), 400,
            "Content-Length must be one non-negative integer, got '" + OK_BODY.length() + ", 3'"),
        Arguments.of("Content-Length with Transfer-Encoding", post(len + header("Transfer-Encoding", "chunked"),
            Integer.toHexString(OK_BODY.length()) + CRLF + OK_BODY + CRLF + "0" + CRLF + CRLF), 400,
            "Transfer-Encoding and Content-Length headers must not be combined"),
        Arguments.of("Transfer-Encoding not ending in chunked", post(header("Transfer-Encoding", "gzip"), ""), 400,
            "Final Transfer-Encoding for requests must be chunked"),
        Arguments.of("Transfer-Encoding other than chunked", post(header("Transfer-Encoding", "gzip, chunked"), ""),
            501, "Transfer-Encoding 'gzip, chunked' is not supported"),
        // content codings
        Arguments.of("gzip body", post(header("Content-Encoding", "gzip") + len, OK_BODY), 415,
            "Content-Encoding 'gzip' is not supported: send the JSON body uncompressed"),
        Arguments.of("brotli body", post(header("Content-Encoding", "br") + len, OK_BODY), 415,
            "Content-Encoding 'br' is not supported"),
        // sizes
        Arguments.of("headers over the limit", request("GET /health HTTP/1.1", "Host: x" + CRLF
            + header("X-Big", "a".repeat(20_000)), ""), 431, "the request headers exceed the limit of 16384 bytes"),
        Arguments.of("2000 small headers", request("GET /health HTTP/1.1", "Host: x" + CRLF + manyHeaders, ""), 431,
            "the request headers exceed the limit of 16384 bytes"),
        Arguments.of("request line over the limit", request("GET /v1/models/" + "a".repeat(5000) + " HTTP/1.1",
            "Host: x" + CRLF, ""), 414, "the request line exceeds the limit of 4096 bytes"),
        // request lines and headers
        Arguments.of("HTTP/1.0", request("GET /health HTTP/1.0", "", ""), 505, "HTTP/1.0 is not supported: use HTTP/1.1"),
        Arguments.of("HTTP/2 prior knowledge", request("PRI * HTTP/2.0", "", "SM" + CRLF + CRLF), 505,
            "HTTP/2.0 is not supported: use HTTP/1.1"),
        Arguments.of("no version", request("GET /health", "", ""), 400,
            "malformed request line: expected METHOD /path HTTP/1.1"),
        Arguments.of("garbage line", request("\u0001\u0002 \u00ff", "", ""), 400, "malformed request line"),
        Arguments.of("control character in method", request("G\u0001T /health HTTP/1.1", "Host: x" + CRLF, ""), 400,
            "malformed request line: expected METHOD /path HTTP/1.1"),
        Arguments.of("bad percent-escape", request("GET /v1/models/%zz HTTP/1.1", "Host: x" + CRLF, ""), 400,
            "malformed request target: the path has characters or percent-escapes that are not allowed"),
        Arguments.of("control character in path", request("GET /v1/\u0001models HTTP/1.1", "Host: x" + CRLF, ""),
            400, "malformed request target"),
        Arguments.of("no Host", request("GET /health HTTP/1.1", "", ""), 400,
            "malformed request: Host header must be present in the request"),
        Arguments.of("header without colon", request("GET /health HTTP/1.1", "Host: x" + CRLF + "Foo bar" + CRLF, ""),
            400, "malformed request: Invalid header, missing colon"),
        Arguments.of("space before colon", request("GET /health HTTP/1.1", "Host: x" + CRLF + "Foo : bar" + CRLF, ""),
            400, "malformed request"),
        // after routing: bodies
        Arguments.of("bad chunk size", post(header("Transfer-Encoding", "chunked"), "zz" + CRLF + OK_BODY + CRLF
            + "0" + CRLF + CRLF), 400, "the request body could not be read"),
        Arguments.of("malformed Content-Type", request("POST " + ROUTE + " HTTP/1.1", "Host: x" + CRLF
            + header("Content-Type", ";;;") + len, OK_BODY), 400, "malformed Content-Type header ';;;'"),
        Arguments.of("charset other than UTF-8", request("POST " + ROUTE + " HTTP/1.1", "Host: x" + CRLF
            + header("Content-Type", "application/json; charset=iso-8859-1") + len, OK_BODY), 415,
            "JSON bodies must be UTF-8, got charset iso-8859-1"),
        Arguments.of("body not UTF-8", post(header("Content-Length", "13"), "{\"x\": [1, \u00ff]}"), 400,
            "invalid JSON: Invalid UTF-8"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusedBeforeRouting")
  void malformedRequestsGetTheJsonError(String what, byte[] request, int status, String message) {
    String before = client.digest("m");
    TestClient.Response r = client.raw(request);
    assertError(r, status, message);
    if (status == 415 && message.startsWith("Content-Encoding")) {
      assertThat(r.header("Accept-Encoding")).isEqualTo("identity");
    }
    assertThat(client.digest("m")).isEqualTo(before);
  }

  @Test
  void refusalsBeforeRoutingAreCounted() {
    client.raw(request("GET /health HTTP/1.0", "", ""));
    assertThat(client.get("/metrics").body())
        .contains("aura_http_requests_total{endpoint=\"refused before routing\",status=\"505\"}");
  }

  @Test
  void anIdentityContentEncodingIsAccepted() {
    TestClient.Response r = client.raw(post(header("Content-Encoding", "identity")
        + header("Content-Length", Integer.toString(OK_BODY.length())) + header("Connection", "close"), OK_BODY));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().get("experts")).hasSize(2);
  }

  @Test
  void headOptionsAndTraceAnswerWithoutHarm() {
    TestClient.Response get = client.get("/v1/models/m");
    TestClient.Response head = client.raw(request("HEAD /v1/models/m HTTP/1.1", "Host: x" + CRLF, ""));
    assertThat(head.status()).isEqualTo(200);
    assertThat(head.contentType()).isEqualTo("application/json");
    assertThat(head.header("Content-Length")).as("the length GET would send")
        .isEqualTo(Integer.toString(get.body().getBytes(java.nio.charset.StandardCharsets.UTF_8).length));
    assertThat(head.body()).isEmpty();
    // java.net.http reads a HEAD answer without a body: a body would break the connection's framing.
    TestClient.Response headMissing = client.send(HttpRequest.newBuilder(client.uri("/v1/models/nope"))
        .method("HEAD", HttpRequest.BodyPublishers.noBody()).build());
    assertThat(headMissing.status()).isEqualTo(404);
    assertThat(headMissing.body()).isEmpty();
    assertThat(client.get("/health").status()).as("the connection is still usable").isEqualTo(200);

    TestClient.Response options = client.send("OPTIONS", "/v1/models/m", null);
    assertError(options, 405, "method OPTIONS is not allowed on this path; allowed: GET, HEAD, DELETE, PATCH");
    assertThat(options.header("Allow")).isEqualTo("GET, HEAD, DELETE, PATCH");
    TestClient.Response trace = client.raw(request("TRACE /v1/models HTTP/1.1", "Host: x" + CRLF, ""));
    assertError(trace, 405, "method TRACE is not allowed on this path; allowed: POST, GET, HEAD");
    assertThat(trace.header("Allow")).isEqualTo("POST, GET, HEAD");
    assertError(client.raw(request("BREW /v1/models/m/route HTTP/1.1", "Host: x" + CRLF, "")), 405, "allowed: POST");
  }

  static void assertError(TestClient.Response r, int status, String message) {
    assertThat(r.status()).as(r.body()).isEqualTo(status);
    assertThat(r.contentType()).startsWith("application/json");
    assertThat(r.json().get("status").asInt()).isEqualTo(status);
    assertThat(r.json().get("error").asText()).contains(message);
    assertThat(r.body()).doesNotContain("Exception").doesNotContain("\tat ").doesNotContain(".java:");
  }
}
