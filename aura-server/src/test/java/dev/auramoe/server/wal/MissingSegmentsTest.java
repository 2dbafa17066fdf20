package dev.auramoe.server.wal;

import static dev.auramoe.server.wal.WalFixtures.payloadFor;
import static dev.auramoe.server.wal.WalFixtures.replayAll;
import static dev.auramoe.server.wal.WalFixtures.segments;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.server.wal.RecoveryReport.Problem;
import dev.auramoe.server.wal.WalFixtures.Rec;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Segments deleted at either end of the log, which sequence continuity alone cannot see: the last
 * one (the seal of the one before it names it), the first ones (the header states the first number
 * the log holds), all of them; a segment that lost its seal; the header itself; and the debris of a
 * crash during a roll, which is not damage. Before the fixes a deleted first or last segment was
 * accepted without a word: the records in it were gone and, for the last one, their numbers were
 * handed out again.
 */
class MissingSegmentsTest {

  private static final WalOptions SMALL = WalOptions.DEFAULTS.withSegmentBytes(1024);
  private static final int RECORDS = 60;

  @TempDir
  Path dir;

  private List<Path> write() throws IOException {
    try (WriteAheadLog wal = WriteAheadLog.open(dir, SMALL)) {
      for (long s = 1; s <= RECORDS; s++) {
        wal.appendAndWait(payloadFor(s));
      }
    }
    List<Path> files = segments(dir);
    assertThat(files).hasSizeGreaterThan(4);
    return files;
  }

  private static long firstSeq(Path segment) {
    return Long.parseLong(segment.getFileName().toString().substring(4, 24));
  }

  @Test
  void aDeletedLastSegmentIsRefusedAndRepairResumesNumberingAboveAnythingItCanHaveUsed() throws IOException {
    List<Path> files = write();
    Path gone = files.getLast();
    long first = firstSeq(gone);
    Files.delete(gone);
    assertThatThrownBy(() -> WriteAheadLog.open(dir, SMALL)).isInstanceOfSatisfying(WalCorruptionException.class,
        e -> assertThat(e.file()).isEqualTo(files.get(files.size() - 2).toAbsolutePath()))
        .hasMessageContaining("is sealed").hasMessageContaining(gone.getFileName().toString())
        .hasMessageContaining("MISSING_SEGMENT");
    WalRepair r = WriteAheadLog.repair(dir);
    long lastLost = first + WriteAheadLog.UNKNOWN_SPAN - 1;
    assertThat(r.dropped()).singleElement().satisfies(d -> {
      assertThat(d.file()).isEqualTo(gone.toAbsolutePath());
      assertThat(d.problem()).isEqualTo(Problem.MISSING_SEGMENT);
      assertThat(d.firstSequence()).isEqualTo(first);
      assertThat(d.lastSequence()).isEqualTo(lastLost);
      assertThat(d.detail()).contains("unknown");
    });
    try (WriteAheadLog wal = WriteAheadLog.open(dir, SMALL)) {
      assertThat(wal.lastSequence()).isEqualTo(lastLost);
      assertThat(wal.holes()).singleElement().satisfies(h -> assertThat(h.first()).isEqualTo(first));
      assertThat(wal.appendAndWait(payloadFor(1))).as("no number the lost segment can have used").isEqualTo(
          lastLost + 1);
      assertThat(replayAll(wal, 1)).extracting(Rec::seq).containsExactlyElementsOf(LongStream.concat(
          LongStream.range(1, first), LongStream.of(lastLost + 1)).boxed().toList());
    }
  }

  @Test
  void aDeletedFirstSegmentIsRefusedAndRepairRecordsTheGap() throws IOException {
    List<Path> files = write();
    long second = firstSeq(files.get(1));
    Files.delete(files.getFirst());
    assertThatThrownBy(() -> WriteAheadLog.open(dir, SMALL)).isInstanceOf(WalCorruptionException.class)
        .hasMessageContaining("starts at sequence " + second)
        .hasMessageContaining("holds every record from sequence 1").hasMessageContaining("1.." + (second - 1));
    WalRepair r = WriteAheadLog.repair(dir);
    assertThat(r.dropped()).singleElement().satisfies(d -> {
      assertThat(d.problem()).isEqualTo(Problem.MISSING_SEGMENT);
      assertThat(d.firstSequence()).isEqualTo(1);
      assertThat(d.lastSequence()).isEqualTo(second - 1);
    });
    try (WriteAheadLog wal = WriteAheadLog.open(dir, SMALL)) {
      assertThat(wal.firstSequence()).isEqualTo(1);
      assertThat(replayAll(wal, 1)).extracting(Rec::seq).containsExactlyElementsOf(LongStream.rangeClosed(second,
          RECORDS).boxed().toList());
      assertThat(wal.appendAndWait(payloadFor(RECORDS + 1))).isEqualTo(RECORDS + 1);
    }
  }

