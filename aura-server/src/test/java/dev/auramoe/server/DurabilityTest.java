package dev.auramoe.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.auramoe.server.journal.WalJournal;
import dev.auramoe.server.wal.FailingWal;
import dev.auramoe.server.wal.WalFixtures;
import dev.auramoe.server.wal.WalOptions;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Durable models: restart recovery, torn tails, snapshots with trimming, and a failed log. */
class DurabilityTest {

  @TempDir
  Path tmp;

  private static RoutingServer start(Path data) {
    return RoutingServer.builder().port(0).dataDir(data).build().start();
  }

  private static void create(TestClient c, String name) {
    assertThat(c.postJson("/v1/models", Map.of("name", name, "inputDim", 2, "experts", 3, "hidden", 6)).status())
        .isEqualTo(201);
  }

  private static TestClient.Response learn(TestClient c, String model, int i) {
    return c.postJson("/v1/models/" + model + "/learn", Map.of("x", List.of(i % 5, i % 3), "y", List.of(i % 4)));
  }

  @Test
  void aRestartRecoversEveryOperationBitForBit() {
    Path data = tmp.resolve("data");
    String a;
    String b;
    try (RoutingServer server = start(data)) {
      TestClient c = new TestClient(server.port());
      create(c, "a");
      create(c, "gone");
      create(c, "b");
      assertThat(c.put("/v1/models/a/streams/s1").status()).isEqualTo(201);
      for (int i = 0; i < 20; i++) {
        assertThat(learn(c, "a", i).status()).isEqualTo(200);
        assertThat(learn(c, "b", i).status()).isEqualTo(200);
      }
      assertThat(c.postJson("/v1/models/a/learn/batch", Map.of("stream", "s1", "xs", List.of(List.of(1, 2),
          List.of(3, 4)), "ys", List.of(List.of(1), List.of(0)))).status()).isEqualTo(200);
      assertThat(c.postJson("/v1/models/a/route", Map.of("x", List.of(1, 1), "stream", "s1")).status()).isEqualTo(200);
      assertThat(c.postJson("/v1/models/a/route/batch", Map.of("xs", List.of(List.of(1, 0), List.of(0, 1))))
          .status()).isEqualTo(200);
      assertThat(c.postJson("/v1/models/a/predict", Map.of("x", List.of(2, 1))).status()).isEqualTo(200);
      assertThat(c.postJson("/v1/models/b/predict/batch", Map.of("xs", List.of(List.of(1, 0), List.of(0, 1))))
          .status()).isEqualTo(200);
      assertThat(c.post("/v1/models/a/streams/s1/reset", "").status()).isEqualTo(200);
      assertThat(c.put("/v1/models/b/streams/tmp").status()).isEqualTo(201);
      assertThat(c.delete("/v1/models/b/streams/tmp").status()).isEqualTo(200);
      assertThat(c.delete("/v1/models/gone").status()).isEqualTo(200);
      TestClient.Response r = learn(c, "a", 99);
      assertThat(r.json().get("seq").asLong()).isPositive();
      a = c.digest("a");
      b = c.digest("b");
    }
    try (RoutingServer server = start(data)) {
      TestClient c = new TestClient(server.port());
      assertThat(c.digest("a")).isEqualTo(a);
      assertThat(c.digest("b")).isEqualTo(b);
      assertThat(c.get("/v1/models/gone").status()).isEqualTo(404);
      assertThat(c.get("/v1/models/a/streams").json().get("streams").toString()).contains("s1");
      JsonNode rec = c.get("/health").json().get("recovery");
      assertThat(rec.get("operationsReplayed").asLong()).isGreaterThan(40);
      assertThat(rec.has("tornTail")).isFalse();
      // The recovered server goes on logging: a second restart still agrees.
      assertThat(learn(c, "a", 7).status()).isEqualTo(200);
      a = c.digest("a");
    }
    try (RoutingServer server = start(data)) {
      assertThat(new TestClient(server.port()).digest("a")).isEqualTo(a);
    }
  }

