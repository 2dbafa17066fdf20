package dev.auramoe.server.wal;

import static dev.auramoe.server.wal.WriteAheadLog.HEADER;
import static dev.auramoe.server.wal.WriteAheadLog.MAGIC;
import static dev.auramoe.server.wal.WriteAheadLog.MAX_PAYLOAD;
import static dev.auramoe.server.wal.WriteAheadLog.OVERHEAD;
import static dev.auramoe.server.wal.WriteAheadLog.TRAILER;

import dev.auramoe.server.wal.RecoveryReport.Problem;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * Reads and validates the records of one segment, in the format documented on
 * {@link WriteAheadLog}. The scan stops at the first record that fails a check and reports where
 * the good prefix ends; deciding whether that is a torn tail or damage is the caller's business.
 */
final class SegmentScanner {

  /** Outcome of a scan. */
  static final class Result {
    /** End of the last good record read. */
    long goodEnd;
    /** Sequence of the last good record read (the segment's first sequence minus 1 when none). */
    long lastSeq;
    /** Why the scan stopped early; null when it reached the limit or {@code upToSeq}. */
    Problem problem;
    /** Details of {@link #problem}. */
    String detail;
  }

  private SegmentScanner() {}

  /**
   * Scans records from offset 0.
   *
   * @param ch the segment, read from offset 0 (its position is moved)
   * @param limit bytes of the file to consider
   * @param firstSeq sequence number the first record must carry
   * @param fromSeq records before this sequence are validated but not passed to {@code sink}
   * @param upToSeq the scan stops, cleanly, after the record with this sequence
   * @param sink receives every good record from {@code fromSeq} on (a fresh array each); may be null
   */
  static Result scan(FileChannel ch, long limit, long firstSeq, long fromSeq, long upToSeq,
      WriteAheadLog.RecordConsumer sink) throws IOException {
    Result r = new Result();
    r.lastSeq = firstSeq - 1;
    ch.position(0);
    // Not closed: closing the stream would close the caller's channel.
    DataInputStream in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(ch), 1 << 16));
    byte[] h = new byte[HEADER];
    ByteBuffer hb = ByteBuffer.wrap(h);
    byte[] body = new byte[1024];
    CRC32C crc = new CRC32C();
    long pos = 0;
    while (pos < limit && r.lastSeq < upToSeq) {
      long left = limit - pos;
      if (left < HEADER) {
        return stop(r, Problem.PARTIAL_HEADER, left + " bytes remain where a " + HEADER + "-byte record header starts");
      }
      in.readFully(h);
      if (h[0] != MAGIC) {
        return stop(r, Problem.BAD_MAGIC,
            String.format("byte 0x%02x where the record magic 0x%02x belongs", h[0] & 0xff, MAGIC & 0xff));
      }
      long n = Integer.toUnsignedLong(hb.getInt(1));
      long seq = hb.getLong(5);
      if (n > MAX_PAYLOAD) {
        return stop(r, Problem.BAD_LENGTH, "payload length " + n + " exceeds the limit of " + MAX_PAYLOAD);
      }
      if (OVERHEAD + n > left) {
        return stop(r, Problem.TRUNCATED_RECORD, "a record of " + (OVERHEAD + n) + " bytes but only " + left
            + " bytes remain in the file");
      }
      int len = (int) n;
      if (body.length < len + TRAILER) {
        body = new byte[(int) Math.max(len + TRAILER, Math.min(2L * body.length, MAX_PAYLOAD + TRAILER))];
      }
      in.readFully(body, 0, len + TRAILER);
      crc.reset();
      crc.update(h, 1, HEADER - 1);
      crc.update(body, 0, len);
      int stored = ByteBuffer.wrap(body, len, TRAILER).getInt();
      if (stored != (int) crc.getValue()) {
        return stop(r, Problem.CHECKSUM_MISMATCH, String.format("stored CRC-32C 0x%08x, computed 0x%08x", stored,
            (int) crc.getValue()));
      }
      if (seq != r.lastSeq + 1) {
        return stop(r, Problem.SEQUENCE_GAP, "sequence " + seq + " where " + (r.lastSeq + 1) + " was expected");
      }
      if (sink != null && seq >= fromSeq) {
        sink.accept(seq, Arrays.copyOf(body, len));
      }
      pos += OVERHEAD + n;
      r.goodEnd = pos;
      r.lastSeq = seq;
    }
    return r;
  }

  private static Result stop(Result r, Problem problem, String detail) {
    r.problem = problem;
    r.detail = detail;
    return r;
  }
}
