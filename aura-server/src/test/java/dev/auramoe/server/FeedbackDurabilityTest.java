package dev.auramoe.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.auramoe.server.journal.Operation;
import dev.auramoe.server.wal.WalOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Feedback is durable like learn: every change a feedback or a rollback made to the router, and every
 * anchor, is in the log before it is answered, and a restart recovers the router bit for bit and
 * measures drift from the same anchor, from the log alone and from a snapshot with the log trimmed
 * behind it; route ids issued before a restart have expired.
 */
class FeedbackDurabilityTest {

  private static final int IN = 4;

  @TempDir
  Path tmp;

  private static RoutingServer start(Path data, WalOptions wal) {
    return RoutingServer.builder().port(0).dataDir(data).walOptions(wal).build().start();
  }

  private static List<Double> x(Random rnd) {
    List<Double> x = new ArrayList<>();
    for (int i = 0; i < IN; i++) {
      x.add(rnd.nextGaussian());
    }
    return x;
  }

  /** Routes, learns and rewards: the drift cap is small enough to act. */
  private static int traffic(TestClient c, Random rnd, int n) {
    int capped = 0;
    for (int i = 0; i < n; i++) {
      List<Double> x = x(rnd);
      assertThat(c.postJson("/v1/models/m/learn", Map.of("x", x, "y", List.of(x.getFirst() * 0.5))).status())
          .isEqualTo(200);
      JsonNode r = c.postJson("/v1/models/m/route", Map.of("x", x)).json();
      for (int k = 0; k < 2; k++) {
        TestClient.Response f = c.postJson("/v1/models/m/feedback", Map.of("routeId", r.get("routeId").asText(),
            "expert", r.get("expertNames").get(k).asText(), "reward", i % 3 == 0 ? 1 : 0));
        assertThat(f.status()).as(f.body()).isEqualTo(200);
        assertThat(f.json().get("seq").asLong()).isPositive();
        capped += f.json().get("driftCapped").asBoolean() ? 1 : 0;
      }
    }
    return capped;
  }

  private static float[] router(RoutingServer s) {
    return s.registry().get("m").model().routerParameters();
  }

  private static double drift(TestClient c) {
    return c.get("/v1/models/m/feedback").json().get("drift").asDouble();
  }

  @Test
  void feedbackAnchorsAndRollbacksAreRecoveredBitForBitAndDriftFromTheSameAnchor() {
    Path data = tmp.resolve("data");
    Random rnd = new Random(7);
    String digest;
    float[] router;
    float[] anchor;
    double drift;
    String oldRoute;
    JsonNode settings;
    try (RoutingServer server = start(data, WalOptions.DEFAULTS)) {
      TestClient c = new TestClient(server.port());
      assertThat(c.postJson("/v1/models", Map.of("name", "m", "inputDim", IN, "experts", 4, "hidden", 5,
          "feedback", true, "feedbackMaxStep", 0.4, "feedbackMaxDrift", 0.6)).status()).isEqualTo(201);
      int capped = traffic(c, rnd, 25);
      TestClient.Response a = c.post("/v1/models/m/feedback/anchor", "");
      assertThat(a.json().get("seq").asLong()).isPositive();
      anchor = router(server);
      capped += traffic(c, rnd, 25);
      assertThat(capped).as("the drift cap acted, so replays repeat projections too").isPositive();
      oldRoute = c.postJson("/v1/models/m/route", Map.of("x", x(rnd))).json().get("routeId").asText();
      digest = c.digest("m");
      router = router(server);
      drift = drift(c);
      assertThat(drift).isPositive();
      settings = c.get("/v1/models/m").json().get("settings");
    }
    try (RoutingServer server = start(data, WalOptions.DEFAULTS)) {
      TestClient c = new TestClient(server.port());
      assertThat(c.digest("m")).isEqualTo(digest);
      assertThat(FeedbackTest.bits(router(server))).isEqualTo(FeedbackTest.bits(router));
      assertThat(drift(c)).isEqualTo(drift);
      assertThat(c.get("/v1/models/m").json().get("settings")).isEqualTo(settings);
      assertThat(server.registry().get("m").feedbackState().anchor()).isEqualTo(anchor);
      TestClient.Response late = c.postJson("/v1/models/m/feedback", Map.of("routeId", oldRoute, "expert", "e0",
          "reward", 1));
      assertThat(late.status()).as(late.body()).isEqualTo(410);
      assertThat(late.json().get("error").asText()).contains("issued before the server last started");
      String fresh = c.postJson("/v1/models/m/route", Map.of("x", x(rnd))).json().get("routeId").asText();
      assertThat(fresh).isNotEqualTo(oldRoute).doesNotStartWith(oldRoute.substring(0, 16));
      assertThat(c.post("/v1/models/m/feedback/rollback", "").status()).isEqualTo(200);
      assertThat(FeedbackTest.bits(router(server))).isEqualTo(FeedbackTest.bits(anchor));
      digest = c.digest("m");
    }
    try (RoutingServer server = start(data, WalOptions.DEFAULTS)) {
      TestClient c = new TestClient(server.port());
      assertThat(FeedbackTest.bits(router(server))).isEqualTo(FeedbackTest.bits(anchor));
      assertThat(c.digest("m")).isEqualTo(digest);
      assertThat(drift(c)).isZero();
    }
  }

