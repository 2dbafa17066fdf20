package dev.auramoe.server.wal;

import static dev.auramoe.server.wal.WriteAheadLog.HEADER;
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
 * that fails a check, reporting where the good prefix ends; {@link #damageEvidence} decides whether
 * bad bytes at the end of the log are a torn tail or damage, and {@link #salvage} plans the repair
 * of a damaged segment, looking past bad bytes for the next valid record. Deciding what to do is
 * the caller's business.
 *
 * <h2>Looking past bad bytes</h2>
 *
 * A search for valid records behind bad bytes (the <em>scan-ahead</em>) must not take bytes that
 * only look like a record for one. In format 2 a record's checksum starts with the log's salt,
 * which no client knows, so a frame carried in a payload (a learn's inputs are raw float bits)
 * passes with probability 2^-32 at best; in format 1 anyone can compute the checksum. So, in both
 * formats, a data or hole record found behind damage that starts at byte {@code a}, where record
 * {@code D} belonged, must carry a number {@code s} with {@code D <= s <= D + (offset - a) / 17}
 * (each lost record took at least 17 bytes), and a hole record found there must be justified: the
 * record right after it carries the number after its range, or it ends a segment whose successor
 * starts there. Batch markers and seals (format 2 only) are fixed-size and exempt from the distance
 * bound, since records after a lost hole carry numbers far beyond it. Checking a candidate costs a
 * checksum over its claimed length, so crafted headers could make a search quadratic: a search
 * stops after {@code 64 MiB + 8 x} (the bytes it searches) bytes of checksums and the caller treats
 * the bad bytes as damage.
 */
final class SegmentScanner {

  /**
   * Format 1 only: how far past the expected number an intact record at a record boundary may lie
   * and still be taken for a record of this log. A hole record whose range is wider than this
   * hides damage before it from a format-1 scan; format 2 has no such bound (its checksums cannot
   * be forged, and its markers resynchronise a scan).
   */
  private static final long PLAUSIBLE_SPAN = 1L << 32;
  /** Longest hole payload a scan-ahead accepts: the last number and a reason of at most 2000 characters. */
  private static final int MAX_HOLE_PAYLOAD = 1 << 16;
  private static final byte[] EMPTY = new byte[0];

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
    /**
     * Whether the record at {@link #goodEnd} is intact (its checksum matches) although it does not
     * fit: a wrong number, an invalid hole or marker, bytes after a seal. No torn write leaves one.
     */
    boolean intact;
    /** The number the segment's seal names (the next segment's first), or -1 when it has none. */
    long sealedTo = -1;
  }

  /**
   * A valid record found by a search: its byte range, the sequence numbers it accounts for
   * ({@code seq..last}: one number for a data record, none for a marker or seal, whose
   * {@code last} is {@code seq - 1}), for a marker or seal the number up to which records had been
   * forced when it was written ({@code durable}; -1 otherwise), and for a hole its reason.
   */
  record Frame(long offset, long end, long seq, long last, byte type, long durable, String reason) {}

  /**
   * What a search accepts: numbers from {@code minSeq}; data and hole numbers below
   * {@code nextFirst} (the next segment's first; {@code Long.MAX_VALUE} for the last segment) and
   * markers and seals up to it; when {@code damageAt >= 0}, the candidate lies behind damage that
   * starts there (the distance bound and hole justification apply); {@code markersOnly}: markers and
   * seals only.
   */
  private record Bounds(long minSeq, long nextFirst, long damageAt, boolean markersOnly) {}

  /** A search checked more checksum bytes than it may. */
  static final class ScanLimitException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ScanLimitException(long checked) {
      super("the search checked " + checked + " bytes of checksums", null, false, false);
    }
  }

  private SegmentScanner() {}

  /**
   * Scans records from offset {@code start}.
   *
   * @param ch the segment (its position is moved)
   * @param start offset of the first record to read (0 for a whole segment)
   * @param limit bytes of the file to consider
   * @param format the segment's record format
   * @param firstSeq sequence number the first record must carry
   * @param fromSeq records before this sequence are validated but not passed to {@code sink}
   * @param upToSeq the scan stops, cleanly, after the record that accounts for this sequence
   * @param sink receives every good data record from {@code fromSeq} on (a fresh array each); may be null
   * @param holes receives every hole record; may be null
   */
  static Result scan(FileChannel ch, long start, long limit, RecordFormat format, long firstSeq, long fromSeq,
      long upToSeq, WriteAheadLog.RecordConsumer sink, Consumer<WriteAheadLog.Hole> holes) throws IOException {
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
      if (r.sealedTo >= 0) {
        r.intact = true;
        return stop(r, Problem.AFTER_SEAL, left + " bytes follow the seal that ends the segment");
      }
      if (left < HEADER) {
        return stop(r, Problem.PARTIAL_HEADER, left + " bytes remain where a " + HEADER + "-byte record header starts");
      }
      in.readFully(h);
      Problem p = headerProblem(format, hb, left);
      if (p != null) {
        return stop(r, p, headerDetail(format, p, hb, left));
      }
      int len = hb.getInt(1);
      long seq = hb.getLong(5);
      if (body.length < len + TRAILER) {
        body = new byte[(int) Math.max(len + TRAILER, Math.min(2L * body.length, MAX_PAYLOAD + TRAILER))];
      }
      in.readFully(body, 0, len + TRAILER);
      int computed = format.checksum(crc, h, body, len);
      int stored = ByteBuffer.wrap(body, len, TRAILER).getInt();
      if (stored != computed) {
        return stop(r, Problem.CHECKSUM_MISMATCH, String.format("stored CRC-32C 0x%08x, computed 0x%08x", stored,
            computed));
      }
      // The record is intact from here on: whatever is wrong with it, no torn write did it.
      byte type = h[0];
      long last = seq;
      if (type == format.marker || type == format.seal) {
        String bad = markerProblem(format, type, body, len, seq);
        if (bad != null) {
          r.intact = true;
          return stop(r, Problem.BAD_MARKER, bad);
        }
        last = seq - 1;
      }
      if (seq != r.lastSeq + 1) {
        r.intact = true;
        return stop(r, Problem.SEQUENCE_GAP, "sequence " + seq + " where " + (r.lastSeq + 1) + " was expected");
      }
      if (type == format.seal) {
        r.sealedTo = seq;
      } else if (type == format.hole) {
        last = holeLast(body, len, seq);
        if (last < 0) {
          r.intact = true;
          return stop(r, Problem.BAD_HOLE, "a hole record at sequence " + seq + " with an invalid range");
        }
        if (holes != null) {
          holes.accept(new WriteAheadLog.Hole(seq, last, holeReason(body, len)));
        }
      } else if (type == format.data && sink != null && seq >= fromSeq) {
        sink.accept(seq, Arrays.copyOf(body, len));
      }
      pos += OVERHEAD + len;
      r.goodEnd = pos;
      r.lastSeq = last;
    }
    return r;
  }

  /** What is wrong with an intact marker or seal; null when nothing. */
  private static String markerProblem(RecordFormat format, byte type, byte[] payload, int len, long seq) {
    if (type == format.seal) {
      return len == 0 ? null : "a seal with a payload of " + len + " bytes";
    }
    if (len != Long.BYTES) {
      return "a batch marker with a payload of " + len + " bytes";
    }
    long durable = ByteBuffer.wrap(payload, 0, Long.BYTES).getLong();
    return durable >= 0 && durable < seq ? null : "a batch marker at sequence " + seq + " says records up to "
        + durable + " were durable";
  }

  /** What is wrong with a record header given {@code left} bytes from its start; null when nothing. */
  private static Problem headerProblem(RecordFormat format, ByteBuffer h, long left) {
    if (!format.isType(h.get(0))) {
      return Problem.BAD_MAGIC;
    }
    long n = Integer.toUnsignedLong(h.getInt(1));
    if (n > MAX_PAYLOAD) {
      return Problem.BAD_LENGTH;
    }
    return OVERHEAD + n > left ? Problem.TRUNCATED_RECORD : null;
  }

  private static String headerDetail(RecordFormat format, Problem p, ByteBuffer h, long left) {
    long n = Integer.toUnsignedLong(h.getInt(1));
    return switch (p) {
      case BAD_MAGIC -> String.format("byte 0x%02x where a record type byte (%s) belongs", h.get(0) & 0xff,
          format.types());
      case BAD_LENGTH -> "payload length " + n + " exceeds the limit of " + MAX_PAYLOAD;
      default -> "a record of " + (OVERHEAD + n) + " bytes but only " + left + " bytes remain in the file";
    };
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

  /** The payload of a batch marker: the number up to which records were forced. */
  static byte[] markerPayload(long durable) {
    return ByteBuffer.allocate(Long.BYTES).putLong(durable).array();
  }

  /** The payload of a seal (empty: its sequence number names the next segment). */
  static byte[] sealPayload() {
    return EMPTY;
  }

  /**
   * Why bad bytes at the end of the log's last segment are damage and not a torn tail, or null
   * when they are a torn tail (see {@link WriteAheadLog}): the record there is intact; or, in
   * format 2, a batch marker or seal after it says that its number had been forced (only the last
   * batch, never forced, can be partly on disk after a crash); or, in format 1, which has no
   * markers, any valid record follows it. A search that exceeds its checksum budget counts as
   * damage.
   *
   * @param r the scan that stopped at the bad bytes ({@code goodEnd}, {@code lastSeq}, {@code intact})
   */
  static String damageEvidence(FileChannel ch, long size, RecordFormat format, Result r) throws IOException {
    if (r.intact) {
      return "the record there is intact (its checksum matches) but does not fit, which no torn write leaves";
    }
    Window w = new Window(ch, size, size - r.goodEnd);
    long d = r.lastSeq + 1;
    try {
      if (format.hasMarkers()) {
        Bounds b = new Bounds(d, Long.MAX_VALUE, r.goodEnd, true);
        for (long from = r.goodEnd + 1; ; ) {
          Frame f = find(w, from, format, b);
          if (f == null) {
            return null;
          }
          if (f.durable() >= d) {
            return (f.type() == format.seal ? "the segment's seal" : "a batch marker") + " (sequence " + f.seq()
                + ") at byte offset " + f.offset() + " says that records up to " + f.durable()
                + " had been forced, so sequence " + d + " had been acknowledged";
          }
          from = f.offset() + 1;
        }
      }
      Frame f = find(w, r.goodEnd + 1, format, new Bounds(d, Long.MAX_VALUE, r.goodEnd, false));
      return f == null ? null : "a valid record (sequence " + f.seq() + ") follows at byte offset " + f.offset();
    } catch (ScanLimitException e) {
      return "the search for valid records after it gave up (" + e.getMessage() + "; the bytes after it hold many"
          + " record-like headers), so it is taken for damage";
    }
  }

  /** The first frame at or after {@code from} that {@code b} accepts; null when there is none. */
  private static Frame find(Window w, long from, RecordFormat format, Bounds b) throws IOException {
    for (long pos = from; pos + OVERHEAD <= w.limit; pos++) {
      byte t = w.byteAt(pos);
      if (format.isType(t) && (!b.markersOnly() || t == format.marker || t == format.seal)) {
        Frame f = frameAt(w, pos, format, b);
        if (f != null) {
          return f;
        }
      }
    }
    return null;
  }

  /** The record at {@code pos} when it is valid and {@code b} accepts it; else null. */
  private static Frame frameAt(Window w, long pos, RecordFormat format, Bounds b) throws IOException {
    if (w.limit - pos < OVERHEAD) {
      return null;
    }
    byte[] h = w.header;
    w.read(pos, h, 0, HEADER);
    ByteBuffer hb = ByteBuffer.wrap(h);
    if (headerProblem(format, hb, w.limit - pos) != null) {
      return null;
    }
    byte type = h[0];
    int len = hb.getInt(1);
    long seq = hb.getLong(5);
    boolean mark = type == format.marker || type == format.seal;
    if (seq < b.minSeq() || (b.markersOnly() && !mark)) {
      return null;
    }
    if (mark) {
      if (seq > b.nextFirst() || len != (type == format.marker ? Long.BYTES : 0)) {
        return null;
      }
    } else {
      long span = b.damageAt() >= 0 ? (pos - b.damageAt()) / OVERHEAD
          : format.hasMarkers() ? Long.MAX_VALUE : PLAUSIBLE_SPAN;
      if (seq >= b.nextFirst() || seq - b.minSeq() > span
          || (type == format.hole && (len < Long.BYTES || len > MAX_HOLE_PAYLOAD))) {
        return null;
      }
    }
    if (!intact(w, pos, format, type, len)) {
      return null;
    }
    long end = pos + OVERHEAD + len;
    if (type == format.data) {
      return new Frame(pos, end, seq, seq, type, -1, null);
    }
    if (type == format.seal) {
      return new Frame(pos, end, seq, seq - 1, type, seq - 1, null);
    }
    byte[] payload = new byte[len];
    w.read(pos + HEADER, payload, 0, len);
    if (type == format.marker) {
      long durable = ByteBuffer.wrap(payload).getLong();
      return durable < 0 || durable >= seq ? null : new Frame(pos, end, seq, seq - 1, type, durable, null);
    }
    long last = holeLast(payload, len, seq);
    if (last < 0 || last >= b.nextFirst() || (b.damageAt() >= 0 && !justified(w, end, format, last, b.nextFirst()))) {
      return null;
    }
    return new Frame(pos, end, seq, last, type, -1, holeReason(payload, len));
  }

  /**
   * Whether a hole record found behind damage, ending at {@code end} and accounting for numbers up
   * to {@code last}, is borne out: the record right after it is intact and carries {@code last + 1},
   * or the hole ends a segment whose successor starts at {@code last + 1}.
   */
  private static boolean justified(Window w, long end, RecordFormat format, long last, long nextFirst)
      throws IOException {
    if (end == w.limit) {
      return nextFirst != Long.MAX_VALUE && last == nextFirst - 1;
    }
    if (w.limit - end < OVERHEAD) {
      return false;
    }
    byte[] h = new byte[HEADER];
    w.read(end, h, 0, HEADER);
    ByteBuffer hb = ByteBuffer.wrap(h);
    return headerProblem(format, hb, w.limit - end) == null && hb.getLong(5) == last + 1
        && intact(w, end, format, h[0], hb.getInt(1));
  }

  /** Whether the record at {@code pos} (whose header was read) has a matching checksum. */
  private static boolean intact(Window w, long pos, RecordFormat format, byte type, int len) throws IOException {
    CRC32C crc = w.crc;
    format.begin(crc, type);
    byte[] h = new byte[HEADER];
    w.read(pos, h, 0, HEADER);
    crc.update(h, 1, HEADER - 1);
    w.checksum(crc, pos + HEADER, len);
    byte[] t = new byte[TRAILER];
    w.read(pos + HEADER + len, t, 0, TRAILER);
    return ByteBuffer.wrap(t).getInt() == (int) crc.getValue();
  }

  /**
   * How to rewrite a damaged segment: the runs of valid records to keep, the hole records (and, in
   * format 2, the seal) to write between and after them, and what is left out.
   */
  static final class Salvage {
    /** In file order: a {@code long[] {from, to}} byte range to copy, or a {@code byte[]} record to write. */
    private final List<Object> pieces = new ArrayList<>();
    private final List<WalRepair.Dropped> dropped = new ArrayList<>();
    private final RecordFormat format;
    private long lastSeq;
    private long sealedTo = -1;
    private boolean tornTailOnly = true;

    private Salvage(RecordFormat format) {
      this.format = format;
    }

    /** What the rewrite leaves out. */
    List<WalRepair.Dropped> dropped() {
      return dropped;
    }

    /** The last sequence number the rewritten segment accounts for. */
    long lastSeq() {
      return lastSeq;
    }

    /** The number the rewritten segment's seal names, or -1 when it has no seal. */
    long sealedTo() {
      return sealedTo;
    }

    /**
     * Whether the segment must be rewritten: it holds damage other than a torn tail of the log's
     * last segment (which {@link WriteAheadLog#open} cuts by itself).
     */
    boolean needsRewrite() {
      return !dropped.isEmpty() && !tornTailOnly;
    }

    /** Writes the repaired segment: the kept ranges of {@code in} and the new records. */
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
      pieces.add(format.frame(format.hole, first, holePayload(last, reason)));
    }

    private void seal(long next) {
      pieces.add(format.frame(format.seal, next, sealPayload()));
      sealedTo = next;
    }
  }

  /**
   * Plans the repair of one segment: walks its records, keeps every valid one whose number comes
   * next, and at each bad record looks for the next valid record (or marker); the bytes in between
   * are left out and the numbers they held become a hole. Trailing damage of a segment that is not
   * the last becomes a hole up to the next segment's first number, and in format 2 such a segment
   * gets its seal if it lacks one. In the log's last segment, bad bytes that
   * {@link #damageEvidence} takes for a torn tail are cut, as {@code open} would cut them.
   *
   * @param nextFirst the next segment's first number ({@code Long.MAX_VALUE} for the last segment)
   * @param file the segment, for the report
   * @param why the start of every hole's reason (when and what wrote it)
   * @throws WalCorruptionException when a format-1 search behind damage exceeds its checksum budget
   */
  static Salvage salvage(FileChannel ch, long size, RecordFormat format, long firstSeq, long nextFirst, boolean last,
      Path file, String why) throws IOException {
    Salvage plan = new Salvage(format);
    Window w = new Window(ch, size, size);
    long expected = firstSeq;
    long keepFrom = 0;
    long pos = 0;
    while (pos < size) {
      if (plan.sealedTo >= 0) {
        plan.keep(keepFrom, pos);
        plan.tornTailOnly = false;
        plan.dropped.add(new WalRepair.Dropped(file, pos, size - pos, expected, expected - 1, Problem.AFTER_SEAL,
            (size - pos) + " bytes follow the seal that ends the segment"));
        keepFrom = size;
        pos = size;
        break;
      }
      Frame f = frameAt(w, pos, format, new Bounds(expected, nextFirst, -1, false));
      if (f != null && f.seq() == expected) {
        pos = f.end();
        expected = f.last() + 1;
        if (f.type() == format.seal) {
          plan.sealedTo = f.seq();
        }
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
      Result bad = scan(ch, pos, size, format, expected, Long.MAX_VALUE, expected, null, null);
      if (bad.problem == null) {
        // Intact, and right as far as a scan can tell, but beyond what a search may accept.
        bad.problem = Problem.SEQUENCE_GAP;
        bad.detail = "a record numbered out of range";
        bad.intact = true;
      }
      String detail = bad.detail;
      if (last && damageEvidence(ch, size, format, bad) == null) {
        plan.tornTailOnly = plan.dropped.isEmpty();
        plan.dropped.add(new WalRepair.Dropped(file, pos, size - pos, expected, expected - 1, bad.problem,
            detail + "; nothing after it shows that it had been forced: a torn tail"));
        keepFrom = size;
        pos = size;
        break;
      }
      Frame g;
      try {
        g = find(w.budget(size - pos), pos + 1, format, new Bounds(expected, nextFirst, pos, false));
      } catch (ScanLimitException e) {
        if (!format.hasMarkers()) {
          throw new WalCorruptionException(file, pos, "cannot repair write-ahead log segment " + file + ": the search"
              + " for valid records after the damage at byte offset " + pos + " gave up (" + e.getMessage()
              + "; the bytes after it hold many record-like headers). Nothing was changed; restore the segment from"
              + " a backup");
        }
        // Batch markers are found in linear time: resume at the next one.
        g = find(w.budget(size - pos), pos + 1, format, new Bounds(expected, nextFirst, pos, true));
      }
      long to = g != null ? g.offset() : size;
      long lostLast = g != null ? g.seq() - 1 : last ? expected - 1 : nextFirst - 1;
      if (lostLast >= expected) {
        plan.hole(expected, lostLast, why + "bytes " + pos + ".." + to + " of " + file.getFileName()
            + " were damaged (" + bad.problem + ": " + detail + ")");
      }
      plan.dropped.add(new WalRepair.Dropped(file, pos, to - pos, expected, lostLast, bad.problem, detail));
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
    if (!last && format.hasMarkers() && plan.sealedTo < 0) {
      // The seal names the number this segment's records reach; a hole segment covers any gap to
      // the next segment.
      plan.tornTailOnly = false;
      plan.seal(expected);
      if (plan.dropped.isEmpty()) {
        // Otherwise the damage reported already says why the end was rewritten.
        plan.dropped.add(new WalRepair.Dropped(file, size, 0, expected, expected - 1, Problem.UNSEALED,
            "the segment did not end with its seal; a seal naming sequence " + expected + " was written"));
      }
    }
    plan.lastSeq = expected - 1;
    return plan;
  }

  /** A read window over a channel, for byte-by-byte searches and positional reads, with a checksum budget. */
  private static final class Window {
    final FileChannel ch;
    final long limit;
    final ByteBuffer buf = ByteBuffer.allocate(1 << 16);
    final byte[] header = new byte[HEADER];
    final CRC32C crc = new CRC32C();
    long start = -1;
    long checked;
    long budget;

    Window(FileChannel ch, long limit, long searched) {
      this.ch = ch;
      this.limit = limit;
      budget(searched);
    }

    /** Starts a new budget for a search over {@code searched} bytes. */
    Window budget(long searched) {
      checked = 0;
      budget = (64L << 20) + 8 * Math.max(0, searched);
      return this;
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
      checked += len;
      if (checked > budget) {
        throw new ScanLimitException(checked);
      }
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
