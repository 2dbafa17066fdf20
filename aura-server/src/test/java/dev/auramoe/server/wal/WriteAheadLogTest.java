package dev.auramoe.server.wal;

import static dev.auramoe.server.wal.WalFixtures.payloadFor;
import static dev.auramoe.server.wal.WalFixtures.replayAll;
import static dev.auramoe.server.wal.WalFixtures.segments;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.server.wal.WalFixtures.Rec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Appends, group commit, segment rolling, trimming, failure and damage outside the tail. */
class WriteAheadLogTest {

  @TempDir
  Path dir;

  private static void runThreads(int threads, ThrowingRunnable body) throws Exception {
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> ts = new ArrayList<>();
    List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
    for (int t = 0; t < threads; t++) {
      int id = t;
      ts.add(Thread.ofPlatform().start(() -> {
        try {
          start.await();
          body.run(id);
        } catch (Throwable e) {
          errors.add(e);
        }
      }));
    }
    start.countDown();
    for (Thread t : ts) {
      t.join();
    }
    assertThat(errors).isEmpty();
  }

  @FunctionalInterface
  private interface ThrowingRunnable {
    void run(int thread) throws Exception;
  }

  private static byte[] tagged(int thread, int i) {
    return ("t" + thread + "#" + i).getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void concurrentAppendsAreReplayedExactlyOnceInSequenceOrderAndSurviveReopen() throws Exception {
    int threads = 8;
    int each = 250;
    List<CompletableFuture<Long>> futures = java.util.Collections.synchronizedList(new ArrayList<>());
    List<String> acked = java.util.Collections.synchronizedList(new ArrayList<>());
    try (WriteAheadLog wal = WriteAheadLog.open(dir, WalOptions.DEFAULTS.withSegmentBytes(4096))) {
      assertThat(wal.recoveryReport()).isEmpty();
      assertThat(wal.lastSequence()).isZero();
      runThreads(threads, t -> {
        for (int i = 0; i < each; i++) {
          byte[] p = tagged(t, i);
          if (i % 2 == 0) {
            long seq = wal.appendAndWait(p);
            acked.add(seq + "=" + new String(p, StandardCharsets.UTF_8));
          } else {
            CompletableFuture<Long> f = wal.append(p);
            futures.add(f.thenApply(seq -> {
              acked.add(seq + "=" + new String(p, StandardCharsets.UTF_8));
              return seq;
            }));
          }
        }
      });
      CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).join();
      int n = threads * each;
      assertThat(wal.lastSequence()).isEqualTo(n);
      List<Rec> all = replayAll(wal, 1);
      assertThat(all).extracting(Rec::seq).containsExactlyElementsOf(
          java.util.stream.LongStream.rangeClosed(1, n).boxed().toList());
      List<String> replayed = all.stream().map(r -> r.seq() + "=" + new String(r.payload(), StandardCharsets.UTF_8))
          .toList();
      assertThat(replayed).containsExactlyInAnyOrderElementsOf(acked);
      Set<String> payloads = new HashSet<>();
      for (Rec r : all) {
        payloads.add(new String(r.payload(), StandardCharsets.UTF_8));
      }
      assertThat(payloads).hasSize(n);
      assertThat(segments(dir)).hasSizeGreaterThan(3);
    }
    try (WriteAheadLog wal = WriteAheadLog.open(dir, WalOptions.DEFAULTS.withSegmentBytes(4096))) {
      assertThat(wal.recoveryReport()).isEmpty();
      assertThat(wal.lastSequence()).isEqualTo(threads * each);
      assertThat(replayAll(wal, 1)).hasSize(threads * each);
      assertThat(wal.appendAndWait(new byte[] {1})).isEqualTo(threads * each + 1);
    }
  }

  @Test
  void appendsUnderAnExternalLockGetSequenceNumbersInLockOrder() throws Exception {
    Object appLock = new Object();
    List<byte[]> applyOrder = new ArrayList<>();
    List<CompletableFuture<Long>> futures = new ArrayList<>();
    try (WriteAheadLog wal = WriteAheadLog.open(dir)) {
      runThreads(6, t -> {
        for (int i = 0; i < 200; i++) {
          byte[] p = tagged(t, i);
          CompletableFuture<Long> f;
          synchronized (appLock) {
            applyOrder.add(p);
            f = wal.append(p);
            futures.add(f);
          }
          if (i % 10 == 0) {
            f.join();
          }
        }
      });
      for (int i = 0; i < futures.size(); i++) {
        assertThat(futures.get(i).join()).isEqualTo(i + 1L);
      }
      List<Rec> all = replayAll(wal, 1);
      assertThat(all).hasSize(applyOrder.size());
      for (int i = 0; i < all.size(); i++) {
        assertThat(all.get(i).payload()).isEqualTo(applyOrder.get(i));
      }
    }
  }

