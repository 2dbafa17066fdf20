package dev.auramoe.server.wal;

import static dev.auramoe.server.wal.WalFixtures.copySegments;
import static dev.auramoe.server.wal.WalFixtures.payloadFor;
import static dev.auramoe.server.wal.WalFixtures.replayAll;
import static dev.auramoe.server.wal.WalFixtures.segments;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.server.wal.RecoveryReport.Problem;
import dev.auramoe.server.wal.WalFixtures.Frame;
import dev.auramoe.server.wal.WalFixtures.Rec;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A torn tail of the last segment: cut at every byte offset inside the last record (and some
 * inside earlier ones), flip every byte of a last record that was never forced, or lose a page of
 * the last, unforced batch while later pages survive. Reopening keeps exactly the records before
 * the damage, reports the cut, truncates the file and carries on with the next sequence. Damage to
 * a record that was forced (a batch marker after it says so) is damage instead: refused, then
 * repaired on demand.
 */
class TornTailRecoveryTest {

  private static final WalOptions OPTS = WalOptions.DEFAULTS.withSegmentBytes(2048);
  private static final int RECORDS = 45;

  @TempDir
  Path tmp;

  private Path source;
  private Path lastName;
  private byte[] last;
  /** The frames of the last segment (records and their batch markers). */
  private List<Frame> frames;
  /** The data records of the last segment. */
  private List<Frame> records;
  private long lastFirstSeq;

  @BeforeEach
  void writeSourceLog() throws IOException {
    source = tmp.resolve("source");
    try (WriteAheadLog wal = WriteAheadLog.open(source, OPTS)) {
      for (long s = 1; s <= RECORDS; s++) {
        wal.appendAndWait(payloadFor(s));
      }
    }
    List<Path> files = segments(source);
    assertThat(files).hasSizeGreaterThan(2);
    lastName = files.getLast().getFileName();
    lastFirstSeq = Long.parseLong(lastName.toString().substring(4, 24));
    last = Files.readAllBytes(files.getLast());
    frames = WalFixtures.frames(last);
    records = WalFixtures.records(last);
    assertThat(frames.getLast().end()).isEqualTo(last.length);
    assertThat(records.size()).as("records in the last segment").isGreaterThanOrEqualTo(3);
    assertThat(records.getLast().seq()).isEqualTo(RECORDS);
    assertThat(frames.getLast().marker()).as("each commit ends with its batch marker").isTrue();
  }

  /** The frame that contains byte {@code at} of the last segment. */
  private Frame frameAt(long at) {
    return frames.stream().filter(f -> f.offset() <= at && at < f.end()).findFirst().orElseThrow();
  }

  /**
   * Opens a copy of the source whose last segment is {@code damaged}; checks the report, the
   * truncation, the kept records and that appends and replay continue cleanly.
   */
  private RecoveryReport reopen(String name, byte[] damaged, long expectedCut, long expectedDropped)
      throws IOException {
    Path d = tmp.resolve(name);
    copySegments(source, d);
    Files.write(d.resolve(lastName), damaged);
    long kept = lastFirstSeq - 1 + records.stream().filter(r -> r.end() <= expectedCut).count();
    RecoveryReport r;
    try (WriteAheadLog wal = WriteAheadLog.open(d, OPTS)) {
      r = wal.recoveryReport().orElseThrow(() -> new AssertionError(name + ": no recovery report"));
      assertThat(r.file().getFileName()).isEqualTo(lastName);
      assertThat(r.offset()).as(name + " cut").isEqualTo(expectedCut);
      assertThat(r.bytesDropped()).as(name + " dropped").isEqualTo(expectedDropped);
      assertThat(r.lastGoodSequence()).isEqualTo(kept);
      assertThat(Files.size(d.resolve(lastName))).as(name + " truncated").isEqualTo(expectedCut);
      assertThat(wal.lastSequence()).isEqualTo(kept);
      assertThat(wal.appendAndWait(payloadFor(kept + 1))).isEqualTo(kept + 1);
      assertThat(wal.appendAndWait(payloadFor(kept + 2))).isEqualTo(kept + 2);
    }
    try (WriteAheadLog wal = WriteAheadLog.open(d, OPTS)) {
      assertThat(wal.recoveryReport()).as(name + " clean after recovery").isEmpty();
      List<Rec> all = replayAll(wal, 1);
      assertThat(all).extracting(Rec::seq).containsExactlyElementsOf(LongStream.rangeClosed(1, kept + 2).boxed()
          .toList());
      for (Rec rec : all) {
        assertThat(rec.payload()).as(name + " payload of " + rec.seq()).isEqualTo(payloadFor(rec.seq()));
      }
    }
    return r;
  }

