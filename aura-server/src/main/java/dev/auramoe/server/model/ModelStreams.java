package dev.auramoe.server.model;

import dev.auramoe.MixtureOfExperts;
import dev.auramoe.StreamCapacityException;
import dev.auramoe.StreamLimits;
import dev.auramoe.server.ServerLimits;
import dev.auramoe.server.journal.Operation;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;

/**
 * The open streams of one model: opening, closing, resetting, the most streams the model may hold,
 * and eviction of the least recently used streams to make room. Every change is an operation
 * logged and applied under the model's {@linkplain Sequencer sequencer}.
 *
 * <p>A model holds at most {@link #cap()} streams, and each counts {@link ModelSpec#streamParameters()}
 * against the server's parameter budget. The cap is the model's own {@link StreamLimits}: once
 * recovery is over ({@link ModelRegistry#budgetEnforced()}) every model carries limits of that cap
 * that evict streams idle for {@link ServerLimits#streamIdleEviction()} (or refuse, when eviction is
 * off), installed again whenever the model is replaced, so the core refuses any open beyond it,
 * whichever path it takes. An open asks the model which streams it would evict, logs a
 * STREAM_EVICT for each and evicts it, then logs and applies the STREAM_OPEN, which then has room;
 * what the model refuses is answered as {@linkplain Refusal.Kind#BUSY busy} (a stream will be
 * idle long enough) or a {@linkplain Refusal.Kind#CONFLICT conflict}. Below the cap, when the
 * server's budget has no room, the least recently used stream is evicted under the same rules. While
 * recovery replays the log the models carry no limits and nothing is checked or evicted: the log
 * holds the opens that were accepted and the evictions that made room for them.
 *
 * <p>Lock order: only the model's sequencer (and, inside each of its calls, the model's own lock);
 * the budget is a reservation in the registry's lock-free running total, so neither the creation lock
 * nor any other model's lock is taken.
 */
final class ModelStreams {

  private final ModelEntry entry;
  /**
   * Streams the entry's earlier models evicted (a restore replaces the model by one that counted
   * none); the live model counts its own (written under the sequencer).
   */
  private volatile long evictedBefore;
  /** The eviction being applied under the sequencer after its STREAM_EVICT was logged, and by whom. */
  private volatile String logged;
  private volatile Thread loggedBy;

  ModelStreams(ModelEntry entry) {
    this.entry = entry;
  }

  /**
   * Gives the live model the stream limits of the model's {@linkplain #cap() cap}, or none while
   * recovery replays the log (which evicts only where the log says); call under the sequencer, or
   * before the entry is shared, and again whenever the model is replaced or recovery ends.
   */
  void limit() {
    ServerLimits limits = entry.registry().limits();
    Duration idle = limits.streamIdleEviction();
    MixtureOfExperts model = entry.model();
    model.setStreamLimits(!entry.registry().budgetEnforced() ? StreamLimits.UNLIMITED
        : new StreamLimits(cap(), idle == null ? StreamLimits.WhenFull.REFUSE : StreamLimits.WhenFull.EVICT_IDLE,
            idle == null ? 0 : idle.toNanos(), StreamLimits.Recency.STAMPS));
    model.setStreamEvictionListener(this::evicting);
  }

  /**
   * The model's eviction listener: it lets through only the eviction {@link #closeLocked} applies
   * after logging it. An open that reaches the model by another path, at its cap, would otherwise
   * evict a stream the log never hears of, and a restart would rebuild a different model; the open
   * fails instead, and the stream stays.
   */
  private void evicting(String stream, byte[] state) {
    if (Thread.currentThread() != loggedBy || !stream.equals(logged)) {
      throw new IllegalStateException("stream '" + stream + "' of model '" + entry.name() + "' would be evicted"
          + " without a STREAM_EVICT record: open the streams of a served model through its ModelEntry");
    }
  }

  /** A model just made or loaded for the entry: its streams count as used now, and it gets its limits. */
  void loaded() {
    entry.model().stampStreams(entry.registry().now());
    limit();
  }

