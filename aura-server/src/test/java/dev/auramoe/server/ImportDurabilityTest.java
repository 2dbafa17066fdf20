package dev.auramoe.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.MixtureOfExperts;
import dev.auramoe.Snapshots;
import dev.auramoe.cell.CellConfig;
import dev.auramoe.experts.Experts;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Imports in the log: an import of a name whose model was deleted is a model of its own (its
 * predecessor's snapshot is not its own, and restarts rebuild it with what it learned), and an import
 * larger than a log segment and than the writer's queue is logged and recovered whole.
 */
class ImportDurabilityTest {

  private static final int IN = 4;

  private static MixtureOfExperts model(long seed, int hidden) {
    MixtureOfExperts m = MixtureOfExperts.builder(IN, 1).experts(Experts.nlms("n", 3, IN, 1, 0.3))
        .cell(CellConfig.DEFAULT.withHidden(hidden)).topK(2).seed(seed).build();
    Random r = new Random(seed);
    for (int i = 0; i < 50; i++) {
      float[] x = {(float) r.nextGaussian(), (float) r.nextGaussian(), (float) r.nextGaussian(), 1};
      m.learn(MixtureOfExperts.DEFAULT_STREAM, x, new float[] {x[0] - x[1]});
    }
    return m;
  }

  private static void learn(MixtureOfExperts m, TestClient c, String name, Random r, int n) {
    for (int i = 0; i < n; i++) {
      float[] x = {(float) r.nextGaussian(), (float) r.nextGaussian(), (float) r.nextGaussian(), 1};
      float[] y = {x[0] - x[1]};
      if (m != null) {
        m.learn(MixtureOfExperts.DEFAULT_STREAM, x, y);
      }
      TestClient.Response a = c.post("/v1/models/" + name + "/learn",
          "{\"x\":" + Arrays.toString(x) + ",\"y\":" + Arrays.toString(y) + "}");
      assertThat(a.status()).as(a.body()).isEqualTo(200);
    }
  }

  private static TestClient.Response importBytes(TestClient c, String name, byte[] snapshot) {
    return c.send("POST", "/v1/models/" + name + "/import", "application/octet-stream", snapshot);
  }

  @Test
  void anImportOfADeletedNameIsItsOwnModelAcrossRestarts(@TempDir Path data) throws Exception {
    MixtureOfExperts m = model(3, 5);
    Random r = new Random(9);
    try (RoutingServer server = RoutingServer.builder().port(0).dataDir(data).build().start()) {
      TestClient c = new TestClient(server.port());
      assertThat(c.post("/v1/models", "{\"name\":\"x\",\"inputDim\":4}").status()).isEqualTo(201);
      learn(null, c, "x", r, 10);
      assertThat(c.post("/v1/models/x/snapshot", "").status()).isEqualTo(200);
      learn(null, c, "x", r, 5);
      assertThat(c.delete("/v1/models/x").status()).isEqualTo(200);
      TestClient.Response i = importBytes(c, "x", Snapshots.toSavableBytes(m));
      assertThat(i.status()).as(i.body()).isEqualTo(201);
      learn(m, c, "x", r, 5);
      // The snapshot of the deleted model is not this one's.
      TestClient.Response restore = c.post("/v1/models/x/restore", "");
      assertThat(restore.status()).as(restore.body()).isEqualTo(404);
      assertThat(c.digest("x")).isEqualTo(Snapshots.digest(m));
    }
    try (RoutingServer server = RoutingServer.builder().port(0).dataDir(data).build().start()) {
      TestClient c = new TestClient(server.port());
      assertThat(c.digest("x")).isEqualTo(Snapshots.digest(m));
      assertThat(c.post("/v1/models/x/snapshot", "").status()).isEqualTo(200);
      learn(m, c, "x", r, 5);
      assertThat(c.delete("/v1/models/x").status()).isEqualTo(200);
      assertThat(importBytes(c, "x", Snapshots.toSavableBytes(m)).status()).isEqualTo(201);
      learn(m, c, "x", r, 3);
    }
    try (RoutingServer server = RoutingServer.builder().port(0).dataDir(data).build().start()) {
      TestClient c = new TestClient(server.port());
      assertThat(c.digest("x")).isEqualTo(Snapshots.digest(m));
    }
  }

  @Test
  void anImportLargerThanALogSegmentIsRecovered(@TempDir Path data) throws Exception {
    // 4 experts of 2048 -> 2048: 64 MiB of weights, more than a log segment and the writer's queue.
    MixtureOfExperts m = MixtureOfExperts.builder(2048, 2048).experts(Experts.nlms("n", 4, 2048, 2048, 0.3))
        .cell(CellConfig.DEFAULT.withHidden(2)).topK(1).build();
    String digest = Snapshots.digest(m);
    byte[] snapshot = Snapshots.toSavableBytes(m);
    m.close();
    ServerLimits limits = ServerLimits.DEFAULT.withMaxParameters(20L << 20);
    try (RoutingServer server = RoutingServer.builder().port(0).dataDir(data).limits(limits).build().start()) {
      TestClient c = new TestClient(server.port());
      TestClient.Response r = importBytes(c, "big", snapshot);
      assertThat(r.status()).as(r.body()).isEqualTo(201);
    }
    snapshot = null;
    try (RoutingServer server = RoutingServer.builder().port(0).dataDir(data).limits(limits).build().start()) {
      assertThat(new TestClient(server.port()).digest("big")).isEqualTo(digest);
    }
  }

  @Test
  void aStartThatCannotImportEveryModelImportsNone(@TempDir Path data) throws Exception {
    byte[] a = Snapshots.toSavableBytes(model(1, 3));
    byte[] b = Snapshots.toSavableBytes(model(2, 3));
    try (RoutingServer server = RoutingServer.builder().port(0).dataDir(data).build().start()) {
      assertThat(new TestClient(server.port()).post("/v1/models", "{\"name\":\"c\",\"inputDim\":4}").status())
          .isEqualTo(201);
    }
    // Room for one more model, not two: the second import is refused, and so the start; the first must not stay.
    RoutingServer.Builder both = RoutingServer.builder().port(0).dataDir(data)
        .limits(ServerLimits.DEFAULT.withMaxModels(2)).importModel("a", a).importModel("b", b);
    assertThatThrownBy(() -> both.build().start()).isInstanceOf(IllegalStateException.class)
        .hasMessage("cannot import models 'a', 'b': the server would hold 3 models, over its limit of 2");
    try (RoutingServer server = RoutingServer.builder().port(0).dataDir(data)
        .limits(ServerLimits.DEFAULT.withMaxModels(3)).importModel("a", a).importModel("b", b).build().start()) {
      assertThat(server.registry().list().stream().map(e -> e.name()).toList()).containsExactly("a", "b", "c");
    }
  }
}
