package dev.auramoe.server.wal;

import static dev.auramoe.server.wal.WriteAheadLog.HEADER;
import static dev.auramoe.server.wal.WriteAheadLog.HOLE;
import static dev.auramoe.server.wal.WriteAheadLog.MAGIC;
import static dev.auramoe.server.wal.WriteAheadLog.MAX_PAYLOAD;
import static dev.auramoe.server.wal.WriteAheadLog.OVERHEAD;
import static dev.auramoe.server.wal.WriteAheadLog.TRAILER;

import dev.auramoe.server.wal.RecoveryReport.Problem;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.zip.CRC32C;

/**
 * Reads and validates the records of one segment, in the format documented on
 * {@link WriteAheadLog}. {@link #scan} reads a segment front to back and stops at the first record
 * that fails a check, reporting where the good prefix ends; {@link #find} looks past such a record
 * for the next valid one, which is what tells a torn tail (nothing valid follows) from damage in
 * the middle of the log (valid records follow). Deciding what to do about either is the caller's
 * business.
 */
final class SegmentScanner {

  /**
   * How far past the expected sequence number a record found behind damage may lie and still be
   * taken for a record of this log: 2^32 lost numbers is more than any real log loses, and the
   * bound keeps random payload bytes that happen to start with the magic byte from being
   * checksummed at all.
   */
  private static final long PLAUSIBLE_SPAN = 1L << 32;

  /** Outcome of a scan. */
  static final class Result {
    /** End of the last good record read. */
    long goodEnd;
    /** Last sequence number the good records account for (the segment's first sequence minus 1 when none). */
    long lastSeq;
    /** Why the scan stopped early; null when it reached the limit or {@code upToSeq}. */
    Problem problem;
    /** Details of {@link #problem}. */
    String detail;
  }

  /**
   * A valid record found by {@link #find}: its byte range, the sequence numbers it accounts for
   * ({@code seq..last}, one number for a data record) and, for a hole, the hole's reason.
   */
  record Frame(long offset, long end, long seq, long last, byte type, String reason) {}

  private SegmentScanner() {}