  /**
   * The entry's model is about to be replaced by {@code next} (which carries the count of a change
   * of the expert set, and counts none when loaded for a restore); under the sequencer.
   */
  void replacing(MixtureOfExperts next) {
    evictedBefore += entry.model().evictedStreams() - next.evictedStreams();
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
      model.openStream(stream, now);
    } catch (Error | RuntimeException e) {
      // A refusal before the STREAM_OPEN was logged wedges nothing; anything after it leaves the log
      // ahead of the model.
      sequencer.wedge(e);
      throw e;
    } finally {
      entry.share().settle(reserved);
      sequencer.unlock();
    }
    entry.after();
  }

  /**
   * Makes room for one more stream, under the sequencer: evicts the streams the model's limits say
   * an open at its cap must evict (enough to end one under the cap, so a cap lowered at a restart
   * is reached at the next open), or else reserves the stream's parameters in the budget, or, when
   * the budget has no room, evicts one stream under the same rules, so the open does not add to
   * what the models hold. Each eviction is logged before it is applied.
   *
   * @return the parameters reserved (0 when streams were evicted instead)
   * @throws Refusal {@link Refusal.Kind#CONFLICT} or {@link Refusal.Kind#BUSY} when there is no room and
   *     the limits evict too few streams
   */
  private long makeRoom(long now) {
    MixtureOfExperts model = entry.model();
    ModelRegistry registry = entry.registry();
    long perStream = entry.spec().streamParameters();
    List<String> victims;
    boolean budgetFull = false;
    try {
      victims = model.streamsToEvict(now);
      if (victims.isEmpty()) {
        if (registry.tryReserve(perStream)) {
          return perStream;
        }
        budgetFull = true;
        victims = model.streamsToEvict(now, model.streamCount());
      }
    } catch (StreamCapacityException full) {
      throw refusal(full, budgetFull);
    }
    for (String victim : victims) {
      closeLocked(Operation.stream(Operation.Type.STREAM_EVICT, entry.name(), victim), null);
    }
    return 0;
  }

  /** The refusal of an open the model's limits refused, in the server's words. */
  private Refusal refusal(StreamCapacityException e, boolean budgetFull) {
    ModelRegistry registry = entry.registry();
    ServerLimits limits = registry.limits();
    long perStream = entry.spec().streamParameters();
    int open = e.openStreams();
    int cap = e.maxStreams();
    int evict = e.toEvict();
    String full = budgetFull
        ? "another stream would take the server over its memory budget: the models hold "
            + registry.heldParameters() + " parameters (open streams counted in, " + perStream + " per stream of this"
            + " model), and this server's budget is " + registry.budget() + " (one per 32 bytes of heap)"
        : "model '" + entry.name() + "' holds " + open + " open streams, " + (open == cap ? "its most"
            : "more than its most of " + cap) + " (" + (cap >= limits.maxStreams() && limits.maxStreams() > 0
            ? "the server's stream limit per model" : "as many as its parameter limit of " + limits.maxParameters()
            + " leaves room for, at " + perStream + " per stream") + ")";
    Duration idle = limits.streamIdleEviction();
    if (idle == null) {
      return Refusal.conflict(full + "; close a stream first (this server does not evict idle streams)");
    }
    long waitNanos = e.retryAfter();
    if (waitNanos < 0) {
      return Refusal.conflict(full + "; " + (evict == 1 ? "there is no stream to evict but the default one"
          : "it would have to evict " + evict + " streams and holds only " + (open - 1) + " but the default one"));
    }
    long idleNanos = idle.toNanos() - waitNanos;
    // Rounded up to whole seconds without overflowing near the longest idle limit (about 292 years).
    long waitSeconds = Math.max(1, waitNanos / 1_000_000_000L + (waitNanos % 1_000_000_000L == 0 ? 0 : 1));
    return Refusal.busy(full + "; " + (evict == 1 ? "the least recently used stream"
        : "the busiest of the " + evict + " least recently used streams, which it would have to evict,") + " was used "
        + idleNanos / 1_000_000 + " ms ago, and a stream is evicted only once idle for " + seconds(idle)
        + " s: try again in " + (waitSeconds == 1 ? "a second" : "about " + waitSeconds + " s") + ", or close a stream",
        waitSeconds);
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
    return evictedBefore + entry.model().evictedStreams();
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
    if (op.type() == Operation.Type.STREAM_EVICT) {
      logged = op.stream();
      loggedBy = Thread.currentThread();
      try {
        entry.model().evictStream(op.stream());
      } finally {
        logged = null;
        loggedBy = null;
      }
    } else {
      entry.model().closeStream(op.stream());
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
