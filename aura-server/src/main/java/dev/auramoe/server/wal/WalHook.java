package dev.auramoe.server.wal;

import java.io.IOException;
import java.nio.file.Path;

/** A test seam: runs on the writer thread just before every force of a segment. */
@FunctionalInterface
interface WalHook {

  /** No interference. */
  WalHook NONE = segment -> {};

  /** Called before {@code force}; throwing simulates a failed flush, sleeping a slow disk. */
  void beforeForce(Path segment) throws IOException;
}
