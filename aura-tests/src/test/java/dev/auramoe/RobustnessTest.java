package dev.auramoe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.experts.Experts;
import dev.auramoe.io.SnapshotException;
import dev.auramoe.io.SnapshotFormat;
import dev.auramoe.spiking.AttentionConfig;
import dev.auramoe.spiking.SpikingAttention;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Regressions found in review: concurrent saves to one path, waiting for the learner from the
 * learner's own continuation, prediction buffers aliasing inputs, and snapshots whose checksum is
 * valid but whose content is impossible.
 */
class RobustnessTest {

  private static final String S = MixtureOfExperts.DEFAULT_STREAM;

  private static MixtureOfExperts model() {
    return MixtureOfExperts.builder(3, 1).experts(Experts.nlms("e", 4, 3, 1, 0.5)).seed(7)
        .cell(dev.auramoe.cell.CellConfig.DEFAULT.withHidden(8)).attention(AttentionConfig.of(100)).build();
  }

  @Test
  void concurrentSavesToOnePathAllSucceedAndLeaveALoadableFile(@TempDir Path dir) throws Exception {
    MixtureOfExperts m = model();
    m.learn(S, new float[] {1, 2, 3}, new float[] {1});
    Path file = dir.resolve("m.aura");
    List<CompletableFuture<Void>> saves = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      saves.add(CompletableFuture.runAsync(() -> {
        for (int i = 0; i < 40; i++) {
          try {
            m.save(file);
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        }
      }));
    }
    CompletableFuture.allOf(saves.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    assertThat(MixtureOfExperts.load(file).digest()).isEqualTo(m.digest());
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()).toList()).as("no temporary file left").containsExactly("m.aura");
    }
  }

  @Test
  void awaitLearningAndCloseFromALearnerContinuationDoNotDeadlock() throws Exception {
    MixtureOfExperts m = model();
    CompletableFuture<Void> f = m.learnAsync(S, new float[] {1, 0, 0}, new float[] {2})
        .thenRun(m::awaitLearning)
        .thenRun(m::close);
    f.get(10, TimeUnit.SECONDS);
    assertThat(m.learnSteps()).isEqualTo(1);
    // After close, a new learnAsync starts a new learner and keeps working.
    m.learnAsync(S, new float[] {0, 1, 0}, new float[] {1}).get(10, TimeUnit.SECONDS);
    m.awaitLearning();
    assertThat(m.learnSteps()).isEqualTo(2);
    m.close();
  }

  @Test
  void aPredictionBufferMayNotAliasTheInputOrTheTarget() {
    MixtureOfExperts m = MixtureOfExperts.builder(1, 1).experts(Experts.nlms("e", 2, 1, 1, 0.5)).build();
    String before = m.digest();
    float[] x = {3f};
    assertThatThrownBy(() -> m.predict(S, x, x)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must not be the input x");
    float[] y = {1f};
    assertThatThrownBy(() -> m.learn(S, new float[] {3f}, y, y)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must not be the target y");
    assertThat(m.digest()).isEqualTo(before);
  }

  @Test
  void attentionStateMustBePlausible() {
    SpikingAttention a = new SpikingAttention(AttentionConfig.of(100));
    assertThatThrownBy(() -> a.restore(new int[] {5, 5}, new float[] {1, 2}, 3)).hasMessageContaining("appears twice");
    assertThatThrownBy(() -> a.restore(new int[] {5, 6}, new float[] {-3, 2}, 3)).hasMessageContaining("potential -3.0");
    assertThatThrownBy(() -> a.restore(new int[] {5}, new float[] {1}, -7)).hasMessageContaining("negative step count");
    assertThat(a.activeCount()).isZero();
  }

  @Test
  void aSnapshotWithAValidChecksumButANegativeCounterIsRefused() throws Exception {
    MixtureOfExperts m = model();
    m.learn(S, new float[] {1, 2, 3}, new float[] {1});
    byte[] file = Snapshots.toBytes(m);
    byte[] payload = SnapshotFormat.unframe(file);
    // The payload ends with the energy counters (long[]); make the last one negative.
    ByteBuffer.wrap(payload).putLong(payload.length - 8, -5);
    assertThatThrownBy(() -> Snapshots.fromBytes(SnapshotFormat.frame(SnapshotFormat.version(file), payload), null))
        .isInstanceOf(SnapshotException.class).hasMessageContaining("negative energy counter");
  }
}