  @Test
  void concurrentAppendersShareForces() throws Exception {
    // A 1 ms flush, as on a real disk, so that appenders queue up behind the writer.
    WalHook slowDisk = segment -> {
      try {
        Thread.sleep(1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    };
    int threads = 16;
    int each = 40;
    try (WriteAheadLog wal = WriteAheadLog.open(dir, WalOptions.DEFAULTS, slowDisk)) {
      runThreads(threads, t -> {
        for (int i = 0; i < each; i++) {
          wal.appendAndWait(tagged(t, i));
        }
      });
      long records = threads * each;
      assertThat(wal.lastSequence()).isEqualTo(records);
      assertThat(wal.forces()).isPositive().isLessThan(records / 4);
    }
  }

  @Test
  void lingerBatchesRecordsFromASingleAsynchronousAppender() throws Exception {
    WalOptions opts = WalOptions.DEFAULTS.withMaxWait(Duration.ofMillis(2)).withMaxBatchBytes(1 << 16);
    try (WriteAheadLog wal = WriteAheadLog.open(dir, opts)) {
      List<CompletableFuture<Long>> fs = new ArrayList<>();
      for (long s = 1; s <= 2000; s++) {
        fs.add(wal.append(payloadFor(s)));
      }
      for (int i = 0; i < fs.size(); i++) {
        assertThat(fs.get(i).join()).isEqualTo(i + 1L);
      }
      // 2000 records of about 170 bytes in 64 KiB batches: a few dozen forces, not thousands.
      assertThat(wal.forces()).isPositive().isLessThan(200);
      List<Rec> all = replayAll(wal, 1);
      for (Rec r : all) {
        assertThat(r.payload()).isEqualTo(payloadFor(r.seq()));
      }
      assertThat(all).hasSize(2000);
    }
  }

  @Test
  void segmentsRollAtTheConfiguredSizeAndTrimmingDeletesOnlyCoveredSegments() throws Exception {
    WalOptions opts = WalOptions.DEFAULTS.withSegmentBytes(1024);
    int n = 200;
    try (WriteAheadLog wal = WriteAheadLog.open(dir, opts)) {
      for (long s = 1; s <= n; s++) {
        assertThat(wal.appendAndWait(payloadFor(s))).isEqualTo(s);
      }
      List<Path> files = segments(dir);
      assertThat(files).hasSizeGreaterThan(10);
      List<Long> firsts = new ArrayList<>();
      for (Path f : files) {
        firsts.add(Long.parseLong(f.getFileName().toString().substring(4, 24)));
        assertThat(Files.size(f)).isLessThanOrEqualTo(1024);
      }
      assertThat(firsts.getFirst()).isEqualTo(1);
      assertThat(firsts).isSorted();

      // Trim before the first record of the fifth segment plus one: segments 0..3 go, the fifth stays.
      long cut = firsts.get(4) + 1;
      assertThat(wal.trimBefore(cut)).isEqualTo(4);
      assertThat(segments(dir)).containsExactlyElementsOf(files.subList(4, files.size()));
      assertThat(wal.firstSequence()).isEqualTo(firsts.get(4));
      List<Rec> tail = replayAll(wal, cut);
      assertThat(tail).extracting(Rec::seq).first().isEqualTo(cut);
      assertThat(tail).hasSize((int) (n - cut + 1));
      for (Rec r : tail) {
        assertThat(r.payload()).isEqualTo(payloadFor(r.seq()));
      }
      assertThatThrownBy(() -> replayAll(wal, 1)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("trimmed");

      // Trimming beyond the end keeps the active segment.
      wal.trimBefore(Long.MAX_VALUE);
      assertThat(segments(dir)).containsExactly(files.getLast());
    }
    try (WriteAheadLog wal = WriteAheadLog.open(dir, opts)) {
      assertThat(wal.recoveryReport()).isEmpty();
      assertThat(wal.lastSequence()).isEqualTo(n);
      long first = wal.firstSequence();
      for (long s = n + 1; s <= n + 50; s++) {
        assertThat(wal.appendAndWait(payloadFor(s))).isEqualTo(s);
      }
      List<Rec> all = replayAll(wal, first);
      assertThat(all).extracting(Rec::seq).containsExactlyElementsOf(
          java.util.stream.LongStream.rangeClosed(first, n + 50).boxed().toList());
    }
  }

  @Test
  void appendsAfterCloseFailAndCloseDrainsPendingAppends() throws Exception {
    WriteAheadLog wal = WriteAheadLog.open(dir, WalOptions.DEFAULTS.withMaxWait(Duration.ofMillis(50)));
    List<CompletableFuture<Long>> fs = new ArrayList<>();
    for (long s = 1; s <= 100; s++) {
      fs.add(wal.append(payloadFor(s)));
    }
    wal.close();
    for (CompletableFuture<Long> f : fs) {
      assertThat(f).isCompleted();
      assertThat(f.join()).isPositive();
    }
    assertThatThrownBy(() -> wal.append(new byte[1])).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
    assertThatThrownBy(() -> wal.appendAndWait(new byte[1])).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> wal.replay(1, (s, p) -> {})).isInstanceOf(IllegalStateException.class);
    wal.close();
    try (WriteAheadLog again = WriteAheadLog.open(dir)) {
      assertThat(again.lastSequence()).isEqualTo(100);
    }
  }

  @Test
  void aFailedForceFailsTheBatchAndEveryLaterAppend() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    WalHook failingDisk = segment -> {
      if (calls.incrementAndGet() > 3) {
        throw new IOException("simulated EIO on " + segment.getFileName());
      }
    };
    try (WriteAheadLog wal = WriteAheadLog.open(dir, WalOptions.DEFAULTS, failingDisk)) {
      for (long s = 1; s <= 3; s++) {
        assertThat(wal.appendAndWait(payloadFor(s))).isEqualTo(s);
      }
      CompletableFuture<Long> doomed = wal.append(payloadFor(4));
      assertThatThrownBy(doomed::join).isInstanceOf(CompletionException.class).cause()
          .isInstanceOf(IOException.class).hasMessageContaining("failed").hasMessageContaining("simulated EIO");
      CompletableFuture<Long> later = wal.append(payloadFor(5));
      assertThatThrownBy(later::join).cause().isInstanceOf(IOException.class)
          .hasMessageContaining("has failed and accepts no more appends");
      assertThatThrownBy(() -> wal.appendAndWait(payloadFor(5))).isInstanceOf(IOException.class)
          .hasMessageContaining("simulated EIO");
      // The refusing form throws instead: the record was never queued.
      assertThatThrownBy(() -> wal.appendOrRefuse(payloadFor(5))).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("has failed and accepts no more appends");
      assertThat(wal.lastSequence()).isEqualTo(3);
      assertThat(replayAll(wal, 1)).hasSize(3);
    }
    // The unacknowledged record reached the file before the force failed; reopening may keep it.
    try (WriteAheadLog wal = WriteAheadLog.open(dir)) {
      assertThat(wal.lastSequence()).isBetween(3L, 4L);
      List<Rec> all = replayAll(wal, 1);
      for (Rec r : all) {
        assertThat(r.payload()).isEqualTo(payloadFor(r.seq()));
      }
    }
  }

  @Test
  void damageInANonLastSegmentIsRefusedWithFileAndOffset() throws Exception {
    WalOptions opts = WalOptions.DEFAULTS.withSegmentBytes(1024);
    try (WriteAheadLog wal = WriteAheadLog.open(dir, opts)) {
      for (long s = 1; s <= 60; s++) {
        wal.appendAndWait(payloadFor(s));
      }
    }
    List<Path> files = segments(dir);
    assertThat(files).hasSizeGreaterThan(3);
    Path victim = files.get(1);
    byte[] original = Files.readAllBytes(victim);

    // A flipped payload byte in the second record of the segment.
    int firstLen = WriteAheadLog.OVERHEAD + ByteBuffer.wrap(original, 1, 4).getInt();
    byte[] flipped = original.clone();
    flipped[firstLen + 20] ^= 0x40;
    Files.write(victim, flipped);
    assertThatThrownBy(() -> WriteAheadLog.open(dir, opts)).isInstanceOfSatisfying(WalCorruptionException.class,
        e -> {
          assertThat(e.file()).isEqualTo(victim.toAbsolutePath());
          assertThat(e.offset()).isEqualTo(firstLen);
        })
        .hasMessageContaining(victim.getFileName().toString()).hasMessageContaining("offset " + firstLen)
        .hasMessageContaining("not the last segment").hasMessageContaining("CHECKSUM_MISMATCH");
    assertThat(Files.readAllBytes(victim)).as("nothing repaired").isEqualTo(flipped);

    // A cut-short non-last segment.
    Files.write(victim, java.util.Arrays.copyOf(original, original.length - 3));
    assertThatThrownBy(() -> WriteAheadLog.open(dir, opts)).isInstanceOf(WalCorruptionException.class)
        .hasMessageContaining(victim.getFileName().toString()).hasMessageContaining("TRUNCATED_RECORD");

    // A missing segment in the middle.
    Files.write(victim, original);
    Path moved = dir.resolveSibling("moved.log");
    Files.move(files.get(2), moved);
    assertThatThrownBy(() -> WriteAheadLog.open(dir, opts)).isInstanceOf(WalCorruptionException.class)
        .hasMessageContaining(files.get(3).getFileName().toString()).hasMessageContaining("missing");
    Files.move(moved, files.get(2));
    try (WriteAheadLog wal = WriteAheadLog.open(dir, opts)) {
      assertThat(wal.lastSequence()).isEqualTo(60);
      assertThat(wal.recoveryReport()).isEmpty();
    }
  }

  /**
   * An intact record (its checksum matches) with the wrong number at the end of the log: no torn
   * write leaves one, so it is damage, refused rather than cut. Before the fix a record that skipped
   * a number was cut as a torn tail and its number handed out again to another record.
   */
  @Test
  void anIntactRecordWithTheWrongNumberAtTheEndIsRefusedNotCut() throws Exception {
    try (WriteAheadLog wal = WriteAheadLog.open(dir)) {
      for (long s = 1; s <= 10; s++) {
        wal.appendAndWait(payloadFor(s));
      }
    }
    Path file = segments(dir).getFirst();
    byte[] clean = Files.readAllBytes(file);
    for (long wrong : List.of(12L, 5L)) {
      Files.write(file, clean);
      Files.write(file, WalFixtures.frame(dir, WriteAheadLog.MAGIC, wrong, payloadFor(wrong)),
          StandardOpenOption.APPEND);
      assertThatThrownBy(() -> WriteAheadLog.open(dir)).as("a record numbered %d", wrong)
          .isInstanceOf(WalCorruptionException.class).hasMessageContaining("byte offset " + clean.length)
          .hasMessageContaining("sequence " + wrong + " where 11 was expected").hasMessageContaining("intact")
          .hasMessageContaining("not a torn tail");
      assertThat(Files.size(file)).as("nothing cut").isGreaterThan(clean.length);
    }
    // The repair keeps the record numbered 12 and records 11 as lost; 12 is never used again.
    Files.write(file, clean);
    Files.write(file, WalFixtures.frame(dir, WriteAheadLog.MAGIC, 12, payloadFor(12)), StandardOpenOption.APPEND);
    WalRepair r = WriteAheadLog.repair(dir);
    assertThat(r.dropped()).singleElement().satisfies(d -> {
      assertThat(d.firstSequence()).isEqualTo(11);
      assertThat(d.lastSequence()).isEqualTo(11);
      assertThat(d.problem()).isEqualTo(RecoveryReport.Problem.SEQUENCE_GAP);
    });
    try (WriteAheadLog wal = WriteAheadLog.open(dir)) {
      assertThat(replayAll(wal, 1)).extracting(Rec::seq).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 12L);
      assertThat(wal.appendAndWait(payloadFor(13))).isEqualTo(13);
    }
  }

