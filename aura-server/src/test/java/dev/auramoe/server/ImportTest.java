package dev.auramoe.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.auramoe.MixtureOfExperts;
import dev.auramoe.Snapshots;
import dev.auramoe.cell.CellConfig;
import dev.auramoe.experts.Expert;
import dev.auramoe.experts.Experts;
import dev.auramoe.experts.FunctionExpert;
import dev.auramoe.experts.RlsExpert;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model trained elsewhere (a single JVM, the Flink job) comes in as a snapshot's bytes
 * ({@code POST /v1/models/{name}/import}, {@link RoutingServer.Builder#importModel}) and goes out the
 * same way ({@code GET /v1/models/{name}/snapshot}): the served model is bit for bit the snapshot's, it
 * learns on as the library does, survives a restart with what it learned after, and whatever is refused
 * changes nothing.
 */
class ImportTest {

  private static final int IN = 4;
  private static final String SNAPSHOT = "application/octet-stream";

  /** A library model unlike any the server creates (RLS among NLMS experts, 3 experts, its own seed and cell), having learned. */
  private static MixtureOfExperts trained(long seed) {
    List<Expert> experts = new ArrayList<>(Experts.nlms("n", 2, IN, 1, 0.3));
    experts.add(new RlsExpert("r", IN, 1, 0.98, 1.0));
    MixtureOfExperts m = MixtureOfExperts.builder(IN, 1).experts(experts).cell(CellConfig.DEFAULT.withHidden(6))
        .topK(2).temperature(0.75f).seed(seed).build();
    m.openStream("sensor-1");
    learn(m, "sensor-1", new Random(seed), 200, null);
    return m;
  }

  /** Learns {@code n} random samples in the library model and, when a client is given, through the server too. */
  private static void learn(MixtureOfExperts m, String stream, Random r, int n, TestClient served) {
    for (int i = 0; i < n; i++) {
      float[] x = new float[IN];
      for (int j = 0; j < IN; j++) {
        x[j] = (float) r.nextGaussian();
      }
      float[] y = {x[0] - 2 * x[1] + (float) (0.1 * r.nextGaussian())};
      m.learn(stream, x, y);
      if (served != null) {
        TestClient.Response a = served.post("/v1/models/imported/learn",
            "{\"stream\":\"" + stream + "\",\"x\":" + Arrays.toString(x) + ",\"y\":" + Arrays.toString(y) + "}");
        assertThat(a.status()).as(a.body()).isEqualTo(200);
      }
    }
  }

  private static TestClient.Response importBytes(TestClient c, String name, byte[] snapshot) {
    return c.send("POST", "/v1/models/" + name + "/import", SNAPSHOT, snapshot);
  }

  @Test
  void anImportedModelIsTheSnapshotsAndLearnsOnAsTheLibraryDoes() throws Exception {
    MixtureOfExperts m = trained(7);
    byte[] snapshot = Snapshots.toSavableBytes(m);
    try (RoutingServer server = RoutingServer.builder().port(0).build().start()) {
      TestClient c = new TestClient(server.port());
      TestClient.Response r = importBytes(c, "imported", snapshot);
      assertThat(r.status()).as(r.body()).isEqualTo(201);
      assertThat(r.json().get("digest").asText()).isEqualTo(Snapshots.digest(m));
      JsonNode config = r.json().get("config");
      assertThat(config.get("inputDim").asInt()).isEqualTo(IN);
      assertThat(config.get("experts").asInt()).isEqualTo(3);
      assertThat(config.get("hidden").asInt()).isEqualTo(6);
      assertThat(config.get("seed").asLong()).isEqualTo(7);
      assertThat(config.get("mu").asDouble()).isEqualTo(0.3f);
      assertThat(r.json().get("settings").get("temperature").asDouble()).isEqualTo(0.75);
      assertThat(r.json().get("expertNames").toString()).isEqualTo("[\"n0\",\"n1\",\"r\"]");
      assertThat(r.json().get("streams").get("open").asInt()).isEqualTo(2);

      learn(m, "sensor-1", new Random(1), 50, c);
      assertThat(c.digest("imported")).isEqualTo(Snapshots.digest(m));

      TestClient.Response exported = c.get("/v1/models/imported/snapshot");
      assertThat(exported.status()).isEqualTo(200);
      assertThat(exported.contentType()).isEqualTo(SNAPSHOT);
      assertThat(Snapshots.digest(Snapshots.fromBytes(exported.bytes(), null))).isEqualTo(Snapshots.digest(m));
      // HEAD answers the length GET would send.
      TestClient.Response head = c.send("HEAD", "/v1/models/imported/snapshot", null);
      assertThat(head.header("Content-Length")).isEqualTo(String.valueOf(exported.bytes().length));
      assertThat(c.get("/v1/models/nothing/snapshot").status()).isEqualTo(404);
    }
  }

  @Test
  void anImportSurvivesRestartsWithWhatItLearnedAfter(@TempDir Path data) throws Exception {
    MixtureOfExperts m = trained(11);
    Random r = new Random(2);
    try (RoutingServer server = RoutingServer.builder().port(0).dataDir(data).build().start()) {
      TestClient c = new TestClient(server.port());
      assertThat(importBytes(c, "imported", Snapshots.toSavableBytes(m)).status()).isEqualTo(201);
      learn(m, "sensor-1", r, 40, c);
    }
    // The log holds the import and the learns after it.
    try (RoutingServer server = RoutingServer.builder().port(0).dataDir(data).build().start()) {
      TestClient c = new TestClient(server.port());
      assertThat(c.digest("imported")).isEqualTo(Snapshots.digest(m));
      assertThat(server.store().recovery().get("operationsReplayed")).isEqualTo(41L);
      learn(m, "sensor-1", r, 10, c);
      assertThat(c.post("/v1/models/imported/snapshot", "").status()).isEqualTo(200);
      learn(m, "sensor-1", r, 10, c);
    }
    // A snapshot covers the import now, and the log what came after it.
    try (RoutingServer server = RoutingServer.builder().port(0).dataDir(data).build().start()) {
      TestClient c = new TestClient(server.port());
      assertThat(c.digest("imported")).isEqualTo(Snapshots.digest(m));
      assertThat(server.store().recovery().get("snapshotsLoaded")).isEqualTo(1);
      // Restoring goes back to the snapshot, 10 learns ago.
      assertThat(c.post("/v1/models/imported/restore", "").status()).isEqualTo(200);
      assertThat(c.delete("/v1/models/imported").status()).isEqualTo(200);
    }
    try (RoutingServer server = RoutingServer.builder().port(0).dataDir(data).build().start()) {
      assertThat(server.registry().size()).isZero();
    }
  }

  @Test
  void whatIsNotASnapshotTheServerCanServeIsRefusedAndChangesNothing(@TempDir Path data) throws Exception {
    byte[] good = Snapshots.toSavableBytes(trained(3));
    byte[] flipped = good.clone();
    flipped[good.length / 2] ^= 0x10;
    MixtureOfExperts withFunction = MixtureOfExperts.builder(IN, 1).experts(List.of(
        new dev.auramoe.experts.NlmsExpert("a", IN, 1, 0.5),
        new FunctionExpert("rule", IN, 1, (x, y) -> y[0] = x[0], 4))).topK(1).build();
    MixtureOfExperts oddStream = trained(5);
    oddStream.openStream("a stream with spaces");
    List<MixtureOfExperts> oddExperts = new ArrayList<>();
    for (String name : List.of("an expert", "a/b", "", "-dash", "x".repeat(65))) {
      oddExperts.add(MixtureOfExperts.builder(IN, 1).experts(List.of(new dev.auramoe.experts.NlmsExpert("ok", IN, 1,
          0.5), new dev.auramoe.experts.NlmsExpert(name, IN, 1, 0.5))).topK(1).build());
    }
    try (RoutingServer server = RoutingServer.builder().port(0).dataDir(data)
        .limits(ServerLimits.DEFAULT.withMaxSnapshotBytes(64 << 10).withMaxParameters(10_000)).build()
        .start()) {
      TestClient c = new TestClient(server.port());
      long logged = server.store().wal().lastSequence();
      record Refused(String what, byte[] body, int status, String says) {}
      byte[] big = Snapshots.toSavableBytes(MixtureOfExperts.builder(IN, 1).experts(Experts.nlms("e", 2, IN, 1, 0.5))
          .cell(CellConfig.DEFAULT.withHidden(100)).topK(1).build());
      for (Refused x : List.of(
          new Refused("truncated", Arrays.copyOf(good, good.length - 9), 400, "not a valid snapshot"),
          new Refused("a flipped bit", flipped, 400, "not a valid snapshot"),
          new Refused("empty", new byte[0], 400, "not a valid snapshot"),
          new Refused("JSON", "{\"name\":\"m\",\"inputDim\":4}".getBytes(), 400, "not a valid snapshot"),
          new Refused("a function expert", Snapshots.toSavableBytes(withFunction), 400, "function expert 'rule'"),
          new Refused("a stream id the API cannot name", Snapshots.toSavableBytes(oddStream), 400,
              "'a stream with spaces'"),
          new Refused("an expert named with a space", Snapshots.toSavableBytes(oddExperts.get(0)), 400,
              "an expert whose name the service cannot address, 'an expert': expert name must be 1 to 64"
              + " characters of A-Z a-z 0-9 . _ - starting with a letter or digit"),
          new Refused("an expert named with a slash", Snapshots.toSavableBytes(oddExperts.get(1)), 400, "'a/b'"),
          new Refused("an expert with an empty name", Snapshots.toSavableBytes(oddExperts.get(2)), 400,
              "cannot address, '': expert name must be"),
          new Refused("an expert named with a leading dash", Snapshots.toSavableBytes(oddExperts.get(3)), 400,
              "'-dash'"),
          new Refused("an expert with a long name", Snapshots.toSavableBytes(oddExperts.get(4)), 400,
              "'" + "x".repeat(64) + "...'"),
          new Refused("over maxParameters", big, 400, "does not fit this server"),
          new Refused("over maxSnapshotBytes", new byte[(64 << 10) + 1], 413, "exceeds the limit"))) {
        TestClient.Response r = importBytes(c, "m", x.body());
        assertThat(r.status()).as(x.what() + ": " + r.body()).isEqualTo(x.status());
        assertThat(r.json().get("error").asText()).as(x.what()).contains(x.says());
      }
      // In base64 too: a body within the base64 of the limit that decodes to more is as large.
      TestClient.Response overInJson = c.post("/v1/models/m/import",
          "{\"snapshot\": \"" + java.util.Base64.getEncoder().encodeToString(new byte[(64 << 10) + 1]) + "\"}");
      assertThat(overInJson.status()).as(overInJson.body()).isEqualTo(413);
      assertThat(overInJson.json().get("error").asText()).isEqualTo("the snapshot has 65537 bytes, over this"
          + " server's limit of 65536");
      TestClient.Response text = c.send("POST", "/v1/models/m/import", "text/plain", good);
      assertThat(text.status()).isEqualTo(415);
      assertThat(text.json().get("error").asText()).contains("application/octet-stream");
      for (String body : List.of("{}", "{\"snapshot\": 1}", "{\"snapshot\": \"not base64!\"}",
          "{\"snapshot\": \"\", \"x\": 1}",
          "{\"snapshot\": \"" + java.util.Base64.getEncoder().encodeToString(Arrays.copyOf(good, 40)) + "\"}")) {
        TestClient.Response r = c.post("/v1/models/m/import", body);
        assertThat(r.status()).as(body + ": " + r.body()).isEqualTo(400);
      }
      assertThat(importBytes(c, "-bad", good).status()).isEqualTo(400);
      assertThat(c.get("/v1/models").json().get("count").asInt()).isZero();
      assertThat(server.store().wal().lastSequence()).isEqualTo(logged);
    }
    try (RoutingServer server = RoutingServer.builder().port(0).dataDir(data).build().start()) {
      assertThat(server.registry().size()).isZero();
    }
  }

  @Test
  void clientsThatSendOnlyJsonSendTheSnapshotInBase64() throws Exception {
    MixtureOfExperts m = trained(17);
    try (RoutingServer server = RoutingServer.builder().port(0).build().start()) {
      TestClient c = new TestClient(server.port());
      TestClient.Response r = c.post("/v1/models/imported/import",
          "{\"snapshot\": \"" + java.util.Base64.getEncoder().encodeToString(Snapshots.toSavableBytes(m)) + "\"}");
      assertThat(r.status()).as(r.body()).isEqualTo(201);
      assertThat(r.json().get("digest").asText()).isEqualTo(Snapshots.digest(m));
      assertThat(dev.auramoe.server.http.ModelApi.base64Limit(3)).isEqualTo(4 + 64);
      assertThat(dev.auramoe.server.http.ModelApi.base64Limit(Integer.MAX_VALUE)).isEqualTo(Integer.MAX_VALUE - 8);
    }
  }

  @Test
  void aJsonImportTakesSnapshotsBeyondJacksonsStringLimit() throws Exception {
    // 4 experts of 1024 -> 1024: 16 MiB of weights, 22M characters in base64, over the 20M that Jackson
    // takes in one string unless told otherwise (regression: refused as "invalid JSON").
    MixtureOfExperts m = MixtureOfExperts.builder(1024, 1024).experts(Experts.nlms("n", 4, 1024, 1024, 0.3))
        .cell(CellConfig.DEFAULT.withHidden(4)).topK(1).build();
    byte[] snapshot = Snapshots.toSavableBytes(m);
    try (RoutingServer server = RoutingServer.builder().port(0).build().start()) {
      TestClient c = new TestClient(server.port());
      TestClient.Response r = c.post("/v1/models/big/import",
          "{\"snapshot\": \"" + java.util.Base64.getEncoder().encodeToString(snapshot) + "\"}");
      assertThat(r.status()).as(r.body()).isEqualTo(201);
      assertThat(r.json().get("digest").asText()).isEqualTo(Snapshots.digest(m));
    }
  }

  @Test
  void aSnapshotDeclaringAHugeExpertIsRefusedWithoutAllocatingIt() throws Exception {
    // A snapshot of a few hundred bytes whose one expert says it is 1 -> 2^30 - 1 (8 GiB of weights)
    // while its state holds 2 values: refused as what it is, the server healthy (regression: the reader
    // built the expert first, and the OutOfMemoryError made the import 503 and /health DEGRADED).
    MixtureOfExperts m = MixtureOfExperts.builder(1, 1).experts(Experts.nlms("e", 1, 1, 1, 0.5))
        .cell(CellConfig.DEFAULT.withHidden(2)).topK(1).build();
    byte[] original = Snapshots.toSavableBytes(m);
    byte[] payload = dev.auramoe.io.SnapshotFormat.unframe(original);
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(payload);
    int huge = (1 << 30) - 1;
    b.putInt(4, huge); // the configuration's outputDim
    byte[] name = {0, 2, 'e', '0', 0, 0, 0, 1, 0, 0, 0, 1}; // the expert's name, in 1, out 1
    int at = -1;
    for (int i = 0; i + name.length <= payload.length && at < 0; i++) {
      at = Arrays.equals(payload, i, i + name.length, name, 0, name.length) ? i : -1;
    }
    assertThat(at).isPositive();
    b.putInt(at + name.length - 4, huge);
    byte[] crafted = dev.auramoe.io.SnapshotFormat.frame(dev.auramoe.io.SnapshotFormat.version(original), payload);
    try (RoutingServer server = RoutingServer.builder().port(0).build().start()) {
      TestClient c = new TestClient(server.port());
      TestClient.Response r = importBytes(c, "m", crafted);
      assertThat(r.status()).as(r.body()).isEqualTo(400);
      assertThat(r.json().get("error").asText()).isEqualTo("not a valid snapshot: corrupt snapshot: expert 'e0'"
          + " (nlms, 1 -> 1073741823) has 2 state values; its kind holds 2147483646");
      assertThat(c.get("/health").json().get("status").asText()).isEqualTo("UP");
    }
  }

  @Test
  void aTakenNameIsAConflict() throws Exception {
    byte[] snapshot = Snapshots.toSavableBytes(trained(3));
    try (RoutingServer server = RoutingServer.builder().port(0).build().start()) {
      TestClient c = new TestClient(server.port());
      assertThat(c.post("/v1/models", "{\"name\":\"m\",\"inputDim\":4}").status()).isEqualTo(201);
      String before = c.digest("m");
      TestClient.Response r = importBytes(c, "m", snapshot);
      assertThat(r.status()).isEqualTo(409);
      assertThat(r.json().get("error").asText()).contains("model 'm' already exists");
      assertThat(c.digest("m")).isEqualTo(before);
      assertThat(importBytes(c, "n", snapshot).status()).isEqualTo(201);
      assertThat(importBytes(c, "n", snapshot).status()).isEqualTo(409);
      assertThat(c.post("/v1/models", "{\"name\":\"n\",\"inputDim\":4}").status()).isEqualTo(409);
    }
  }

  @Test
  void importsNeedTheTokenAndExportsAreReads() throws Exception {
    byte[] snapshot = Snapshots.toSavableBytes(trained(3));
    String token = "a-token-of-twenty-chars";
    for (boolean tokenReads : new boolean[] {false, true}) {
      try (RoutingServer server = RoutingServer.builder().port(0).token(token).tokenReads(tokenReads).build().start()) {
        TestClient c = new TestClient(server.port());
        TestClient.Response refused = importBytes(c, "m", snapshot);
        assertThat(refused.status()).isEqualTo(401);
        assertThat(server.registry().size()).isZero();
        HttpRequest.Builder withToken = HttpRequest.newBuilder(c.uri("/v1/models/m/import"))
            .header("Authorization", "Bearer " + token).header("Content-Type", SNAPSHOT)
            .POST(HttpRequest.BodyPublishers.ofByteArray(snapshot));
        assertThat(c.send(withToken.build()).status()).isEqualTo(201);
        assertThat(c.get("/v1/models/m/snapshot").status()).isEqualTo(tokenReads ? 401 : 200);
        TestClient.Response read = c.send(HttpRequest.newBuilder(c.uri("/v1/models/m/snapshot"))
            .header("Authorization", "Bearer " + token).GET().build());
        assertThat(read.status()).isEqualTo(200);
        assertThat(read.bytes()).isEqualTo(snapshot);
      }
    }
  }

  @Test
  void aServerImportsAtStartAndRefusesANameItRecovered(@TempDir Path data) throws Exception {
    MixtureOfExperts m = trained(13);
    byte[] snapshot = Snapshots.toSavableBytes(m);
    try (RoutingServer server = RoutingServer.builder().port(0).dataDir(data).importModel("imported", snapshot)
        .build().start()) {
      TestClient c = new TestClient(server.port());
      assertThat(c.digest("imported")).isEqualTo(Snapshots.digest(m));
      learn(m, "sensor-1", new Random(4), 5, c);
    }
    RoutingServer.Builder again = RoutingServer.builder().port(0).dataDir(data).importModel("imported", snapshot);
    assertThatThrownBy(() -> again.build().start()).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("cannot import model 'imported': a model of that name was recovered");
    try (RoutingServer server = RoutingServer.builder().port(0).dataDir(data).build().start()) {
      assertThat(new TestClient(server.port()).digest("imported")).isEqualTo(Snapshots.digest(m));
    }
    assertThatThrownBy(() -> RoutingServer.builder().importModel("x", Arrays.copyOf(snapshot, 20)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("model 'x' cannot be imported: not a valid snapshot");
    assertThatThrownBy(() -> RoutingServer.builder().importModel("x", snapshot).importModel("x", snapshot))
        .hasMessageContaining("imported twice");
  }
}
