package dev.auramoe.server.model;

import dev.auramoe.MixtureOfExperts;
import dev.auramoe.Snapshots;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The digest of one model's state ({@link MixtureOfExperts#digest()}) at the version it has when the
 * state is copied: exact, computed at most once per version of the state (every logged operation
 * makes a new one). Only the copy of the state holds the sequencer; hashing it does not.
 *
 * <p>Readers wait, not writers: copies of the state are paced so that a loop of digest reads beside
 * writes cannot hold the model for more than a small share of the time. After a copy that held the
 * sequencer for {@code c}, the next copy starts no sooner than {@value ModelEntry#DIGEST_PACE}
 * {@code c} later (on the registry's clock), so copies take at most 1/21 of the model's time; a
 * reader of a newer version waits for that moment holding only the digest lock, and concurrent
 * readers of one version wait for one computation. A 17 MB model whose copy takes 13 ms gets a fresh
 * digest at most every 0.27 s or so; a small one's wait is microseconds.
 *
 * <p>An export of the state as snapshot bytes ({@link #snapshot()}) is such a copy too, paced with
 * the digest's copies.
 *
 * <p>Lock order: the digest lock, then the model's sequencer (see {@link Sequencer}).
 */
final class StateDigest {

  /** The longest a reader parks at once while it waits for its turn to copy (it then looks at the clock again). */
  private static final long PARK_NANOS = 10_000_000;

  private record Digest(long version, String hex) {}

  private final ModelEntry entry;
  /** The digest of one version of the state, or null. */
  private volatile Digest digest;
  /** Held while a digest is computed, so that each version's is computed once, outside the sequencer. */
  private final ReentrantLock lock = new ReentrantLock();
  /** When the last copy of the state for a digest ended, in the registry's clock (guarded by lock). */
  private long lastCopyEnd;
  /** How long that copy held the sequencer, in nanoseconds, or -1 before the first (guarded by lock). */
  private long lastCopyNanos = -1;

  StateDigest(ModelEntry entry) {
    this.entry = entry;
  }

  /**
   * The digest of the model's state now.
   *
   * @throws Refusal {@link Refusal.Kind#NOT_FOUND} when the model was deleted,
   *     {@link Refusal.Kind#UNAVAILABLE} when it is {@linkplain ModelEntry#wedged() wedged}
   */
  String digest() {
    Sequencer sequencer = entry.sequencing();
    Digest d = digest;
    if (d != null && d.version() == sequencer.version()) {
      return d.hex();
    }
    lock.lock();
    try {
      d = digest;
      if (d != null && d.version() == sequencer.version()) {
        return d.hex();
      }
      long[] at = new long[1];
      byte[] state = copy(m -> {
        at[0] = sequencer.version();
        return Snapshots.state(m);
      });
      String hex = Snapshots.digest(state);
      digest = new Digest(at[0], hex);
      return hex;
    } finally {
      lock.unlock();
    }
  }

  /**
   * The model's state now as snapshot bytes ({@link Snapshots#toSavableBytes}), copied under the
   * sequencer in the same pace as the digest's copies, so that a loop of exports cannot stall writes
   * either.
   *
   * @throws Refusal {@link Refusal.Kind#NOT_FOUND} when the model was deleted,
   *     {@link Refusal.Kind#UNAVAILABLE} when it is {@linkplain ModelEntry#wedged() wedged},
   *     {@link Refusal.Kind#CONFLICT} when it holds a value that is not finite, which a snapshot
   *     could not load back
   */
  byte[] snapshot() {
    lock.lock();
    try {
      return copy(m -> {
        try {
          return Snapshots.toSavableBytes(m);
        } catch (dev.auramoe.io.SnapshotException e) {
          throw Refusal.conflict("model '" + entry.name() + "' cannot be exported: " + e.getMessage());
        }
      });
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits for the copy's turn, then copies under the sequencer and records how long that took;
   * call holding the digest lock.
   */
  private <T> T copy(java.util.function.Function<MixtureOfExperts, T> copier) {
    awaitCopyTurn();
    Sequencer sequencer = entry.sequencing();
    T copied;
    sequencer.lockSpinning();
    try {
      entry.requireLive();
      long t0 = System.nanoTime();
      copied = copier.apply(entry.model());
      lastCopyNanos = System.nanoTime() - t0;
    } finally {
      sequencer.unlock();
    }
    lastCopyEnd = entry.registry().now();
    return copied;
  }

  /**
   * Waits, holding the digest lock and nothing else, until {@value ModelEntry#DIGEST_PACE} times the
   * last copy's duration has passed since it ended (the copy's duration is measured with
   * {@link System#nanoTime()}, the moment on the registry's clock, the same clock but in tests).
   * An interrupted reader stops waiting.
   */
  private void awaitCopyTurn() {
    if (lastCopyNanos < 0) {
      return;
    }
    ModelRegistry registry = entry.registry();
    long due = lastCopyEnd + ModelEntry.DIGEST_PACE * lastCopyNanos;
    for (long now = registry.now(); now - due < 0; now = registry.now()) {
      if (Thread.currentThread().isInterrupted()) {
        return;
      }
      LockSupport.parkNanos(Math.min(due - now, PARK_NANOS));
    }
  }
}
