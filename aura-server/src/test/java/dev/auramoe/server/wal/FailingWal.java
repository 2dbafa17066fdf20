package dev.auramoe.server.wal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/** A test seam for other packages: a log whose forces fail once {@code fail} is set. */
public final class FailingWal {

  private FailingWal() {}

  /** Opens a log in {@code dir} whose next force after {@code fail} is set throws. */
  public static WriteAheadLog open(Path dir, AtomicBoolean fail) throws IOException {
    return WriteAheadLog.open(dir, WalOptions.DEFAULTS, segment -> {
      if (fail.get()) {
        throw new IOException("injected: the disk is gone");
      }
    });
  }
}
