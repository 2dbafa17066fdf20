package dev.auramoe.server.model;

import dev.auramoe.MixtureOfExperts;
import dev.auramoe.server.ServerLimits;
import dev.auramoe.server.journal.Operation;
import java.math.BigDecimal;
import java.time.Duration;

/**
 * The open streams of one model: opening, closing, resetting, the most streams the model may hold,
 * and eviction of the least recently used streams to make room. Every change is an operation
 * logged and applied under the model's {@linkplain Sequencer sequencer}; the eviction policy lives
 * here alone.
 *
 * <p>A model holds at most {@link #cap()} streams, and each counts {@link ModelSpec#streamParameters()}
 * against the server's parameter budget: when there is no room, the least recently used stream is
 * evicted first (a STREAM_EVICT operation, logged before the STREAM_OPEN) if it has been idle for
 * {@link ServerLimits#streamIdleEviction()}, and the open is refused otherwise. While recovery
 * replays the log nothing is checked or evicted: the log holds the opens that were accepted and the
 * evictions that made room for them.
 *
 * <p>Lock order: only the model's sequencer (and, inside each of its calls, the model's own lock);
 * the budget is a reservation in the registry's lock-free running total, so neither the creation lock
 * nor any other model's lock is taken.
 */
final class ModelStreams {

  private final ModelEntry entry;
  /** Streams closed to make room for others (written under the sequencer). */
  private volatile long evicted;

  ModelStreams(ModelEntry entry) {
    this.entry = entry;
  }

  /** Opens a stream; see {@link ModelEntry#openStream}. */
  void open(String stream) {
    ModelEntry.checkStreamId(stream);
    Sequencer sequencer = entry.sequencing();
    Operation op = Operation.stream(Operation.Type.STREAM_OPEN, entry.name(), stream);
    byte[] encoded = sequencer.encodeAhead(op);
    ModelRegistry registry = entry.registry();
    long reserved = 0;
    sequencer.lockParking();
    try {
      entry.requireLive();
      MixtureOfExperts model = entry.model();
      if (model.hasStream(stream)) {
        throw Refusal.conflict("stream '" + stream + "' is already open on model '" + entry.name() + "'");
      }
      long now = registry.now();
      reserved = registry.budgetEnforced() ? makeRoom(now) : 0;
      sequencer.log(op, encoded, Sequencer.REFUSED);
      model.openStream(stream);
      model.touchStream(stream, now);
    } catch (Error e) {
      throw sequencer.wedge(e);
    } finally {
      entry.share().settle(reserved);
      sequencer.unlock();
    }
    entry.after();
  }

  /**
   * Makes room for one more stream, under the sequencer: reserves its parameters in the budget, or
   * evicts least recently used streams, whose share the new one then takes. At the model's
   * {@linkplain #cap() cap} it evicts enough to end one under it, so a cap lowered at a restart is
   * reached at the next open (one stream per open when the cap holds); when the server's budget has
   * no room it evicts one, so the open does not add to what the models hold. Each eviction is
   * logged; all of them must be idle long enough, or none is evicted.
   *
   * @return the parameters reserved (0 when streams were evicted instead)
   * @throws Refusal {@link Refusal.Kind#CONFLICT} or {@link Refusal.Kind#BUSY} when there is no room and
   *     not enough streams may be evicted
   */
  private long makeRoom(long now) {
    MixtureOfExperts model = entry.model();
    ModelRegistry registry = entry.registry();
    String name = entry.name();
    int open = model.streamCount();
    int cap = cap();
    ServerLimits limits = registry.limits();
    long perStream = entry.spec().streamParameters();
    String full;
    int evict;
    if (open >= cap) {
      evict = open - cap + 1;
      full = "model '" + name + "' holds " + open + " open streams, " + (open == cap ? "its most" : "more than its most"
          + " of " + cap) + " (" + (cap >= limits.maxStreams() && limits.maxStreams() > 0
          ? "the server's stream limit per model" : "as many as its parameter limit of " + limits.maxParameters()
          + " leaves room for, at " + perStream + " per stream") + ")";
    } else if (registry.tryReserve(perStream)) {
      return perStream;
    } else {
      evict = 1;
      full = "another stream would take the server over its memory budget: the models hold "
          + registry.heldParameters() + " parameters (open streams counted in, " + perStream + " per stream of this"
          + " model), and this server's budget is " + registry.budget() + " (one per 32 bytes of heap)";
    }
    Duration idle = limits.streamIdleEviction();
    if (idle == null) {
      throw Refusal.conflict(full + "; close a stream first (this server does not evict idle streams)");
    }
    long lastUse = model.latestStampOfLeastRecentlyUsed(evict);
    if (lastUse == Long.MIN_VALUE) {
      throw Refusal.conflict(full + "; " + (evict == 1 ? "there is no stream to evict but the default one"
          : "it would have to evict " + evict + " streams and holds only " + (open - 1) + " but the default one"));
    }
    long idleNanos = now - lastUse;
    if (idleNanos < idle.toNanos()) {
      // Rounded up to whole seconds without overflowing near the longest idle limit (about 292 years).
      long waitNanos = idle.toNanos() - idleNanos;
      long waitSeconds = Math.max(1, waitNanos / 1_000_000_000L + (waitNanos % 1_000_000_000L == 0 ? 0 : 1));
      throw Refusal.busy(full + "; " + (evict == 1 ? "the least recently used stream"
          : "the busiest of the " + evict + " least recently used streams, which it would have to evict,") + " was used "
          + idleNanos / 1_000_000 + " ms ago, and a stream is evicted only once idle for " + seconds(idle)
          + " s: try again in " + (waitSeconds == 1 ? "a second" : "about " + waitSeconds + " s") + ", or close a stream",
          waitSeconds);
    }
    for (int i = 0; i < evict; i++) {
      String lru = model.leastRecentlyUsedStream();
      closeLocked(Operation.stream(Operation.Type.STREAM_EVICT, name, lru), null);
    }
    return 0;
  }

