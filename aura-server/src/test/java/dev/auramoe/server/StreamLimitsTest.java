package dev.auramoe.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.auramoe.server.journal.Operation;
import dev.auramoe.server.model.ModelEntry;
import dev.auramoe.server.model.ModelRegistry;
import dev.auramoe.server.model.ModelSpec;
import dev.auramoe.server.wal.WriteAheadLog;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Streams cost constant time per request and are bounded: a request checks its stream without
 * copying the model's streams, a model holds at most its cap (configured, or what its parameter
 * limit and the server's memory budget leave room for), the least recently used idle stream is
 * evicted to make room (logged, so a restart replays it), and what cannot be made room for is
 * refused with 409 or 429.
 */
class StreamLimitsTest {

  @TempDir
  Path tmp;

  private static final ModelSpec SPEC = new ModelSpec("m", 2, 1, 2, 1, 4, 1, 0.5, 0.5, 1.0, 64, 0.9);

  private static long allocated() {
    return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
  }

  @Test
  void checkingAStreamDoesNotCopyTheModelsStreams() {
    try (ModelRegistry registry = new ModelRegistry(ServerLimits.DEFAULT)) {
      ModelEntry e = registry.create(SPEC);
      for (int i = 0; i < 50_000; i++) {
        e.openStream("s" + i);
      }
      for (int i = 0; i < 100; i++) {
        e.requireStream("s" + (i % 3));
      }
      String[] ids = {"s0", "s49999", "default"};
      long before = allocated();
      for (int i = 0; i < 1_000; i++) {
        e.requireStream(ids[i % 3]);
      }
      // The ids of 50,000 streams are about 200 KB per copy; a thousand checks must copy none.
      assertThat(allocated() - before).as("bytes allocated by 1,000 checks among 50,001 streams")
          .isLessThan(64 * 1024);
      assertThat(e.streamCount()).isEqualTo(50_001);
    }
  }

  @Test
  void atTheCapTheLeastRecentlyUsedStreamIsEvictedAndReported() {
    ServerLimits limits = ServerLimits.DEFAULT.withMaxStreams(4).withStreamIdleEviction(Duration.ZERO);
    try (RoutingServer server = RoutingServer.builder().port(0).limits(limits).build().start()) {
      TestClient c = new TestClient(server.port());
      create(c);
      for (String s : List.of("a", "b", "c")) {
        assertThat(c.put("/v1/models/m/streams/" + s).status()).isEqualTo(201);
      }
      assertThat(c.postJson("/v1/models/m/route", Map.of("x", List.of(1, 2), "stream", "a")).status()).isEqualTo(200);
      TestClient.Response opened = c.put("/v1/models/m/streams/d");
      assertThat(opened.status()).as(opened.body()).isEqualTo(201);
      assertThat(c.get("/v1/models/m/streams").json().get("streams").toString())
          .as("b was the least recently used: a was routed after it was opened")
          .isEqualTo("[\"a\",\"c\",\"d\",\"default\"]");
      assertThat(c.postJson("/v1/models/m/route", Map.of("x", List.of(1, 2), "stream", "b")).status()).isEqualTo(404);
      JsonNode streams = c.get("/v1/models/m/stats").json().get("streams");
      assertThat(streams.get("open").asInt()).isEqualTo(4);
      assertThat(streams.get("limit").asInt()).isEqualTo(4);
      assertThat(streams.get("evicted").asLong()).isEqualTo(1);
      assertThat(streams.get("evictAfterIdleSeconds").asDouble()).isZero();
      assertThat(c.get("/v1/models/m").json().get("streams")).isEqualTo(streams);
    }
  }

