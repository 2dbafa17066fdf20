package dev.auramoe.server.wal;

import java.nio.file.Path;

/**
 * What {@link WriteAheadLog#open} cut from the end of the last segment: a torn tail left by a crash
 * during a write (an incomplete last record, or bytes of the last, never forced batch that a crash
 * kept only in part). The records before {@code offset} were kept; the file was truncated at
 * {@code offset} and forced before any new record was appended. Damage that forced records follow
 * is not a torn tail: {@code open} refuses it (see {@link WalCorruptionException}) and only
 * {@link WriteAheadLog#repair} changes such a file.
 *
 * @param file the segment file that was truncated
 * @param offset byte offset of the cut, the end of the last good record (0 when none was good)
 * @param bytesDropped bytes removed from the end of the file
 * @param lastGoodSequence sequence number of the last record kept in the whole log
 * @param problem why the record at {@code offset} was rejected
 * @param detail the specifics, for logs
 */
public record RecoveryReport(Path file, long offset, long bytesDropped, long lastGoodSequence, Problem problem,
    String detail) {

  /** Why a record was rejected. */
  public enum Problem {
    /** Fewer bytes remain than a record header takes. */
    PARTIAL_HEADER,
    /** The first byte of the record is not the record magic (typical of zero-filled tails). */
    BAD_MAGIC,
    /** The length field exceeds {@link WriteAheadLog#MAX_PAYLOAD}. */
    BAD_LENGTH,
    /** The length field points past the end of the file: the record was cut short. */
    TRUNCATED_RECORD,
    /** The CRC-32C does not match the record's length, sequence and payload. */
    CHECKSUM_MISMATCH,
    /** A well-formed record carries a sequence number other than the previous one plus 1. */
    SEQUENCE_GAP,
    /** A well-formed hole record whose range ends before it starts, or whose payload is too short. */
    BAD_HOLE,
    /** A well-formed batch marker or seal with invalid contents (format 2). */
    BAD_MARKER,
    /**
     * A segment file is missing: one between two others, the one the last segment's seal names,
     * the first ones (the log's header says the log starts earlier), or all of them.
     */
    MISSING_SEGMENT,
    /** Bytes follow the seal that ends a segment (format 2): nothing is ever written after it. */
    AFTER_SEAL,
    /** A segment that another follows does not end with its seal (format 2): its end is missing. */
    UNSEALED
  }

  @Override
  public String toString() {
    return file + ": cut at byte " + offset + ", " + bytesDropped + " bytes dropped (" + problem + ": " + detail
        + "), last good sequence " + lastGoodSequence;
  }
}
