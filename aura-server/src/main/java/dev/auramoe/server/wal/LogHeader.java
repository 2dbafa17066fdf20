package dev.auramoe.server.wal;

import dev.auramoe.io.AtomicFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.zip.CRC32C;

/**
 * The log's header file {@code wal.header} (format 2): the salt that every record's checksum
 * starts with, the first sequence number written in format 2, and the first sequence number the
 * log must hold. Written whole and atomically (a temporary file, forced, renamed, the directory
 * forced): when the log is created or upgraded from format 1, and again whenever its first number
 * changes (trimming, {@link WriteAheadLog#extendBackTo}). 40 bytes, big-endian:
 *
 * <pre>
 * offset  size  field
 * 0       8     "aura-wal" in ASCII
 * 8       4     header version, 2
 * 12      8     salt (random, chosen when the header is first written; never changes)
 * 20      8     since: segments whose first number is below it are in format 1
 * 28      8     first: the log holds every record from this number on (a segment that starts
 *               later means the segments before it were deleted)
 * 36      4     CRC-32C of bytes [0, 36)
 * </pre>
 *
 * @param salt the salt
 * @param since segments that start below it are format 1
 * @param first the first number the log must hold
 */
record LogHeader(long salt, long since, long first) {

  /** The file's name in the log's directory. */
  static final String FILE = "wal.header";
  private static final byte[] MAGIC = "aura-wal".getBytes(StandardCharsets.US_ASCII);
  private static final int VERSION = 2;
  private static final int SIZE = 40;

  /** A header for a log (or upgrade) whose format-2 segments start at {@code since}, with a fresh salt. */
  static LogHeader create(long since, long first) {
    return new LogHeader(new SecureRandom().nextLong(), since, first);
  }

  /** This header with another first number. */
  LogHeader withFirst(long first) {
    return new LogHeader(salt, since, first);
  }

  /** The format of a segment whose first number is {@code firstSeq}. */
  RecordFormat format(long firstSeq) {
    return firstSeq < since ? RecordFormat.V1 : RecordFormat.v2(salt);
  }

  /**
   * Reads the header of the log in {@code dir}.
   *
   * @return the header, or null when there is none (a new log, or one written in format 1)
   * @throws WalCorruptionException when the file is damaged: its records cannot be checked without it
   */
  static LogHeader read(Path dir) throws IOException {
    Path file = dir.resolve(FILE);
    byte[] b;
    try {
      b = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return null;
    }
    String problem = null;
    ByteBuffer h = ByteBuffer.wrap(b);
    if (b.length != SIZE) {
      problem = "it has " + b.length + " bytes, not " + SIZE;
    } else if (!java.util.Arrays.equals(b, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
      problem = "it does not start with \"aura-wal\"";
    } else if (h.getInt(SIZE - 4) != crc(b)) {
      problem = "its checksum does not match";
    } else if (h.getInt(8) != VERSION) {
      problem = "it has version " + h.getInt(8) + ", which this version does not read";
    } else if (h.getLong(20) < 1 || h.getLong(28) < 1) {
      problem = "it names sequence numbers below 1";
    }
    if (problem != null) {
      throw new WalCorruptionException(file, -1, "write-ahead log header " + file + " is damaged: " + problem
          + ". It holds the salt that every record's checksum starts with, so the log cannot be read without it."
          + " Nothing was changed; restore it from a backup");
    }
    return new LogHeader(h.getLong(12), h.getLong(20), h.getLong(28));
  }

  /** Writes this header into {@code dir}, atomically and durably (0600). */
  void write(Path dir) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(SIZE);
    b.put(MAGIC).putInt(VERSION).putLong(salt).putLong(since).putLong(first);
    b.putInt(crc(b.array()));
    AtomicFiles.write(dir.resolve(FILE), b.array());
    PrivateFiles.restrict(dir.resolve(FILE));
  }

  /** Leaves the salt out: it is what keeps records from being forged. */
  @Override
  public String toString() {
    return "LogHeader[since=" + since + ", first=" + first + "]";
  }

  private static int crc(byte[] b) {
    CRC32C c = new CRC32C();
    c.update(b, 0, SIZE - 4);
    return (int) c.getValue();
  }
}
