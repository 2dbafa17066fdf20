package dev.auramoe.server.wal;

import static dev.auramoe.server.wal.WalFixtures.payloadFor;
import static dev.auramoe.server.wal.WalFixtures.replayAll;
import static dev.auramoe.server.wal.WalFixtures.segments;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.server.wal.WalFixtures.Rec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Repair of damage that open refuses (several records, a non-last segment, a missing segment, a
 * damaged tail beside damage in the middle), holes written by skipTo and extendBackTo, leftover
 * temporary files and the permissions of the log's files.
 */
class WalRepairTest {

  private static final WalOptions SMALL = WalOptions.DEFAULTS.withSegmentBytes(1024);

  @TempDir
  Path dir;

  private void write(long records, WalOptions opts) throws IOException {
    try (WriteAheadLog wal = WriteAheadLog.open(dir, opts)) {
      for (long s = 1; s <= records; s++) {
        wal.appendAndWait(payloadFor(s));
      }
    }
  }

  /** The data record with number {@code seq} in a segment's bytes. */
  private static WalFixtures.Frame record(byte[] segment, long seq) {
    return WalFixtures.records(segment).stream().filter(r -> r.seq() == seq).findFirst().orElseThrow();
  }

  private static long firstSeq(Path segment) {
    return Long.parseLong(segment.getFileName().toString().substring(4, 24));
  }

  /** Replays everything and checks that exactly the numbers outside {@code lost} come back, intact. */
  private void assertKeptAllBut(long records, long lostFirst, long lostLast) throws IOException {
    try (WriteAheadLog wal = WriteAheadLog.open(dir, SMALL)) {
      List<Rec> all = replayAll(wal, 1);
      assertThat(all).extracting(Rec::seq).containsExactlyElementsOf(LongStream.rangeClosed(1, records)
          .filter(s -> s < lostFirst || s > lostLast).boxed().toList());
      for (Rec r : all) {
        assertThat(r.payload()).isEqualTo(payloadFor(r.seq()));
      }
      assertThat(wal.lastSequence()).isEqualTo(records);
      assertThat(wal.appendAndWait(payloadFor(records + 1))).as("no number is reused").isEqualTo(records + 1);
    }
  }

  @Test
  void zeroedBytesAcrossThreeRecordsDropExactlyThoseThree() throws IOException {
    write(30, WalOptions.DEFAULTS);
    Path seg = segments(dir).getFirst();
    byte[] b = Files.readAllBytes(seg);
    WalFixtures.Frame r10 = record(b, 10);
    WalFixtures.Frame r12 = record(b, 12);
    // From inside record 10 to inside record 12 (records 10, 11, 12 are unreadable).
    Arrays.fill(b, (int) r10.offset() + 3, (int) r12.offset() + 5, (byte) 0);
    Files.write(seg, b);
    assertThatThrownBy(() -> WriteAheadLog.open(dir)).isInstanceOf(WalCorruptionException.class)
        .hasMessageContaining("byte offset " + r10.offset()).hasMessageContaining("sequence 13");
    WalRepair r = WriteAheadLog.repair(dir);
    assertThat(r.dropped()).singleElement().satisfies(d -> {
      assertThat(d.offset()).isEqualTo(r10.offset());
      assertThat(d.bytes()).as("up to record 12's batch marker").isEqualTo(r12.end() - r10.offset());
      assertThat(d.firstSequence()).isEqualTo(10);
      assertThat(d.lastSequence()).isEqualTo(12);
      assertThat(d.problem()).isEqualTo(RecoveryReport.Problem.CHECKSUM_MISMATCH);
    });
    assertThat(r.lostRecords()).isEqualTo(3);
    assertKeptAllBut(30, 10, 12);
  }

  @Test
  void aCorruptLengthFieldInTheMiddleIsDamageNotATornTail() throws IOException {
    write(30, WalOptions.DEFAULTS);
    Path seg = segments(dir).getFirst();
    byte[] b = Files.readAllBytes(seg);
    long at = record(b, 5).offset();
    // Record 5 now claims to run past the end of the file, as a truncated record would.
    ByteBuffer.wrap(b).putInt((int) at + 1, 1 << 20);
    Files.write(seg, b);
    assertThatThrownBy(() -> WriteAheadLog.open(dir)).isInstanceOf(WalCorruptionException.class)
        .hasMessageContaining("TRUNCATED_RECORD").hasMessageContaining("byte offset " + at);
    assertThat(Files.readAllBytes(seg)).as("nothing truncated").isEqualTo(b);
    WalRepair r = WriteAheadLog.repair(dir);
    assertThat(r.dropped()).singleElement().satisfies(d -> assertThat(d.firstSequence()).isEqualTo(5));
    assertKeptAllBut(30, 5, 5);
  }

