package dev.auramoe.server.journal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The operation log: receives every state-changing operation of the server, under the changed
 * model's sequencing lock and in the order the operations are applied (create and delete under the
 * registry's creation lock), so that replaying the log rebuilds every model.
 *
 * <p>{@link #append} must not block on I/O: it queues the operation and returns a future that
 * completes with the operation's log sequence number once it is durable. It throws when the journal
 * can take no more operations (for example after a write failed); the server then refuses them as
 * unavailable and changes nothing.
 */
public interface OperationJournal extends AutoCloseable {

  /**
   * Hands one operation to the journal.
   *
   * @param op the operation; owned by the journal afterwards
   * @return completes with the operation's sequence number once durable
   * @throws RuntimeException when the journal has failed or is closed: nothing may be applied
   */
  CompletableFuture<Long> append(Operation op);

  /**
   * Whether {@link #append(Operation)} writes each operation's {@link Operation#encode()} bytes. Callers
   * may then encode an operation ahead, before they take their sequencing lock, and hand the bytes to
   * {@link #append(Operation, byte[])}, so that the lock is held only while the record is queued.
   */
  default boolean encodes() {
    return false;
  }

  /**
   * As {@link #append(Operation)}, with the operation's encoding computed ahead by the caller.
   *
   * @param op the operation
   * @param encoded {@code op.encode()}, or null to let the journal encode it; not modified afterwards
   */
  default CompletableFuture<Long> append(Operation op, byte[] encoded) {
    return append(op);
  }

  /**
   * The longest {@link Operation#encodedSize()} the journal takes: a caller refuses a larger operation
   * before it changes anything, rather than have {@link #append} refuse it (which would fail the journal).
   * The default takes any size.
   */
  default long maxRecordBytes() {
    return Long.MAX_VALUE;
  }

  /** Whether operations are kept at all (false for the in-memory default). */
  default boolean durable() {
    return false;
  }

  /** Releases the journal's resources; the default does nothing. */
  @Override
  default void close() {}

  /** A journal that keeps nothing: every future completes at once with a running count. */
  static OperationJournal noop() {
    AtomicLong seq = new AtomicLong();
    return op -> CompletableFuture.completedFuture(seq.incrementAndGet());
  }

  /**
   * Adapts a {@link LearnJournal}: learn operations go to {@link LearnJournal#record} (the future
   * then completes with a running count of learns), every other operation completes at once.
   */
  static OperationJournal of(LearnJournal learns) {
    AtomicLong seq = new AtomicLong();
    return new OperationJournal() {
      @Override
      public CompletableFuture<Long> append(Operation op) {
        if (op.type() != Operation.Type.LEARN) {
          return CompletableFuture.completedFuture(0L);
        }
        CompletableFuture<Void> f = learns.record(op.model(), op.learn().encode());
        if (f == null) {
          return null;
        }
        long s = seq.incrementAndGet();
        return f.thenApply(v -> s);
      }

      @Override
      public void close() {
        learns.close();
      }
    };
  }
}