  @Test
  void withNoStreamIdleLongEnoughTheOpenIsRefusedWith429AndWithoutEvictionWith409() {
    ServerLimits busy = ServerLimits.DEFAULT.withMaxStreams(2).withStreamIdleEviction(Duration.ofHours(1));
    try (RoutingServer server = RoutingServer.builder().port(0).limits(busy).build().start()) {
      TestClient c = new TestClient(server.port());
      create(c);
      assertThat(c.put("/v1/models/m/streams/a").status()).isEqualTo(201);
      String digest = c.digest("m");
      TestClient.Response busyAnswer = c.put("/v1/models/m/streams/b");
      ErrorsTest.assertError(busyAnswer, 429, "try again in about");
      assertThat(busyAnswer.body()).contains("only once idle for 3600 s");
      long retryAfter = Long.parseLong(busyAnswer.header("Retry-After"));
      assertThat(retryAfter).as("seconds until a is idle long enough").isBetween(3000L, 3600L);
      assertThat(c.digest("m")).as("a refused open changes nothing").isEqualTo(digest);
      assertThat(c.get("/v1/models/m/stats").json().at("/streams/evicted").asLong()).isZero();
    }
    ServerLimits never = ServerLimits.DEFAULT.withMaxStreams(2).withStreamIdleEviction(null);
    try (RoutingServer server = RoutingServer.builder().port(0).limits(never).build().start()) {
      TestClient c = new TestClient(server.port());
      create(c);
      assertThat(c.put("/v1/models/m/streams/a").status()).isEqualTo(201);
      ErrorsTest.assertError(c.put("/v1/models/m/streams/b"), 409, "holds 2 open streams");
      assertThat(c.get("/v1/models/m").json().at("/streams/evictAfterIdleSeconds").isNull()).isTrue();
      assertThat(c.delete("/v1/models/m/streams/a").status()).isEqualTo(200);
      assertThat(c.put("/v1/models/m/streams/b").status()).as("room again once one is closed").isEqualTo(201);
    }
  }

  @Test
  void streamsCountAgainstTheModelsParameterLimit() {
    // SPEC holds 60 parameters (cell and router 2*(2*4+2) + 4*4 + 2*4 + 4*2 + 2, two NLMS experts of 3), and
    // each stream counts 4 + 2 + 64 (its cell state, its two experts' recent errors, its overhead): with a
    // limit of 410 the model holds 5 streams, and then no parameter is left.
    long limit = 410;
    ServerLimits limits = ServerLimits.DEFAULT.withMaxParameters(limit).withStreamIdleEviction(null);
    try (RoutingServer server = RoutingServer.builder().port(0).limits(limits).build().start()) {
      TestClient c = new TestClient(server.port());
      create(c);
      ModelEntry e = server.registry().get("m");
      int cap = (int) ((limit - e.parameters()) / SPEC.streamParameters());
      assertThat(e.streamCap()).isEqualTo(cap);
      for (int i = 1; i < cap; i++) {
        assertThat(c.put("/v1/models/m/streams/s" + i).status()).isEqualTo(201);
      }
      ErrorsTest.assertError(c.put("/v1/models/m/streams/over"), 409, "parameter limit of 410");
      assertThat(e.heldParameters()).isLessThanOrEqualTo(limit);
      assertThat(e.parameters()).isEqualTo(60);
      ErrorsTest.assertError(c.postJson("/v1/models/m/experts", Map.of("name", "more", "kind", "rls")), 409,
          "open streams counted in");
    }
  }

  @Test
  void evictionsAreLoggedAndARestartReplaysThemBitForBit() {
    ServerLimits limits = ServerLimits.DEFAULT.withMaxStreams(3).withStreamIdleEviction(Duration.ZERO);
    Path data = tmp.resolve("data");
    String digest;
    String streams;
    try (RoutingServer server = RoutingServer.builder().port(0).limits(limits).dataDir(data).snapshotEvery(7)
        .build().start()) {
      TestClient c = new TestClient(server.port());
      create(c);
      for (int i = 0; i < 12; i++) {
        assertThat(c.put("/v1/models/m/streams/s" + i).status()).isEqualTo(201);
        String used = "s" + (i / 2 * 2);
        c.postJson("/v1/models/m/learn", Map.of("x", List.of(i, 1), "y", List.of(i % 3), "stream", used));
      }
      digest = c.digest("m");
      streams = c.get("/v1/models/m/streams").json().toString();
      assertThat(c.get("/v1/models/m/stats").json().at("/streams/evicted").asLong()).isEqualTo(10);
    }
    // The same data directory under a server that would evict nothing: the log's evictions are replayed.
    try (RoutingServer server = RoutingServer.builder().port(0).dataDir(data).build().start()) {
      TestClient c = new TestClient(server.port());
      assertThat(c.digest("m")).isEqualTo(digest);
      assertThat(c.get("/v1/models/m/streams").json().toString()).isEqualTo(streams);
    }
  }

