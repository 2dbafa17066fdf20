package dev.auramoe.server.wal;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * A write-ahead log in a directory: records are appended with increasing sequence numbers,
 * acknowledged only once they are on disk, replayed after a restart, and trimmed once a snapshot
 * covers them.
 *
 * <h2>On-disk format (version 2)</h2>
 *
 * The directory holds segment files {@code wal-<first sequence, 20 decimal digits>.log} (for
 * example {@code wal-00000000000000000001.log}), the header file {@code wal.header} and a lock file
 * {@code wal.lock}; the directory is created 0700 and every file in it 0600 (where the file system
 * has POSIX permissions), since the records hold whatever the log's user writes. All integers are
 * big-endian (as in {@code dev.auramoe.io.SnapshotFormat}).
 *
 * <p>{@code wal.header} (40 bytes, always replaced whole and atomically: a temporary file, forced,
 * renamed, the directory forced) holds {@code "aura-wal"}, the header version (2), a random 64-bit
 * <em>salt</em> chosen when the log is created, <em>since</em> (segments whose first number is below
 * it are in format 1, see below), <em>first</em> (the log holds every record from this number on:
 * written when the log is created, before trimming deletes segments and after
 * {@link #extendBackTo} adds one) and a CRC-32C of those bytes.
 *
 * <p>A segment is a plain concatenation of frames, with no file header:
 *
 * <pre>
 * offset  size  field
 * 0       1     type: 0xB7 data record, 0xB8 hole record, 0xB9 batch marker, 0xBA seal
 * 1       4     payload length n, unsigned 32-bit, at most MAX_PAYLOAD (1 GiB)
 * 5       8     sequence number, unsigned 64-bit (in practice &lt; 2^63)
 * 13      n     payload
 * 13+n    4     CRC-32C of the salt (8 bytes), then of bytes [0, 13+n): type, length, sequence, payload
 * </pre>
 *
 * A frame takes {@code 17 + n} bytes. Data and hole records take sequence numbers: they start at 1
 * in a new log and grow by exactly 1 from record to record, across segments; the first record of a
 * segment carries the number in the segment's name. The salt makes a frame that a client smuggles
 * into a payload (a learn's inputs are raw float bits) fail its checksum: only the log knows it.
 *
 * <ul>
 * <li>A <em>hole record</em> stands for sequence numbers that have no record: its payload is the
 *     last of those numbers (8 bytes) followed by a UTF-8 reason, and the record after it carries
 *     that number plus 1. Holes are written only when the log is told that records are gone: by
 *     {@link #repair} for records lost to damage, by {@link #skipTo} and {@link #extendBackTo} for
 *     numbers the log's user knows were used elsewhere (a snapshot covers them). So a number is
 *     never used twice, and the log itself says which numbers it lost and why; {@link #replay}
 *     skips holes and {@link #holes()} lists them.
 * <li>A <em>batch marker</em> (payload: 8 bytes, a number {@code D}) is written right after each
 *     group commit is forced, numbered {@code D + 1} like the record after it but taking no number:
 *     it says that every record up to {@code D} had been forced, and so acknowledged. It costs 25
 *     bytes and one write per commit, no force of its own (the next commit forces it, and so does
 *     {@link #close}). Recovery reads it as evidence; replay skips it.
 * <li>A <em>seal</em> (empty payload) ends every segment but the last, numbered with the next
 *     segment's first number. A roll forces the old segment, creates the next one and forces the
 *     directory, then writes the seal and forces it: so a sealed segment is always followed by its
 *     successor, and a log whose last segment is sealed has lost a segment.
 * </ul>
 *
 * A segment rolls (a new file starts) before a record that would take it, with a marker and a seal
 * after it, past {@link WalOptions#segmentBytes()}.
 *
 * <h3>Format history</h3>
 *
 * <ul>
 * <li><b>Version 1</b>: no header file; types 0xA7 (data) and 0xA8 (hole); the CRC-32C covers
 *     length, sequence and payload only (no salt, no type byte); no markers, no seals.
 * <li><b>Version 2</b>: the header file with salt, {@code since} and {@code first}; batch markers and
 *     seals; the salt and the type byte in every checksum; new type bytes, so that no segment is
 *     ever read in the wrong format.
 * </ul>
 *
 * A log written in version 1 still opens: its segments are read as version 1 (a torn tail is cut as
 * before, and any valid record after bad bytes makes them damage, since version 1 has no markers);
 * then the log starts a new segment, in version 2, and writes its header with {@code since} set to
 * that segment's number. The version-1 segments stay until trimming deletes them; a repair writes
 * version-1 holes into them. Versions before 2 cannot read a version-2 log: they would take its
 * segments for torn tails and cut them. Do not go back to an older version once this one has
 * opened (or repaired) a log.
 *
 * <h2>Durability</h2>
 *
 * The future returned by {@link #append(byte[])} completes only after the record was written and
 * its segment forced with {@code FileChannel.force(false)}, which is {@code fdatasync} on Linux: it
 * flushes the data and the metadata needed to read it back (the file length), skipping only
 * timestamps, so {@code force(true)} would add cost without adding safety. A new segment is
 * created and the directory forced before any record in it is acknowledged, and the directory is
 * forced again after {@link #trimBefore(long)} deletes files; platforms that cannot open a directory
 * as a channel (not Linux) skip those directory syncs.
 *
 * <p>Group commit: one writer thread takes everything queued (up to
 * {@link WalOptions#maxBatchBytes()}), writes it through one reused direct buffer, forces once,
 * writes the batch marker and then completes all of those futures, so concurrent appenders share
 * flushes. A failed write or force fails the futures of the batch and of everything queued behind
 * it with an {@link IOException}, and every later append too: the log is then "failed" and must be
 * reopened, which recovers whatever reached the disk. Records whose futures failed may or may not
 * survive the reopen; acknowledged records always do. An out-of-memory error on the writer thread
 * fails the log the same way: the batch being written stays reachable until its futures complete,
 * and the failure is set before anything is allocated, so no future is forgotten and no appender
 * waits for ever; an out-of-memory in {@code append} leaves the record unqueued and its number unused.
 *
 * <h2>Recovery: torn tails and damage</h2>
 *
 * {@link #open} validates every record of every segment. A crash (of the process or of the machine)
 * during a write can leave only one kind of debris: bytes of the <em>last batch</em>, the one being
 * written and forced when the crash came. Every batch before it was forced before it was written,
 * and a roll forces the old segment before it creates the next, so those bytes can only lie at the
 * end of the last segment; a power loss may keep any part of them, a later page without an earlier
 * one included. That is a <em>torn tail</em>, and none of its records was acknowledged: {@code open}
 * truncates the file at the end of the last good record, forces it, reports the cut through
 * {@link #recoveryReport()} and appends after it.
 *
 * <p>To tell a torn tail from damage, {@code open} looks at the bad bytes where record {@code D}
 * should start. They are <em>damage</em> when the record there is intact (its checksum matches) but
 * does not fit (a wrong number, an invalid hole or marker, bytes after a seal: no torn write leaves
 * an intact record), or when a valid batch marker or seal after them says that records up to
 * {@code D} or beyond had been forced: then {@code D} was acknowledged and its batch was not the
 * last. Otherwise everything from {@code D} on belongs to the last, unforced batch, however many
 * valid records of it follow, and is cut. (A version-1 segment has no markers: there any valid
 * record after the bad bytes makes them damage.)
 *
 * <p>Damage is refused with a {@link WalCorruptionException} naming the file and byte offset,
 * changing nothing: a bad record in any segment but the last; damage in the last segment as above;
 * a missing or renamed segment; a segment followed by another that lacks its seal (its end is
 * missing); a last segment that ends sealed (the segment after it is missing); a first segment
 * that starts after the header's {@code first} (segments at the front were deleted); no segment at
 * all beside a header; a damaged header, or a missing one beside version-2 segments (the records
 * cannot be checked without the salt).
 *
 * <p>One debris of a crash during a roll is cleared instead: an empty last segment after a segment
 * whose records end right before it but whose seal is missing or torn. The crash came between
 * creating the new segment and forcing the seal; the empty file is deleted and the segment before it
 * is the last again (a torn seal is cut as a torn tail).
 *
 * <p>What no check can see: the end of the last segment lost at a record boundary (truncated, or
 * the file replaced by an older copy), since nothing after the last commit vouches for it (that
 * would take a second force per commit); damage in the last segment that also destroyed every
 * marker after it, which reads as a torn tail; and a log directory deleted whole, header included,
 * which is a new log ({@code DataStore} refuses that beside snapshots that cover more).
 *
 * <p>Damage is repaired only when asked, with {@link #repair}, on a closed log. It deletes nothing
 * that holds a record: the only file it removes is the empty segment an interrupted roll left, as
 * {@link #open} does too.
 * Each damaged segment is first copied to {@code wal-...log.damaged-<UTC time>} beside it (forced,
 * and the directory forced); then the segment is rewritten with every valid record it holds, a hole
 * record standing for each run of sequence numbers whose records were lost, without the damaged
 * bytes, and with its seal if it lacked one. A segment missing between two others, or at the front
 * (before the header's {@code first}), is replaced by a segment holding one hole record. When the
 * last segment is sealed, or no segment is left, the missing segments' end is unknown: the repair
 * writes a segment holding a hole of 2^32 numbers from the first missing number, so that numbering
 * resumes above anything they can have used (2^32 records of 17 bytes fill more than a thousand
 * 64 MiB segments). The returned {@link WalRepair} lists every byte range left out and every
 * sequence number lost. A torn tail at the end of a log that needs no other repair is left for
 * {@code open} to cut, as always. A missing or damaged header cannot be repaired: it holds the salt.
 *
 * <h2>Threading</h2>
 *
 * Every method is thread-safe. Sequence numbers are assigned in the order {@code append} calls
 * acquire the log's internal lock, so callers that append under a lock of their own (while they
 * apply the change to their state) get log order equal to apply order. Futures complete on the
 * writer thread; dependent stages without {@code Async} run there too and delay later commits, so
 * keep them short. {@link #replay} and {@link #trimBefore} exclude each other but run concurrently
 * with appends; replay delivers the records that were durable when it started.
 *
 * <pre>{@code
 * try (WriteAheadLog wal = WriteAheadLog.open(dir)) {
 *   wal.replay(snapshotSeq + 1, (seq, payload) -> model.apply(decode(payload)));
 *   ...
 *   CompletableFuture<Long> durable;
 *   synchronized (model) {               // log order = apply order
 *     model.apply(request);
 *     durable = wal.append(encode(request));
 *   }
 *   durable.join();                      // acknowledge the client only now
 *   ...
 *   long covered = snapshotter.save(model);   // a snapshot that includes every record up to covered
 *   wal.trimBefore(covered + 1);
 * }
 * }</pre>
 */
public final class WriteAheadLog implements AutoCloseable {

  /** The type byte that starts every data record (format 2). */
  public static final byte MAGIC = (byte) 0xB7;
  /** The type byte that starts every hole record (format 2). */
  public static final byte HOLE = (byte) 0xB8;
  /** The type byte that starts every batch marker (format 2). */
  public static final byte MARKER = (byte) 0xB9;
  /** The type byte that starts every seal (format 2). */
  public static final byte SEAL = (byte) 0xBA;
  /** Longest reason a hole record keeps, in characters. */
  private static final int MAX_REASON = 2000;
  /** Largest payload accepted (1 GiB). */
  public static final int MAX_PAYLOAD = 1 << 30;
  /** Bytes before the payload: type, length, sequence. */
  static final int HEADER = 13;
  /** Bytes after the payload: the CRC-32C. */
  static final int TRAILER = 4;
  /** Frame bytes around a payload. */
  static final int OVERHEAD = HEADER + TRAILER;
  /** Bytes a batch marker and a seal take at the end of a segment. */
  private static final int MARKER_AND_SEAL = 2 * OVERHEAD + Long.BYTES;
  /**
   * How many numbers a repair records as lost when it cannot know how many were used: the missing
   * segments after a sealed last segment, or after the header's first number when none is left
   * (2^32; records of 17 bytes at least, so more than a thousand 64 MiB segments' worth).
   */
  public static final long UNKNOWN_SPAN = 1L << 32;

  private static final Pattern NAME = Pattern.compile("wal-(\\d{20})\\.log");
  /** Files a repair, {@link #extendBackTo} or a header write was writing when the process died. */
  private static final Pattern TEMPORARY = Pattern.compile("wal-\\d{20}\\.log(\\..+)?\\.tmp|wal\\.header\\..*\\.tmp");
  private static final String LOCK_FILE = "wal.lock";
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
      .withZone(ZoneOffset.UTC);

  /** Receives replayed records. */
  @FunctionalInterface
  public interface RecordConsumer {
    /**
     * Accepts one record.
     *
     * @param sequence the record's sequence number
     * @param payload the record's payload, a fresh array the consumer may keep
     */
    void accept(long sequence, byte[] payload);
  }

  /**
   * Sequence numbers without a record, as a hole record states them.
   *
   * @param first the first number of the hole
   * @param last the last number of the hole
   * @param reason why the numbers have no record (when and what lost them)
   */
  public record Hole(long first, long last, String reason) {}

  private record Segment(long firstSeq, Path path, RecordFormat format) {}

  /** A record waiting for the writer: {@code seq..last} are its numbers (one, but for a hole). */
  private record Pending(long seq, long last, byte type, byte[] payload, CompletableFuture<Long> future) {}

  private final Path dir;
  private final WalOptions options;
  private final WalHook hook;
  /** The lock file's channel: holding it open holds the directory's lock. */
  private final FileChannel lockChannel;
  private final RecoveryReport recovery;
  private final List<Hole> holes;
  /** The header as on disk; replaced (under the trim lock's write lock) when {@code first} changes. */
  private volatile LogHeader header;
  /** The format the writer writes: version 2 with the log's salt. */
  private final RecordFormat format;

  // Append side, guarded by lock.
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition notEmpty = lock.newCondition();
  private final Condition notFull = lock.newCondition();
  private ArrayDeque<Pending> queue = new ArrayDeque<>();
  private long queuedBytes;
  private long lastAssigned;
  private boolean closed;
  private IOException failure;

  /**
   * What {@link #fail} reports when it cannot build a detailed failure (the heap ran out): made
   * up front, so that failing the log allocates nothing before appenders see the failure.
   */
  private final IOException writerFailed;

  // Writer thread only.
  /** An empty deque that takeBatch swaps in for the queue (null while the writer holds none). */
  private ArrayDeque<Pending> spare = new ArrayDeque<>();
  /**
   * The batch being written, from the moment it leaves the queue until its futures are complete:
   * always reachable, so that a failure at any point (an out-of-memory included) fails its records
   * instead of forgetting them. Null between batches.
   */
  private ArrayDeque<Pending> inFlight;
  private final Thread writer;
  private final ByteBuffer buf;
  private final byte[] hdr = new byte[HEADER - 1];
  private final ByteBuffer hdrView = ByteBuffer.wrap(hdr);
  private final byte[] marker = new byte[Long.BYTES];
  private final ByteBuffer markerView = ByteBuffer.wrap(marker);
  private final CRC32C crc = new CRC32C();
  private FileChannel active;
  private Path activePath;
  private long activeEnd;
  private boolean dirty;

  // Segments in sequence order, the last one active; guarded by its own monitor.
  private final ArrayList<Segment> segments;
  private final ReentrantReadWriteLock trimLock = new ReentrantReadWriteLock();
  // Single writer (the writer thread, or open), many readers.
  private volatile long lastDurable;
  private volatile long forces;

  private WriteAheadLog(Path dir, WalOptions options, WalHook hook, FileChannel lockChannel, LogHeader header,
      ArrayList<Segment> segments, FileChannel active, long activeEnd, long lastSeq, RecoveryReport recovery,
      List<Hole> holes) {
    this.dir = dir;
    this.header = header;
    this.format = RecordFormat.v2(header.salt());
    this.options = options;
    this.hook = hook;
    this.lockChannel = lockChannel;
    this.segments = segments;
    this.active = active;
    this.activePath = segments.getLast().path();
    this.activeEnd = activeEnd;
    this.lastAssigned = lastSeq;
    this.lastDurable = lastSeq;
    this.recovery = recovery;
    this.holes = java.util.Collections.synchronizedList(new ArrayList<>(holes));
    this.writerFailed = new IOException("write-ahead log " + dir + " failed: its writer could not go on (out of"
        + " memory while it wrote or failed a batch)");
    this.buf = ByteBuffer.allocateDirect(Math.clamp(options.maxBatchBytes() + (long) OVERHEAD, 1 << 16, 1 << 22));
    this.writer = Thread.ofPlatform().daemon(true).name("wal-writer " + dir).unstarted(this::writeLoop);
  }

  /** Opens (creating if needed) the log in {@code dir} with {@link WalOptions#DEFAULTS}. */
  public static WriteAheadLog open(Path dir) throws IOException {
    return open(dir, WalOptions.DEFAULTS);
  }

  /**
   * Opens the log in {@code dir}, creating the directory and a first segment if needed, and
   * recovers it as the class documentation describes.
   *
   * @param dir the log's directory, created if missing
   * @param options tuning knobs
   * @return the open log, ready for appends after the last good record
   * @throws WalCorruptionException for damage that is not a torn tail (nothing was changed; see
   *     {@link #repair})
   * @throws IOException when the directory cannot be read or another process holds the log open
   */
  public static WriteAheadLog open(Path dir, WalOptions options) throws IOException {
    return open(dir, options, WalHook.NONE);
  }

  static WriteAheadLog open(Path dir, WalOptions options, WalHook hook) throws IOException {
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(hook, "hook");
    Path d = dir.toAbsolutePath();
    FileChannel lockChannel = lock(d);
    FileChannel active = null;
    try {
      LogHeader header = LogHeader.read(d);
      ArrayList<Segment> segments = list(d, header);
      if (header == null) {
        requireFormat1(d, segments);
        if (segments.isEmpty()) {
          // The segment first, then the header: a header always has a segment beside it.
          Path first = d.resolve(name(1));
          PrivateFiles.open(first, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
          syncDirectory(d);
          segments.add(new Segment(1, first, RecordFormat.V1));
        }
      } else if (segments.isEmpty()) {
        throw new WalCorruptionException(d.resolve(LogHeader.FILE), -1, "write-ahead log " + d + " has no segment,"
            + " but its header says that it holds every record from sequence " + header.first() + ": every segment"
            + " was deleted. Nothing was changed; restore them from a backup, or repair the log to record the"
            + " numbers as lost (numbering then resumes " + UNKNOWN_SPAN + " numbers later)");
      }
      dropInterruptedRoll(d, segments);
      Segment front = segments.getFirst();
      if (header != null && front.firstSeq() > header.first()) {
        throw new WalCorruptionException(front.path(), -1, "write-ahead log segment " + front.path() + " starts at"
            + " sequence " + front.firstSeq() + " but the log's header says that it holds every record from sequence "
            + header.first() + ": segments holding records " + header.first() + ".." + (front.firstSeq() - 1)
            + " were deleted. Nothing was changed; restore them from a backup, or repair the log to record those"
            + " numbers as lost");
      }
      Segment back = segments.getLast();
      if (header != null && back.firstSeq() < header.since()) {
        throw new WalCorruptionException(back.path(), -1, "write-ahead log " + d + " ends with segment " + back.path()
            + ", but its header says the log went on in format 2 from sequence " + header.since() + " (segment "
            + name(header.since()) + "): the segments from there on are missing ("
            + RecoveryReport.Problem.MISSING_SEGMENT + "). Nothing was changed; restore them from a backup, or repair"
            + " the log to record the numbers as lost (numbering then resumes " + UNKNOWN_SPAN + " numbers later)");
      }
      long expected = front.firstSeq();
      RecoveryReport report = null;
      List<Hole> holes = new ArrayList<>();
      long activeEnd = 0;
      for (int i = 0; i < segments.size(); i++) {
        Segment s = segments.get(i);
        boolean last = i == segments.size() - 1;
        RecordFormat fmt = s.format();
        PrivateFiles.restrict(s.path());
        if (s.firstSeq() != expected) {
          throw new WalCorruptionException(s.path(), -1, "write-ahead log segment " + s.path() + " starts at sequence "
              + s.firstSeq() + " but the segment before it ends at " + (expected - 1) + ": a segment holding records "
              + expected + ".." + (s.firstSeq() - 1) + " is missing or was renamed. Nothing was changed; restore it"
              + " from a backup, or repair the log to record those numbers as lost");
        }
        long size = Files.size(s.path());
        SegmentScanner.Result r;
        String evidence = null;
        try (FileChannel ch = FileChannel.open(s.path(), StandardOpenOption.READ)) {
          r = SegmentScanner.scan(ch, 0, size, fmt, s.firstSeq(), Long.MAX_VALUE, Long.MAX_VALUE, null, holes::add);
          if (r.problem != null && last) {
            evidence = SegmentScanner.damageEvidence(ch, size, fmt, r);
          }
        }
        if (r.problem != null && (!last || evidence != null)) {
          throw new WalCorruptionException(s.path(), r.goodEnd, "write-ahead log segment " + s.path()
              + " is damaged at byte offset " + r.goodEnd + " (" + r.problem + ": " + r.detail + ") after sequence "
              + r.lastSeq + "; " + (!last ? "it is not the last segment, so acknowledged records are damaged"
              : "this is not a torn tail: " + evidence + ", and cutting here would drop acknowledged records")
              + ". Nothing was changed; restore the segment from a backup, or repair the log, which keeps a copy of"
              + " the segment and every valid record and reports the sequence numbers it drops");
        }
        if (!last && fmt.hasMarkers() && r.sealedTo < 0) {
          throw new WalCorruptionException(s.path(), size, "write-ahead log segment " + s.path() + " ends at byte"
              + " offset " + size + " (sequence " + r.lastSeq + ") without the seal that every segment followed by"
              + " another ends with (" + RecoveryReport.Problem.UNSEALED + "): its end is missing. Nothing was"
              + " changed; restore it from a backup, or repair the log to record the lost numbers");
        }
        if (last && r.problem == null && r.sealedTo >= 0) {
          throw new WalCorruptionException(s.path(), size, "write-ahead log segment " + s.path() + " is sealed: the"
              + " segment after it, " + name(r.sealedTo) + ", holding the records from sequence " + r.sealedTo
              + " on, is missing (" + RecoveryReport.Problem.MISSING_SEGMENT + "). Nothing was changed; restore it"
              + " from a backup, or repair the log to record the numbers as lost (numbering then resumes "
              + UNKNOWN_SPAN + " numbers later)");
        }
        expected = r.lastSeq + 1;
        if (last) {
          active = PrivateFiles.open(s.path(), StandardOpenOption.WRITE);
          if (r.problem != null) {
            report = new RecoveryReport(s.path(), r.goodEnd, size - r.goodEnd, r.lastSeq, r.problem, r.detail);
            active.truncate(r.goodEnd);
          }
          // After a kill the last batch may still be only in the page cache: it reads back intact, but
          // it is on disk only once forced, and a snapshot taken after the replay will count on it.
          active.force(true);
          active.position(r.goodEnd);
          activeEnd = r.goodEnd;
        }
      }
      if (header == null) {
        // A new log, or one in format 1: format 2 starts in a segment of its own.
        if (activeEnd > 0) {
          Path next = d.resolve(name(expected));
          FileChannel ch = PrivateFiles.open(next, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
          syncDirectory(d);
          active.close();
          active = ch;
          activeEnd = 0;
          segments.add(new Segment(expected, next, RecordFormat.V1));
        }
        header = LogHeader.create(segments.getLast().firstSeq(), segments.getFirst().firstSeq());
        header.write(d);
        for (int i = 0; i < segments.size(); i++) {
          Segment s = segments.get(i);
          segments.set(i, new Segment(s.firstSeq(), s.path(), header.format(s.firstSeq())));
        }
      }
      WriteAheadLog wal = new WriteAheadLog(d, options, hook, lockChannel, header, segments, active, activeEnd,
          expected - 1, report, holes);
      wal.writer.start();
      return wal;
    } catch (IOException | RuntimeException | Error e) {
      closeQuietly(active, e);
      closeQuietly(lockChannel, e);
      throw e;
    }
  }

  /**
   * Refuses a log without a header whose segments are in format 2: the header holds the salt their
   * checksums start with (a format-1 reading would take every record for a torn tail).
   */
  private static void requireFormat1(Path d, List<Segment> segments) throws IOException {
    for (Segment s : segments) {
      try (FileChannel ch = FileChannel.open(s.path(), StandardOpenOption.READ)) {
        ByteBuffer b = ByteBuffer.allocate(1);
        if (ch.read(b, 0) == 1 && RecordFormat.isVersion2Type(b.get(0))) {
          throw new WalCorruptionException(d.resolve(LogHeader.FILE), -1, "write-ahead log " + d + " has no header"
              + " file " + LogHeader.FILE + ", but segment " + s.path() + " is in format 2, whose checksums start"
              + " with the salt the header holds: the records cannot be checked without it. Nothing was changed;"
              + " restore " + LogHeader.FILE + " from a backup");
        }
      }
    }
  }

  /**
   * Clears the debris of a crash during a roll: an empty last segment after a format-2 segment
   * whose records end right before it and whose seal is missing or torn (the roll had created the
   * new segment but not forced the seal). The empty file is deleted, so the segment before it is the
   * last again and a torn seal is cut as a torn tail.
   */
  private static void dropInterruptedRoll(Path d, List<Segment> segments) throws IOException {
    int n = segments.size();
    if (n < 2) {
      return;
    }
    Segment last = segments.get(n - 1);
    Segment prev = segments.get(n - 2);
    if (!prev.format().hasMarkers() || Files.size(last.path()) != 0) {
      return;
    }
    try (FileChannel ch = FileChannel.open(prev.path(), StandardOpenOption.READ)) {
      long size = ch.size();
      SegmentScanner.Result r = SegmentScanner.scan(ch, 0, size, prev.format(), prev.firstSeq(), Long.MAX_VALUE,
          Long.MAX_VALUE, null, null);
      boolean sealMissing = r.problem == null ? r.sealedTo < 0 : !r.intact && size - r.goodEnd <= OVERHEAD;
      if (!sealMissing || r.lastSeq + 1 != last.firstSeq()) {
        return;
      }
    }
    Files.delete(last.path());
    syncDirectory(d);
    segments.removeLast();
  }

  /**
   * Creates the directory (0700) if needed, takes its lock file and removes what an interrupted
   * {@link #repair}, {@link #extendBackTo} or header write left; returns the lock's channel (closing
   * it releases the lock).
   *
   * @throws IOException when another process (or another log in this JVM) holds the lock
   */
  private static FileChannel lock(Path d) throws IOException {
    PrivateFiles.createDirectories(d);
    PrivateFiles.restrict(d);
    FileChannel lockChannel = PrivateFiles.open(d.resolve(LOCK_FILE), StandardOpenOption.CREATE,
        StandardOpenOption.WRITE);
    try {
      PrivateFiles.restrict(d.resolve(LOCK_FILE));
      FileLock fileLock;
      try {
        fileLock = lockChannel.tryLock();
      } catch (OverlappingFileLockException e) {
        fileLock = null;
      }
      if (fileLock == null) {
        throw new IOException("write-ahead log " + d + " is already open (" + LOCK_FILE + " is locked)");
      }
      try (Stream<Path> files = Files.list(d)) {
        for (Path p : (Iterable<Path>) files::iterator) {
          if (TEMPORARY.matcher(p.getFileName().toString()).matches()) {
            Files.deleteIfExists(p);
          }
        }
      }
      return lockChannel;
    } catch (IOException | RuntimeException | Error e) {
      closeQuietly(lockChannel, e);
      throw e;
    }
  }

  /**
   * Repairs the damage {@link #open} refuses, in the closed log in {@code dir}, as the class
   * documentation describes: every damaged segment is copied aside (never deleted) and rewritten
   * with every valid record it holds, hole records stand for the sequence numbers whose records
   * were lost, and a missing segment is replaced by one hole record. A log that {@code open} would
   * accept is not touched (an empty report).
   *
   * @param dir the log's directory
   * @return what was left out and which copies were kept
   * @throws WalCorruptionException when the header is missing or damaged (it cannot be repaired)
   * @throws IOException when the directory cannot be read or written, or the log is open
   */
  public static WalRepair repair(Path dir) throws IOException {
    Path d = dir.toAbsolutePath();
    if (!Files.isDirectory(d)) {
      return new WalRepair(List.of(), List.of());
    }
    List<WalRepair.Dropped> dropped = new ArrayList<>();
    List<Path> copies = new ArrayList<>();
    String when = STAMP.format(java.time.Instant.now());
    try (FileChannel lockChannel = lock(d)) {
      LogHeader header = LogHeader.read(d);
      List<Segment> segments = list(d, header);
      if (header == null) {
        requireFormat1(d, segments);
      }
      dropInterruptedRoll(d, segments);
      if (segments.isEmpty()) {
        if (header != null) {
          writeMissing(d, header, header.first(), -1, when, dropped);
        }
        return new WalRepair(dropped, copies);
      }
      long expected = header == null ? segments.getFirst().firstSeq()
          : Math.min(header.first(), segments.getFirst().firstSeq());
      for (int i = 0; i < segments.size(); i++) {
        Segment s = segments.get(i);
        boolean last = i == segments.size() - 1;
        if (s.firstSeq() > expected) {
          writeMissing(d, header, expected, s.firstSeq(), when, dropped);
        }
        long nextFirst = last ? Long.MAX_VALUE : segments.get(i + 1).firstSeq();
        SegmentScanner.Salvage plan;
        try (FileChannel ch = FileChannel.open(s.path(), StandardOpenOption.READ)) {
          plan = SegmentScanner.salvage(ch, ch.size(), s.format(), s.firstSeq(), nextFirst, last, s.path(),
              "repair " + when + ": ");
          if (plan.needsRewrite()) {
            Path copy = unique(d, s.path().getFileName() + ".damaged-" + when);
            Files.copy(s.path(), copy, StandardCopyOption.COPY_ATTRIBUTES);
            PrivateFiles.restrict(copy);
            try (FileChannel c = FileChannel.open(copy, StandardOpenOption.WRITE)) {
              c.force(true);
            }
            // The copy's name must be on disk before the segment it keeps is replaced.
            syncDirectory(d);
            copies.add(copy);
            Path tmp = d.resolve(s.path().getFileName() + ".repair.tmp");
            try (FileChannel out = PrivateFiles.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
              plan.writeTo(ch, out);
              out.force(true);
            }
            Files.move(tmp, s.path(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            syncDirectory(d);
            dropped.addAll(plan.dropped());
          }
        }
        expected = plan.lastSeq() + 1;
        if (last && plan.sealedTo() >= 0) {
          writeMissing(d, header, plan.sealedTo(), -1, when, dropped);
        } else if (last && header != null && s.firstSeq() < header.since()) {
          // Format 2 began at `since`, in a segment that is gone with any after it.
          if (expected < header.since()) {
            writeMissing(d, header, expected, header.since(), when, dropped);
          }
          writeMissing(d, header, header.since(), -1, when, dropped);
        }
      }
    }
    return new WalRepair(dropped, copies);
  }

  /**
   * Writes a segment that stands for missing ones: one hole record from {@code first} to
   * {@code nextFirst - 1}, sealed in format 2; or, when {@code nextFirst} is -1 (the end is unknown),
   * a last segment whose hole spans {@link #UNKNOWN_SPAN} numbers.
   */
  private static void writeMissing(Path d, LogHeader header, long first, long nextFirst, String when,
      List<WalRepair.Dropped> dropped) throws IOException {
    RecordFormat fmt = header == null ? RecordFormat.V1 : header.format(first);
    Path hole = d.resolve(name(first));
    boolean unknown = nextFirst < 0;
    long last = unknown ? first + UNKNOWN_SPAN - 1 : nextFirst - 1;
    String what = unknown ? "the segments from " + name(first) + " on are missing and how many numbers they used is"
        + " unknown: " + UNKNOWN_SPAN + " numbers are recorded as lost, so that numbering resumes above them"
        : "no segment held records " + first + ".." + last;
    writeNew(hole, holeSegment(fmt, first, last, "repair " + when + ": " + what, unknown ? -1 : nextFirst));
    dropped.add(new WalRepair.Dropped(hole, 0, 0, first, last, RecoveryReport.Problem.MISSING_SEGMENT, unknown ? what
        : "no segment held these records"));
  }

  /**
   * The bytes of a segment that stands for lost numbers: one hole record for {@code first..last},
   * then, in a format with seals and when the next segment is known ({@code nextFirst} >= 0), the
   * seal that names it.
   */
  private static byte[] holeSegment(RecordFormat fmt, long first, long last, String reason, long nextFirst) {
    byte[] hole = fmt.frame(fmt.hole, first, SegmentScanner.holePayload(last, reason));
    if (nextFirst < 0 || !fmt.hasMarkers()) {
      return hole;
    }
    byte[] seal = fmt.frame(fmt.seal, nextFirst, SegmentScanner.sealPayload());
    byte[] both = java.util.Arrays.copyOf(hole, hole.length + seal.length);
    System.arraycopy(seal, 0, both, hole.length, seal.length);
    return both;
  }

  /** {@code name} in {@code dir}, or {@code name-2}, {@code name-3}, ... when it is taken. */
  private static Path unique(Path dir, String name) {
    Path p = dir.resolve(name);
    for (int n = 2; Files.exists(p); n++) {
      p = dir.resolve(name + "-" + n);
    }
    return p;
  }

  /** Writes a new file whole (through a temporary file, forced, then renamed) and forces the directory. */
  private static void writeNew(Path file, byte[] bytes) throws IOException {
    if (Files.exists(file)) {
      throw new IOException(file + " already exists");
    }
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (FileChannel out = PrivateFiles.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      while (b.hasRemaining()) {
        out.write(b);
      }
      out.force(true);
    }
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
    syncDirectory(file.getParent());
  }

  /** The segments in {@code dir}, in sequence order, each with its format under {@code header} (format 1 without one). */
  private static ArrayList<Segment> list(Path dir, LogHeader header) throws IOException {
    ArrayList<Segment> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Matcher m = NAME.matcher(p.getFileName().toString());
        if (m.matches()) {
          long first;
          try {
            first = Long.parseLong(m.group(1));
          } catch (NumberFormatException e) {
            first = -1;
          }
          if (first < 1) {
            throw new WalCorruptionException(p, -1, "write-ahead log segment " + p + " has an invalid first sequence");
          }
          out.add(new Segment(first, p, header == null ? RecordFormat.V1 : header.format(first)));
        }
      }
    }
    out.sort((a, b) -> Long.compare(a.firstSeq(), b.firstSeq()));
    return out;
  }

  private static String name(long firstSeq) {
    return String.format("wal-%020d.log", firstSeq);
  }

  /** Forces a directory so that file creations and deletions in it survive a crash. */
  private static void syncDirectory(Path dir) {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException ignored) {
      // Some platforms (Windows) cannot open a directory as a channel; nothing more can be done there.
    }
  }

  private static void closeQuietly(AutoCloseable c, Throwable primary) {
    if (c != null) {
      try {
        c.close();
      } catch (Exception e) {
        primary.addSuppressed(e);
      }
    }
  }

  /**
   * Appends a record and returns a future that completes with its sequence number once the record
   * is durable, or exceptionally with an {@link IOException} when the log could not make it durable
   * (or had failed before). Sequence numbers are assigned here, in call order. Blocks while
   * {@link WalOptions#maxQueuedBytes()} are waiting for the writer.
   *
   * @param payload the record; Not modified, and must not be modified until the future completes
   *     (it is written from the caller's array, without a copy)
   * @return the record's sequence number, once durable
   * @throws IllegalStateException when the log is closed
   * @throws IllegalArgumentException when the payload exceeds {@link #MAX_PAYLOAD}
   */
  public CompletableFuture<Long> append(byte[] payload) {
    return enqueue(payload, false);
  }

  /**
   * Like {@link #append(byte[])}, but a log that has already failed refuses the record by throwing
   * instead of returning a failed future. So a caller can tell "never queued" (the exception) from
   * "queued, then the log failed" (a future that fails later): a record this method returned a
   * future for may be on disk, and a replay may apply it.
   *
   * @throws IllegalStateException when the log is closed or has failed: the record was not queued
   */
  public CompletableFuture<Long> appendOrRefuse(byte[] payload) {
    return enqueue(payload, true);
  }

  private CompletableFuture<Long> enqueue(byte[] payload, boolean refuseWhenFailed) {
    return enqueue(MAGIC, payload, 0, refuseWhenFailed);
  }

  /**
   * Queues a record. A hole ({@code type} HOLE, {@code payload} its reason) takes the numbers up to
   * {@code holeLast}; null when the log has already reached it, so no hole is needed.
   */
  private CompletableFuture<Long> enqueue(byte type, byte[] payload, long holeLast, boolean refuseWhenFailed) {
    Objects.requireNonNull(payload, "payload");
    if (payload.length > MAX_PAYLOAD) {
      throw new IllegalArgumentException("payload of " + payload.length + " bytes exceeds the limit of "
          + MAX_PAYLOAD);
    }
    long size = OVERHEAD + (long) payload.length;
    lock.lock();
    try {
      while (true) {
        if (closed) {
          throw new IllegalStateException("write-ahead log " + dir + " is closed");
        }
        if (failure != null) {
          if (refuseWhenFailed) {
            throw new IllegalStateException(failedLog().getMessage(), failure);
          }
          return CompletableFuture.failedFuture(failedLog());
        }
        if (queuedBytes == 0 || queuedBytes + size <= options.maxQueuedBytes()) {
          break;
        }
        notFull.awaitUninterruptibly();
      }
      long seq = lastAssigned + 1;
      long last = seq;
      if (type == HOLE) {
        if (seq > holeLast) {
          return null;
        }
        payload = SegmentScanner.holePayload(holeLast, new String(payload, java.nio.charset.StandardCharsets.UTF_8));
        size = OVERHEAD + (long) payload.length;
        last = holeLast;
      }
      hook.allocating(WalHook.Site.ENQUEUE);
      Pending p = new Pending(seq, last, type, payload, new CompletableFuture<>());
      queue.add(p);
      // Only now: an out-of-memory above leaves the number free for the next record.
      lastAssigned = last;
      queuedBytes += size;
      notEmpty.signal();
      return p.future();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Appends a record and waits until it is durable.
   *
   * @return the record's sequence number
   * @throws IOException when the record could not be made durable; {@link InterruptedIOException}
   *     when interrupted while waiting (the record may or may not become durable)
   * @see #append(byte[])
   */
  public long appendAndWait(byte[] payload) throws IOException {
    CompletableFuture<Long> f = append(payload);
    try {
      return f.get();
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      throw new IOException(c.getMessage(), c);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for a write-ahead log record to become durable;"
          + " it may or may not be on disk");
    }
  }

  private IOException failedLog() {
    return new IOException("write-ahead log " + dir + " has failed and accepts no more appends; reopen it to recover"
        + " (cause: " + failure.getMessage() + ")", failure);
  }

  /**
   * Passes every durable record with a sequence number of at least {@code fromSeqInclusive} to
   * {@code consumer}, in sequence order, reading the segments from disk and checking each record
   * again. Records that become durable while the replay runs are not included; holes are skipped
   * (see {@link #holes()}).
   *
   * @param fromSeqInclusive first sequence number wanted
   * @param consumer receives the records, on the calling thread
   * @throws IllegalArgumentException when {@code fromSeqInclusive} is below 1 or below
   *     {@link #firstSequence()} (those records were trimmed)
   * @throws WalCorruptionException when a record read back is damaged
   * @throws IllegalStateException when the log is closed
   */
  public void replay(long fromSeqInclusive, RecordConsumer consumer) throws IOException {
    Objects.requireNonNull(consumer, "consumer");
    trimLock.readLock().lock();
    try {
      ensureOpen();
      // Read the durable end first: every record up to it lies in a segment already listed.
      long upTo = lastDurable;
      List<Segment> snapshot;
      synchronized (segments) {
        snapshot = List.copyOf(segments);
      }
      long first = snapshot.getFirst().firstSeq();
      if (fromSeqInclusive < 1 || fromSeqInclusive < first) {
        throw new IllegalArgumentException("cannot replay from sequence " + fromSeqInclusive + ": the log starts at "
            + first + (first > 1 ? " (earlier records were trimmed)" : ""));
      }
      long seen = fromSeqInclusive - 1;
      for (int i = 0; i < snapshot.size() && seen < upTo; i++) {
        Segment s = snapshot.get(i);
        if (i + 1 < snapshot.size() && snapshot.get(i + 1).firstSeq() <= fromSeqInclusive) {
          continue;
        }
        SegmentScanner.Result r;
        try (FileChannel ch = FileChannel.open(s.path(), StandardOpenOption.READ)) {
          r = SegmentScanner.scan(ch, 0, ch.size(), s.format(), s.firstSeq(), fromSeqInclusive, upTo, consumer,
              null);
        }
        long segmentEnd = i + 1 < snapshot.size() ? snapshot.get(i + 1).firstSeq() - 1 : upTo;
        if (r.problem != null || r.lastSeq < Math.min(segmentEnd, upTo)) {
          throw new WalCorruptionException(s.path(), r.goodEnd, "write-ahead log segment " + s.path()
              + " is damaged at byte offset " + r.goodEnd + " ("
              + (r.problem != null ? r.problem + ": " + r.detail : "it ends at sequence " + r.lastSeq) + ")"
              + " while replaying up to sequence " + upTo);
        }
        seen = r.lastSeq;
      }
    } finally {
      trimLock.readLock().unlock();
    }
  }

  /**
   * Makes sure no record will ever carry a number below {@code nextSeq}: when the log ends before
   * {@code nextSeq - 1}, appends a hole record for the numbers in between and waits until it is
   * durable. For a user that knows those numbers were used (a snapshot covers them) although the
   * log lost their records: without the hole, new records would reuse them.
   *
   * @param nextSeq the least number the next appended record may carry
   * @param reason why the numbers have no record, kept in the hole record (cut to 2000 characters)
   * @return the hole written, or empty when the log already reaches {@code nextSeq - 1}
   * @throws IOException when the hole could not be made durable
   * @throws IllegalStateException when the log is closed or has failed
   */
  public Optional<Hole> skipTo(long nextSeq, String reason) throws IOException {
    byte[] text = clip(reason).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    CompletableFuture<Long> f = enqueue(HOLE, text, nextSeq - 1, true);
    if (f == null) {
      return Optional.empty();
    }
    long first;
    try {
      first = f.get();
    } catch (ExecutionException e) {
      throw new IOException(e.getCause().getMessage(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for a hole record to become durable");
    }
    Hole h = new Hole(first, nextSeq - 1, clip(reason));
    holes.add(h);
    return Optional.of(h);
  }

  /**
   * Makes the log start at {@code firstSeq} when it starts later: writes a new first segment holding
   * one hole record for the numbers in between (and its seal; forced, renamed into place, then the
   * directory forced), then records the new first number in the header. For a user whose snapshot covers records only up to {@code firstSeq - 1} while the
   * records after it are gone from the front of the log: the hole records that loss, so that the
   * log again accounts for every number after the snapshot.
   *
   * @param firstSeq the number the log should start at, at least 1
   * @param reason why the numbers have no record (cut to 2000 characters)
   * @return the hole written, or empty when the log already starts at or before {@code firstSeq}
   * @throws IllegalStateException when the log is closed
   */
  public Optional<Hole> extendBackTo(long firstSeq, String reason) throws IOException {
    if (firstSeq < 1) {
      throw new IllegalArgumentException("a log starts at sequence 1 or later, not " + firstSeq);
    }
    trimLock.writeLock().lock();
    try {
      ensureOpen();
      long first;
      synchronized (segments) {
        first = segments.getFirst().firstSeq();
      }
      if (firstSeq >= first) {
        return Optional.empty();
      }
      Hole h = new Hole(firstSeq, first - 1, clip(reason));
      Path p = dir.resolve(name(firstSeq));
      RecordFormat fmt = header.format(firstSeq);
      writeNew(p, holeSegment(fmt, firstSeq, h.last(), h.reason(), first));
      synchronized (segments) {
        segments.addFirst(new Segment(firstSeq, p, fmt));
      }
      // After the segment: a crash between leaves a segment before the header's first, which is fine.
      // Memory follows the disk: a write that fails leaves the header as it was in both.
      LogHeader moved = header.withFirst(firstSeq);
      moved.write(dir);
      header = moved;
      holes.addFirst(h);
      return Optional.of(h);
    } finally {
      trimLock.writeLock().unlock();
    }
  }

  private static String clip(String reason) {
    Objects.requireNonNull(reason, "reason");
    return reason.length() <= MAX_REASON ? reason : reason.substring(0, MAX_REASON);
  }

  /**
   * Deletes every segment whose records all have sequence numbers below {@code seq}, oldest first,
   * then forces the directory. The active segment is never deleted. The header records the new first
   * number first (durably), so that a later start can tell segments trimmed from segments lost. Call
   * it once a durable snapshot covers every record before {@code seq}.
   *
   * @param seq the first sequence number that must stay
   * @return the number of segment files deleted
   * @throws IllegalStateException when the log is closed
   */
  public int trimBefore(long seq) throws IOException {
    trimLock.writeLock().lock();
    try {
      ensureOpen();
      List<Segment> doomed = new ArrayList<>();
      long newFirst;
      synchronized (segments) {
        for (int i = 0; i + 1 < segments.size() && segments.get(i + 1).firstSeq() <= seq; i++) {
          doomed.add(segments.get(i));
        }
        newFirst = segments.get(doomed.size()).firstSeq();
      }
      if (newFirst > header.first()) {
        // Memory follows the disk: were it updated first, a failed write would let the next trim
        // delete segments that the header on disk still says the log starts with.
        LogHeader h = header.withFirst(newFirst);
        h.write(dir);
        header = h;
      }
      // Oldest first, so a crash half-way leaves a contiguous log.
      for (Segment s : doomed) {
        Files.deleteIfExists(s.path());
        synchronized (segments) {
          segments.removeFirst();
        }
      }
      if (!doomed.isEmpty()) {
        syncDirectory(dir);
      }
      return doomed.size();
    } finally {
      trimLock.writeLock().unlock();
    }
  }

  private void ensureOpen() {
    lock.lock();
    try {
      if (closed) {
        throw new IllegalStateException("write-ahead log " + dir + " is closed");
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Whether a write or force has failed: every later append then fails, until the log is reopened.
   * True no later than the failed records' futures complete.
   */
  public boolean failed() {
    lock.lock();
    try {
      return failure != null;
    } finally {
      lock.unlock();
    }
  }

  /** Sequence number of the last durable record; 0 (or the first segment's number minus 1) when none. */
  public long lastSequence() {
    return lastDurable;
  }

  /** Sequence number of the oldest record still kept (records before it were trimmed). */
  public long firstSequence() {
    synchronized (segments) {
      return segments.getFirst().firstSeq();
    }
  }

  /**
   * The holes of the log: those its segments held when it was opened, in log order, and those
   * written since by {@link #skipTo} and {@link #extendBackTo} (trimming does not remove them here).
   */
  public List<Hole> holes() {
    synchronized (holes) {
      return List.copyOf(holes);
    }
  }

  /** What {@link #open} cut from the tail of the last segment; empty when the log was clean. */
  public Optional<RecoveryReport> recoveryReport() {
    return Optional.ofNullable(recovery);
  }

  /** The log's directory. */
  public Path directory() {
    return dir;
  }

  /** How many times the writer has forced a segment (one per group commit, plus up to two per roll: the old segment, then its seal). */
  public long forces() {
    return forces;
  }

  /**
   * Waits for every pending append to become durable (or fail), then closes the files and releases
   * the directory lock. Appends after close throw {@link IllegalStateException}; closing twice does
   * nothing. A failure of the log is reported through the futures, not here.
   */
  @Override
  public void close() throws IOException {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      notEmpty.signalAll();
      notFull.signalAll();
    } finally {
      lock.unlock();
    }
    boolean interrupted = false;
    while (writer.isAlive()) {
      try {
        writer.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    trimLock.writeLock().lock();
    try {
      try {
        // Every batch was forced when it was written; the marker written after the last one is
        // forced here, so that it vouches for that batch after a power loss too.
        if (dirty && failure == null) {
          active.force(false);
        }
      } catch (IOException ignored) {
        // Only that evidence is lost: the records themselves were forced.
      }
      try {
        active.close();
      } finally {
        lockChannel.close(); // releases the lock
      }
    } finally {
      trimLock.writeLock().unlock();
    }
  }

  // ---- writer thread ----

  private void writeLoop() {
    try {
      while (takeBatch()) {
        hook.allocating(WalHook.Site.BATCH);
        writeBatch(inFlight);
        for (Pending p : inFlight) {
          p.future().complete(p.seq());
        }
        inFlight.clear();
        spare = inFlight;
        inFlight = null;
      }
    } catch (InterruptedException e) {
      fail(new InterruptedIOException("the write-ahead log writer thread was interrupted"));
    } catch (IOException | RuntimeException | Error e) {
      // A failed write or force; or an error outside one (an out-of-memory taking a batch or
      // completing its futures): a writer that died silently would leave every appender waiting
      // for room in the queue for ever, with its model's lock held. Failing the log answers them
      // and shows in failed() (/health).
      fail(e);
    }
  }

  /**
   * Waits for work and makes the next batch {@link #inFlight}; false once closed and drained. A
   * record leaves the queue only once it is in the batch, so an out-of-memory here loses none.
   */
  private boolean takeBatch() throws InterruptedException {
    lock.lock();
    try {
      while (queue.isEmpty()) {
        if (closed) {
          return false;
        }
        notEmpty.await();
      }
      long linger = options.maxWait().toNanos();
      while (linger > 0 && queuedBytes < options.maxBatchBytes() && !closed) {
        linger = notEmpty.awaitNanos(linger);
      }
      if (queuedBytes <= options.maxBatchBytes()) {
        // Everything queued fits one batch: swap the queue for the empty spare, so that appenders
        // wait for this lock only for a constant-time swap, not for a walk over the queue.
        inFlight = queue;
        queue = spare;
        spare = null;
        queuedBytes = 0;
      } else {
        inFlight = spare;
        spare = null;
        long bytes = 0;
        Pending p;
        while ((p = queue.peek()) != null) {
          long size = OVERHEAD + (long) p.payload().length;
          if (!inFlight.isEmpty() && bytes + size > options.maxBatchBytes()) {
            break;
          }
          inFlight.add(p);
          queue.poll();
          queuedBytes -= size;
          bytes += size;
        }
      }
      notFull.signalAll();
    } finally {
      lock.unlock();
    }
    return true;
  }

  private void writeBatch(ArrayDeque<Pending> batch) throws IOException {
    for (Pending p : batch) {
      long size = OVERHEAD + (long) p.payload().length;
      if (activeEnd > 0 && activeEnd + size + MARKER_AND_SEAL > options.segmentBytes()) {
        roll(p.seq());
      }
      put(p.type(), p.seq(), p.payload());
    }
    flush();
    force();
    long last = batch.getLast().last();
    lastDurable = last;
    // The batch marker: written now, before the futures complete, so that every acknowledged batch
    // has one after it in the file (the next commit or close forces it).
    markerView.putLong(0, last);
    put(format.marker, last + 1, marker);
    flush();
  }

  /** Frames one record into the buffer, flushing the buffer to the channel whenever it fills. */
  private void put(byte type, long seq, byte[] payload) throws IOException {
    int n = payload.length;
    hdrView.putInt(0, n).putLong(4, seq);
    format.begin(crc, type);
    crc.update(hdr, 0, hdr.length);
    crc.update(payload, 0, n);
    int sum = (int) crc.getValue();
    if (buf.remaining() < HEADER) {
      flush();
    }
    buf.put(type).put(hdr);
    for (int off = 0; off < n; ) {
      if (!buf.hasRemaining()) {
        flush();
      }
      int k = Math.min(buf.remaining(), n - off);
      buf.put(payload, off, k);
      off += k;
    }
    if (buf.remaining() < TRAILER) {
      flush();
    }
    buf.putInt(sum);
    activeEnd += OVERHEAD + n;
  }

  private void flush() throws IOException {
    buf.flip();
    if (buf.hasRemaining()) {
      dirty = true;
    }
    while (buf.hasRemaining()) {
      active.write(buf);
    }
    buf.clear();
  }

  private void force() throws IOException {
    if (!dirty) {
      return;
    }
    hook.beforeForce(activePath);
    active.force(false);
    dirty = false;
    forces++;
  }

  /**
   * Starts a new segment whose first record is {@code firstSeq}: forces what the old one holds,
   * creates the new one and forces the directory, then seals the old one and forces the seal. So
   * the old segment's records are durable before the new segment exists, and a seal is durable only
   * once the segment it names exists.
   */
  private void roll(long firstSeq) throws IOException {
    flush();
    force();
    Path next = dir.resolve(name(firstSeq));
    FileChannel ch = PrivateFiles.open(next, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    try {
      syncDirectory(dir);
      put(format.seal, firstSeq, SegmentScanner.sealPayload());
      flush();
      force();
      synchronized (segments) {
        segments.add(new Segment(firstSeq, next, format));
      }
    } catch (IOException | RuntimeException e) {
      closeQuietly(ch, e);
      throw e;
    }
    FileChannel old = active;
    active = ch;
    activePath = next;
    activeEnd = 0;
    old.close();
  }

  /**
   * Marks the log failed, then fails the batch in flight and everything queued. The failure is set
   * and waiting appenders are woken before anything is allocated, so that even an out-of-memory
   * here leaves a failed log that refuses appends rather than a dead writer that appenders wait
   * for; the detailed failure is built afterwards, where memory allows.
   */
  private void fail(Throwable cause) {
    lock.lock();
    try {
      failure = writerFailed;
      notFull.signalAll();
    } finally {
      lock.unlock();
    }
    IOException io = writerFailed;
    try {
      hook.allocating(WalHook.Site.FAIL);
      io = new IOException("write-ahead log " + dir + " failed to write or force " + activePath + ": " + cause, cause);
      lock.lock();
      try {
        failure = io;
      } finally {
        lock.unlock();
      }
    } catch (OutOfMemoryError e) {
      // The prepared failure stands.
    }
    // No appender queues a record once the failure is set, so the queue no longer changes.
    failAll(inFlight, io);
    failAll(queue, io);
    lock.lock();
    try {
      queue.clear();
      queuedBytes = 0;
    } finally {
      lock.unlock();
    }
  }

  /** Fails every record's future; a completion that runs out of memory is tried again. */
  private static void failAll(ArrayDeque<Pending> records, IOException io) {
    if (records == null) {
      return;
    }
    for (Pending p : records) {
      for (int tries = 0; tries < 3 && !p.future().isDone(); tries++) {
        try {
          p.future().completeExceptionally(io);
        } catch (OutOfMemoryError e) {
          // Memory may be free again once the error that caused the failure has unwound.
        }
      }
    }
  }

  @Override
  public String toString() {
    return "WriteAheadLog[" + dir + ", last sequence " + lastDurable + "]";
  }
}