  @Test
  void damageInANonLastSegmentAndItsDamagedTailAreRepaired() throws IOException {
    write(60, SMALL);
    List<Path> files = segments(dir);
    assertThat(files).hasSizeGreaterThan(3);
    Path victim = files.get(1);
    long first = firstSeq(victim);
    long next = firstSeq(files.get(2));
    byte[] b = Files.readAllBytes(victim);
    List<WalFixtures.Frame> recs = WalFixtures.records(b);
    assertThat(recs.size()).isGreaterThan(3);
    // The second record flipped, and the segment's last record cut short (its marker and seal gone).
    b[(int) recs.get(1).offset() + 20] ^= 0x40;
    byte[] cut = Arrays.copyOf(b, (int) recs.getLast().end() - 3);
    Files.write(victim, cut);
    assertThatThrownBy(() -> WriteAheadLog.open(dir, SMALL)).isInstanceOf(WalCorruptionException.class)
        .hasMessageContaining("not the last segment");
    WalRepair r = WriteAheadLog.repair(dir);
    assertThat(r.dropped()).hasSize(2);
    assertThat(r.dropped().get(0).firstSequence()).isEqualTo(first + 1);
    assertThat(r.dropped().get(0).lastSequence()).isEqualTo(first + 1);
    assertThat(r.dropped().get(1).offset()).isEqualTo(recs.getLast().offset());
    assertThat(r.dropped().get(1).firstSequence()).isEqualTo(next - 1);
    assertThat(r.dropped().get(1).lastSequence()).isEqualTo(next - 1);
    assertThat(Files.readAllBytes(r.copies().getFirst())).isEqualTo(cut);
    try (WriteAheadLog wal = WriteAheadLog.open(dir, SMALL)) {
      assertThat(wal.holes()).extracting(WriteAheadLog.Hole::first).containsExactly(first + 1, next - 1);
      List<Rec> all = replayAll(wal, 1);
      assertThat(all).hasSize(58);
      assertThat(all).extracting(Rec::seq).doesNotContain(first + 1, next - 1);
    }
  }

  @Test
  void aMissingSegmentBecomesAHoleSegment() throws IOException {
    write(60, SMALL);
    List<Path> files = segments(dir);
    Path gone = files.get(2);
    long first = firstSeq(gone);
    long next = firstSeq(files.get(3));
    Files.delete(gone);
    assertThatThrownBy(() -> WriteAheadLog.open(dir, SMALL)).isInstanceOf(WalCorruptionException.class)
        .hasMessageContaining("missing").hasMessageContaining(first + ".." + (next - 1));
    WalRepair r = WriteAheadLog.repair(dir);
    assertThat(r.copies()).isEmpty();
    assertThat(r.dropped()).singleElement().satisfies(d -> {
      assertThat(d.file()).isEqualTo(gone.toAbsolutePath());
      assertThat(d.problem()).isEqualTo(RecoveryReport.Problem.MISSING_SEGMENT);
      assertThat(d.firstSequence()).isEqualTo(first);
      assertThat(d.lastSequence()).isEqualTo(next - 1);
    });
    assertThat(gone).exists();
    assertKeptAllBut(60, first, next - 1);
  }

  @Test
  void anEmptiedSegmentBetweenTwoOthersBecomesAHoleSegment() throws IOException {
    write(60, SMALL);
    List<Path> files = segments(dir);
    Path emptied = files.get(1);
    long first = firstSeq(emptied);
    long next = firstSeq(files.get(2));
    Files.write(emptied, new byte[0]);
    assertThatThrownBy(() -> WriteAheadLog.open(dir, SMALL)).isInstanceOf(WalCorruptionException.class)
        .hasMessageContaining("missing");
    WalRepair r = WriteAheadLog.repair(dir);
    assertThat(r.dropped()).singleElement().satisfies(d -> {
      assertThat(d.firstSequence()).isEqualTo(first);
      assertThat(d.lastSequence()).isEqualTo(next - 1);
    });
    assertKeptAllBut(60, first, next - 1);
  }

