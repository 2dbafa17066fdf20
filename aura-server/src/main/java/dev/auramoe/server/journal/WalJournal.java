package dev.auramoe.server.journal;

import dev.auramoe.server.wal.WriteAheadLog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;

/**
 * The durable operation journal: each operation is one {@link WriteAheadLog} record (its
 * {@link Operation#encode()} bytes), so the record's sequence number is the operation's. Group commit
 * and fsync are the log's. Once any append fails the journal is failed for good: later appends throw
 * at once, so the server refuses them as unavailable and changes nothing until it is restarted (which
 * recovers what reached the disk).
 */
public final class WalJournal implements OperationJournal {

  private final WriteAheadLog wal;
  private volatile Throwable failure;

  /**
   * A journal over an open log; the journal closes it.
   *
   * @param wal the log
   */
  public WalJournal(WriteAheadLog wal) {
    this.wal = wal;
  }

  /** The log. */
  public WriteAheadLog wal() {
    return wal;
  }

  /** Whether an append has failed, or the log failed to write or force a record. */
  public boolean failed() {
    return failure != null || wal.failed();
  }

  @Override
  public CompletableFuture<Long> append(Operation op) {
    return append(op, null);
  }

  @Override
  public boolean encodes() {
    return true;
  }

  @Override
  public CompletableFuture<Long> append(Operation op, byte[] encoded) {
    Throwable f = failure;
    if (f != null) {
      throw new IllegalStateException("the operation log has failed: " + f.getMessage(), f);
    }
    try {
      // A record the log takes is applied, even if the log fails right after: it may be on disk and
      // replayed. One the log refuses (it has failed, or is closed) was never queued, and nothing is
      // applied. A failure of a queued record shows through wal.failed() and the record's future,
      // without a completion stage per record on the writer thread.
      return wal.appendOrRefuse(encoded != null ? encoded : op.encode());
    } catch (RuntimeException e) {
      // The log's order can no longer be trusted to match the models': the journal fails for good.
      failure = e;
      throw e;
    }
  }

  /** {@link WriteAheadLog#MAX_PAYLOAD}: an operation is one record of the log. */
  @Override
  public long maxRecordBytes() {
    return WriteAheadLog.MAX_PAYLOAD;
  }

  @Override
  public boolean durable() {
    return true;
  }

  @Override
  public void close() {
    try {
      wal.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