  @Test
  void cutAtEveryOffsetInsideTheLastRecordAndSomeInsideEarlierOnes() throws IOException {
    Frame lastRecord = records.getLast();
    TreeSet<Long> cuts = new TreeSet<>();
    for (long c = lastRecord.offset() + 1; c < last.length; c++) {
      cuts.add(c); // inside the last record and its marker
    }
    for (Frame f : frames) {
      cuts.add(f.offset() + 1);
      cuts.add(f.offset() + WriteAheadLog.HEADER - 1);
      cuts.add(f.offset() + WriteAheadLog.HEADER);
      cuts.add(f.end() - 1);
    }
    // A cut at a frame boundary is a clean end (aCutAtARecordBoundaryLooksLikeACleanEnd).
    cuts.removeIf(c -> c >= last.length || frames.stream().anyMatch(f -> f.offset() == c));
    int checked = 0;
    for (long c : cuts) {
      long good = frameAt(c).offset();
      RecoveryReport r = reopen("cut-" + c, Arrays.copyOf(last, (int) c), good, c - good);
      assertThat(r.problem()).as("cut at " + c)
          .isEqualTo(c - good < WriteAheadLog.HEADER ? Problem.PARTIAL_HEADER : Problem.TRUNCATED_RECORD);
      checked++;
    }
    assertThat(checked).isGreaterThan((int) (last.length - lastRecord.offset()) - 1);
  }

  @Test
  void aCutAtARecordBoundaryLooksLikeACleanEnd(@TempDir Path d) throws IOException {
    copySegments(source, d);
    Files.write(d.resolve(lastName), Arrays.copyOf(last, (int) records.getLast().offset()));
    try (WriteAheadLog wal = WriteAheadLog.open(d, OPTS)) {
      assertThat(wal.recoveryReport()).isEmpty();
      assertThat(wal.lastSequence()).isEqualTo(RECORDS - 1);
    }
  }

  /**
   * The last record without the marker that follows a forced commit: a power loss during its force
   * left any part of it. Every flipped byte is a torn tail.
   */
  @Test
  void flipEveryByteOfALastRecordThatWasNeverForced() throws IOException {
    Frame rec = records.getLast();
    byte[] unforced = Arrays.copyOf(last, (int) rec.end());
    for (long i = rec.offset(); i < rec.end(); i++) {
      byte[] damaged = unforced.clone();
      damaged[(int) i] ^= 0x5A;
      RecoveryReport r = reopen("flip-" + i, damaged, rec.offset(), unforced.length - rec.offset());
      long field = i - rec.offset();
      if (field == 0) {
        assertThat(r.problem()).isEqualTo(Problem.BAD_MAGIC);
      } else if (field < 5) {
        assertThat(r.problem()).isIn(Problem.BAD_LENGTH, Problem.TRUNCATED_RECORD, Problem.CHECKSUM_MISMATCH);
      } else {
        // Sequence, payload or the checksum itself: a write cut short between its blocks looks the same.
        assertThat(r.problem()).as("flip at " + i).isEqualTo(Problem.CHECKSUM_MISMATCH);
      }
    }
  }

  /**
   * The same flips with the batch marker after the record: it was forced, and so acknowledged, so
   * the flip is damage. A flip in the marker itself is a torn tail that loses no record.
   */
  @Test
  void aFlippedLastRecordThatItsMarkerVouchesForIsRefusedAndAFlippedMarkerIsCut() throws IOException {
    Frame rec = records.getLast();
    for (long i : List.of(rec.offset(), rec.offset() + 7, rec.offset() + 20, rec.end() - 1)) {
      Path d = tmp.resolve("vouched-" + i);
      copySegments(source, d);
      byte[] damaged = last.clone();
      damaged[(int) i] ^= 0x5A;
      Files.write(d.resolve(lastName), damaged);
      assertThatThrownBy(() -> WriteAheadLog.open(d, OPTS)).as("flip at " + i)
          .isInstanceOf(WalCorruptionException.class).hasMessageContaining("not a torn tail")
          .hasMessageContaining("a batch marker (sequence " + (RECORDS + 1) + ")")
          .hasMessageContaining("records up to " + RECORDS + " had been forced");
      assertThat(Files.readAllBytes(d.resolve(lastName))).isEqualTo(damaged);
    }
    Frame marker = frames.getLast();
    byte[] damaged = last.clone();
    damaged[(int) marker.offset() + 15] ^= 1;
    RecoveryReport r = reopen("marker", damaged, marker.offset(), marker.end() - marker.offset());
    assertThat(r.problem()).isEqualTo(Problem.CHECKSUM_MISMATCH);
    assertThat(r.lastGoodSequence()).isEqualTo(RECORDS);
  }