  @Test
  void theAnchorIsKeptWithTheSnapshotWhenTheLogIsTrimmedBehindIt() throws Exception {
    Path data = tmp.resolve("data");
    WalOptions small = WalOptions.DEFAULTS.withSegmentBytes(4096);
    Random rnd = new Random(8);
    float[] anchor;
    double drift;
    String digest;
    long anchorSeq;
    try (RoutingServer server = start(data, small)) {
      TestClient c = new TestClient(server.port());
      assertThat(c.postJson("/v1/models", Map.of("name", "m", "inputDim", IN, "experts", 4, "hidden", 5,
          "feedback", true, "feedbackMaxStep", 0.4, "feedbackMaxDrift", 0.6)).status()).isEqualTo(201);
      traffic(c, rnd, 10);
      anchorSeq = c.post("/v1/models/m/feedback/anchor", "").json().get("seq").asLong();
      anchor = router(server);
      traffic(c, rnd, 20);
      TestClient.Response snap = c.post("/v1/models/m/snapshot", "");
      assertThat(snap.status()).as(snap.body()).isEqualTo(200);
      assertThat(snap.json().get("trimmedSegments").asInt()).isPositive();
      assertThat(server.store().wal().firstSequence()).as("the anchor's record is trimmed").isGreaterThan(anchorSeq);
      traffic(c, rnd, 5);
      digest = c.digest("m");
      drift = drift(c);
    }
    String meta = Files.readString(data.resolve("snapshots/m.meta"));
    assertThat(meta).contains("\"feedback\"").contains("\"anchor\"");
    try (RoutingServer server = start(data, small)) {
      TestClient c = new TestClient(server.port());
      assertThat(c.get("/health").json().at("/recovery/snapshotsLoaded").asInt()).isEqualTo(1);
      assertThat(c.digest("m")).isEqualTo(digest);
      assertThat(drift(c)).isEqualTo(drift);
      assertThat(c.post("/v1/models/m/feedback/rollback", "").status()).isEqualTo(200);
      assertThat(FeedbackTest.bits(router(server))).isEqualTo(FeedbackTest.bits(anchor));
    }
  }

  /**
   * A meta file whose anchor holds a value that is not finite is a damaged snapshot like any other:
   * the model is rebuilt from the log, which still holds everything, and the health report names the
   * file. Before the fix the anchor's check threw past recovery after the model was registered, and
   * the server did not start.
   */
  @Test
  void aSnapshotWhoseAnchorIsNotFiniteIsReplacedByTheLog() throws Exception {
    Path data = tmp.resolve("data");
    Random rnd = new Random(9);
    String digest;
    float[] anchor;
    double drift;
    // One segment of 64 MiB, which a snapshot never trims: the log holds every operation.
    try (RoutingServer server = start(data, WalOptions.DEFAULTS)) {
      TestClient c = new TestClient(server.port());
      assertThat(c.postJson("/v1/models", Map.of("name", "m", "inputDim", IN, "experts", 4, "hidden", 5,
          "feedback", true, "feedbackMaxStep", 0.4, "feedbackMaxDrift", 0.6)).status()).isEqualTo(201);
      traffic(c, rnd, 5);
      assertThat(c.post("/v1/models/m/feedback/anchor", "").status()).isEqualTo(200);
      anchor = router(server);
      traffic(c, rnd, 5);
      assertThat(c.post("/v1/models/m/snapshot", "").status()).isEqualTo(200);
      traffic(c, rnd, 2);
      digest = c.digest("m");
      drift = drift(c);
    }
    Path meta = data.resolve("snapshots/m.meta");
    com.fasterxml.jackson.databind.node.ObjectNode m =
        (com.fasterxml.jackson.databind.node.ObjectNode) TestClient.MAPPER.readTree(Files.readAllBytes(meta));
    byte[] bits = java.util.Base64.getDecoder().decode(m.at("/feedback/anchor").asText());
    java.nio.ByteBuffer.wrap(bits).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(4, Float.NaN);
    ((com.fasterxml.jackson.databind.node.ObjectNode) m.get("feedback")).put("anchor",
        java.util.Base64.getEncoder().encodeToString(bits));
    Files.write(meta, TestClient.MAPPER.writeValueAsBytes(m));
    try (RoutingServer server = start(data, WalOptions.DEFAULTS)) {
      TestClient c = new TestClient(server.port());
      assertThat(c.digest("m")).isEqualTo(digest);
      assertThat(drift(c)).isEqualTo(drift);
      assertThat(server.registry().get("m").feedbackState().anchor()).isEqualTo(anchor);
      JsonNode fromLog = c.get("/health").json().at("/recovery/snapshotsReplacedByTheLog");
      assertThat(fromLog).hasSize(1);
      assertThat(fromLog.get(0).get("problem").asText()).contains(meta.toString()).contains("anchor")
          .contains("not finite");
    }
  }

