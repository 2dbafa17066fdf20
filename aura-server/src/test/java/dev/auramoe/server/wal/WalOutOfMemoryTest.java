package dev.auramoe.server.wal;

import static dev.auramoe.server.wal.WalFixtures.payloadFor;
import static dev.auramoe.server.wal.WalFixtures.replayAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.server.wal.WalFixtures.Rec;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The heap running out where the log allocates (simulated through {@link WalHook#allocating}):
 * no record a caller waits for is forgotten, no appender waits for ever, and no sequence number is
 * skipped. Before the fixes an out-of-memory after the writer took a batch left those records'
 * futures pending for ever, one while failing the log killed the writer with the log not failed
 * (appenders waiting for room in the queue never woke), and one while queueing skipped a number
 * that the next start read as damage.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WalOutOfMemoryTest {

  private static final Duration PATIENCE = Duration.ofSeconds(20);

  @TempDir
  Path dir;

  /** A hook that throws OutOfMemoryError at {@code site} while {@code armed}. */
  private static WalHook outOfMemoryAt(WalHook.Site site, AtomicBoolean armed) {
    return new WalHook() {
      @Override
      public void beforeForce(Path segment) {}

      @Override
      public void allocating(WalHook.Site at) {
        if (at == site && armed.get()) {
          throw new OutOfMemoryError("simulated at " + at);
        }
      }
    };
  }

  @Test
  void anOutOfMemoryWhileQueueingSkipsNoNumber() throws IOException {
    AtomicBoolean armed = new AtomicBoolean();
    try (WriteAheadLog wal = WriteAheadLog.open(dir, WalOptions.DEFAULTS, outOfMemoryAt(WalHook.Site.ENQUEUE,
        armed))) {
      for (long s = 1; s <= 5; s++) {
        assertThat(wal.appendAndWait(payloadFor(s))).isEqualTo(s);
      }
      armed.set(true);
      assertThatThrownBy(() -> wal.append(payloadFor(6))).isInstanceOf(OutOfMemoryError.class);
      armed.set(false);
      assertThat(wal.failed()).isFalse();
      assertThat(wal.appendAndWait(payloadFor(6))).as("the number the failed append did not queue").isEqualTo(6);
      assertThat(wal.appendAndWait(payloadFor(7))).isEqualTo(7);
    }
    try (WriteAheadLog wal = WriteAheadLog.open(dir)) {
      assertThat(wal.recoveryReport()).isEmpty();
      assertThat(replayAll(wal, 1)).extracting(Rec::seq).containsExactlyElementsOf(LongStream.rangeClosed(1, 7)
          .boxed().toList());
    }
  }

  @Test
  void anOutOfMemoryAfterTheWriterTookABatchFailsItsRecords() throws Exception {
    AtomicBoolean armed = new AtomicBoolean();
    try (WriteAheadLog wal = WriteAheadLog.open(dir, WalOptions.DEFAULTS, outOfMemoryAt(WalHook.Site.BATCH,
        armed))) {
      assertThat(wal.appendAndWait(payloadFor(1))).isEqualTo(1);
      armed.set(true);
      CompletableFuture<Long> lost = wal.append(payloadFor(2));
      assertFailsInTime(lost);
      assertThat(wal.failed()).isTrue();
      assertThatThrownBy(() -> wal.appendOrRefuse(payloadFor(3))).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("has failed");
    }
    try (WriteAheadLog wal = WriteAheadLog.open(dir)) {
      assertThat(wal.lastSequence()).isEqualTo(1);
    }
  }

  @Test
  void anOutOfMemoryWhileFailingStillFailsTheLogAndReleasesBlockedAppenders() throws Exception {
    CountDownLatch stalled = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicBoolean brokenDisk = new AtomicBoolean();
    WalHook hook = new WalHook() {
      @Override
      public void beforeForce(Path segment) throws IOException {
        if (brokenDisk.get()) {
          stalled.countDown();
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          throw new IOException("simulated EIO");
        }
      }

      @Override
      public void allocating(WalHook.Site site) {
        if (site == WalHook.Site.FAIL) {
          throw new OutOfMemoryError("simulated while failing the log");
        }
      }
    };
    // Room for about one record in the queue, so that a third appender must wait for room.
    WalOptions opts = WalOptions.DEFAULTS.withMaxQueuedBytes(100);
    try (WriteAheadLog wal = WriteAheadLog.open(dir, opts, hook)) {
      assertThat(wal.appendAndWait(new byte[10])).isEqualTo(1);
      brokenDisk.set(true);
      CompletableFuture<Long> writing = wal.append(new byte[10]);
      assertThat(stalled.await(20, TimeUnit.SECONDS)).isTrue();
      CompletableFuture<Long> queued = wal.append(new byte[60]);
      AtomicReference<CompletableFuture<Long>> blocked = new AtomicReference<>();
      Thread appender = Thread.ofPlatform().start(() -> blocked.set(wal.append(new byte[60])));
      // The third appender waits for room; the disk now fails the stalled force.
      waitUntilWaiting(appender);
      release.countDown();
      appender.join(PATIENCE.toMillis());
      assertThat(appender.isAlive()).as("an appender waiting for room is released").isFalse();
      for (CompletableFuture<Long> f : List.of(writing, queued, blocked.get())) {
        assertFailsInTime(f);
      }
      assertThat(wal.failed()).isTrue();
    }
  }

  /** The future completes, with a failure, in time (not merely: it has not completed yet). */
  private static void assertFailsInTime(CompletableFuture<Long> f) {
    assertThatThrownBy(() -> f.get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS))
        .isInstanceOf(ExecutionException.class).cause().isInstanceOf(IOException.class);
  }

  private static void waitUntilWaiting(Thread t) throws InterruptedException {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (t.getState() != Thread.State.WAITING && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(t.getState()).isEqualTo(Thread.State.WAITING);
  }
}