  /** Trimming moves the header's first number before it deletes: trimmed segments are not missing ones. */
  @Test
  void segmentsDeletedAfterATrimAreStillCaught() throws IOException {
    List<Path> files = write();
    long third = firstSeq(files.get(2));
    long fourth = firstSeq(files.get(3));
    try (WriteAheadLog wal = WriteAheadLog.open(dir, SMALL)) {
      assertThat(wal.trimBefore(third)).isEqualTo(2);
    }
    try (WriteAheadLog wal = WriteAheadLog.open(dir, SMALL)) {
      assertThat(wal.firstSequence()).isEqualTo(third);
    }
    Files.delete(files.get(2));
    assertThatThrownBy(() -> WriteAheadLog.open(dir, SMALL)).isInstanceOf(WalCorruptionException.class)
        .hasMessageContaining("holds every record from sequence " + third)
        .hasMessageContaining(third + ".." + (fourth - 1));
  }

  @Test
  void everySegmentDeletedIsRefusedAndRepairResumesAboveThem() throws IOException {
    List<Path> files = write();
    long active = firstSeq(files.getLast());
    try (WriteAheadLog wal = WriteAheadLog.open(dir, SMALL)) {
      wal.trimBefore(Long.MAX_VALUE);
    }
    // The only segment left after a trim: no seal names it, but the header does.
    Files.delete(files.getLast());
    assertThatThrownBy(() -> WriteAheadLog.open(dir, SMALL)).isInstanceOf(WalCorruptionException.class)
        .hasMessageContaining("has no segment").hasMessageContaining("from sequence " + active);
    WalRepair r = WriteAheadLog.repair(dir);
    assertThat(r.dropped()).singleElement().satisfies(d -> {
      assertThat(d.firstSequence()).isEqualTo(active);
      assertThat(d.lastSequence()).isEqualTo(active + WriteAheadLog.UNKNOWN_SPAN - 1);
    });
    try (WriteAheadLog wal = WriteAheadLog.open(dir, SMALL)) {
      assertThat(wal.appendAndWait(payloadFor(1))).isEqualTo(active + WriteAheadLog.UNKNOWN_SPAN);
    }
  }

  @Test
  void aSegmentWithoutItsSealIsRefusedAndRepairSealsIt() throws IOException {
    List<Path> files = write();
    Path victim = files.get(1);
    byte[] b = Files.readAllBytes(victim);
    List<WalFixtures.Frame> frames = WalFixtures.frames(b);
    assertThat(frames.getLast().seal()).isTrue();
    assertThat(frames.getLast().seq()).isEqualTo(firstSeq(files.get(2)));
    Files.write(victim, java.util.Arrays.copyOf(b, (int) frames.getLast().offset()));
    assertThatThrownBy(() -> WriteAheadLog.open(dir, SMALL)).isInstanceOf(WalCorruptionException.class)
        .hasMessageContaining(victim.getFileName().toString()).hasMessageContaining("UNSEALED");
    WalRepair r = WriteAheadLog.repair(dir);
    assertThat(r.dropped()).singleElement().satisfies(d -> {
      assertThat(d.problem()).isEqualTo(Problem.UNSEALED);
      assertThat(d.lostRecords()).isZero();
    });
    assertThat(Files.readAllBytes(victim)).as("sealed again").isEqualTo(b);
    try (WriteAheadLog wal = WriteAheadLog.open(dir, SMALL)) {
      assertThat(replayAll(wal, 1)).hasSize(RECORDS);
    }
  }

