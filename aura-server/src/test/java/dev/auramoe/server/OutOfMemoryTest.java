package dev.auramoe.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.auramoe.server.journal.Operation;
import dev.auramoe.server.journal.OperationJournal;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * An out-of-memory error in a request never leaves a lock held or a 500 behind, and {@code /health}
 * tells the truth: DEGRADED when it struck before anything changed, DOWN (503) when it interrupted
 * an operation of a model after the operation was logged. That model's state in memory may then
 * differ from the log's, so it refuses every request until a restart recovers it from the log; the
 * other models go on. The errors are thrown by a journal standing in for an exhausted heap.
 */
class OutOfMemoryTest {

  /** A journal that runs out of memory when told to: before an operation is logged, or while it is. */
  private static final class ExhaustedJournal implements OperationJournal {
    final AtomicLong seq = new AtomicLong();
    volatile boolean beforeLogging;
    volatile String whileLoggingLearnsOf;

    @Override
    public boolean encodes() {
      if (beforeLogging) {
        throw new OutOfMemoryError("Java heap space (test)");
      }
      return false;
    }

    @Override
    public CompletableFuture<Long> append(Operation op) {
      if (op.type() == Operation.Type.LEARN && op.model().equals(whileLoggingLearnsOf)) {
        throw new OutOfMemoryError("Java heap space (test)");
      }
      return CompletableFuture.completedFuture(seq.incrementAndGet());
    }
  }

  private static final Map<String, Object> X = Map.of("x", List.of(1, 2));

  @Test
  void anOutOfMemoryBeforeAnyChangeIsAnsweredWith503AndHealthSaysDegraded() {
    ExhaustedJournal journal = new ExhaustedJournal();
    try (RoutingServer server = RoutingServer.builder().port(0).journal(journal).build().start()) {
      TestClient c = new TestClient(server.port());
      create(c, "m");
      String digest = c.digest("m");
      assertThat(c.get("/health").json().get("status").asText()).isEqualTo("UP");

      journal.beforeLogging = true;
      ErrorsTest.assertError(c.postJson("/v1/models/m/route", X), 503, "ran out of memory");
      journal.beforeLogging = false;

      TestClient.Response health = c.get("/health");
      assertThat(health.status()).isEqualTo(200);
      assertThat(health.json().get("status").asText()).isEqualTo("DEGRADED");
      assertThat(health.json().get("reason").asText()).contains("OutOfMemoryError").contains("/route")
          .contains("-Xmx");
      assertThat(server.registry().get("m").sequencer().isLocked()).isFalse();
      assertThat(server.registry().get("m").wedged()).isNull();
      assertThat(c.digest("m")).as("nothing changed").isEqualTo(digest);
      assertThat(c.postJson("/v1/models/m/route", X).status()).isEqualTo(200);
    }
  }

  @Test
  void anOutOfMemoryAfterLoggingWedgesThatModelAndHealthSaysDown() {
    ExhaustedJournal journal = new ExhaustedJournal();
    try (RoutingServer server = RoutingServer.builder().port(0).journal(journal).build().start()) {
      TestClient c = new TestClient(server.port());
      create(c, "m");
      create(c, "n");
      journal.whileLoggingLearnsOf = "m";
      ErrorsTest.assertError(c.postJson("/v1/models/m/learn", Map.of("x", List.of(1, 2), "y", List.of(1))), 503,
          "ran out of memory");
      journal.whileLoggingLearnsOf = null;

      assertThat(server.registry().get("m").sequencer().isLocked()).as("no lock is left held").isFalse();
      TestClient.Response health = c.get("/health");
      assertThat(health.status()).isEqualTo(503);
      assertThat(health.json().get("status").asText()).isEqualTo("DOWN");
      assertThat(health.json().get("reason").asText()).contains("model 'm'").contains("OutOfMemoryError")
          .contains("restart the server");
      ErrorsTest.assertError(c.postJson("/v1/models/m/route", X), 503, "restart the server to recover it");
      ErrorsTest.assertError(c.put("/v1/models/m/streams/s"), 503, "restart the server");
      JsonNode info = c.get("/v1/models/m").json();
      assertThat(info.get("wedged").asText()).contains("OutOfMemoryError");
      assertThat(c.postJson("/v1/models/n/route", X).status()).as("the other model goes on").isEqualTo(200);
      assertThat(c.postJson("/v1/models/n/learn", Map.of("x", List.of(1, 2), "y", List.of(1))).status())
          .isEqualTo(200);
    }
  }