  /**
   * A cap lowered at a restart is reached at the next open: it evicts the least recently used
   * streams until the model is one under its cap (each eviction logged), where it used to evict
   * one per open and never bring the count down.
   */
  @Test
  void aCapLoweredAtARestartIsReachedAtTheNextOpen() {
    Path data = tmp.resolve("lowered");
    ServerLimits six = ServerLimits.DEFAULT.withMaxStreams(6).withStreamIdleEviction(Duration.ZERO);
    try (RoutingServer server = RoutingServer.builder().port(0).limits(six).dataDir(data).build().start()) {
      TestClient c = new TestClient(server.port());
      create(c);
      for (String s : List.of("a", "b", "c", "d", "e")) {
        assertThat(c.put("/v1/models/m/streams/" + s).status()).isEqualTo(201);
      }
    }
    ServerLimits three = six.withMaxStreams(3);
    String digest;
    try (RoutingServer server = RoutingServer.builder().port(0).limits(three).dataDir(data).build().start()) {
      TestClient c = new TestClient(server.port());
      assertThat(c.get("/v1/models/m/stats").json().at("/streams/open").asInt()).isEqualTo(6);
      assertThat(c.postJson("/v1/models/m/route", Map.of("x", List.of(1, 2), "stream", "b")).status()).isEqualTo(200);
      TestClient.Response opened = c.put("/v1/models/m/streams/f");
      assertThat(opened.status()).as(opened.body()).isEqualTo(201);
      JsonNode streams = c.get("/v1/models/m/stats").json().get("streams");
      assertThat(streams.get("open").asInt()).isEqualTo(3);
      assertThat(streams.get("evicted").asLong()).isEqualTo(4);
      List<String> left = new ArrayList<>();
      c.get("/v1/models/m/streams").json().get("streams").forEach(n -> left.add(n.asText()));
      assertThat(left).as("b was used last before the open").containsExactlyInAnyOrder("default", "b", "f");
      TestClient.Response next = c.put("/v1/models/m/streams/g");
      assertThat(next.status()).as(next.body()).isEqualTo(201);
      assertThat(c.get("/v1/models/m/stats").json().at("/streams/evicted").asLong()).as("one per open at the cap")
          .isEqualTo(5);
      digest = c.digest("m");
    }
    try (RoutingServer server = RoutingServer.builder().port(0).dataDir(data).build().start()) {
      TestClient c = new TestClient(server.port());
      assertThat(c.digest("m")).as("the evictions were logged and replayed").isEqualTo(digest);
      assertThat(c.get("/v1/models/m/stats").json().at("/streams/open").asInt()).isEqualTo(3);
    }
  }