  /**
   * A crash during a roll, after the new segment was created and before the old one's seal was
   * forced: an empty last segment after one whose seal is missing or torn. Not damage: the empty
   * segment is removed and the log goes on from the one before it.
   */
  @Test
  void aRollInterruptedBeforeItsSealWasForcedIsNotDamage() throws IOException {
    List<Path> files = write();
    Path prev = files.get(files.size() - 2);
    Path last = files.getLast();
    long lastFirst = firstSeq(last);
    byte[] b = Files.readAllBytes(prev);
    long sealAt = WalFixtures.frames(b).getLast().offset();
    for (int kept : new int[] {0, 5, WriteAheadLog.OVERHEAD - 1}) {
      Files.write(prev, java.util.Arrays.copyOf(b, (int) sealAt + kept));
      try (FileChannel ch = FileChannel.open(last, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
        ch.truncate(0);
      }
      try (WriteAheadLog wal = WriteAheadLog.open(dir, SMALL)) {
        assertThat(last).as("%d bytes of the seal: the empty segment is gone", kept).doesNotExist();
        assertThat(wal.lastSequence()).isEqualTo(lastFirst - 1);
        if (kept == 0) {
          assertThat(wal.recoveryReport()).isEmpty();
        } else {
          assertThat(wal.recoveryReport()).hasValueSatisfying(r -> {
            assertThat(r.file()).isEqualTo(prev.toAbsolutePath());
            assertThat(r.offset()).isEqualTo(sealAt);
            assertThat(r.bytesDropped()).isEqualTo(kept);
          });
        }
      }
    }
    // The log goes on: it rolls again and a later start finds everything in place.
    try (WriteAheadLog wal = WriteAheadLog.open(dir, SMALL)) {
      for (long s = lastFirst; s < lastFirst + 20; s++) {
        assertThat(wal.appendAndWait(payloadFor(s))).isEqualTo(s);
      }
    }
    try (WriteAheadLog wal = WriteAheadLog.open(dir, SMALL)) {
      assertThat(wal.recoveryReport()).isEmpty();
      assertThat(replayAll(wal, 1)).hasSize((int) lastFirst + 19);
    }
  }

  @Test
  void aMissingOrDamagedHeaderIsRefusedAndNotRepaired() throws IOException {
    write();
    Path header = dir.resolve(LogHeader.FILE);
    byte[] original = Files.readAllBytes(header);
    Files.delete(header);
    assertThatThrownBy(() -> WriteAheadLog.open(dir, SMALL)).isInstanceOf(WalCorruptionException.class)
        .hasMessageContaining("no header file wal.header").hasMessageContaining("format 2");
    assertThatThrownBy(() -> WriteAheadLog.repair(dir)).isInstanceOf(WalCorruptionException.class)
        .hasMessageContaining("restore wal.header");
    byte[] damaged = original.clone();
    damaged[14] ^= 1;
    Files.write(header, damaged);
    assertThatThrownBy(() -> WriteAheadLog.open(dir, SMALL)).isInstanceOf(WalCorruptionException.class)
        .hasMessageContaining(header.toString()).hasMessageContaining("checksum does not match");
    Files.write(header, original);
    try (WriteAheadLog wal = WriteAheadLog.open(dir, SMALL)) {
      assertThat(wal.lastSequence()).isEqualTo(RECORDS);
    }
  }

  /**
   * A trim whose header write fails deletes nothing, and the next trim still writes the header
   * before it deletes: the header in memory followed the disk only once written, so the log opens.
   * It used to take the new start in memory first, the next trim skipped the write, and the start
   * after it was refused as missing segments.
   */
  @Test
  void aTrimWhoseHeaderWriteFailedStillWritesItTheNextTime() throws IOException {
    List<Path> files = write();
    long keepFrom = firstSeq(files.get(3));
    try (WriteAheadLog wal = WriteAheadLog.open(dir, SMALL)) {
      Path header = dir.resolve("wal.header");
      byte[] saved = Files.readAllBytes(header);
      // A directory where the header goes: its atomic replacement fails.
      Files.delete(header);
      Files.createDirectory(header);
      Files.writeString(header.resolve("x"), "x");
      assertThatThrownBy(() -> wal.trimBefore(keepFrom)).isInstanceOf(IOException.class);
      assertThat(segments(dir)).as("nothing deleted").hasSameSizeAs(files);
      Files.delete(header.resolve("x"));
      Files.delete(header);
      Files.write(header, saved);
      assertThat(wal.trimBefore(keepFrom)).isEqualTo(3);
    }
    try (WriteAheadLog wal = WriteAheadLog.open(dir, SMALL)) {
      assertThat(wal.firstSequence()).isEqualTo(keepFrom);
      assertThat(replayAll(wal, keepFrom)).extracting(Rec::seq).containsExactlyElementsOf(
          LongStream.rangeClosed(keepFrom, RECORDS).boxed().toList());
    }
  }
}