  @Test
  void aRepairOfDamageInTheMiddleAlsoCutsTheTornTailAndSaysSo() throws IOException {
    write(30, WalOptions.DEFAULTS);
    Path seg = segments(dir).getFirst();
    byte[] b = Files.readAllBytes(seg);
    b[(int) record(b, 4).offset() + 15] ^= 1;
    byte[] torn = Arrays.copyOf(b, b.length + 7); // seven zero bytes after the last record
    Files.write(seg, torn);
    WalRepair r = WriteAheadLog.repair(dir);
    assertThat(r.dropped()).hasSize(2);
    assertThat(r.dropped().get(1).offset()).isEqualTo(b.length);
    assertThat(r.dropped().get(1).bytes()).isEqualTo(7);
    assertThat(r.dropped().get(1).lostRecords()).isZero();
    assertThat(r.dropped().get(1).detail()).contains("torn tail");
    assertKeptAllBut(30, 4, 4);
  }

  @Test
  void aCleanLogOrOneWithOnlyATornTailIsNotTouchedByRepair() throws IOException {
    write(10, WalOptions.DEFAULTS);
    Path seg = segments(dir).getFirst();
    byte[] b = Files.readAllBytes(seg);
    assertThat(WriteAheadLog.repair(dir).isEmpty()).isTrue();
    long cut = record(b, 10).end() - 2;
    Files.write(seg, Arrays.copyOf(b, (int) cut));
    assertThat(WriteAheadLog.repair(dir).isEmpty()).isTrue();
    assertThat(Files.size(seg)).isEqualTo(cut);
    try (WriteAheadLog wal = WriteAheadLog.open(dir)) {
      assertThat(wal.recoveryReport()).isPresent();
      assertThat(wal.lastSequence()).isEqualTo(9);
      assertThatThrownBy(() -> WriteAheadLog.repair(dir)).isInstanceOf(IOException.class)
          .hasMessageContaining("already open");
    }
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains("damaged"));
    }
  }

  @Test
  void skipToWritesAHoleSoThatNoNumberIsUsedTwice() throws IOException {
    write(5, WalOptions.DEFAULTS);
    try (WriteAheadLog wal = WriteAheadLog.open(dir)) {
      assertThat(wal.skipTo(3, "covered")).isEmpty();
      assertThat(wal.skipTo(6, "covered")).isEmpty();
      WriteAheadLog.Hole h = wal.skipTo(101, "a snapshot covers up to 100").orElseThrow();
      assertThat(h).isEqualTo(new WriteAheadLog.Hole(6, 100, "a snapshot covers up to 100"));
      assertThat(wal.lastSequence()).isEqualTo(100);
      assertThat(wal.appendAndWait(payloadFor(101))).isEqualTo(101);
    }
    try (WriteAheadLog wal = WriteAheadLog.open(dir)) {
      assertThat(wal.holes()).containsExactly(new WriteAheadLog.Hole(6, 100, "a snapshot covers up to 100"));
      assertThat(replayAll(wal, 1)).extracting(Rec::seq).containsExactly(1L, 2L, 3L, 4L, 5L, 101L);
      assertThat(replayAll(wal, 50)).extracting(Rec::seq).containsExactly(101L);
      assertThat(wal.appendAndWait(payloadFor(102))).isEqualTo(102);
    }
  }

  /**
   * Damage to a hole wider than 2^32 numbers (a skipTo above a snapshot of a long-running log):
   * the records after it carry numbers far beyond any distance bound. The batch markers after the
   * hole still vouch for it, so the damage is refused, and the repair resumes at the next marker.
   * A search bounded by a span of 2^32 numbers took such damage for a torn tail and cut every
   * acknowledged record after it.
   */
  @Test
  void damageToAHoleWiderThan2To32IsRefusedAndRepaired() throws IOException {
    write(5, WalOptions.DEFAULTS);
    long resume = 5L << 32;
    try (WriteAheadLog wal = WriteAheadLog.open(dir)) {
      assertThat(wal.skipTo(resume, "a snapshot covers up to " + (resume - 1))).isPresent();
      for (long s = resume; s < resume + 3; s++) {
        assertThat(wal.appendAndWait(payloadFor(s))).isEqualTo(s);
      }
    }
    Path seg = segments(dir).getFirst();
    byte[] b = Files.readAllBytes(seg);
    WalFixtures.Frame hole = WalFixtures.frames(b).stream().filter(f -> f.type() == WriteAheadLog.HOLE).findFirst()
        .orElseThrow();
    b[(int) hole.offset() + WriteAheadLog.HEADER + 12] ^= 0x20; // a letter of its reason
    Files.write(seg, b);
    assertThatThrownBy(() -> WriteAheadLog.open(dir)).isInstanceOf(WalCorruptionException.class)
        .hasMessageContaining("byte offset " + hole.offset()).hasMessageContaining("not a torn tail");
    WalRepair r = WriteAheadLog.repair(dir);
    assertThat(r.dropped()).singleElement().satisfies(d -> {
      assertThat(d.offset()).isEqualTo(hole.offset());
      assertThat(d.firstSequence()).isEqualTo(6);
      assertThat(d.lastSequence()).isEqualTo(resume - 1);
    });
    try (WriteAheadLog wal = WriteAheadLog.open(dir)) {
      assertThat(replayAll(wal, 1)).extracting(Rec::seq).containsExactly(1L, 2L, 3L, 4L, 5L, resume, resume + 1,
          resume + 2);
      assertThat(wal.appendAndWait(payloadFor(1))).isEqualTo(resume + 3);
    }
  }

  @Test
  void extendBackToPutsAHoleSegmentInFront() throws IOException {
    write(60, SMALL);
    List<Path> files = segments(dir);
    long first = firstSeq(files.get(2));
    try (WriteAheadLog wal = WriteAheadLog.open(dir, SMALL)) {
      assertThat(wal.trimBefore(first)).isEqualTo(2);
      assertThat(wal.firstSequence()).isEqualTo(first);
      assertThat(wal.extendBackTo(first, "nothing")).isEmpty();
      assertThat(wal.extendBackTo(4, "a snapshot covers up to 3")).contains(
          new WriteAheadLog.Hole(4, first - 1, "a snapshot covers up to 3"));
      assertThat(wal.firstSequence()).isEqualTo(4);
      assertThat(replayAll(wal, 4)).extracting(Rec::seq).containsExactlyElementsOf(LongStream.rangeClosed(first, 60)
          .boxed().toList());
    }
    try (WriteAheadLog wal = WriteAheadLog.open(dir, SMALL)) {
      assertThat(wal.firstSequence()).isEqualTo(4);
      assertThat(wal.holes()).singleElement().satisfies(h -> assertThat(h.last()).isEqualTo(first - 1));
      assertThat(wal.trimBefore(first)).isEqualTo(1);
      assertThat(wal.firstSequence()).isEqualTo(first);
    }
  }

  @Test
  void leftoverTemporaryFilesAreRemovedAndFilesArePrivate() throws IOException {
    write(5, WalOptions.DEFAULTS);
    Path tmp = dir.resolve("wal-00000000000000000006.log.tmp");
    Path repairTmp = dir.resolve("wal-00000000000000000001.log.repair.tmp");
    Path headerTmp = dir.resolve("wal.header.4242.tmp");
    Files.write(tmp, new byte[] {1, 2, 3});
    Files.write(repairTmp, new byte[] {1, 2, 3});
    Files.write(headerTmp, new byte[] {1, 2, 3});
    Path other = dir.resolve("notes.tmp");
    Files.write(other, new byte[] {1});
    boolean posix = dir.getFileSystem().supportedFileAttributeViews().contains("posix");
    if (posix) {
      // As an older version left them.
      Files.setPosixFilePermissions(segments(dir).getFirst(), PosixFilePermissions.fromString("rw-r--r--"));
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    Path fresh = dir.resolve("fresh");
    try (WriteAheadLog wal = WriteAheadLog.open(dir, WalOptions.DEFAULTS.withSegmentBytes(64));
        WriteAheadLog other2 = WriteAheadLog.open(fresh)) {
      wal.appendAndWait(payloadFor(6)); // rolls to a new segment
      other2.appendAndWait(payloadFor(1));
    }
    assertThat(tmp).doesNotExist();
    assertThat(repairTmp).doesNotExist();
    assertThat(headerTmp).doesNotExist();
    assertThat(dir.resolve(LogHeader.FILE)).exists();
    assertThat(other).as("not the log's").exists();
    if (posix) {
      for (Path d : List.of(dir, fresh)) {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(d))).isEqualTo("rwx------");
        try (var files = Files.list(d)) {
          for (Path f : files.filter(Files::isRegularFile).filter(p -> !p.equals(other)).toList()) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).as(f.toString())
                .isEqualTo("rw-------");
          }
        }
      }
    }
  }
}