  /** A duration in seconds, to the millisecond: "60", "0.5", "1.25". */
  static String seconds(Duration d) {
    return BigDecimal.valueOf(d.toMillis(), 3).stripTrailingZeros().toPlainString();
  }

  /** See {@link ModelEntry#streamCap()}. */
  int cap() {
    ServerLimits limits = entry.registry().limits();
    long fit = Math.max(1, (limits.maxParameters() - entry.share().parameters()) / entry.spec().streamParameters());
    return (int) Math.min(limits.maxStreams() > 0 ? limits.maxStreams() : Integer.MAX_VALUE, fit);
  }

  /** See {@link ModelEntry#streamRoom()}. */
  int room() {
    long open = entry.model().streamCount();
    // The room of the running total: no other model is read.
    long budgetFit = open + Math.max(0, entry.registry().budgetRoom()) / entry.spec().streamParameters();
    return (int) Math.min(cap(), budgetFit);
  }

  /** Streams evicted to make room for others since the entry was made (replayed evictions included). */
  long evicted() {
    return evicted;
  }

  /** Closes (STREAM_CLOSE) or evicts (STREAM_EVICT) a stream other than the default one. */
  void close(Operation.Type type, String stream) {
    if (MixtureOfExperts.DEFAULT_STREAM.equals(stream)) {
      throw Refusal.invalid("the default stream cannot be closed");
    }
    Sequencer sequencer = entry.sequencing();
    Operation op = Operation.stream(type, entry.name(), stream);
    byte[] encoded = sequencer.encodeAhead(op);
    sequencer.lockParking();
    try {
      entry.requireLive(stream);
      closeLocked(op, encoded);
    } catch (Error e) {
      throw sequencer.wedge(e);
    } finally {
      entry.share().settle(0);
      sequencer.unlock();
    }
    entry.after();
  }

  /**
   * Logs and applies a STREAM_CLOSE or STREAM_EVICT of an open stream; call under the sequencer.
   * Once it returns the operation is applied completely, so an error after it (in an operation that
   * follows, such as the open an eviction made room for) does not leave the model wedged.
   *
   * @param encoded the operation's encoding, or null to encode it here (before it is logged)
   */
  private void closeLocked(Operation op, byte[] encoded) {
    Sequencer sequencer = entry.sequencing();
    sequencer.log(op, encoded, Sequencer.REFUSED);
    entry.model().closeStream(op.stream());
    if (op.type() == Operation.Type.STREAM_EVICT) {
      evicted++;
    }
    sequencer.applied();
  }

  /** Resets a stream's cell state to zero; see {@link ModelEntry#resetStream}. */
  void reset(String stream) {
    Sequencer sequencer = entry.sequencing();
    Operation op = Operation.stream(Operation.Type.STREAM_RESET, entry.name(), stream);
    byte[] encoded = sequencer.encodeAhead(op);
    sequencer.lockParking();
    try {
      entry.requireLive(stream);
      sequencer.log(op, encoded, Sequencer.REFUSED);
      entry.model().resetStream(stream);
    } catch (Error e) {
      throw sequencer.wedge(e);
    } finally {
      sequencer.unlock();
    }
    entry.after();
  }
}
