package dev.auramoe.server.wal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Shared helpers for the write-ahead log tests (public for the tests of other packages). */
public final class WalFixtures {

  private WalFixtures() {}

  /** One replayed record. */
  record Rec(long seq, byte[] payload) {}

  /** Deterministic payload for a sequence number: length 1..300, bytes derived from seq. */
  static byte[] payloadFor(long seq) {
    int n = 1 + (int) Math.floorMod(seq * 7919L, 300L);
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (seq * 31 + i * 17 + (seq >>> 8));
    }
    return b;
  }

  /** Every record from {@code from} on. */
  static List<Rec> replayAll(WriteAheadLog wal, long from) throws IOException {
    List<Rec> out = new ArrayList<>();
    wal.replay(from, (seq, payload) -> out.add(new Rec(seq, payload)));
    return out;
  }

  /** The segment files in sequence order. */
  public static List<Path> segments(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().matches("wal-\\d{20}\\.log")).sorted().toList();
    }
  }

  /**
   * Record boundaries of a segment's bytes: 0, the end of the first record, ..., the end of the
   * last whole record (the file length when the segment is not torn).
   */
  public static long[] bounds(byte[] segment) {
    List<Long> b = new ArrayList<>(List.of(0L));
    for (long at = 0; at + WriteAheadLog.HEADER <= segment.length; ) {
      long end = at + WriteAheadLog.OVERHEAD + java.nio.ByteBuffer.wrap(segment, (int) at + 1, 4).getInt();
      if (end > segment.length) {
        break;
      }
      b.add(end);
      at = end;
    }
    return b.stream().mapToLong(Long::longValue).toArray();
  }

  /**
   * One frame of a segment: its byte range, type byte and the sequence number in its header (for
   * a marker or a seal, the number of the record after it).
   */
  public record Frame(long offset, long end, byte type, long seq) {

    /** Whether the frame is a data record (not a hole, marker or seal). */
    public boolean data() {
      return type == WriteAheadLog.MAGIC;
    }

    /** Whether the frame is a batch marker. */
    public boolean marker() {
      return type == WriteAheadLog.MARKER;
    }

    /** Whether the frame is a seal. */
    public boolean seal() {
      return type == WriteAheadLog.SEAL;
    }
  }

  /**
   * A complete frame as the log in {@code dir} writes it (its salt read from the header): what a
   * writer bug, or an attacker who knew the salt, could put into a segment.
   */
  public static byte[] frame(Path dir, byte type, long seq, byte[] payload) throws IOException {
    return LogHeader.read(dir).format(seq).frame(type, seq, payload);
  }

  /** A frame in format 1, or one framed without the log's salt (as anyone can compute it). */
  static byte[] unsaltedFrame(byte type, long seq, byte[] payload) {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(WriteAheadLog.OVERHEAD + payload.length);
    b.put(type).putInt(payload.length).putLong(seq).put(payload);
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(b.array(), 1, WriteAheadLog.HEADER - 1 + payload.length);
    b.putInt((int) crc.getValue());
    return b.array();
  }

  /** The whole frames of a segment's bytes, in file order (a torn last frame is left out). */
  public static List<Frame> frames(byte[] segment) {
    List<Frame> out = new ArrayList<>();
    long[] b = bounds(segment);
    for (int i = 0; i + 1 < b.length; i++) {
      java.nio.ByteBuffer h = java.nio.ByteBuffer.wrap(segment, (int) b[i], WriteAheadLog.HEADER);
      out.add(new Frame(b[i], b[i + 1], h.get((int) b[i]), h.getLong((int) b[i] + 5)));
    }
    return out;
  }

  /** The data records of a segment's bytes, in file order. */
  public static List<Frame> records(byte[] segment) {
    return frames(segment).stream().filter(Frame::data).toList();
  }

  /** Copies the segment files and the header of the log in {@code from} into a new directory {@code to}. */
  static void copySegments(Path from, Path to) throws IOException {
    Files.createDirectories(to);
    for (Path p : segments(from)) {
      Files.copy(p, to.resolve(p.getFileName()));
    }
    Path header = from.resolve(LogHeader.FILE);
    if (Files.exists(header)) {
      Files.copy(header, to.resolve(LogHeader.FILE));
    }
  }
}
