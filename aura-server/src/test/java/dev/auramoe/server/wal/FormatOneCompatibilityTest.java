package dev.auramoe.server.wal;

import static dev.auramoe.server.wal.WalFixtures.payloadFor;
import static dev.auramoe.server.wal.WalFixtures.replayAll;
import static dev.auramoe.server.wal.WalFixtures.segments;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.server.wal.WalFixtures.Rec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A log written in format 1 (before the header, the salt, markers and seals) still opens: it is
 * read as it was written, a torn tail is cut as before, and the log continues in format 2 in a
 * segment of its own; damage in a format-1 segment is refused and repaired with format-1 holes.
 */
class FormatOneCompatibilityTest {

  @TempDir
  Path dir;

  private static byte[] format1(long from, long to) {
    RecordFormat v1 = RecordFormat.V1;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (long s = from; s <= to; s++) {
      out.writeBytes(v1.frame(v1.data, s, payloadFor(s)));
    }
    return out.toByteArray();
  }

  private static List<Long> range(long from, long to) {
    return LongStream.rangeClosed(from, to).boxed().toList();
  }

  @Test
  void aFormat1LogOpensAndContinuesInFormat2() throws IOException {
    Files.createDirectories(dir);
    Files.write(dir.resolve("wal-00000000000000000001.log"), format1(1, 20));
    byte[] second = format1(21, 31);
    Path secondFile = dir.resolve("wal-00000000000000000021.log");
    int tornAt = second.length - (WriteAheadLog.OVERHEAD + payloadFor(31).length);
    Files.write(secondFile, Arrays.copyOf(second, second.length - 9)); // record 31 torn
    try (WriteAheadLog wal = WriteAheadLog.open(dir)) {
      assertThat(wal.recoveryReport()).hasValueSatisfying(r -> {
        assertThat(r.file()).isEqualTo(secondFile.toAbsolutePath());
        assertThat(r.offset()).isEqualTo(tornAt);
      });
      assertThat(wal.lastSequence()).isEqualTo(30);
      assertThat(replayAll(wal, 1)).extracting(Rec::seq).containsExactlyElementsOf(range(1, 30));
      assertThat(wal.appendAndWait(payloadFor(31))).isEqualTo(31);
      assertThat(wal.appendAndWait(payloadFor(32))).isEqualTo(32);
    }
    assertThat(dir.resolve(LogHeader.FILE)).exists();
    List<Path> files = segments(dir);
    assertThat(files).extracting(p -> p.getFileName().toString()).containsExactly("wal-00000000000000000001.log",
        "wal-00000000000000000021.log", "wal-00000000000000000031.log");
    assertThat(Files.readAllBytes(files.getLast())[0]).as("format 2 in a segment of its own")
        .isEqualTo(WriteAheadLog.MAGIC);
    try (WriteAheadLog wal = WriteAheadLog.open(dir)) {
      assertThat(wal.recoveryReport()).isEmpty();
      List<Rec> all = replayAll(wal, 1);
      assertThat(all).extracting(Rec::seq).containsExactlyElementsOf(range(1, 32));
      for (Rec r : all) {
        assertThat(r.payload()).isEqualTo(payloadFor(r.seq()));
      }
    }

    // Damage in a format-1 segment: refused, then repaired with a format-1 hole.
    Path first = files.getFirst();
    byte[] b = Files.readAllBytes(first);
    long at = WalFixtures.bounds(b)[4];
    b[(int) at + 20] ^= 0x08;
    Files.write(first, b);
    assertThatThrownBy(() -> WriteAheadLog.open(dir)).isInstanceOf(WalCorruptionException.class)
        .hasMessageContaining("byte offset " + at).hasMessageContaining("not the last segment");
    WalRepair r = WriteAheadLog.repair(dir);
    assertThat(r.dropped()).singleElement().satisfies(d -> assertThat(d.firstSequence()).isEqualTo(5));
    try (WriteAheadLog wal = WriteAheadLog.open(dir)) {
      assertThat(wal.holes()).singleElement().satisfies(h -> assertThat(h.first()).isEqualTo(5));
      assertThat(replayAll(wal, 1)).extracting(Rec::seq).containsExactlyElementsOf(range(1, 32).stream()
          .filter(s -> s != 5).toList());
      assertThat(wal.trimBefore(31)).isEqualTo(2);
    }
    try (WriteAheadLog wal = WriteAheadLog.open(dir)) {
      assertThat(wal.firstSequence()).isEqualTo(31);
      assertThat(replayAll(wal, 31)).extracting(Rec::seq).containsExactly(31L, 32L);
    }
  }

  /**
   * The format-2 segments of an upgraded log deleted: the format-1 segment before them has no seal
   * to name them, but the header says where format 2 began.
   */
  @Test
  void deletedFormat2SegmentsOfAnUpgradedLogAreRefusedAndRepaired() throws IOException {
    Files.createDirectories(dir);
    Files.write(dir.resolve("wal-00000000000000000001.log"), format1(1, 20));
    try (WriteAheadLog wal = WriteAheadLog.open(dir)) {
      assertThat(wal.appendAndWait(payloadFor(21))).isEqualTo(21);
    }
    Path upgraded = dir.resolve("wal-00000000000000000021.log");
    Files.delete(upgraded);
    assertThatThrownBy(() -> WriteAheadLog.open(dir)).isInstanceOf(WalCorruptionException.class)
        .hasMessageContaining("format 2 from sequence 21").hasMessageContaining("MISSING_SEGMENT");
    WalRepair r = WriteAheadLog.repair(dir);
    assertThat(r.dropped()).singleElement().satisfies(d -> {
      assertThat(d.firstSequence()).isEqualTo(21);
      assertThat(d.lastSequence()).isEqualTo(20 + WriteAheadLog.UNKNOWN_SPAN);
    });
    try (WriteAheadLog wal = WriteAheadLog.open(dir)) {
      assertThat(replayAll(wal, 1)).extracting(Rec::seq).containsExactlyElementsOf(range(1, 20));
      assertThat(wal.appendAndWait(payloadFor(1))).isEqualTo(21 + WriteAheadLog.UNKNOWN_SPAN);
    }
  }
}
