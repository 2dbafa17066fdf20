package dev.auramoe.server.wal;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A test seam: runs on the writer thread just before every force of a segment, and (through
 * {@link #allocating}) where the log allocates memory it must survive running out of.
 */
@FunctionalInterface
interface WalHook {

  /** No interference. */
  WalHook NONE = segment -> {};

  /** Where the log allocates while it holds records that callers wait for. */
  enum Site {
    /** In {@code append}, between choosing the record's sequence number and queueing it. */
    ENQUEUE,
    /** On the writer thread, after it took a batch from the queue and before it writes it. */
    BATCH,
    /** On the writer thread, when it fails the log: before it builds the failure it reports. */
    FAIL
  }

  /** Called before {@code force}; throwing simulates a failed flush, sleeping a slow disk. */
  void beforeForce(Path segment) throws IOException;

  /** Called at {@code site}; throwing {@link OutOfMemoryError} simulates the heap running out there. */
  default void allocating(Site site) {}
}
