package dev.auramoe.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Several clients routing and learning on one model at once, also while its experts change. */
class ConcurrencyTest {

  @Test
  void concurrentRoutesAndLearnsAreAllServedAndCounted() throws Exception {
    try (RoutingServer server = RoutingServer.builder().port(0).build().start()) {
      TestClient client = new TestClient(server.port());
      assertThat(client.postJson("/v1/models", Map.of("name", "c", "inputDim", 6, "experts", 6, "hidden", 16))
          .status()).isEqualTo(201);
      assertThat(client.put("/v1/models/c/streams/side").status()).isEqualTo(201);
      int threads = 6;
      int perThread = 60;
      AtomicLong acknowledged = new AtomicLong();
      AtomicLong routed = new AtomicLong();
      List<Integer> statuses = java.util.Collections.synchronizedList(new ArrayList<>());
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int id = t;
        futures.add(pool.submit(() -> {
          Random rnd = new Random(id);
          String stream = id % 2 == 0 ? "default" : "side";
          for (int i = 0; i < perThread; i++) {
            double[] x = rnd.doubles(6, -1, 1).toArray();
            TestClient.Response r;
            if ((i + id) % 3 == 0) {
              r = client.postJson("/v1/models/c/route", Map.of("x", x, "stream", stream));
              if (r.status() == 200) {
                routed.incrementAndGet();
              }
            } else if (i % 10 == 0) {
              r = client.postJson("/v1/models/c/learn/batch", Map.of("xs", List.of(x, x), "ys",
                  List.of(List.of(x[0]), List.of(x[1])), "stream", stream));
              if (r.status() == 200) {
                acknowledged.addAndGet(r.json().get("count").asLong());
              }
            } else {
              r = client.postJson("/v1/models/c/learn", Map.of("x", x, "y", List.of(x[0] - x[1]), "stream",
                  stream));
              if (r.status() == 200) {
                acknowledged.incrementAndGet();
              }
            }
            statuses.add(r.status());
          }
          return null;
        }));
      }
      for (Future<?> f : futures) {
        f.get(120, TimeUnit.SECONDS);
      }
      pool.shutdown();
      assertThat(statuses).hasSize(threads * perThread).allMatch(s -> s == 200);
      JsonNode counters = client.get("/v1/models/c").json().get("counters");
      assertThat(counters.get("learns").asLong()).isEqualTo(acknowledged.get());
      assertThat(counters.get("learnSteps").asLong()).isEqualTo(acknowledged.get());
      assertThat(counters.get("routes").asLong()).isEqualTo(routed.get());
      assertThat(server.metrics().learnedSamples()).isEqualTo(acknowledged.get());
      assertThat(client.get("/v1/models/c/stats").json().get("diagnostics").get("tokens").asLong())
          .isEqualTo(acknowledged.get() + routed.get());
    }
  }

  @Test
  void routesPredictsAndLearnsRaceWithExpertChangesAndARestartReplaysThem(@TempDir java.nio.file.Path data)
      throws Exception {
    String digest;
    List<String> names;
    try (RoutingServer server = RoutingServer.builder().port(0).dataDir(data).build().start()) {
      TestClient client = new TestClient(server.port());
      assertThat(client.postJson("/v1/models", Map.of("name", "c", "inputDim", 4, "experts", 4, "hidden", 8))
          .status()).isEqualTo(201);
      int threads = 4;
      List<String> problems = java.util.Collections.synchronizedList(new ArrayList<>());
      ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int id = t;
        futures.add(pool.submit(() -> {
          Random rnd = new Random(id);
          for (int i = 0; i < 80; i++) {
            double[] x = rnd.doubles(4, -1, 1).toArray();
            TestClient.Response r = switch (i % 3) {
              case 0 -> client.postJson("/v1/models/c/route", Map.of("x", x));
              case 1 -> client.postJson("/v1/models/c/predict", Map.of("x", x));
              default -> client.postJson("/v1/models/c/learn", Map.of("x", x, "y", List.of(x[0] - x[1])));
            };
            if (r.status() != 200) {
              problems.add(r.status() + " " + r.body());
            } else if (i % 3 == 0 && r.json().get("expertNames").size() != r.json().get("experts").size()) {
              problems.add("route names do not match its experts: " + r.body());
            }
          }
          return null;
        }));
      }
      futures.add(pool.submit(() -> {
        for (int i = 0; i < 12; i++) {
          TestClient.Response a = client.postJson("/v1/models/c/experts", Map.of("name", "n" + i));
          TestClient.Response p = client.send("PATCH", "/v1/models/c/experts/n" + i, "{\"name\":\"r" + i + "\"}");
          TestClient.Response d = client.delete("/v1/models/c/experts/" + (i % 2 == 0 ? "r" + i : i < 8 ? "e" + i / 2 : "r" + (i - 8)));
          for (TestClient.Response r : List.of(a, p, d)) {
            if (r.status() >= 300) {
              problems.add(r.status() + " " + r.body());
            }
          }
        }
        return null;
      }));
      for (Future<?> f : futures) {
        f.get(120, TimeUnit.SECONDS);
      }
      pool.shutdown();
      assertThat(problems).isEmpty();
      digest = client.digest("c");
      JsonNode n = client.get("/v1/models/c").json().get("expertNames");
      names = new ArrayList<>();
      for (JsonNode e : n) {
        names.add(e.asText());
      }
    }
    try (RoutingServer server = RoutingServer.builder().port(0).dataDir(data).build().start()) {
      TestClient client = new TestClient(server.port());
      assertThat(client.digest("c")).isEqualTo(digest);
      List<String> after = new ArrayList<>();
      for (JsonNode e : client.get("/v1/models/c").json().get("expertNames")) {
        after.add(e.asText());
      }
      assertThat(after).isEqualTo(names);
    }
  }
}