  @Test
  void aSecondOpenOfTheSameDirectoryIsRefused() throws Exception {
    try (WriteAheadLog wal = WriteAheadLog.open(dir)) {
      assertThatThrownBy(() -> WriteAheadLog.open(dir)).isInstanceOf(IOException.class)
          .hasMessageContaining("already open");
      assertThat(wal.appendAndWait(new byte[0])).isEqualTo(1);
    }
    try (WriteAheadLog wal = WriteAheadLog.open(dir)) {
      assertThat(replayAll(wal, 1)).singleElement().satisfies(r -> assertThat(r.payload()).isEmpty());
    }
  }

  @Test
  void backPressureBlocksAppendersWithoutLosingRecords() throws Exception {
    WalOptions opts = WalOptions.DEFAULTS.withMaxQueuedBytes(2048).withMaxBatchBytes(512);
    try (WriteAheadLog wal = WriteAheadLog.open(dir, opts)) {
      List<CompletableFuture<Long>> fs = java.util.Collections.synchronizedList(new ArrayList<>());
      runThreads(4, t -> {
        for (int i = 0; i < 300; i++) {
          fs.add(wal.append(tagged(t, i)));
        }
      });
      CompletableFuture.allOf(fs.toArray(CompletableFuture[]::new)).join();
      assertThat(replayAll(wal, 1)).hasSize(1200);
    }
  }
}