  /**
   * A flipped byte in a record that valid records follow is damage, not a torn tail: before the
   * fix, open cut the segment there and truncated the file, dropping every record after it. Now
   * open refuses, naming the file and the offset, and changes nothing; repair keeps a copy, drops
   * exactly the damaged record (a hole records its number) and keeps every other one.
   */
  @Test
  void aFlipInAnEarlierRecordIsRefusedAndRepairDropsOnlyThatRecord() throws IOException {
    TreeSet<Long> at = new TreeSet<>();
    for (Frame f : records.subList(0, records.size() - 1)) {
      at.add(f.offset());
      at.add(f.offset() + 2);
      at.add(f.offset() + 7);
      at.add(f.offset() + 20);
      at.add(f.end() - 1);
    }
    for (long i : at) {
      Path d = tmp.resolve("mid-" + i);
      copySegments(source, d);
      byte[] damaged = last.clone();
      damaged[(int) i] ^= 0x5A;
      Path file = d.resolve(lastName);
      Files.write(file, damaged);
      Frame rec = frameAt(i);
      long seq = rec.seq();
      assertThatThrownBy(() -> WriteAheadLog.open(d, OPTS)).as("flip at " + i)
          .isInstanceOfSatisfying(WalCorruptionException.class, e -> {
            assertThat(e.file()).isEqualTo(file.toAbsolutePath());
            assertThat(e.offset()).isEqualTo(rec.offset());
          })
          .hasMessageContaining(lastName.toString()).hasMessageContaining("byte offset " + rec.offset())
          .hasMessageContaining("not a torn tail");
      assertThat(Files.readAllBytes(file)).as("flip at %d: nothing changed", i).isEqualTo(damaged);

      WalRepair repair = WriteAheadLog.repair(d);
      assertThat(repair.dropped()).as("flip at " + i).singleElement().satisfies(x -> {
        assertThat(x.file().getFileName()).isEqualTo(lastName);
        assertThat(x.offset()).isEqualTo(rec.offset());
        assertThat(x.bytes()).isEqualTo(rec.end() - rec.offset());
        assertThat(x.firstSequence()).isEqualTo(seq);
        assertThat(x.lastSequence()).isEqualTo(seq);
      });
      assertThat(repair.copies()).singleElement().satisfies(c -> {
        assertThat(c.getFileName().toString()).startsWith(lastName + ".damaged-");
        assertThat(Files.readAllBytes(c)).isEqualTo(damaged);
      });
      try (WriteAheadLog wal = WriteAheadLog.open(d, OPTS)) {
        assertThat(wal.recoveryReport()).isEmpty();
        assertThat(wal.holes()).singleElement().satisfies(h -> {
          assertThat(h.first()).isEqualTo(seq);
          assertThat(h.last()).isEqualTo(seq);
          assertThat(h.reason()).contains(lastName.toString()).contains("bytes " + rec.offset() + "..");
        });
        List<Rec> all = replayAll(wal, 1);
        assertThat(all).extracting(Rec::seq).containsExactlyElementsOf(LongStream.rangeClosed(1, RECORDS)
            .filter(s -> s != seq).boxed().toList());
        for (Rec r : all) {
          assertThat(r.payload()).isEqualTo(payloadFor(r.seq()));
        }
        assertThat(wal.appendAndWait(payloadFor(RECORDS + 1))).isEqualTo(RECORDS + 1);
      }
      assertThat(WriteAheadLog.repair(d).isEmpty()).as("a repaired log needs no second repair").isTrue();
    }
  }

  @Test
  void aZeroFilledTailIsCut() throws IOException {
    byte[] zeros = Arrays.copyOf(last, last.length + 4096);
    RecoveryReport r = reopen("zeros", zeros, last.length, 4096);
    assertThat(r.problem()).isEqualTo(Problem.BAD_MAGIC);
    assertThat(r.detail()).contains("0x00");
  }

  @Test
  void anEmptyOrEntirelyTornLastSegmentContinuesAtItsFirstSequence() throws IOException {
    RecoveryReport r = reopen("torn-first", Arrays.copyOf(last, 5), 0, 5);
    assertThat(r.problem()).isEqualTo(Problem.PARTIAL_HEADER);
    Path d = tmp.resolve("empty");
    copySegments(source, d);
    try (FileChannel ch = FileChannel.open(d.resolve(lastName), StandardOpenOption.WRITE)) {
      ch.truncate(0);
    }
    try (WriteAheadLog wal = WriteAheadLog.open(d, OPTS)) {
      assertThat(wal.recoveryReport()).isEmpty();
      assertThat(wal.lastSequence()).isEqualTo(lastFirstSeq - 1);
      assertThat(wal.appendAndWait(payloadFor(lastFirstSeq))).isEqualTo(lastFirstSeq);
    }
  }