  /**
   * A restore keeps the streams' recency: streams used just before it are not idle after it, and a
   * stream only the snapshot holds counts as used at the restore. A restored model's streams used to
   * count as idle since the model was made, so the next open at the cap evicted a stream in use.
   * The registry's clock is the test's, so no time passes but what the test says.
   */
  @Test
  void aRestoreKeepsTheStreamsRecency() throws Exception {
    java.util.concurrent.atomic.AtomicLong clock = new java.util.concurrent.atomic.AtomicLong();
    long second = 1_000_000_000L;
    ServerLimits limits = ServerLimits.DEFAULT.withMaxStreams(4).withStreamIdleEviction(Duration.ofSeconds(5));
    try (ModelRegistry registry = new ModelRegistry(limits, ModelRegistry.parameterBudget(), clock::get);
        dev.auramoe.server.persist.DataStore store = dev.auramoe.server.persist.DataStore.open(tmp.resolve("restore"),
            registry, dev.auramoe.server.wal.WalOptions.DEFAULTS, Long.MAX_VALUE)) {
      ModelEntry e = registry.create(SPEC);
      clock.set(100 * second);
      for (String s : List.of("a", "b", "x")) {
        e.openStream(s);
      }
      store.snapshot("m"); // default, a, b, x
      e.closeStream("x");
      clock.set(200 * second);
      float[] x = {1, 2};
      e.route("a", x);
      e.route("b", x);
      store.restore("m");
      assertThat(e.streamCount()).isEqualTo(4);
      assertThat(e.model().leastRecentlyUsedStream()).isEqualTo("a");
      assertThat(e.model().streamStamp("x")).as("only in the snapshot: used at the restore").isEqualTo(200 * second);
      try {
        e.openStream("c");
        org.junit.jupiter.api.Assertions.fail("opened c by evicting a stream used at the restore");
      } catch (dev.auramoe.server.model.Refusal busy) {
        assertThat(busy.kind()).as(busy.getMessage()).isEqualTo(dev.auramoe.server.model.Refusal.Kind.BUSY);
      }
      clock.set(206 * second);
      e.route("b", x);
      e.openStream("c");
      assertThat(e.evictedStreams()).isEqualTo(1);
      assertThat(e.model().hasStream("a")).as("a, idle for 6 s, was the least recently used").isFalse();
      assertThat(e.model().hasStream("x")).isTrue();
    }
  }

  /** An idle limit under a second is said as such, and Retry-After is at least one second. */
  @Test
  void aSubSecondIdleLimitIsSaidRightAndRetryAfterIsAtLeastASecond() {
    ServerLimits limits = ServerLimits.DEFAULT.withMaxStreams(2).withStreamIdleEviction(Duration.ofMillis(500));
    java.util.concurrent.atomic.AtomicLong clock = new java.util.concurrent.atomic.AtomicLong();
    try (ModelRegistry registry = new ModelRegistry(limits, ModelRegistry.parameterBudget(), clock::get)) {
      ModelEntry e = registry.create(SPEC);
      e.openStream("a");
      clock.addAndGet(200_000_000L);
      try {
        e.openStream("b");
        org.junit.jupiter.api.Assertions.fail("b was opened");
      } catch (dev.auramoe.server.model.Refusal busy) {
        assertThat(busy.kind()).isEqualTo(dev.auramoe.server.model.Refusal.Kind.BUSY);
        assertThat(busy.getMessage()).contains("was used 200 ms ago").contains("only once idle for 0.5 s")
            .contains("try again in a second");
        assertThat(busy.retryAfterSeconds()).isEqualTo(1);
      }
      clock.addAndGet(300_000_000L);
      e.openStream("b");
      assertThat(e.evictedStreams()).isEqualTo(1);
    }
  }

  /**
   * A log of 100,000 stream opens recovers, and its replay allocates memory linear in the log: the
   * quadratic replay copied every open stream's id for each operation, about 20 GB for this log.
   */
  @Test
  void aLogOfAHundredThousandStreamOpensRecoversInLinearMemory() throws Exception {
    Path data = tmp.resolve("big");
    int n = 100_000;
    try (WriteAheadLog wal = WriteAheadLog.open(data.resolve("wal"))) {
      CompletableFuture<Long> last = wal.append(Operation.create("m", dev.auramoe.server.model.OperationJson.write(SPEC))
          .encode());
      for (int i = 0; i < n; i++) {
        last = wal.append(Operation.stream(Operation.Type.STREAM_OPEN, "m", "s" + i).encode());
      }
      last.join();
    }
    long before = allocated();
    try (RoutingServer server = RoutingServer.builder().port(0).dataDir(data).build().start()) {
      long bytes = allocated() - before;
      assertThat(server.registry().get("m").streamCount()).isEqualTo(n + 1);
      assertThat(bytes).as("bytes allocated by recovering %d stream opens", n).isLessThan(1L << 30);
    }
  }

