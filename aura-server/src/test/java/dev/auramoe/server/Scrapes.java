package dev.auramoe.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

/**
 * {@code GET /metrics} of a real server after traffic on every family: a model created, learns,
 * routes (one refused), a stream, an unknown path, and a GC seen by the GC meters (which are
 * registered at the first GC notification), so that every family the docs and the dashboard name is
 * in the text.
 */
final class Scrapes {

  /** The model and the stream of the traffic: neither may appear in the metrics. */
  static final String MODEL = "model-name-never-a-label";
  static final String STREAM = "stream-id-never-a-label";

  private Scrapes() {}

  /** The exposition text after the traffic. */
  static String afterTraffic(RoutingServer server) {
    TestClient client = new TestClient(server.port());
    assertThat(client.postJson("/v1/models", Map.of("name", MODEL, "inputDim", 2, "experts", 2, "hidden", 4))
        .status()).isEqualTo(201);
    assertThat(client.put("/v1/models/" + MODEL + "/streams/" + STREAM).status()).isEqualTo(201);
    for (int i = 0; i < 5; i++) {
      client.postJson("/v1/models/" + MODEL + "/learn", Map.of("x", List.of(i, 1), "y", List.of(1), "stream", STREAM));
      client.postJson("/v1/models/" + MODEL + "/route", Map.of("x", List.of(i, 1)));
    }
    client.postJson("/v1/models/" + MODEL + "/route", Map.of("x", List.of(1)));
    client.get("/nowhere");
    long deadline = System.nanoTime() + 30_000_000_000L;
    String text = client.get("/metrics").body();
    while (!text.contains("jvm_gc_pause_seconds_count{") && System.nanoTime() < deadline) {
      // The GC meters appear with the first GC notification, which comes on a JDK thread after the GC.
      System.gc();
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      text = client.get("/metrics").body();
    }
    assertThat(text).as("a GC was seen").contains("jvm_gc_pause_seconds_count{");
    return text;
  }
}