  /**
   * Scans records from offset {@code start}.
   *
   * @param ch the segment (its position is moved)
   * @param start offset of the first record to read (0 for a whole segment)
   * @param limit bytes of the file to consider
   * @param firstSeq sequence number the first record must carry
   * @param fromSeq records before this sequence are validated but not passed to {@code sink}
   * @param upToSeq the scan stops, cleanly, after the record that accounts for this sequence
   * @param sink receives every good data record from {@code fromSeq} on (a fresh array each); may be null
   * @param holes receives every hole record; may be null
   */
  static Result scan(FileChannel ch, long start, long limit, long firstSeq, long fromSeq, long upToSeq,
      WriteAheadLog.RecordConsumer sink, Consumer<WriteAheadLog.Hole> holes) throws IOException {
    Result r = new Result();
    r.lastSeq = firstSeq - 1;
    r.goodEnd = start;
    ch.position(start);
    // Not closed: closing the stream would close the caller's channel.
    DataInputStream in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(ch), 1 << 16));
    byte[] h = new byte[HEADER];
    ByteBuffer hb = ByteBuffer.wrap(h);
    byte[] body = new byte[1024];
    CRC32C crc = new CRC32C();
    long pos = start;
    while (pos < limit && r.lastSeq < upToSeq) {
      long left = limit - pos;
      if (left < HEADER) {
        return stop(r, Problem.PARTIAL_HEADER, left + " bytes remain where a " + HEADER + "-byte record header starts");
      }
      in.readFully(h);
      Problem p = headerProblem(hb, left);
      if (p != null) {
        return stop(r, p, headerDetail(p, hb, left));
      }
      int len = hb.getInt(1);
      long seq = hb.getLong(5);
      if (body.length < len + TRAILER) {
        body = new byte[(int) Math.max(len + TRAILER, Math.min(2L * body.length, MAX_PAYLOAD + TRAILER))];
      }
      in.readFully(body, 0, len + TRAILER);
      int computed = checksum(crc, h, body, len);
      int stored = ByteBuffer.wrap(body, len, TRAILER).getInt();
      if (stored != computed) {
        return stop(r, Problem.CHECKSUM_MISMATCH, String.format("stored CRC-32C 0x%08x, computed 0x%08x", stored,
            computed));
      }
      if (seq != r.lastSeq + 1) {
        return stop(r, Problem.SEQUENCE_GAP, "sequence " + seq + " where " + (r.lastSeq + 1) + " was expected");
      }
      long last = seq;
      if (h[0] == HOLE) {
        last = holeLast(body, len, seq);
        if (last < 0) {
          return stop(r, Problem.BAD_HOLE, "a hole record at sequence " + seq + " with an invalid range");
        }
        if (holes != null) {
          holes.accept(new WriteAheadLog.Hole(seq, last, holeReason(body, len)));
        }
      } else if (sink != null && seq >= fromSeq) {
        sink.accept(seq, Arrays.copyOf(body, len));
      }
      pos += OVERHEAD + len;
      r.goodEnd = pos;
      r.lastSeq = last;
    }
    return r;
  }

  /** What is wrong with a record header given {@code left} bytes from its start; null when nothing. */
  private static Problem headerProblem(ByteBuffer h, long left) {
    byte type = h.get(0);
    if (type != MAGIC && type != HOLE) {
      return Problem.BAD_MAGIC;
    }
    long n = Integer.toUnsignedLong(h.getInt(1));
    if (n > MAX_PAYLOAD) {
      return Problem.BAD_LENGTH;
    }
    return OVERHEAD + n > left ? Problem.TRUNCATED_RECORD : null;
  }

  private static String headerDetail(Problem p, ByteBuffer h, long left) {
    long n = Integer.toUnsignedLong(h.getInt(1));
    return switch (p) {
      case BAD_MAGIC -> String.format("byte 0x%02x where the record magic 0x%02x (or 0x%02x for a hole) belongs",
          h.get(0) & 0xff, MAGIC & 0xff, HOLE & 0xff);
      case BAD_LENGTH -> "payload length " + n + " exceeds the limit of " + MAX_PAYLOAD;
      default -> "a record of " + (OVERHEAD + n) + " bytes but only " + left + " bytes remain in the file";
    };
  }

  /** The CRC-32C of a record: header bytes after the magic, then the payload. */
  static int checksum(CRC32C crc, byte[] header, byte[] payload, int len) {
    crc.reset();
    crc.update(header, 1, HEADER - 1);
    crc.update(payload, 0, len);
    return (int) crc.getValue();
  }

  /** The last sequence number of a hole record's payload, or -1 when the payload is not a valid hole. */
  private static long holeLast(byte[] payload, int len, long seq) {
    if (len < Long.BYTES) {
      return -1;
    }
    long last = ByteBuffer.wrap(payload, 0, Long.BYTES).getLong();
    return last >= seq ? last : -1;
  }

  private static String holeReason(byte[] payload, int len) {
    return new String(payload, Long.BYTES, len - Long.BYTES, StandardCharsets.UTF_8);
  }

  /** The payload of a hole record standing for the sequence numbers up to {@code last}. */
  static byte[] holePayload(long last, String reason) {
    byte[] text = reason.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(Long.BYTES + text.length).putLong(last).put(text).array();
  }

  /** A complete record, framed as the writer frames it (for files written outside the writer). */
  static byte[] frame(byte type, long seq, byte[] payload) {
    ByteBuffer b = ByteBuffer.allocate(OVERHEAD + payload.length);
    b.put(type).putInt(payload.length).putLong(seq).put(payload);
    b.putInt(checksum(new CRC32C(), Arrays.copyOf(b.array(), HEADER), payload, payload.length));
    return b.array();
  }

  /**
   * The first valid record that starts at or after {@code from}, below {@code limit}, and accounts
   * only for sequence numbers in {@code [minSeq, maxSeqExclusive)} (further bounded by a plausible
   * span above {@code minSeq}); null when there is none. Reads with positional reads, so it never
   * holds more than a small window of the file in memory, whatever a damaged length field claims.
   */
  static Frame find(FileChannel ch, long from, long limit, long minSeq, long maxSeqExclusive) throws IOException {
    return find(new Window(ch, limit), from, limit, minSeq, maxSeqExclusive);
  }

  private static Frame find(Window w, long from, long limit, long minSeq, long maxSeqExclusive) throws IOException {
    long max = Math.min(maxSeqExclusive, minSeq > Long.MAX_VALUE - PLAUSIBLE_SPAN ? Long.MAX_VALUE
        : minSeq + PLAUSIBLE_SPAN);
    for (long pos = from; pos + OVERHEAD <= limit; pos++) {
      byte b = w.byteAt(pos);
      if (b == MAGIC || b == HOLE) {
        Frame f = frameAt(w, pos, minSeq, max);
        if (f != null) {
          return f;
        }
      }
    }
    return null;
  }

  /** The record at {@code pos} when it is valid and its numbers lie in {@code [minSeq, maxExclusive)}; else null. */
  private static Frame frameAt(Window w, long pos, long minSeq, long maxExclusive) throws IOException {
    if (w.limit - pos < OVERHEAD) {
      return null;
    }
    byte[] h = new byte[HEADER];
    w.read(pos, h, 0, HEADER);
    ByteBuffer hb = ByteBuffer.wrap(h);
    if (headerProblem(hb, w.limit - pos) != null) {
      return null;
    }
    int len = hb.getInt(1);
    long seq = hb.getLong(5);
    if (seq < minSeq || seq >= maxExclusive) {
      return null;
    }
    CRC32C crc = new CRC32C();
    crc.update(h, 1, HEADER - 1);
    w.checksum(crc, pos + HEADER, len);
    byte[] t = new byte[TRAILER];
    w.read(pos + HEADER + len, t, 0, TRAILER);
    if (ByteBuffer.wrap(t).getInt() != (int) crc.getValue()) {
      return null;
    }
    long end = pos + OVERHEAD + len;
    if (h[0] != HOLE) {
      return new Frame(pos, end, seq, seq, MAGIC, null);
    }
    if (len < Long.BYTES || len > 1 << 16) {
      return null;
    }
    byte[] payload = new byte[len];
    w.read(pos + HEADER, payload, 0, len);
    long last = holeLast(payload, len, seq);
    return last < 0 || last >= maxExclusive ? null : new Frame(pos, end, seq, last, HOLE, holeReason(payload, len));
  }

  /**
   * How to rewrite a damaged segment: the runs of valid records to keep, the hole records to write
   * between them, and what is left out.
   */
  static final class Salvage {
    /** In file order: a {@code long[] {from, to}} byte range to copy, or a {@code byte[]} record to write. */
    private final List<Object> pieces = new ArrayList<>();
    private final List<WalRepair.Dropped> dropped = new ArrayList<>();
    private long lastSeq;
    private boolean tornTailOnly = true;

    /** What the rewrite leaves out. */
    List<WalRepair.Dropped> dropped() {
      return dropped;
    }

    /** The last sequence number the rewritten segment accounts for. */
    long lastSeq() {
      return lastSeq;
    }

    /**
     * Whether the segment must be rewritten: it holds damage other than a torn tail of the log's
     * last segment (which {@link WriteAheadLog#open} cuts by itself).
     */
    boolean needsRewrite() {
      return !dropped.isEmpty() && !tornTailOnly;
    }

    /** Writes the repaired segment: the kept ranges of {@code in} and the hole records. */
    void writeTo(FileChannel in, FileChannel out) throws IOException {
      for (Object p : pieces) {
        if (p instanceof long[] range) {
          for (long at = range[0]; at < range[1]; ) {
            long n = in.transferTo(at, range[1] - at, out);
            if (n <= 0) {
              throw new EOFException("the segment ended at byte " + at + " while it was copied");
            }
            at += n;
          }
        } else {
          ByteBuffer b = ByteBuffer.wrap((byte[]) p);
          while (b.hasRemaining()) {
            out.write(b);
          }
        }
      }
    }

    private void keep(long from, long to) {
      if (to > from) {
        pieces.add(new long[] {from, to});
      }
    }

    private void hole(long first, long last, String reason) {
      pieces.add(frame(HOLE, first, holePayload(last, reason)));
    }
  }

  /**
   * Plans the repair of one segment: walks its records, keeps every valid one whose number comes
   * next, and at each bad record looks for the next valid record (by {@link #find}); the bytes in
   * between are left out and the numbers they held become a hole. Trailing damage of a segment
   * that is not the last becomes a hole up to the next segment's first number; trailing damage of
   * the last segment is a torn tail and is cut.
   *
   * @param nextFirst the next segment's first number ({@code Long.MAX_VALUE} for the last segment)
   * @param file the segment, for the report
   * @param why the start of every hole's reason (when and what wrote it)
   */
  static Salvage salvage(FileChannel ch, long size, long firstSeq, long nextFirst, boolean last, Path file,
      String why) throws IOException {
    Salvage plan = new Salvage();
    Window w = new Window(ch, size);
    long expected = firstSeq;
    long keepFrom = 0;
    long pos = 0;
    while (pos < size) {
      Frame f = frameAt(w, pos, expected, nextFirst);
      if (f != null && f.seq() == expected) {
        pos = f.end();
        expected = f.last() + 1;
        continue;
      }
      plan.keep(keepFrom, pos);
      plan.tornTailOnly = false;
      if (f != null) {
        // A valid record whose predecessors are missing, with nothing damaged between.
        String what = "records " + expected + ".." + (f.seq() - 1) + " missing before byte " + pos + " of "
            + file.getFileName();
        plan.hole(expected, f.seq() - 1, why + what);
        plan.dropped.add(new WalRepair.Dropped(file, pos, 0, expected, f.seq() - 1, Problem.SEQUENCE_GAP, what));
        keepFrom = pos;
        expected = f.seq();
        continue;
      }
      Result bad = scan(ch, pos, size, expected, Long.MAX_VALUE, expected, null, null);
      Problem problem = bad.problem != null ? bad.problem : Problem.SEQUENCE_GAP;
      String detail = bad.problem != null ? bad.detail : "sequence out of order";
      Frame g = find(w, pos + 1, size, expected, nextFirst);
      long to = g != null ? g.offset() : size;
      long lostLast = g != null ? g.seq() - 1 : last ? expected - 1 : nextFirst - 1;
      if (g == null && last) {
        plan.tornTailOnly = plan.dropped.isEmpty();
        detail += "; nothing valid follows, a torn tail";
      }
      if (lostLast >= expected) {
        plan.hole(expected, lostLast, why + "bytes " + pos + ".." + to + " of " + file.getFileName()
            + " were damaged (" + problem + ": " + detail + ")");
      }
      plan.dropped.add(new WalRepair.Dropped(file, pos, to - pos, expected, lostLast, problem, detail));
      expected = lostLast + 1;
      keepFrom = to;
      pos = to;
    }
    plan.keep(keepFrom, pos);
    if (size == 0 && !last && nextFirst > firstSeq) {
      // An empty segment between two others: its name is the number a hole segment would take.
      plan.tornTailOnly = false;
      plan.hole(firstSeq, nextFirst - 1, why + file.getFileName() + " was empty");
      plan.dropped.add(new WalRepair.Dropped(file, 0, 0, firstSeq, nextFirst - 1, Problem.MISSING_SEGMENT,
          "the segment is empty"));
      expected = nextFirst;
    }
    plan.lastSeq = expected - 1;
    return plan;
  }

  /** A read window over a channel, for byte-by-byte searches and positional reads. */
  private static final class Window {
    final FileChannel ch;
    final long limit;
    final ByteBuffer buf = ByteBuffer.allocate(1 << 16);
    long start = -1;

    Window(FileChannel ch, long limit) {
      this.ch = ch;
      this.limit = limit;
    }

    byte byteAt(long pos) throws IOException {
      if (start < 0 || pos < start || pos >= start + buf.limit()) {
        load(pos);
      }
      return buf.get((int) (pos - start));
    }

    private void load(long pos) throws IOException {
      buf.clear();
      buf.limit((int) Math.min(buf.capacity(), limit - pos));
      while (buf.hasRemaining()) {
        if (ch.read(buf, pos + buf.position()) < 0) {
          throw new EOFException("the segment ended at byte " + (pos + buf.position()) + " while it was read");
        }
      }
      buf.flip();
      start = pos;
    }

    void read(long pos, byte[] dst, int off, int len) throws IOException {
      for (int i = 0; i < len; i++) {
        dst[off + i] = byteAt(pos + i);
      }
    }

    void checksum(CRC32C crc, long pos, long len) throws IOException {
      while (len > 0) {
        if (start < 0 || pos < start || pos >= start + buf.limit()) {
          load(pos);
        }
        int at = (int) (pos - start);
        int k = (int) Math.min(len, buf.limit() - at);
        crc.update(buf.array(), at, k);
        pos += k;
        len -= k;
      }
    }
  }

  private static Result stop(Result r, Problem problem, String detail) {
    r.problem = problem;
    r.detail = detail;
    return r;
  }
}
