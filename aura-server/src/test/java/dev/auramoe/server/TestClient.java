package dev.auramoe.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A small JSON client for one server, over java.net.http. Thread-safe. */
final class TestClient {

  static final ObjectMapper MAPPER = new ObjectMapper();

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String base;
  private final int port;

  /**
   * A response: status, body as text and its JSON (null when the body is not JSON), its Content-Type,
   * its headers (the first value of each, names in any case) and the body's bytes.
   */
  record Response(int status, String body, JsonNode json, String contentType, java.util.Map<String, String> headers,
      byte[] bytes) {

    /** A header's first value, or null. */
    String header(String name) {
      return headers.get(name);
    }
  }

  TestClient(int port) {
    this.base = "http://127.0.0.1:" + port;
    this.port = port;
  }

  Response get(String path) {
    return send("GET", path, null);
  }

  Response delete(String path) {
    return send("DELETE", path, null);
  }

  Response post(String path, String body) {
    return send("POST", path, body);
  }

  Response put(String path) {
    return send("PUT", path, "");
  }

  Response postJson(String path, Object body) {
    try {
      return post(path, MAPPER.writeValueAsString(body));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  Response send(String method, String path, String body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
    if (body == null) {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
    }
    return send(b.build());
  }

  /** Sends bytes as the body, with a Content-Type (none when null). */
  Response send(String method, String path, String contentType, byte[] body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    return send(b.method(method, HttpRequest.BodyPublishers.ofByteArray(body)).build());
  }

  Response send(HttpRequest req) {
    try {
      HttpResponse<byte[]> r = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
      String text = new String(r.body(), java.nio.charset.StandardCharsets.UTF_8);
      String ct = r.headers().firstValue("Content-Type").orElse("");
      JsonNode json = null;
      if (ct.startsWith("application/json")) {
        json = MAPPER.readTree(text);
      }
      java.util.Map<String, String> headers = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      r.headers().map().forEach((k, v) -> headers.put(k, v.getFirst()));
      // Every answer a test sees must be one the OpenAPI document declares.
      OpenApiContract.SERVED.check(req.method(), req.uri().getRawPath(), r.statusCode(), ct, text);
      return new Response(r.statusCode(), text, json, ct, headers, r.body());
    } catch (IOException e) {
      throw new IllegalStateException("request failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Sends bytes as they are over a new connection (for requests java.net.http refuses to send:
   * malformed request lines, bad framing, odd headers), half-closes it, and reads the first
   * response: its status line, headers and as many body bytes as its Content-Length says (none for
   * HEAD). A connection closed without any response is answered with status 0.
   */
  Response raw(byte[] request) {
    try (java.net.Socket s = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), port)) {
      s.setSoTimeout(30_000);
      s.getOutputStream().write(request);
      s.getOutputStream().flush();
      s.shutdownOutput();
      java.io.DataInputStream in = new java.io.DataInputStream(new java.io.BufferedInputStream(s.getInputStream()));
      String statusLine = line(in);
      if (statusLine == null) {
        return new Response(0, "", null, "", java.util.Map.of(), new byte[0]);
      }
      int status = Integer.parseInt(statusLine.split(" ")[1]);
      if (status == 100) { // 100 Continue, then the real response
        line(in);
        statusLine = line(in);
        status = Integer.parseInt(statusLine.split(" ")[1]);
      }
      java.util.Map<String, String> headers = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) {
        int colon = h.indexOf(':');
        headers.put(h.substring(0, colon).trim(), h.substring(colon + 1).trim());
      }
      boolean head = new String(request, 0, Math.min(5, request.length), java.nio.charset.StandardCharsets.US_ASCII)
          .equals("HEAD ");
      byte[] body = new byte[head ? 0 : Integer.parseInt(headers.getOrDefault("Content-Length", "0"))];
      in.readFully(body);
      String text = new String(body, java.nio.charset.StandardCharsets.UTF_8);
      String ct = headers.getOrDefault("Content-Type", "");
      JsonNode json = null;
      if (ct.startsWith("application/json") && !text.isEmpty()) {
        try {
          json = MAPPER.readTree(text);
        } catch (IOException notJson) {
          // left null: the caller sees a JSON content type without a JSON body
        }
      }
      if (json != null && status >= 400) {
        OpenApiContract.SERVED.checkRefusal("raw request", status, text);
      }
      return new Response(status, text, json, ct, headers, body);
    } catch (IOException e) {
      throw new IllegalStateException("raw request failed: " + e, e);
    }
  }

  private static String line(java.io.DataInputStream in) throws IOException {
    StringBuilder b = new StringBuilder();
    int c;
    while ((c = in.read()) >= 0) {
      if (c == '\n') {
        int n = b.length();
        return n > 0 && b.charAt(n - 1) == '\r' ? b.substring(0, n - 1) : b.toString();
      }
      b.append((char) c);
    }
    return b.isEmpty() ? null : b.toString();
  }

  URI uri(String path) {
    return URI.create(base + path);
  }

  /** The model's digest as the server reports it. */
  String digest(String model) {
    Response r = get("/v1/models/" + model + "?digest=true");
    if (r.status() != 200) {
      throw new IllegalStateException("GET model answered " + r.status() + ": " + r.body());
    }
    return r.json().get("digest").asText();
  }
}
