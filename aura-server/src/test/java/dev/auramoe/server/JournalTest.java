package dev.auramoe.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.auramoe.server.journal.LearnEvent;
import dev.auramoe.server.journal.LearnJournal;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** The learn path's journal hook: events in order, answers only after the journal's future. */
class JournalTest {

  @Test
  void eventRoundTrips() {
    LearnEvent e = new LearnEvent("s-é", 2, 3, 1, new float[] {1f, -0f, Float.MIN_VALUE, 3e38f, 5f, 6f},
        new float[] {0.1f, -7f});
    byte[] b = e.encode();
    assertThat(b[0]).isEqualTo(LearnEvent.VERSION);
    assertThat(LearnEvent.decode(b)).isEqualTo(e);
    assertThat(Float.floatToRawIntBits(LearnEvent.decode(b).xs()[1])).isEqualTo(Float.floatToRawIntBits(-0f));
    byte[] truncated = java.util.Arrays.copyOf(b, b.length - 1);
    assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> LearnEvent.decode(truncated)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  /** A journal that records what it got and completes each future when the test says so. */
  private static final class HeldJournal implements LearnJournal {
    final List<LearnEvent> events = new CopyOnWriteArrayList<>();
    final List<CompletableFuture<Void>> pending = new CopyOnWriteArrayList<>();
    volatile boolean refuse;

    @Override
    public CompletableFuture<Void> record(String model, byte[] event) {
      if (refuse) {
        throw new IllegalStateException("disk full");
      }
      events.add(LearnEvent.decode(event));
      CompletableFuture<Void> f = new CompletableFuture<>();
      pending.add(f);
      return f;
    }
  }

  @Test
  void learnIsAnsweredOnlyAfterTheJournalCompletes() throws Exception {
    HeldJournal journal = new HeldJournal();
    try (RoutingServer server = RoutingServer.builder().port(0).journal(journal).build().start();
        var pool = Executors.newVirtualThreadPerTaskExecutor()) {
      TestClient client = new TestClient(server.port());
      client.postJson("/v1/models", Map.of("name", "j", "inputDim", 2, "experts", 2, "hidden", 4));
      Future<TestClient.Response> learn = pool.submit(() -> client.postJson("/v1/models/j/learn",
          Map.of("x", List.of(1, 2), "y", List.of(3))));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (journal.pending.isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(journal.pending).hasSize(1);
      assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> learn.get(200, TimeUnit.MILLISECONDS)))
          .isInstanceOf(TimeoutException.class);
      assertThat(journal.events.getFirst().xs()).containsExactly(1f, 2f);
      assertThat(journal.events.getFirst().ys()).containsExactly(3f);
      assertThat(journal.events.getFirst().stream()).isEqualTo("default");
      journal.pending.getFirst().complete(null);
      assertThat(learn.get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
      assertThat(client.get("/v1/models/j").json().get("counters").get("learns").asLong()).isEqualTo(1);

      // A journal whose future fails: 503, not acknowledged, not counted.
      Future<TestClient.Response> failing = pool.submit(() -> client.postJson("/v1/models/j/learn/batch",
          Map.of("xs", List.of(List.of(1, 2), List.of(3, 4)), "ys", List.of(List.of(1), List.of(2)))));
      while (journal.pending.size() < 2 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(journal.events.get(1).count()).isEqualTo(2);
      journal.pending.get(1).completeExceptionally(new java.io.IOException("fsync failed"));
      TestClient.Response r = failing.get(10, TimeUnit.SECONDS);
      ErrorsTest.assertError(r, 503, "not acknowledged");
      assertThat(r.body()).doesNotContain("fsync");
      assertThat(client.get("/v1/models/j").json().get("counters").get("learns").asLong()).isEqualTo(1);

      // A journal that refuses the event: 503 and the model is unchanged.
      journal.refuse = true;
      String before = client.digest("j");
      ErrorsTest.assertError(client.postJson("/v1/models/j/learn", Map.of("x", List.of(1, 2), "y", List.of(3))),
          503, "nothing was learned");
      assertThat(client.digest("j")).isEqualTo(before);
    }
  }

  @Test
  void aServerFaultIs500WithoutATrace() {
    // A broken journal (a null future) is a server fault, not the client's.
    LearnJournal broken = (model, event) -> null;
    try (RoutingServer server = RoutingServer.builder().port(0).journal(broken).build().start()) {
      TestClient client = new TestClient(server.port());
      client.postJson("/v1/models", Map.of("name", "b", "inputDim", 2, "experts", 2, "hidden", 4));
      TestClient.Response r = client.postJson("/v1/models/b/learn", Map.of("x", List.of(1, 2), "y", List.of(3)));
      ErrorsTest.assertError(r, 500, "internal server error");
      assertThat(r.json().size()).isEqualTo(2);
      assertThat(client.get("/health").status()).isEqualTo(200);
    }
  }
}