  /**
   * Records 1..25 acknowledged (each its own commit), then 26..31 written as one batch whose force
   * never completed (the power went during it): they are in the file with no batch marker after
   * them, as a machine that lost power mid-force could leave them.
   */
  private Path logWithAnUnforcedLastBatch() throws Exception {
    Path d = tmp.resolve("power-loss");
    CountDownLatch stalled = new CountDownLatch(1);
    CountDownLatch queued = new CountDownLatch(1);
    AtomicInteger mode = new AtomicInteger(); // 0: normal; 1: stall the next force; 2: lose power at the next one
    WalHook hook = segment -> {
      if (mode.get() == 1) {
        mode.set(2);
        stalled.countDown();
        try {
          queued.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      } else if (mode.get() == 2) {
        throw new IOException("simulated power loss during the force");
      }
    };
    try (WriteAheadLog wal = WriteAheadLog.open(d, WalOptions.DEFAULTS, hook)) {
      for (long s = 1; s <= 24; s++) {
        assertThat(wal.appendAndWait(payloadFor(s))).isEqualTo(s);
      }
      mode.set(1);
      CompletableFuture<Long> f25 = wal.append(payloadFor(25));
      assertThat(stalled.await(30, TimeUnit.SECONDS)).isTrue();
      List<CompletableFuture<Long>> batch = new ArrayList<>();
      for (long s = 26; s <= 31; s++) {
        batch.add(wal.append(payloadFor(s)));
      }
      queued.countDown();
      assertThat(f25.get(30, TimeUnit.SECONDS)).isEqualTo(25);
      for (CompletableFuture<Long> f : batch) {
        assertThatThrownBy(() -> f.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
      }
    }
    List<Frame> written = WalFixtures.frames(Files.readAllBytes(segments(d).getFirst()));
    assertThat(written.getLast().seq()).as("26..31 written after 25's marker, with no marker after them")
        .isEqualTo(31);
    assertThat(written.getLast().data()).isTrue();
    return d;
  }

  /**
   * A power loss during the force of the last batch kept a later page of it but not an earlier one
   * (zeros, then valid records). None of those records was acknowledged, so the start is automatic:
   * the batch is cut from the lost page on, and reported. Before the fix the log refused to start,
   * since valid records followed the bad bytes.
   */
  @Test
  void aPowerLossThatKeptALaterPageOfTheLastBatchButNotAnEarlierOneIsCut() throws Exception {
    Path d = logWithAnUnforcedLastBatch();
    Path seg = segments(d).getFirst();
    byte[] b = Files.readAllBytes(seg);
    Frame lost = WalFixtures.records(b).stream().filter(r -> r.seq() == 28).findFirst().orElseThrow();
    Arrays.fill(b, (int) lost.offset(), (int) lost.end(), (byte) 0);
    Files.write(seg, b);
    try (WriteAheadLog wal = WriteAheadLog.open(d)) {
      RecoveryReport r = wal.recoveryReport().orElseThrow();
      assertThat(r.offset()).isEqualTo(lost.offset());
      assertThat(r.bytesDropped()).isEqualTo(b.length - lost.offset());
      assertThat(r.lastGoodSequence()).isEqualTo(27);
      assertThat(r.problem()).isEqualTo(Problem.BAD_MAGIC);
      assertThat(wal.lastSequence()).isEqualTo(27);
      assertThat(wal.appendAndWait(payloadFor(28))).isEqualTo(28);
      List<Rec> all = replayAll(wal, 1);
      assertThat(all).extracting(Rec::seq).containsExactlyElementsOf(LongStream.rangeClosed(1, 28).boxed().toList());
    }
  }

  /**
   * The same log with damage to a record that was forced (25, then 24): a batch marker after it
   * says so, so it was acknowledged and the damage is refused, however little follows it.
   */
  @Test
  void damageToAForcedRecordIsRefusedThoughOnlyTheLastBatchFollowsIt() throws Exception {
    Path d = logWithAnUnforcedLastBatch();
    Path seg = segments(d).getFirst();
    byte[] original = Files.readAllBytes(seg);
    for (long victim : List.of(25L, 24L)) {
      byte[] b = original.clone();
      Frame f = WalFixtures.records(b).stream().filter(r -> r.seq() == victim).findFirst().orElseThrow();
      Arrays.fill(b, (int) f.offset(), (int) f.end(), (byte) 0);
      Files.write(seg, b);
      assertThatThrownBy(() -> WriteAheadLog.open(d)).as("record %d", victim)
          .isInstanceOf(WalCorruptionException.class).hasMessageContaining("byte offset " + f.offset())
          .hasMessageContaining("not a torn tail").hasMessageContaining("records up to " + victim + " had been forced");
      assertThat(Files.readAllBytes(seg)).isEqualTo(b);
    }
  }
}