  /**
   * A journal that writes each operation's encoding: while armed, it runs out of memory where the
   * encoding is made, ahead of the append ({@link #encodes}) or, when the caller did not encode
   * ahead, inside the append after the operation was handed over.
   */
  private static final class EncodingJournal implements OperationJournal {
    final AtomicLong seq = new AtomicLong();
    volatile boolean armed;

    @Override
    public boolean encodes() {
      if (armed) {
        throw new OutOfMemoryError("Java heap space (test, encoding)");
      }
      return true;
    }

    @Override
    public CompletableFuture<Long> append(Operation op) {
      return append(op, null);
    }

    @Override
    public CompletableFuture<Long> append(Operation op, byte[] encoded) {
      if (encoded == null && armed) {
        throw new OutOfMemoryError("Java heap space (test, encoding in the journal)");
      }
      return CompletableFuture.completedFuture(seq.incrementAndGet());
    }
  }

  /**
   * Every operation of a model is encoded before it is logged, so an out-of-memory while encoding
   * one changes nothing and wedges nothing: 503, DEGRADED, and the model goes on. Stream, settings
   * and expert operations used to be encoded inside the journal's append, after the model had
   * counted them as logged, and such an error wedged the model.
   */
  @Test
  void anOutOfMemoryWhileEncodingAnyOperationChangesNothingAndWedgesNothing() {
    EncodingJournal journal = new EncodingJournal();
    try (RoutingServer server = RoutingServer.builder().port(0).journal(journal).build().start()) {
      TestClient c = new TestClient(server.port());
      assertThat(c.postJson("/v1/models", Map.of("name", "m", "inputDim", 2, "experts", 3, "hidden", 4)).status())
          .isEqualTo(201);
      assertThat(c.put("/v1/models/m/streams/open").status()).isEqualTo(201);
      Map<String, java.util.function.Supplier<TestClient.Response>> requests = new java.util.LinkedHashMap<>();
      requests.put("stream open", () -> c.put("/v1/models/m/streams/s"));
      requests.put("stream reset", () -> c.post("/v1/models/m/streams/open/reset", null));
      requests.put("stream close", () -> c.delete("/v1/models/m/streams/open"));
      requests.put("configure", () -> c.send("PATCH", "/v1/models/m", "{\"temperature\": 0.5}"));
      requests.put("expert add", () -> c.postJson("/v1/models/m/experts", Map.of("name", "x")));
      requests.put("expert rename", () -> c.send("PATCH", "/v1/models/m/experts/e0", "{\"name\": \"y\"}"));
      requests.put("expert remove", () -> c.delete("/v1/models/m/experts/e1"));
      requests.put("route", () -> c.postJson("/v1/models/m/route", X));
      requests.put("learn", () -> c.postJson("/v1/models/m/learn", Map.of("x", List.of(1, 2), "y", List.of(1))));
      for (Map.Entry<String, java.util.function.Supplier<TestClient.Response>> r : requests.entrySet()) {
        String digest = c.digest("m");
        journal.armed = true;
        TestClient.Response refused = r.getValue().get();
        journal.armed = false;
        assertThat(refused.status()).as("%s: %s", r.getKey(), refused.body()).isEqualTo(503);
        assertThat(server.registry().get("m").wedged()).as(r.getKey()).isNull();
        TestClient.Response health = c.get("/health");
        assertThat(health.json().get("status").asText()).as("%s: %s", r.getKey(), health.body())
            .isEqualTo("DEGRADED");
        assertThat(c.digest("m")).as("%s changed nothing", r.getKey()).isEqualTo(digest);
      }
      for (java.util.function.Supplier<TestClient.Response> r : requests.values()) {
        assertThat(r.get().status()).as("the model goes on").isBetween(200, 201);
      }
      assertThat(c.get("/v1/models/m").json().get("expertNames").toString()).isEqualTo("[\"y\",\"e2\",\"x\"]");
    }
  }

