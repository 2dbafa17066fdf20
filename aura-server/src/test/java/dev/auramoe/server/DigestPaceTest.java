package dev.auramoe.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.auramoe.MixtureOfExperts;
import dev.auramoe.server.model.ModelEntry;
import dev.auramoe.server.model.ModelRegistry;
import dev.auramoe.server.model.ModelSpec;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Digest reads wait, writes do not: after a copy of the state that held the model for {@code c},
 * the next copy waits until {@link ModelEntry#DIGEST_PACE} times {@code c} has passed, holding no
 * lock a write needs, and the digest it then computes is exact for the version it copied. The
 * registry runs on the test's clock, which stands still until the test moves it, so the reader's
 * turn comes exactly when the test says. Every read after a write used to copy the state at once,
 * so a loop of reads held the model for a large share of the time.
 */
class DigestPaceTest {

  private static final ModelSpec SPEC = new ModelSpec("m", 4, 1, 4, 2, 64, 1, 0.5, 0.5, 1.0, 64, 0.9);

  @Test
  @Timeout(120)
  void aDigestOfANewVersionWaitsForItsTurnWhileWritesGoOn() throws Exception {
    AtomicLong clock = new AtomicLong();
    try (ModelRegistry registry = new ModelRegistry(ServerLimits.DEFAULT, ModelRegistry.parameterBudget(),
        clock::get)) {
      ModelEntry e = registry.create(SPEC);
      float[] x = {1, 2, 3, 4};
      String first = e.digest();
      assertThat(e.digest()).as("the same version: cached, no wait").isEqualTo(first);
      e.route(MixtureOfExperts.DEFAULT_STREAM, x);

      CompletableFuture<String> read = new CompletableFuture<>();
      Thread reader = Thread.ofPlatform().daemon().start(() -> {
        try {
          read.complete(e.digest());
        } catch (RuntimeException | Error ex) {
          read.completeExceptionally(ex);
        }
      });
      while (reader.getState() != Thread.State.TIMED_WAITING && !read.isDone()) {
        Thread.onSpinWait();
      }
      assertThat(read).as("the reader of a new version waits for its turn").isNotDone();
      for (int i = 0; i < 1_000; i++) {
        e.route(MixtureOfExperts.DEFAULT_STREAM, x); // writes go on meanwhile
      }
      e.openStream("s");
      assertThat(read).isNotDone();
      assertThat(e.sequencer().isLocked()).as("the waiting reader holds no lock of the model").isFalse();

      clock.addAndGet(Duration.ofSeconds(1).toNanos());
      String digest = read.get();
      assertThat(digest).as("exact for the version it copied, the latest").isEqualTo(e.model().digest())
          .isNotEqualTo(first);
      assertThat(e.digest()).isEqualTo(digest);
    }
  }

  /** An export of the state is such a copy too: it waits for the turn a digest's copy left, and paces the next. */
  @Test
  @Timeout(120)
  void anExportWaitsForItsTurnAsADigestDoes() throws Exception {
    AtomicLong clock = new AtomicLong();
    try (ModelRegistry registry = new ModelRegistry(ServerLimits.DEFAULT, ModelRegistry.parameterBudget(),
        clock::get)) {
      ModelEntry e = registry.create(SPEC);
      e.digest();
      CompletableFuture<byte[]> exported = new CompletableFuture<>();
      Thread reader = Thread.ofPlatform().daemon().start(() -> {
        try {
          exported.complete(e.snapshotBytes());
        } catch (RuntimeException | Error ex) {
          exported.completeExceptionally(ex);
        }
      });
      while (reader.getState() != Thread.State.TIMED_WAITING && !exported.isDone()) {
        Thread.onSpinWait();
      }
      assertThat(exported).as("the export waits for the turn the digest's copy left").isNotDone();
      e.route(MixtureOfExperts.DEFAULT_STREAM, new float[] {1, 2, 3, 4});
      assertThat(e.sequencer().isLocked()).as("the waiting export holds no lock of the model").isFalse();
      clock.addAndGet(Duration.ofSeconds(1).toNanos());
      assertThat(dev.auramoe.Snapshots.digest(dev.auramoe.Snapshots.fromBytes(exported.get(), null)))
          .as("the state when it copied, the latest").isEqualTo(e.model().digest());

      CompletableFuture<String> digest = CompletableFuture.supplyAsync(e::digest);
      Thread.sleep(50);
      assertThat(digest).as("a digest after the export waits for the turn the export left").isNotDone();
      clock.addAndGet(Duration.ofSeconds(1).toNanos());
      assertThat(digest.get()).isEqualTo(e.model().digest());
    }
  }
}
