package dev.auramoe.server.model;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * What one model's snapshot covers and what came after it: the log sequence up to which every
 * operation of the model is in its snapshot, the operations applied since, and the sequence of the
 * last operation applied (known once durable). The snapshot policy reads it to decide when to write
 * a snapshot, and the log is trimmed up to what every model's snapshot covers.
 *
 * <p>Written under the model's {@linkplain Sequencer sequencer} (as each operation is logged or
 * replayed, and when a snapshot is recorded); the covered sequence and the operation count are
 * volatile so that the snapshot policy may read them without it.
 */
public final class SnapshotMarks {

  /** The last journal future of this model (guarded by the sequencer). */
  private CompletableFuture<Long> lastFuture;
  /** Log sequence of the last operation applied from the log during recovery (guarded by the sequencer). */
  private long lastReplayed;
  /** Every operation of this model with a sequence number up to this one is in its snapshot; -1 until known. */
  private volatile long coveredSeq;
  private volatile CompletableFuture<Long> createFuture;
  /** Operations since the last snapshot (written under the sequencer). */
  private volatile long sinceSnapshot;

  /**
   * @param coveredSeq every operation of the model up to this sequence is in its snapshot, or -1 for
   *     a model created since the start and never snapshotted
   */
  SnapshotMarks(long coveredSeq) {
    this.coveredSeq = coveredSeq;
    this.lastReplayed = coveredSeq;
  }

  /** Every operation of this model with a log sequence number up to this one is in its snapshot. */
  public long coveredSeq() {
    long c = coveredSeq;
    if (c < 0) {
      // Created since the start and never snapshotted: covered up to just before its creation,
      // whose sequence is known once durable (0, covering nothing, if it never becomes durable).
      c = joinQuietly(createFuture, 1) - 1;
    }
    return c;
  }

  /** Records the creation's journal future (before the model is visible). */
  void creating(CompletableFuture<Long> created) {
    createFuture = created;
    lastFuture = created;
  }

  /** Records an operation handed to the journal; under the sequencer. */
  void logged(CompletableFuture<Long> f) {
    lastFuture = f;
    sinceSnapshot++;
  }

  /** Records that the operation with this sequence number was replayed; call under {@link ModelEntry#sequencer()}. */
  public void replayed(long seq) {
    lastReplayed = seq;
    sinceSnapshot++;
  }

  /**
   * Records that a snapshot covers every operation up to {@code seq}, the first {@code operations}
   * of those counted by {@link #sinceSnapshot()} (a snapshot written outside the sequencer covers
   * what was applied when it was taken, not what came after); call under {@link ModelEntry#sequencer()}.
   */
  public void covered(long seq, long operations) {
    coveredSeq = seq;
    sinceSnapshot = Math.max(0, sinceSnapshot - operations);
  }

  /** Operations applied since the last snapshot; exact under {@link ModelEntry#sequencer()}. */
  public long sinceSnapshot() {
    return sinceSnapshot;
  }

  /**
   * The log sequence number of the last operation applied to the model, once it is durable; call
   * under {@link ModelEntry#sequencer()}, wait outside it.
   */
  public CompletableFuture<Long> lastSequence() {
    long replayed = lastReplayed;
    return lastFuture == null ? CompletableFuture.completedFuture(replayed)
        : lastFuture.thenApply(s -> Math.max(s, replayed));
  }

  private static long joinQuietly(CompletableFuture<Long> f, long otherwise) {
    try {
      return f.join();
    } catch (CompletionException | CancellationException e) {
      return otherwise;
    }
  }
}
