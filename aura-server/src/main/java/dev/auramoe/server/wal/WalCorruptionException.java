package dev.auramoe.server.wal;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The log holds damage that recovery must not repair silently: a bad record in a segment other than
 * the last, a bad record in the last segment that valid records follow (not a torn tail: cutting
 * there would drop acknowledged records), a missing or misnamed segment, or damage met while
 * replaying. The message names the file and byte offset; nothing was changed.
 * {@link WriteAheadLog#repair} repairs it on request.
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
