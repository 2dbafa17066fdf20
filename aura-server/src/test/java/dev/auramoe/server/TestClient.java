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

  /** A response: status, raw body and its JSON (null when the body is not JSON). */
  record Response(int status, String body, JsonNode json, String contentType) {}

  TestClient(int port) {
    this.base = "http://127.0.0.1:" + port;
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

  Response send(HttpRequest req) {
    try {
      HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
      String ct = r.headers().firstValue("Content-Type").orElse("");
      JsonNode json = null;
      if (ct.startsWith("application/json")) {
        json = MAPPER.readTree(r.body());
      }
      return new Response(r.statusCode(), r.body(), json, ct);
    } catch (IOException e) {
      throw new IllegalStateException("request failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
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