  @Test
  void aTornTailIsCutReportedAndTheKeptPrefixIsReplayed() throws IOException {
    Path data = tmp.resolve("data");
    List<String> digests = new ArrayList<>();
    try (RoutingServer server = start(data)) {
      TestClient c = new TestClient(server.port());
      create(c, "t");
      for (int i = 0; i < 10; i++) {
        assertThat(learn(c, "t", i).status()).isEqualTo(200);
        digests.add(c.digest("t"));
      }
    }
    // A crash in the middle of writing the last record: its last 5 bytes never reached the disk.
    Path last = segments(data).getLast();
    long end = WalFixtures.records(Files.readAllBytes(last)).getLast().end();
    try (FileChannel ch = FileChannel.open(last, StandardOpenOption.WRITE)) {
      ch.truncate(end - 5);
    }
    try (RoutingServer server = start(data)) {
      TestClient c = new TestClient(server.port());
      assertThat(c.digest("t")).isEqualTo(digests.get(8));
      JsonNode torn = c.get("/health").json().get("recovery").get("tornTail");
      assertThat(torn).isNotNull();
      assertThat(torn.get("problem").asText()).isEqualTo("TRUNCATED_RECORD");
      assertThat(torn.get("lastGoodSequence").asLong()).isEqualTo(10);
      // Appends continue after the cut.
      assertThat(learn(c, "t", 9).json().get("seq").asLong()).isEqualTo(11);
      digests.add(c.digest("t"));
    }
    try (RoutingServer server = start(data)) {
      TestClient c = new TestClient(server.port());
      assertThat(c.digest("t")).isEqualTo(digests.getLast());
      assertThat(c.get("/health").json().get("recovery").has("tornTail")).isFalse();
    }
  }

  @Test
  void snapshotsTrimTheLogAndARestartStillAgrees() throws IOException {
    Path data = tmp.resolve("data");
    WalOptions small = WalOptions.DEFAULTS.withSegmentBytes(2048);
    String a;
    String b;
    try (RoutingServer server = RoutingServer.builder().port(0).dataDir(data).walOptions(small).build().start()) {
      TestClient c = new TestClient(server.port());
      create(c, "a");
      create(c, "b");
      for (int i = 0; i < 100; i++) {
        learn(c, "a", i);
        learn(c, "b", i);
      }
      int before = segments(data).size();
      assertThat(before).isGreaterThan(5);
      JsonNode s = c.post("/v1/models/a/snapshot", "").json();
      assertThat(s.get("seq").asLong()).isEqualTo(201);
      // b is in no snapshot: its creation (seq 2) keeps every segment.
      assertThat(s.get("trimmedSegments").asInt()).isZero();
      assertThat(segments(data)).hasSize(before);
      for (int i = 0; i < 30; i++) {
        learn(c, "a", i);
      }
      JsonNode sb = c.post("/v1/models/b/snapshot", "").json();
      assertThat(sb.get("trimmedSegments").asInt()).isPositive();
      assertThat(segments(data).size()).isLessThan(before);
      assertThat(data.resolve("snapshots/a.201.aura")).exists();
      assertThat(data.resolve("snapshots/a.meta")).exists();
      for (int i = 0; i < 30; i++) {
        learn(c, "b", i);
      }
      c.post("/v1/models/a/route", "{\"x\":[1,2]}");
      // A second snapshot replaces the first.
      assertThat(c.post("/v1/models/a/snapshot", "").status()).isEqualTo(200);
      assertThat(data.resolve("snapshots/a.201.aura")).doesNotExist();
      a = c.digest("a");
      b = c.digest("b");
      assertThat(c.post("/v1/models/nope/snapshot", "").status()).isEqualTo(404);
    }
    try (RoutingServer server = RoutingServer.builder().port(0).dataDir(data).walOptions(small).build().start()) {
      TestClient c = new TestClient(server.port());
      assertThat(c.digest("a")).isEqualTo(a);
      assertThat(c.digest("b")).isEqualTo(b);
      JsonNode rec = c.get("/health").json().get("recovery");
      assertThat(rec.get("snapshotsLoaded").asInt()).isEqualTo(2);
      // A deleted model's snapshot goes with it and does not come back.
      assertThat(c.delete("/v1/models/a").status()).isEqualTo(200);
      assertThat(data.resolve("snapshots/a.meta")).doesNotExist();
    }
    try (RoutingServer server = RoutingServer.builder().port(0).dataDir(data).walOptions(small).build().start()) {
      TestClient c = new TestClient(server.port());
      assertThat(c.get("/v1/models/a").status()).isEqualTo(404);
      assertThat(c.digest("b")).isEqualTo(b);
    }
  }