  /** An expert whose snapshot runs out of memory while armed (a snapshot reads its hyper-parameters). */
  private static final class HeavyExpert extends dev.auramoe.experts.AbstractExpert {
    static final AtomicLong snapshotTries = new AtomicLong();
    static volatile boolean armed;

    HeavyExpert(String name) {
      super(name, 2, 1);
    }

    @Override
    public void predict(float[] x, float[] out) {
      out[0] = x[0];
    }

    @Override
    public long predictMacs() {
      return 1;
    }

    @Override
    public String kind() {
      return "heavy";
    }

    @Override
    public double[] hyperParameters() {
      if (armed) {
        snapshotTries.incrementAndGet();
        throw new OutOfMemoryError("Java heap space (test, snapshot)");
      }
      return new double[0];
    }

    @Override
    public dev.auramoe.experts.Expert copy() {
      return new HeavyExpert(name);
    }
  }

  /**
   * An out-of-memory in a periodic snapshot is caught: /health says DEGRADED and why, the snapshot
   * is tried again only after twice as many operations each time, and once one succeeds the
   * server is UP again. It used to escape the snapshot thread with a stack trace, stay out of
   * /health, and be tried again after every operation.
   */
  @Test
  @org.junit.jupiter.api.Timeout(120)
  void anOutOfMemoryInAPeriodicSnapshotIsReportedAndRetriedWithABackOff(@org.junit.jupiter.api.io.TempDir
      java.nio.file.Path dir) throws Exception {
    try (RoutingServer server = RoutingServer.builder().port(0).dataDir(dir).snapshotEvery(3).build().start()) {
      TestClient c = new TestClient(server.port());
      dev.auramoe.MixtureOfExperts heavy = dev.auramoe.MixtureOfExperts.builder(2, 1)
          .expert(new HeavyExpert("h0")).expert(new HeavyExpert("h1")).topK(1)
          .cell(dev.auramoe.cell.CellConfig.DEFAULT.withHidden(4)).build();
      var e = server.registry().restore(new dev.auramoe.server.model.ModelSpec("m", 2, 1, 2, 1, 4, 1, 0.5, 0.5, 1.0,
          64, 0.9), heavy, 0);
      HeavyExpert.armed = true;
      float[] x = {1, 2};
      for (int i = 0; i < 3; i++) {
        e.route("default", x);
      }
      String trouble = awaitTrouble(server, "once");
      assertThat(trouble).contains("model 'm'").contains("OutOfMemoryError").contains("once 6 operations");
      TestClient.Response health = c.get("/health");
      assertThat(health.status()).isEqualTo(200);
      assertThat(health.json().get("status").asText()).isEqualTo("DEGRADED");
      assertThat(health.json().get("reason").asText()).contains("periodic snapshot of model 'm'")
          .contains("ran out of memory");
      assertThat(e.sequencer().isLocked()).isFalse();
      assertThat(e.wedged()).isNull();
      e.route("default", x);
      e.route("default", x); // 5 operations not in a snapshot: not tried again yet
      assertThat(HeavyExpert.snapshotTries.get()).isEqualTo(1);
      e.route("default", x);
      assertThat(awaitTrouble(server, "2 times in a row")).contains("once 12 operations");
      assertThat(HeavyExpert.snapshotTries.get()).as("tried at 3 and 6 operations, not after each").isEqualTo(2);

      HeavyExpert.armed = false;
      for (int i = 0; i < 6; i++) {
        e.route("default", x);
      }
      while (server.store().snapshotTrouble() != null) {
        Thread.sleep(10);
      }
      assertThat(c.get("/health").json().get("status").asText()).isEqualTo("UP");
      assertThat(c.postJson("/v1/models/m/route", X).status()).isEqualTo(200);
    } finally {
      HeavyExpert.armed = false;
    }
  }

  /** Waits until the periodic snapshot trouble mentions {@code text}, and returns it. */
  private static String awaitTrouble(RoutingServer server, String text) throws InterruptedException {
    for (;;) {
      String t = server.store().snapshotTrouble();
      if (t != null && t.contains(text)) {
        return t;
      }
      Thread.sleep(10);
    }
  }

  private static void create(TestClient c, String name) {
    TestClient.Response r = c.postJson("/v1/models", Map.of("name", name, "inputDim", 2, "experts", 2, "hidden", 4));
    assertThat(r.status()).as(r.body()).isEqualTo(201);
  }
}
