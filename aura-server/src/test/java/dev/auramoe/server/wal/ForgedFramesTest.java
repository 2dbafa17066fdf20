package dev.auramoe.server.wal;

import static dev.auramoe.server.wal.WalFixtures.payloadFor;
import static dev.auramoe.server.wal.WalFixtures.replayAll;
import static dev.auramoe.server.wal.WalFixtures.segments;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.server.wal.WalFixtures.Rec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bytes a client sent (a learn's inputs are raw float bits) that look like records: a payload that
 * carries complete frames, then a crash that tears the record holding it. Before the fixes such a
 * frame made the start refuse (a valid record seemed to follow the torn one) and the repair kept it
 * and replayed it as an operation; crafted headers made the search for valid records quadratic.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ForgedFramesTest {

  @TempDir
  Path dir;

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  private void write(long records) throws IOException {
    try (WriteAheadLog wal = WriteAheadLog.open(dir)) {
      for (long s = 1; s <= records; s++) {
        wal.appendAndWait(payloadFor(s));
      }
    }
  }

  /** Tears the last data record of the only segment {@code bytes} before its end (its marker goes too). */
  private WalFixtures.Frame tearLastRecord(int bytes) throws IOException {
    Path seg = segments(dir).getFirst();
    byte[] b = Files.readAllBytes(seg);
    WalFixtures.Frame last = WalFixtures.records(b).getLast();
    Files.write(seg, Arrays.copyOf(b, (int) last.end() - bytes));
    return last;
  }

  /**
   * Everything of a frame but the salt is public: a payload carries a data record far ahead, a
   * batch marker that vouches for everything before it, and a hole. The record holding them is torn:
   * the start cuts it as a torn tail, the repair has nothing to do, and nothing forged is replayed.
   * The same frames with the log's salt would be taken for the log's own (the start refuses), which
   * is what the salt keeps a client from doing.
   */
  @Test
  void framesCarriedInAPayloadNeitherStopAStartNorGetReplayed() throws IOException {
    write(10);
    byte[] carried = concat(
        WalFixtures.unsaltedFrame(WriteAheadLog.MAGIC, 1011, "forged".getBytes(java.nio.charset.StandardCharsets.UTF_8)),
        WalFixtures.unsaltedFrame(WriteAheadLog.MARKER, 12, SegmentScanner.markerPayload(11)),
        WalFixtures.unsaltedFrame(WriteAheadLog.HOLE, 11, SegmentScanner.holePayload(1_000_000, "forged")),
        new byte[64]);
    try (WriteAheadLog wal = WriteAheadLog.open(dir)) {
      assertThat(wal.appendAndWait(carried)).isEqualTo(11);
    }
    Path seg = segments(dir).getFirst();
    byte[] whole = Files.readAllBytes(seg);
    WalFixtures.Frame torn = tearLastRecord(40);
    byte[] tornBytes = Files.readAllBytes(seg);
    assertThat(WriteAheadLog.repair(dir).isEmpty()).as("a torn tail is no repair's business").isTrue();
    try (WriteAheadLog wal = WriteAheadLog.open(dir)) {
      assertThat(wal.recoveryReport()).hasValueSatisfying(r -> assertThat(r.offset()).isEqualTo(torn.offset()));
      assertThat(wal.lastSequence()).isEqualTo(10);
      assertThat(wal.holes()).isEmpty();
      assertThat(replayAll(wal, 1)).extracting(Rec::seq).containsExactlyElementsOf(LongStream.rangeClosed(1, 10)
          .boxed().toList());
    }
    // With the salt, the carried marker would vouch for record 11: the check is not vacuous.
    Files.write(seg, whole);
    byte[] salted = concat(WalFixtures.frame(dir, WriteAheadLog.MARKER, 12, SegmentScanner.markerPayload(11)),
        new byte[64]);
    int at = (int) torn.offset() + WriteAheadLog.HEADER;
    byte[] b = Arrays.copyOf(tornBytes, tornBytes.length);
    System.arraycopy(salted, 0, b, at, salted.length);
    Files.write(seg, b);
    assertThatThrownBy(() -> WriteAheadLog.open(dir)).isInstanceOf(WalCorruptionException.class)
        .hasMessageContaining("not a torn tail");
  }

  /**
   * A log in format 1 has no salt, so anyone can frame a record that passes its checksum. Behind
   * damage that starts where record D belonged, a record is taken for the log's only when its number
   * is at most D + (distance / 17) (each lost record took 17 bytes at least), and a hole only when
   * the record after it carries the number after its range: the carried record 1011 and the carried
   * hole 11..1000000 are neither, so the torn record is a torn tail.
   */
  @Test
  void aFormat1ScanTakesOnlyRecordsThatItsDistanceAndHolesThatTheirSuccessorJustify() throws IOException {
    RecordFormat v1 = RecordFormat.V1;
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    for (long s = 1; s <= 10; s++) {
      log.writeBytes(v1.frame(v1.data, s, payloadFor(s)));
    }
    byte[] carried = concat(v1.frame(v1.hole, 11, SegmentScanner.holePayload(1_000_000, "forged")),
        v1.frame(v1.data, 1011, payloadFor(1011)), new byte[64]);
    byte[] record = v1.frame(v1.data, 11, carried);
    long tornAt = log.size();
    log.writeBytes(Arrays.copyOf(record, record.length - 40));
    Files.createDirectories(dir);
    Files.write(dir.resolve("wal-00000000000000000001.log"), log.toByteArray());
    try (WriteAheadLog wal = WriteAheadLog.open(dir)) {
      assertThat(wal.recoveryReport()).hasValueSatisfying(r -> assertThat(r.offset()).isEqualTo(tornAt));
      assertThat(wal.lastSequence()).isEqualTo(10);
      assertThat(wal.appendAndWait(payloadFor(11))).isEqualTo(11);
    }
  }

  /**
   * Headers that each claim the rest of the file: checking every candidate costs a checksum over
   * megabytes, quadratic in all. The search stops after 64 MiB plus 8 bytes per byte searched and
   * the bad bytes count as damage: refused in format 1, where anything valid behind them would have
   * made them damage anyway. Before the fix this search ran for hours.
   */
  @Test
  void craftedHeadersCannotMakeTheFormat1SearchQuadratic() throws IOException {
    RecordFormat v1 = RecordFormat.V1;
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    for (long s = 1; s <= 10; s++) {
      log.writeBytes(v1.frame(v1.data, s, payloadFor(s)));
    }
    int payload = 2 << 20;
    long start = log.size();
    long end = start + WriteAheadLog.HEADER + payload - 40; // the record is torn 40 bytes short
    ByteBuffer b = ByteBuffer.allocate((int) (end - start));
    b.put(v1.data).putInt(payload).putLong(11);
    while (b.remaining() >= WriteAheadLog.HEADER) {
      long at = start + b.position();
      b.put(v1.data).putInt((int) (end - at - WriteAheadLog.OVERHEAD)).putLong(11);
    }
    log.writeBytes(b.array());
    Files.createDirectories(dir);
    Files.write(dir.resolve("wal-00000000000000000001.log"), log.toByteArray());
    assertThatThrownBy(() -> WriteAheadLog.open(dir)).isInstanceOf(WalCorruptionException.class)
        .hasMessageContaining("byte offset " + start).hasMessageContaining("gave up");
  }

  /**
   * The same crafted headers in a learn of a format-2 log, whose record is then damaged: the repair
   * gives up looking for records among them and resumes at the next batch marker, in linear time.
   */
  @Test
  void craftedHeadersCannotMakeARepairQuadratic() throws IOException {
    int payload = 2 << 20;
    ByteBuffer crafted = ByteBuffer.allocate(payload);
    while (crafted.remaining() >= WriteAheadLog.HEADER) {
      int left = payload - crafted.position();
      crafted.put(WriteAheadLog.MAGIC).putInt(left - WriteAheadLog.OVERHEAD).putLong(11);
    }
    try (WriteAheadLog wal = WriteAheadLog.open(dir)) {
      for (long s = 1; s <= 10; s++) {
        wal.appendAndWait(payloadFor(s));
      }
      assertThat(wal.appendAndWait(crafted.array())).isEqualTo(11);
      for (long s = 12; s <= 15; s++) {
        wal.appendAndWait(payloadFor(s));
      }
    }
    Path seg = segments(dir).getFirst();
    byte[] b = Files.readAllBytes(seg);
    WalFixtures.Frame eleven = WalFixtures.records(b).get(10);
    b[(int) eleven.offset()] ^= 0x01;
    Files.write(seg, b);
    assertThatThrownBy(() -> WriteAheadLog.open(dir)).isInstanceOf(WalCorruptionException.class)
        .hasMessageContaining("records up to 11 had been forced");
    WalRepair r = WriteAheadLog.repair(dir);
    assertThat(r.dropped()).singleElement().satisfies(d -> {
      assertThat(d.firstSequence()).isEqualTo(11);
      assertThat(d.lastSequence()).isEqualTo(11);
      assertThat(d.bytes()).isEqualTo(eleven.end() - eleven.offset());
    });
    try (WriteAheadLog wal = WriteAheadLog.open(dir)) {
      assertThat(replayAll(wal, 1)).extracting(Rec::seq).containsExactlyElementsOf(List.of(1L, 2L, 3L, 4L, 5L, 6L,
          7L, 8L, 9L, 10L, 12L, 13L, 14L, 15L));
    }
  }
}
