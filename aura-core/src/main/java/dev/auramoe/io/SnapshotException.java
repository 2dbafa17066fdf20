package dev.auramoe.io;

import java.io.IOException;

/** A snapshot that cannot be read: wrong magic or version, truncated, corrupt, or inconsistent. */
public final class SnapshotException extends IOException {

  private static final long serialVersionUID = 1L;

  /** With a message. */
  public SnapshotException(String message) {
    super(message);
  }

  /** With a message and a cause. */
  public SnapshotException(String message, Throwable cause) {
    super(message, cause);
  }
}