  /**
   * Opening streams until none fits on a small heap (a JVM of its own, 32 MiB): the server's memory
   * budget refuses the open that would exceed it, with a 429 (the least recently used stream is not
   * idle long enough to evict), long before the heap is exhausted; the server stays UP and
   * answers, and stops on SIGTERM. It used to open streams until an OutOfMemoryError, answer 500,
   * and stay UP.
   */
  @Test
  @org.junit.jupiter.api.Timeout(value = 10, unit = TimeUnit.MINUTES)
  void floodingStreamOpensOnASmallHeapEndsInRefusalsNotAnOutOfMemory() throws Exception {
    String javaBin = ProcessHandle.current().info().command().orElseThrow();
    List<String> cmd = new ArrayList<>(List.of(javaBin, "-Xmx32m"));
    String logging = System.getProperty("java.util.logging.config.file");
    if (logging != null) {
      cmd.add("-Djava.util.logging.config.file=" + logging);
    }
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), StreamFloodChild.class.getName(),
        tmp.resolve("flood").toString()));
    Path err = tmp.resolve("child.err");
    Process child = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
    try {
      int port;
      try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(),
          StandardCharsets.US_ASCII))) {
        // A child that never starts must not hang the test: its line is awaited for a bounded time.
        CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> {
          try {
            return in.readLine();
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        }, r -> Thread.ofPlatform().daemon().start(r));
        String line;
        try {
          line = first.get(3, TimeUnit.MINUTES);
        } catch (java.util.concurrent.TimeoutException e) {
          throw new AssertionError("the child did not start within 3 minutes; stderr: " + Files.readString(err), e);
        }
        assertThat(line).as("started; stderr: %s", Files.readString(err)).startsWith("PORT ");
        port = Integer.parseInt(line.substring(5).trim());
      }
      TestClient c = new TestClient(port);
      // hidden 768: the model counts about 600,000 parameters and each stream 832 against a budget of about a
      // million (32 MiB / 32), so that about 500 opens reach it. The child evicts only streams idle for a
      // day, so however slowly the opens run, none is evicted and the budget refuses one.
      TestClient.Response created = c.postJson("/v1/models", Map.of("name", "m", "inputDim", 4, "hidden", 768));
      assertThat(created.status()).as(created.body()).isEqualTo(201);
      TestClient.Response refused = null;
      int opened = 0;
      while (opened < 100_000) {
        TestClient.Response r = c.put("/v1/models/m/streams/s" + opened);
        if (r.status() != 201) {
          refused = r;
          break;
        }
        opened++;
      }
      assertThat(refused).as("an open was refused").isNotNull();
      ErrorsTest.assertError(refused, 429, "memory budget");
      assertThat(opened).as("streams opened before the budget refused").isGreaterThan(200);
      TestClient.Response health = c.get("/health");
      assertThat(health.json().get("status").asText()).as(health.body()).isEqualTo("UP");
      assertThat(c.postJson("/v1/models/m/route", Map.of("x", List.of(1, 2, 3, 4), "stream", "s0")).status())
          .isEqualTo(200);
      JsonNode streams = c.get("/v1/models/m/stats").json().get("streams");
      assertThat(streams.get("open").asInt()).isEqualTo(opened + 1);
      assertThat(streams.get("limit").asInt()).isEqualTo(opened + 1);
      child.destroy(); // SIGTERM: the shutdown hook closes the server
      assertThat(child.waitFor(60, TimeUnit.SECONDS)).as("stopped by SIGTERM").isTrue();
    } finally {
      child.destroyForcibly();
    }
  }

  private static void create(TestClient c) {
    TestClient.Response r = c.postJson("/v1/models", Map.of("name", SPEC.name(), "inputDim", SPEC.inputDim(),
        "experts", SPEC.experts(), "topK", SPEC.topK(), "hidden", SPEC.hidden()));
    assertThat(r.status()).as(r.body()).isEqualTo(201);
  }
}