  @Test
  void restoreGoesBackToTheSnapshotAndARestartReplaysIt() {
    Path data = tmp.resolve("data");
    String restored;
    String last;
    try (RoutingServer server = start(data)) {
      TestClient c = new TestClient(server.port());
      create(c, "r");
      ErrorsTest.assertError(c.post("/v1/models/r/restore", ""), 404, "no snapshot");
      for (int i = 0; i < 10; i++) {
        learn(c, "r", i);
      }
      assertThat(c.post("/v1/models/r/snapshot", "").status()).isEqualTo(200);
      String atSnapshot = c.digest("r");
      for (int i = 10; i < 20; i++) {
        learn(c, "r", i);
      }
      assertThat(c.digest("r")).isNotEqualTo(atSnapshot);
      TestClient.Response r = c.post("/v1/models/r/restore", "");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.json().get("seq").asLong()).isEqualTo(11);
      assertThat(r.json().get("digest").asText()).isEqualTo(atSnapshot);
      restored = c.digest("r");
      assertThat(restored).isEqualTo(atSnapshot);
      for (int i = 20; i < 25; i++) {
        learn(c, "r", i);
      }
      last = c.digest("r");
    }
    try (RoutingServer server = start(data)) {
      TestClient c = new TestClient(server.port());
      // Replay: the snapshot, learns 10..19, the restore (back to the snapshot), learns 20..24.
      assertThat(c.digest("r")).isEqualTo(last);
      // A deleted model's restore is not replayed into a new model of the same name.
      assertThat(c.delete("/v1/models/r").status()).isEqualTo(200);
      create(c, "r");
      learn(c, "r", 1);
      last = c.digest("r");
    }
    try (RoutingServer server = start(data)) {
      assertThat(new TestClient(server.port()).digest("r")).isEqualTo(last);
    }
    try (RoutingServer server = RoutingServer.builder().port(0).build().start()) {
      TestClient c = new TestClient(server.port());
      create(c, "m");
      ErrorsTest.assertError(c.post("/v1/models/m/restore", ""), 409, "data directory");
    }
  }

  @Test
  void periodicSnapshotsFollowTheOperationCount() throws Exception {
    Path data = tmp.resolve("data");
    String digest;
    try (RoutingServer server = RoutingServer.builder().port(0).dataDir(data).snapshotEvery(25).build().start()) {
      TestClient c = new TestClient(server.port());
      create(c, "p");
      for (int i = 0; i < 60; i++) {
        learn(c, "p", i);
      }
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (!Files.exists(data.resolve("snapshots/p.meta")) && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(data.resolve("snapshots/p.meta")).exists();
      digest = c.digest("p");
    }
    try (RoutingServer server = start(data)) {
      TestClient c = new TestClient(server.port());
      assertThat(c.digest("p")).isEqualTo(digest);
      assertThat(c.get("/health").json().get("recovery").get("operationsCoveredBySnapshots").asLong()).isPositive();
    }
  }

  @Test
  void concurrentModelsWithPeriodicSnapshotsAndTrimsRecoverBitForBit() throws Exception {
    Path data = tmp.resolve("data");
    WalOptions small = WalOptions.DEFAULTS.withSegmentBytes(2048);
    List<String> names = List.of("c0", "c1", "c2");
    List<String> digests = new ArrayList<>();
    try (RoutingServer server = RoutingServer.builder().port(0).dataDir(data).walOptions(small).snapshotEvery(30)
        .build().start()) {
      TestClient c = new TestClient(server.port());
      names.forEach(n -> create(c, n));
      List<java.util.concurrent.Future<?>> threads = new ArrayList<>();
      var pool = java.util.concurrent.Executors.newFixedThreadPool(6);
      for (int t = 0; t < 6; t++) {
        String model = names.get(t % names.size());
        int seed = t;
        threads.add(pool.submit(() -> {
          for (int i = 0; i < 60; i++) {
            assertThat(learn(c, model, seed * 1000 + i).status()).isEqualTo(200);
            if (i % 5 == 0) {
              assertThat(c.postJson("/v1/models/" + model + "/route", Map.of("x", List.of(i % 3, seed))).status())
                  .isEqualTo(200);
            }
          }
        }));
      }
      for (java.util.concurrent.Future<?> t : threads) {
        t.get(); // rethrows a failed assertion of the thread
      }
      pool.shutdown();
      for (String n : names) {
        digests.add(c.digest(n));
      }
    }
    assertThat(data.resolve("wal/wal-00000000000000000001.log")).as("the first segment was trimmed").doesNotExist();
    try (RoutingServer server = RoutingServer.builder().port(0).dataDir(data).walOptions(small).build().start()) {
      TestClient c = new TestClient(server.port());
      for (int i = 0; i < names.size(); i++) {
        assertThat(c.digest(names.get(i))).as(names.get(i)).isEqualTo(digests.get(i));
      }
      assertThat(c.get("/health").json().get("recovery").get("snapshotsLoaded").asInt()).isEqualTo(3);
    }
  }

  @Test
  void aFailedLogAnswers503AndAcknowledgesNothing() throws IOException {
    AtomicBoolean fail = new AtomicBoolean();
    WalJournal journal = new WalJournal(FailingWal.open(tmp.resolve("wal"), fail));
    try (RoutingServer server = RoutingServer.builder().port(0).journal(journal).build().start()) {
      TestClient c = new TestClient(server.port());
      create(c, "f");
      assertThat(learn(c, "f", 1).json().get("seq").asLong()).isEqualTo(2);
      fail.set(true);
      // The failure is noticed by the append itself (nothing learned) or by its future (learned in
      // memory, not acknowledged): a 503 either way.
      TestClient.Response r = learn(c, "f", 2);
      assertThat(r.status()).isEqualTo(503);
      assertThat(r.json().get("error").asText()).containsAnyOf("not acknowledged", "nothing was learned");
      assertThat(journal.failed()).isTrue();
      String digest = c.digest("f");
      ErrorsTest.assertError(learn(c, "f", 3), 503, "nothing was learned");
      ErrorsTest.assertError(c.postJson("/v1/models/f/route", Map.of("x", List.of(1, 2))), 503, "nothing was changed");
      ErrorsTest.assertError(c.put("/v1/models/f/streams/x"), 503, "nothing was changed");
      ErrorsTest.assertError(c.postJson("/v1/models", Map.of("name", "g", "inputDim", 2)), 503, "nothing was changed");
      assertThat(c.digest("f")).isEqualTo(digest);
      assertThat(c.get("/v1/models/f").json().get("counters").get("learns").asLong()).isEqualTo(1);
      assertThat(c.get("/v1/models/g").status()).isEqualTo(404);
    }
  }

  @Test
  void aFailedDataDirectoryLogMakesHealthDown() throws IOException {
    try (RoutingServer server = start(tmp.resolve("data"))) {
      TestClient c = new TestClient(server.port());
      create(c, "h");
      assertThat(c.get("/health").status()).isEqualTo(200);
      server.store().wal().close(); // the log is gone from under the server
      ErrorsTest.assertError(learn(c, "h", 1), 503, "nothing was learned");
      TestClient.Response health = c.get("/health");
      assertThat(health.status()).isEqualTo(503);
      assertThat(health.json().get("status").asText()).isEqualTo("DOWN");
      assertThat(health.json().get("recovery").get("logFailed").asBoolean()).isTrue();
      ErrorsTest.assertError(c.post("/v1/models/h/snapshot", ""), 503, "no snapshot");
    }
  }

  private static List<Path> segments(Path data) throws IOException {
    try (Stream<Path> s = Files.list(data.resolve("wal"))) {
      return s.filter(p -> p.getFileName().toString().startsWith("wal-")).sorted().toList();
    }
  }

  @Test
  void aDeletionWhoseFilesCannotBeRemovedStillDeletesAndKeepsTheLog() throws IOException {
    Path data = tmp.resolve("data");
    try (RoutingServer server = start(data)) {
      TestClient c = new TestClient(server.port());
      create(c, "a");
      create(c, "b");
      assertThat(learn(c, "a", 1).status()).isEqualTo(200);
      assertThat(c.post("/v1/models/a/snapshot", "").status()).isEqualTo(200);
      // A non-empty directory where a snapshot file of "a" would be: removing it fails.
      Path blocker = data.resolve("snapshots/a.7.aura");
      Files.createDirectories(blocker.resolve("inside"));
      TestClient.Response d = c.delete("/v1/models/a");
      assertThat(d.status()).as(d.body()).isEqualTo(200);
      assertThat(learn(c, "a", 2).status()).as("the deleted model takes no more learns").isEqualTo(404);
      assertThat(c.get("/v1/models/a").status()).isEqualTo(404);
      for (int i = 0; i < 5; i++) {
        assertThat(learn(c, "b", i).status()).isEqualTo(200);
      }
      assertThat(c.post("/v1/models/b/snapshot", "").status()).isEqualTo(200);
    }
    try (RoutingServer server = start(data)) {
      TestClient c = new TestClient(server.port());
      assertThat(c.get("/v1/models/a").status()).as("the deletion is replayed over the leftover snapshot")
          .isEqualTo(404);
      assertThat(c.get("/v1/models/b").status()).isEqualTo(200);
    }
  }
}
