package dev.auramoe.server.wal;

import static dev.auramoe.server.wal.WalFixtures.copySegments;
import static dev.auramoe.server.wal.WalFixtures.payloadFor;
import static dev.auramoe.server.wal.WalFixtures.replayAll;
import static dev.auramoe.server.wal.WalFixtures.segments;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.server.wal.RecoveryReport.Problem;
import dev.auramoe.server.wal.WalFixtures.Rec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.LongStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A torn tail of the last segment: cut at every byte offset inside the last record (and some
 * inside earlier ones), or flip every byte of it. Reopening keeps exactly the records before the
 * damage, reports the cut, truncates the file and carries on with the next sequence. A flip in an
 * earlier record, with valid records after it, is damage instead: refused, then repaired on demand.
 */
class TornTailRecoveryTest {

  private static final WalOptions OPTS = WalOptions.DEFAULTS.withSegmentBytes(2048);
  private static final int RECORDS = 40;

  @TempDir
  Path tmp;

  private Path source;
  private Path lastName;
  private byte[] last;
  /** Record boundaries of the last segment: 0, end of record 1, ..., file length. */
  private long[] bounds;
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
    List<Long> b = new ArrayList<>(List.of(0L));
    for (long at = 0; at < last.length; ) {
      at += WriteAheadLog.OVERHEAD + ByteBuffer.wrap(last, (int) at + 1, 4).getInt();
      b.add(at);
    }
    assertThat(b.getLast()).isEqualTo(last.length);
    bounds = b.stream().mapToLong(Long::longValue).toArray();
    assertThat(bounds.length - 1).as("records in the last segment").isGreaterThanOrEqualTo(3);
    assertThat(lastFirstSeq + bounds.length - 2).isEqualTo(RECORDS);
  }

  /** Index of the record that contains byte {@code at} of the last segment. */
  private int recordAt(long at) {
    int j = 0;
    while (bounds[j + 1] <= at) {
      j++;
    }
    return j;
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
    long kept = lastFirstSeq - 1;
    for (int j = 1; j < bounds.length && bounds[j] <= expectedCut; j++) {
      kept++;
    }
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
    int n = bounds.length - 1;
    TreeSet<Long> cuts = new TreeSet<>();
    for (long c = bounds[n - 1] + 1; c < bounds[n]; c++) {
      cuts.add(c);
    }
    for (int j = 0; j < n - 1; j++) {
      cuts.add(bounds[j] + 1);
      cuts.add(bounds[j] + WriteAheadLog.HEADER - 1);
      cuts.add(bounds[j] + WriteAheadLog.HEADER);
      cuts.add(bounds[j + 1] - 1);
    }
    int checked = 0;
    for (long c : cuts) {
      long good = bounds[recordAt(c)];
      RecoveryReport r = reopen("cut-" + c, java.util.Arrays.copyOf(last, (int) c), good, c - good);
      assertThat(r.problem()).as("cut at " + c)
          .isEqualTo(c - good < WriteAheadLog.HEADER ? Problem.PARTIAL_HEADER : Problem.TRUNCATED_RECORD);
      checked++;
    }
    assertThat(checked).isGreaterThan((int) (bounds[n] - bounds[n - 1]) - 1);
  }

  @Test
  void aCutAtARecordBoundaryLooksLikeACleanEnd(@TempDir Path d) throws IOException {
    copySegments(source, d);
    Files.write(d.resolve(lastName), java.util.Arrays.copyOf(last, (int) bounds[bounds.length - 2]));
    try (WriteAheadLog wal = WriteAheadLog.open(d, OPTS)) {
      assertThat(wal.recoveryReport()).isEmpty();
      assertThat(wal.lastSequence()).isEqualTo(RECORDS - 1);
    }
  }

  @Test
  void flipEveryByteOfTheLastRecord() throws IOException {
    int n = bounds.length - 1;
    long start = bounds[n - 1];
    for (long i = start; i < bounds[n]; i++) {
      byte[] damaged = last.clone();
      damaged[(int) i] ^= 0x5A;
      RecoveryReport r = reopen("flip-" + i, damaged, start, last.length - start);
      long field = i - start;
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
   * A flipped byte in a record that valid records follow is damage, not a torn tail: before the
   * fix, open cut the segment there and truncated the file, dropping every record after it. Now
   * open refuses, naming the file and the offset, and changes nothing; repair keeps a copy, drops
   * exactly the damaged record (a hole records its number) and keeps every other one.
   */
  @Test
  void aFlipInAnEarlierRecordIsRefusedAndRepairDropsOnlyThatRecord() throws IOException {
    int n = bounds.length - 1;
    TreeSet<Long> at = new TreeSet<>();
    for (int j = 0; j < n - 1; j++) {
      at.add(bounds[j]);
      at.add(bounds[j] + 2);
      at.add(bounds[j] + 7);
      at.add(bounds[j] + 20);
      at.add(bounds[j + 1] - 1);
    }
    for (long i : at) {
      Path d = tmp.resolve("mid-" + i);
      copySegments(source, d);
      byte[] damaged = last.clone();
      damaged[(int) i] ^= 0x5A;
      Path file = d.resolve(lastName);
      Files.write(file, damaged);
      int j = recordAt(i);
      long seq = lastFirstSeq + j;
      assertThatThrownBy(() -> WriteAheadLog.open(d, OPTS)).as("flip at " + i)
          .isInstanceOfSatisfying(WalCorruptionException.class, e -> {
            assertThat(e.file()).isEqualTo(file.toAbsolutePath());
            assertThat(e.offset()).isEqualTo(bounds[j]);
          })
          .hasMessageContaining(lastName.toString()).hasMessageContaining("byte offset " + bounds[j])
          .hasMessageContaining("not a torn tail");
      assertThat(Files.readAllBytes(file)).as("flip at %d: nothing changed", i).isEqualTo(damaged);

      WalRepair repair = WriteAheadLog.repair(d);
      assertThat(repair.dropped()).as("flip at " + i).singleElement().satisfies(x -> {
        assertThat(x.file().getFileName()).isEqualTo(lastName);
        assertThat(x.offset()).isEqualTo(bounds[j]);
        assertThat(x.bytes()).isEqualTo(bounds[j + 1] - bounds[j]);
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
          assertThat(h.reason()).contains(lastName.toString()).contains("bytes " + bounds[j] + "..");
        });
        List<Rec> all = replayAll(wal, 1);
        assertThat(all).extracting(Rec::seq).containsExactlyElementsOf(LongStream.rangeClosed(1, RECORDS)
            .filter(s -> s != seq).boxed().toList());
        for (Rec rec : all) {
          assertThat(rec.payload()).isEqualTo(payloadFor(rec.seq()));
        }
        assertThat(wal.appendAndWait(payloadFor(RECORDS + 1))).isEqualTo(RECORDS + 1);
      }
      assertThat(WriteAheadLog.repair(d).isEmpty()).as("a repaired log needs no second repair").isTrue();
    }
  }

  @Test
  void aZeroFilledTailIsCut() throws IOException {
    byte[] zeros = java.util.Arrays.copyOf(last, last.length + 4096);
    RecoveryReport r = reopen("zeros", zeros, last.length, 4096);
    assertThat(r.problem()).isEqualTo(Problem.BAD_MAGIC);
    assertThat(r.detail()).contains("0x00");
  }

  @Test
  void anEmptyOrEntirelyTornLastSegmentContinuesAtItsFirstSequence() throws IOException {
    RecoveryReport r = reopen("torn-first", java.util.Arrays.copyOf(last, 5), 0, 5);
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
}
