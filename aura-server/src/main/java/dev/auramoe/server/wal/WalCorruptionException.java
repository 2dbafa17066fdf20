package dev.auramoe.server.wal;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The log holds damage that recovery must not repair silently: a bad record in a segment other than
 * the last; bad bytes in the last segment that are not a torn tail (an intact record that does not
 * fit, or a batch marker or seal after them that says they had been forced: cutting there would drop
 * acknowledged records); a missing or misnamed segment, including a deleted last segment (the one
 * before it is sealed) and deleted first ones (the header says the log starts earlier); a segment
 * without its seal; a missing or damaged header; or damage met while replaying. The message names
 * the file and byte offset; nothing was changed. {@link WriteAheadLog#repair} repairs it on request,
 * except a missing or damaged header, which holds the salt the records' checksums start with.
 */
public final class WalCorruptionException extends IOException {

  private static final long serialVersionUID = 1L;

  private final transient Path file;
  private final long offset;

  WalCorruptionException(Path file, long offset, String message) {
    super(message);
    this.file = file;
    this.offset = offset;
  }

  /** The damaged segment file. */
  public Path file() {
    return file;
  }

  /** Byte offset of the damage in {@link #file()}, or -1 when it concerns the file as a whole. */
  public long offset() {
    return offset;
  }
}
