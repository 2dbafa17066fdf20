package dev.auramoe.server.model;

import dev.auramoe.server.journal.Operation;
import dev.auramoe.server.journal.OperationJournal;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The sequencing lock of one model and the journaling done under it: every operation that changes
 * the model is handed to the registry's {@link OperationJournal} under this lock and applied before
 * it is released, so the journal's order is the order in which operations are applied.
 *
 * <h2>Wedging</h2>
 * From the moment an operation is handed to the journal until it is applied completely, an error
 * (an out-of-memory) leaves the model in memory possibly different from what the log says: the
 * sequencer then records the error ({@link #wedge}), and the model refuses every request until a
 * restart replays the log. An operation is encoded before it is logged ({@link #encodeAhead}), so an
 * error while encoding changes nothing and wedges nothing.
 *
 * <h2>Lock order</h2>
 * A model's locks are taken in this order, never the other way round: its snapshot lock
 * ({@link ModelEntry#snapshotLock()}), the registry's creation lock, its digest lock (see
 * {@link StateDigest}), this sequencer, the monitor of the model's feedback guard (see
 * {@link ModelFeedback}), and last the {@link dev.auramoe.MixtureOfExperts}'s own lock (taken inside
 * each of its calls). The registry's budget is a lock-free running total, so no
 * operation of one model takes another model's locks.
 */
final class Sequencer {

  /** How long a request spins for a held sequencer before it parks. */
  private static final long SPIN_NANOS = 50_000;

  /** The refusal of an operation the journal would not take. */
  static final String REFUSED = "the operation log has failed; nothing was changed";

  private final ReentrantLock lock = new ReentrantLock();
  private final ModelRegistry registry;
  private final SnapshotMarks marks;
  /**
   * Whether an operation under the sequencer was logged and not yet applied completely (set by log,
   * cleared once it is applied and by unlock).
   */
  private boolean applying;
  /**
   * The error that interrupted an operation between its logging and the end of its application, or
   * null: then the model in memory may differ from what the log says, and it refuses every request.
   */
  private volatile Throwable wedgedBy;
  /** Operations logged so far: the version of the model's state (written under the lock). */
  private volatile long version;

  Sequencer(ModelRegistry registry, SnapshotMarks marks) {
    this.registry = registry;
    this.marks = marks;
  }

  /** The lock itself. */
  ReentrantLock lock() {
    return lock;
  }

  /**
   * Takes the sequencer for a request: spins briefly while another thread holds it, then parks.
   * The sequencer is held for a few microseconds per request, by a thread running on another core,
   * so spinning usually wins. A virtual thread that parks instead gives up its carrier and, once
   * unparked, queues behind every other runnable request before it runs again, which is what made
   * the tail of route latencies under concurrent load.
   */
  void lockSpinning() {
    if (lock.tryLock()) {
      return;
    }
    long start = System.nanoTime();
    // Once threads are parked in the lock's queue, spinning would barge ahead of them every time
    // (a parked thread wakes slowly): then queue behind them instead.
    while (!lock.hasQueuedThreads() && System.nanoTime() - start < SPIN_NANOS) {
      Thread.onSpinWait();
      if (!lock.isLocked() && lock.tryLock()) {
        return;
      }
    }
    lock.lock();
  }

  /** Takes the sequencer, parking at once when it is held (for changes, which are rare). */
  void lockParking() {
    lock.lock();
  }

  /** Releases the sequencer taken by {@link #lockSpinning()} or {@link #lockParking()}. */
  void unlock() {
    applying = false;
    lock.unlock();
  }

  /**
   * The operation's encoding when the journal writes one, computed before the operation is logged:
   * an error while encoding then changes nothing and wedges nothing. Operations known before the
   * sequencer is taken are encoded before it, so that the lock covers only queueing the record
   * (its order in the log is still fixed under the lock).
   */
  byte[] encodeAhead(Operation op) {
    return encodeAhead(registry.journal(), op);
  }

  private static byte[] encodeAhead(OperationJournal journal, Operation op) {
    return journal.encodes() ? op.encode() : null;
  }

  /**
   * Logs an operation known only under the sequencer, encoding it first: an error while it is
   * encoded (an out-of-memory) leaves nothing logged and the model as it was, not wedged.
   */
  CompletableFuture<Long> log(Operation op) {
    OperationJournal journal = registry.journal();
    return log(journal, op, encodeAhead(journal, op), REFUSED);
  }

  /**
   * Under the sequencer: hands the operation (and its encoding, when computed ahead; null to encode
   * it here) to the journal, before it is applied.
   *
   * @param refused the message of the refusal when the journal does not take it
   * @throws Refusal {@link Refusal.Kind#UNAVAILABLE} when the journal refuses it (nothing changed)
   */
  CompletableFuture<Long> log(Operation op, byte[] encoded, String refused) {
    OperationJournal journal = registry.journal();
    return log(journal, op, encoded == null ? encodeAhead(journal, op) : encoded, refused);
  }

  private CompletableFuture<Long> log(OperationJournal journal, Operation op, byte[] encoded, String refused) {
    CompletableFuture<Long> f;
    // From here an error leaves the model wedged (see wedge): the journal may hold the operation.
    applying = true;
    try {
      f = journal.append(op, encoded);
    } catch (RuntimeException e) {
      applying = false; // refused: it was not queued
      throw Refusal.unavailable(refused);
    }
    if (f == null) {
      throw new IllegalStateException("the journal returned no future");
    }
    marks.logged(f);
    version++;
    return f;
  }

  /**
   * Records that an operation is being applied before it is logged, under the sequencer (a feedback,
   * whose record holds the changes its guard decided one after the other, so it is known only once
   * they are made): an error from here until {@link #applied()} wedges the model, as one after
   * logging does, since the model may then hold what the log does not.
   */
  void applyingAhead() {
    applying = true;
  }

  /**
   * Records that the operation logged under the sequencer is applied completely, so that an error
   * after it (in an operation that follows under the same hold) does not wedge the model.
   */
  void applied() {
    applying = false;
  }

  /**
   * Records the error that interrupted the operation under the sequencer when it was logged (its
   * effect on the model is then unknown); allocates nothing, as the error may be an out-of-memory.
   * Before the operation is logged, or once it is {@linkplain #applied() applied}, it records nothing.
   */
  <T extends Throwable> T wedge(T e) {
    if (applying) {
      wedgedBy = e;
    }
    return e;
  }

  /** The error that wedged the model, or null. */
  Throwable wedgedBy() {
    return wedgedBy;
  }

  /** Operations logged so far: the version of the model's state. */
  long version() {
    return version;
  }
}