  @Test
  void aLogWrittenBeforeFeedbackSettingsExistedRecoversWithFeedbackOff() throws Exception {
    Path data = tmp.resolve("data");
    Files.createDirectories(data);
    try (dev.auramoe.server.wal.WriteAheadLog wal = dev.auramoe.server.wal.WriteAheadLog.open(data.resolve("wal"))) {
      wal.appendAndWait(Operation.create("old", ("{\"name\":\"old\",\"inputDim\":3,\"outputDim\":1,\"experts\":4,"
          + "\"topK\":2,\"hidden\":5,\"seed\":1,\"mu\":0.5,\"routerLearningRate\":1.0,\"temperature\":1.0,"
          + "\"diagnosticsWindow\":64,\"diagnosticsDecay\":0.9}").getBytes(java.nio.charset.StandardCharsets.UTF_8))
          .encode());
      wal.appendAndWait(Operation.change(Operation.Type.CONFIGURE, "old", ("{\"temperature\":0.5,"
          + "\"routerLearningRate\":0.25,\"balance\":false,\"balanceGamma\":0.001,\"balanceDecay\":0.9,"
          + "\"balanceBiasCap\":1.0,\"balanceWarmupTokens\":0,\"balanceFrozen\":false}")
          .getBytes(java.nio.charset.StandardCharsets.UTF_8)).encode());
    }
    try (RoutingServer server = start(data, WalOptions.DEFAULTS)) {
      TestClient c = new TestClient(server.port());
      JsonNode s = c.get("/v1/models/old").json().get("settings");
      assertThat(s.get("temperature").asDouble()).isEqualTo(0.5);
      assertThat(s.get("feedback").asBoolean()).isFalse();
      assertThat(s.get("feedbackRememberedRoutes").asInt()).isEqualTo(10_000);
      assertThat(c.postJson("/v1/models/old/route", Map.of("x", List.of(1, 2, 3))).json().has("routeId")).isFalse();
    }
  }

  @Test
  void routerChangesAreLoggedAsTheGuardMadeThem() {
    Path data = tmp.resolve("data");
    try (RoutingServer server = start(data, WalOptions.DEFAULTS)) {
      TestClient c = new TestClient(server.port());
      assertThat(c.postJson("/v1/models", Map.of("name", "m", "inputDim", IN, "experts", 4, "hidden", 5,
          "feedback", true, "feedbackMaxDrift", 0.005)).status()).isEqualTo(201);
      JsonNode r = c.postJson("/v1/models/m/route", Map.of("x", List.of(3, -3, 3, -3))).json();
      TestClient.Response f = c.postJson("/v1/models/m/feedback", Map.of("routeId", r.get("routeId").asText(),
          "expert", r.get("expertNames").get(0).asText(), "reward", 0));
      assertThat(f.json().get("driftCapped").asBoolean()).isTrue();
      long seq = f.json().get("seq").asLong();
      List<Operation> logged = new ArrayList<>();
      server.store().wal().replay(seq, (s, payload) -> logged.add(Operation.decode(payload)));
      assertThat(logged).hasSize(1);
      Operation op = logged.getFirst();
      assertThat(op.type()).isEqualTo(Operation.Type.ROUTER_CHANGE);
      // The bounded update and the projection onto the cap, in one record: a crash cannot keep one
      // without the other.
      assertThat(op.router().changes()).hasSize(2);
      assertThat(op.router().changes().get(0)).isInstanceOf(dev.auramoe.server.journal.RouterChanges.Teach.class);
      assertThat(op.router().changes().get(1)).isInstanceOf(dev.auramoe.server.journal.RouterChanges.Set.class);
      assertThat(((dev.auramoe.server.journal.RouterChanges.Set) op.router().changes().get(1)).parameters())
          .isEqualTo(router(server));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
