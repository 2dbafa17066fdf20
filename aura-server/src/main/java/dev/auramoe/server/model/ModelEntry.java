package dev.auramoe.server.model;

import dev.auramoe.MixtureOfExperts;
import dev.auramoe.Snapshots;
import dev.auramoe.routing.RouteBuffer;
import dev.auramoe.routing.RoutingDecision;
import dev.auramoe.server.ServerLimits;
import dev.auramoe.server.journal.LearnEvent;
import dev.auramoe.server.journal.Operation;
import dev.auramoe.server.journal.OperationJournal;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;

/**
 * One named model of the registry: the {@link MixtureOfExperts}, the spec it was built from and its
 * request counters.
 *
 * <h2>Sequencing</h2>
 * Every operation that changes the model (route, predict, learn, stream open, close, reset and
 * eviction) takes this entry's sequencing lock, hands its {@link Operation} to the registry's
 * {@link OperationJournal} and applies it under that lock, so the journal's order is the order in
 * which operations are applied, and a stream checked to be open stays open until the operation is
 * applied. A learn is answered only once its operation is durable; routes and predictions are
 * answered without waiting (they are ordered in the log all the same, and recovery replays the
 * durable prefix, which holds every acknowledged learn). When the journal refuses an operation (it
 * has failed) the call is refused as {@link Refusal.Kind#UNAVAILABLE unavailable} and changes nothing. Every argument is validated before the model
 * is touched, so a refused call changes nothing. An error (an out-of-memory) thrown after an
 * operation was handed to the journal and before it was applied completely leaves the model
 * {@linkplain #wedged() wedged}: it refuses every request until a restart replays the log.
 *
 * <h2>Streams</h2>
 * Checking a request's stream is one lookup, whatever the number of streams; it also records the
 * use for the least-recently-used order in which {@link #openStream} evicts streams when the model
 * holds all it may ({@link #streamCap()}, and the server's memory budget).
 *
 * <h2>Budget</h2>
 * What the model holds against the server's parameter budget ({@link #heldParameters()}) is its
 * share of the registry's running total: a change that adds parameters reserves them in the
 * registry first, and every change that may alter the model's parameters or streams settles the
 * share under the sequencer, from this model alone. So no operation of this model reads another
 * model or takes its locks.
 *
 * <pre>{@code
 * ModelEntry e = registry.get("sensors");
 * ModelEntry.Routed d = e.route("default", x);                     // logged, not awaited
 * List<LearnedSample> o = e.learn("default", xs, ys, 1);          // waits until durable
 * }</pre>
 */
public final class ModelEntry {

  private static final Pattern STREAM = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");

  private final String name;
  private final ModelSpec spec;
  /** Replaced, under the sequencer, by {@link #restore} and by the changes of the expert set. */
  private volatile MixtureOfExperts model;
  /** The model's expert names, replaced with the model. */
  private volatile List<String> expertNames;
  private final Instant created = Instant.now();
  private final ReentrantLock sequencer = new ReentrantLock();
  private final ReentrantLock snapshotLock = new ReentrantLock();
  private final LongAdder routes = new LongAdder();
  private final LongAdder predictions = new LongAdder();
  /**
   * Samples learned by the model (counted in its {@code learnSteps}) whose log write has not
   * completed, or failed: {@link #learns()} is {@code learnSteps} less these, so the two agree
   * after a restart (every replayed sample was durable) and across restores and expert changes.
   */
  private final LongAdder unacknowledged = new LongAdder();
  private final ModelRegistry registry;
  private volatile boolean deleted;
  /** The last journal future of this model (guarded by the sequencer). */
  private CompletableFuture<Long> lastFuture;
  /** Log sequence of the last operation applied from the log during recovery (guarded by the sequencer). */
  private long lastReplayed;
  /** Every operation of this model with a sequence number up to this one is in its snapshot. */
  private volatile long coveredSeq;
  private volatile CompletableFuture<Long> createFuture;
  /** Operations since the last snapshot (guarded by the sequencer). */
  private volatile long sinceSnapshot;
  /** Operations logged so far: the version of the model's state (written under the sequencer). */
  private volatile long version;
  /** The digest of one version of the state, or null. */
  private volatile Digest digest;
  /** Held while a digest is computed, so that each version's is computed once, outside the sequencer. */
  private final ReentrantLock digestLock = new ReentrantLock();
  /** When the last copy of the state for a digest ended, in the registry's clock (guarded by digestLock). */
  private long lastCopyEnd;
  /** How long that copy held the sequencer, in nanoseconds, or -1 before the first (guarded by digestLock). */
  private long lastCopyNanos = -1;
  /** Streams closed to make room for others (written under the sequencer). */
  private volatile long evicted;
  /**
   * What the model holds against the budget, in parameters: its share of the registry's running
   * total (written under the sequencer; see {@link #settle}).
   */
  private volatile long held;
  /**
   * The error that interrupted an operation between its logging and the end of its application, or
   * null: then the model in memory may differ from what the log says, and it refuses every request.
   */
  private volatile Throwable wedgedBy;
  /**
   * Whether an operation under the sequencer was logged and not yet applied completely (set by log,
   * cleared once it is applied and by unlockSequencer).
   */
  private boolean applying;

  private record Digest(long version, String hex) {}

  /** The result of one learned sample: the prediction made before learning, its error and routing. */
  public record LearnedSample(float[] prediction, double squaredError, int[] experts, float[] weights) {}

  /** One routed input: the decision and the names of the model's experts when it was made. */
  public record Routed(RoutingDecision decision, List<String> expertNames) {}

  /** The result of one predicted sample, with the experts that made it. */
  public record Prediction(float[] prediction, int[] experts, float[] weights) {}

  ModelEntry(ModelSpec spec, MixtureOfExperts model, ModelRegistry registry, long coveredSeq) {
    this.name = spec.name();
    this.spec = spec;
    this.model = model;
    this.expertNames = model.expertNames();
    this.registry = registry;
    this.coveredSeq = coveredSeq;
    this.lastReplayed = coveredSeq;
    this.held = parameters() + (long) model.streamCount() * spec.streamParameters();
    // The streams of a loaded model count as used when it was loaded.
    model.stampStreams(registry.now());
  }

  /** The model's name. */
  public String name() {
    return name;
  }

  /** The spec the model was built from. */
  public ModelSpec spec() {
    return spec;
  }

  /** The live model. */
  public MixtureOfExperts model() {
    return model;
  }

  /** When the entry was created. */
  public Instant created() {
    return created;
  }

  /** Inputs routed through route and route/batch. */
  public long routes() {
    return routes.sum();
  }

  /** Inputs predicted through predict and predict/batch. */
  public long predictions() {
    return predictions.sum();
  }

  /** The sequencing lock: held, the model changes only under the holder. */
  public ReentrantLock sequencer() {
    return sequencer;
  }

  /** Whether the model was deleted (a late request on it answers 404). */
  public boolean deleted() {
    return deleted;
  }

  /**
   * Marks the model deleted and gives its share of the budget back; call under the sequencer, once
   * it leaves the registry.
   */
  void dropped() {
    deleted = true;
    registry.release(held);
    held = 0;
  }

  /** Every operation of this model with a log sequence number up to this one is in its snapshot. */
  public long coveredSeq() {
    long c = coveredSeq;
    if (c < 0) {
      // Created since the start and never snapshotted: covered up to just before its creation,
      // whose sequence is known once durable (0, covering nothing, if it never becomes durable).
      c = ModelRegistry.joinQuietly(createFuture, 1) - 1;
    }
    return c;
  }

  void creating(CompletableFuture<Long> created) {
    createFuture = created;
    lastFuture = created;
  }

  /**
   * Records that a snapshot covers every operation up to {@code seq}, the first {@code operations}
   * of those counted by {@link #sinceSnapshot()} (a snapshot written outside the sequencer covers
   * what was applied when it was taken, not what came after); call under {@link #sequencer()}.
   */
  public void covered(long seq, long operations) {
    coveredSeq = seq;
    sinceSnapshot = Math.max(0, sinceSnapshot - operations);
  }

  /**
   * The log sequence number of the last operation applied to this model, once it is durable; call
   * under {@link #sequencer()}, wait outside it.
   */
  public CompletableFuture<Long> lastSequence() {
    long replayed = lastReplayed;
    return lastFuture == null ? CompletableFuture.completedFuture(replayed)
        : lastFuture.thenApply(s -> Math.max(s, replayed));
  }

  /**
   * Held while a snapshot of this model is written, and by deletion and restore around their own
   * work, so that neither runs while a snapshot's files are half written. Taken before the
   * registry's creation lock and before the sequencer.
   */
  public ReentrantLock snapshotLock() {
    return snapshotLock;
  }

  /** Operations applied since the last snapshot; call under {@link #sequencer()}. */
  public long sinceSnapshot() {
    return sinceSnapshot;
  }

  /** Records that the operation with this sequence number was replayed; call under {@link #sequencer()}. */
  public void replayed(long seq) {
    lastReplayed = seq;
    sinceSnapshot++;
  }

  /**
   * Samples in the model's state that the journal acknowledged: the model's {@code learnSteps} less
   * the samples whose log write is pending or failed. With a data directory it survives a restart
   * (a recovered model's samples were all durable), and it follows the model through a restore.
   */
  public long learns() {
    return model.learnSteps() - unacknowledged.sum();
  }

  /**
   * Checks a stream id's form.
   *
   * @throws Refusal INVALID when it is malformed
   */
  public static void checkStreamId(String stream) {
    if (stream == null || !STREAM.matcher(stream).matches()) {
      throw Refusal.invalid("stream id must be 1 to 128 characters of A-Z a-z 0-9 . _ : - starting with a"
          + " letter or digit");
    }
  }

  /**
   * Routes one input.
   *
   * @param x the input, already checked to be finite and of length inputDim; not modified
   * @throws Refusal NOT_FOUND for an unknown stream, UNAVAILABLE when the journal has failed
   */
  public Routed route(String stream, float[] x) {
    Routed d;
    OperationJournal journal = registry.journal();
    Operation op = Operation.inputs(Operation.Type.ROUTE, name, stream, 1, x.length, x.clone());
    byte[] encoded = encodeAhead(journal, op);
    lockSequencer();
    try {
      requireLive(stream);
      log(journal, op, encoded, REFUSED);
      d = new Routed(model.route(stream, x), expertNames);
    } catch (Error e) {
      throw wedge(e);
    } finally {
      unlockSequencer();
    }
    routes.increment();
    after();
    return d;
  }

  /**
   * Routes {@code count} consecutive inputs of one stream.
   *
   * @param xs {@code count * inputDim} checked values; not modified
   * @param experts receives {@code count * topK} expert indices
   * @param weights receives {@code count * topK} mixing weights
   * @throws Refusal NOT_FOUND for an unknown stream, UNAVAILABLE when the journal has failed
   */
  public void routeBatch(String stream, float[] xs, int count, int[] experts, float[] weights) {
    OperationJournal journal = registry.journal();
    Operation op = Operation.inputs(Operation.Type.ROUTE_BATCH, name, stream, count, spec.inputDim(), xs.clone());
    byte[] encoded = encodeAhead(journal, op);
    lockSequencer();
    try {
      requireLive(stream);
      log(journal, op, encoded, REFUSED);
      model.routeBatch(stream, xs, count, experts, weights);
    } catch (Error e) {
      throw wedge(e);
    } finally {
      unlockSequencer();
    }
    routes.add(count);
    after();
  }

  /**
   * Predicts {@code count} consecutive inputs of one stream with {@link MixtureOfExperts#predict},
   * reporting the experts and weights that made each prediction.
   *
   * @param xs {@code count * inputDim} checked values; not modified
   * @throws Refusal NOT_FOUND for an unknown stream, UNAVAILABLE when the journal has failed
   */
  public List<Prediction> predict(String stream, float[] xs, int count) {
    int in = model.inputDim();
    int out = model.outputDim();
    Prediction[] result = new Prediction[count];
    float[] x = new float[in];
    OperationJournal journal = registry.journal();
    Operation op = Operation.inputs(Operation.Type.PREDICT, name, stream, count, in, xs.clone());
    byte[] encoded = encodeAhead(journal, op);
    lockSequencer();
    try {
      requireLive(stream);
      RouteBuffer buf = model.newRouteBuffer(); // sized by the expert count, which may change between calls
      log(journal, op, encoded, REFUSED);
      for (int r = 0; r < count; r++) {
        System.arraycopy(xs, r * in, x, 0, in);
        float[] y = new float[out];
        model.predict(stream, x, y, buf);
        int k = buf.k();
        result[r] = new Prediction(y, Arrays.copyOf(buf.expertsArray(), k), Arrays.copyOf(buf.weightsArray(), k));
        predictions.increment();
      }
    } catch (Error e) {
      throw wedge(e);
    } finally {
      unlockSequencer();
    }
    after();
    return List.of(result);
  }

  /** The samples learned by {@link #learn}, with the log sequence number of their operation. */
  public record Learned(List<LearnedSample> samples, long seq) {}

  /**
   * Learns {@code count} consecutive samples of one stream, prequentially (predict, then learn).
   * Under the sequencing lock the stream is checked, the operation is handed to the journal and then
   * applied; the journal's future is awaited after the lock is released, and only then are the
   * samples counted as learned.
   *
   * @param xs {@code count * inputDim} checked inputs; not modified
   * @param ys {@code count * outputDim} checked targets; not modified
   * @throws Refusal NOT_FOUND for an unknown stream (nothing changed), UNAVAILABLE when the journal refuses
   *     the event (nothing changed) or fails to make it durable (learned in memory, not acknowledged)
   */
  public Learned learn(String stream, float[] xs, float[] ys, int count) {
    int in = model.inputDim();
    int out = model.outputDim();
    LearnedSample[] result = new LearnedSample[count];
    CompletableFuture<Long> durable;
    OperationJournal journal = registry.journal();
    Operation op = Operation.learn(name, new LearnEvent(stream, count, in, out, xs.clone(), ys.clone()));
    byte[] encoded = encodeAhead(journal, op);
    lockSequencer();
    try {
      requireLive(stream);
      durable = log(journal, op, encoded, "the learn journal refused the event; nothing was learned");
      // Counted as unacknowledged before the model learns them, so that learns() never counts a
      // sample whose record is not yet durable.
      unacknowledged.add(count);
      for (int r = 0; r < count; r++) {
        float[] x = Arrays.copyOfRange(xs, r * in, (r + 1) * in);
        float[] y = Arrays.copyOfRange(ys, r * out, (r + 1) * out);
        MixtureOfExperts.LearnResult lr = model.learn(stream, x, y);
        result[r] = new LearnedSample(lr.prediction(), lr.squaredError(), lr.experts(), lr.weights());
      }
    } catch (Error e) {
      throw wedge(e);
    } finally {
      unlockSequencer();
    }
    long seq;
    try {
      seq = durable.join();
    } catch (CompletionException | java.util.concurrent.CancellationException e) {
      throw Refusal.unavailable("the learn journal could not make the event durable; it is not acknowledged");
    }
    unacknowledged.add(-count);
    after();
    return new Learned(List.of(result), seq);
  }

  /**
   * Opens a stream. A model holds at most {@link #streamCap()} streams, and each counts
   * {@link ModelSpec#streamParameters()} against the server's parameter budget: when there is no room,
   * the least recently used stream is evicted first (a STREAM_EVICT operation, logged before the
   * STREAM_OPEN) if it has been idle for {@link ServerLimits#streamIdleEviction()}, and the open is
   * refused otherwise. While recovery replays the log nothing is checked or evicted: the log holds
   * the opens that were accepted and the evictions that made room for them.
   *
   * @throws Refusal CONFLICT when it is open already, or there is no room and eviction is off or
   *     nothing can be evicted; BUSY when there is no room and the least recently used stream has not
   *     been idle long enough; UNAVAILABLE when the journal has failed
   */
  public void openStream(String stream) {
    checkStreamId(stream);
    OperationJournal journal = registry.journal();
    Operation op = Operation.stream(Operation.Type.STREAM_OPEN, name, stream);
    byte[] encoded = encodeAhead(journal, op);
    // Neither the creation lock nor any other model's lock: the budget is a reservation in the
    // registry's running total (see the class documentation).
    long reserved = 0;
    sequencer.lock();
    try {
      requireLive();
      if (model.hasStream(stream)) {
        throw Refusal.conflict("stream '" + stream + "' is already open on model '" + name + "'");
      }
      long now = registry.now();
      reserved = registry.budgetEnforced() ? makeRoom(now) : 0;
      log(journal, op, encoded, REFUSED);
      model.openStream(stream);
      model.touchStream(stream, now);
    } catch (Error e) {
      throw wedge(e);
    } finally {
      settle(reserved);
      unlockSequencer();
    }
    after();
  }

  /**
   * Makes room for one more stream, under the sequencer: reserves its parameters in the budget, or
   * evicts least recently used streams, whose share the new one then takes. At the model's
   * {@linkplain #streamCap() cap} it evicts enough to end one under it, so a cap lowered at a restart
   * is reached at the next open (one stream per open when the cap holds); when the server's budget
   * has no room it evicts one, so the open does not add to what the models hold. Each eviction is
   * logged; all of them must be idle long enough, or none is evicted.
   *
   * @return the parameters reserved (0 when streams were evicted instead)
   * @throws Refusal CONFLICT or BUSY when there is no room and not enough streams may be evicted
   */
  private long makeRoom(long now) {
    int open = model.streamCount();
    int cap = streamCap();
    ServerLimits limits = registry.limits();
    long perStream = spec.streamParameters();
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
    OperationJournal journal = registry.journal();
    for (int i = 0; i < evict; i++) {
      String lru = model.leastRecentlyUsedStream();
      closeLocked(journal, Operation.stream(Operation.Type.STREAM_EVICT, name, lru), null);
    }
    return 0;
  }

  /** A duration in seconds, to the millisecond: "60", "0.5", "1.25". */
  static String seconds(Duration d) {
    return java.math.BigDecimal.valueOf(d.toMillis(), 3).stripTrailingZeros().toPlainString();
  }

  /**
   * The most open streams this model may hold, the default stream included: the server's stream
   * limit per model, or, without one, as many as the model's parameter limit leaves room for
   * beside its own parameters. The server's parameter budget, shared by all models, may refuse a
   * stream earlier ({@link #streamRoom()}).
   */
  public int streamCap() {
    ServerLimits limits = registry.limits();
    long fit = Math.max(1, (limits.maxParameters() - parameters()) / spec.streamParameters());
    return (int) Math.min(limits.maxStreams() > 0 ? limits.maxStreams() : Integer.MAX_VALUE, fit);
  }

  /**
   * The most open streams this model could hold now: {@link #streamCap()}, or fewer when the
   * server's parameter budget has less room (other models hold it).
   */
  public int streamRoom() {
    long open = model.streamCount();
    // The room of the running total: no other model is read.
    long budgetFit = open + Math.max(0, registry.budgetRoom()) / spec.streamParameters();
    return (int) Math.min(streamCap(), budgetFit);
  }

  /** Open streams, the default stream included; constant time. */
  public int streamCount() {
    return model.streamCount();
  }

  /** Streams evicted to make room for others since the entry was made (replayed evictions included). */
  public long evictedStreams() {
    return evicted;
  }

  /**
   * Closes a stream.
   *
   * @throws Refusal NOT_FOUND for an unknown stream, INVALID for the default stream, UNAVAILABLE when the journal
   *     has failed
   */
  public void closeStream(String stream) {
    close(Operation.Type.STREAM_CLOSE, stream);
  }

  /**
   * Evicts a stream: closes it as {@link #openStream} does to make room, counted in
   * {@link #evictedStreams()}. Recovery replays the logged evictions through here.
   *
   * @throws Refusal NOT_FOUND for an unknown stream, INVALID for the default stream, UNAVAILABLE when the journal
   *     has failed
   */
  public void evictStream(String stream) {
    close(Operation.Type.STREAM_EVICT, stream);
  }

  private void close(Operation.Type type, String stream) {
    if (MixtureOfExperts.DEFAULT_STREAM.equals(stream)) {
      throw Refusal.invalid("the default stream cannot be closed");
    }
    OperationJournal journal = registry.journal();
    Operation op = Operation.stream(type, name, stream);
    byte[] encoded = encodeAhead(journal, op);
    sequencer.lock();
    try {
      requireLive(stream);
      closeLocked(journal, op, encoded);
    } catch (Error e) {
      throw wedge(e);
    } finally {
      settle(0);
      unlockSequencer();
    }
    after();
  }

  /**
   * Logs and applies a STREAM_CLOSE or STREAM_EVICT of an open stream; call under the sequencer.
   * Once it returns the operation is applied completely, so an error after it (in an operation that
   * follows, such as the open an eviction made room for) does not leave the model wedged.
   *
   * @param encoded the operation's encoding, or null to encode it here (before it is logged)
   */
  private void closeLocked(OperationJournal journal, Operation op, byte[] encoded) {
    log(journal, op, encoded == null ? encodeAhead(journal, op) : encoded, REFUSED);
    model.closeStream(op.stream());
    if (op.type() == Operation.Type.STREAM_EVICT) {
      evicted++;
    }
    applying = false;
  }

  /**
   * Resets a stream's cell state to zero.
   *
   * @throws Refusal NOT_FOUND for an unknown stream, UNAVAILABLE when the journal has failed
   */
  public void resetStream(String stream) {
    OperationJournal journal = registry.journal();
    Operation op = Operation.stream(Operation.Type.STREAM_RESET, name, stream);
    byte[] encoded = encodeAhead(journal, op);
    sequencer.lock();
    try {
      requireLive(stream);
      log(journal, op, encoded, REFUSED);
      model.resetStream(stream);
    } catch (Error e) {
      throw wedge(e);
    } finally {
      unlockSequencer();
    }
    after();
  }

  /**
   * Replaces the model by a snapshot of it (loaded by the caller), logging a RESTORE operation first.
   * The streams keep their recency (see {@link MixtureOfExperts#copyStreamRecency}): a stream the
   * snapshot holds keeps the last use it had before the restore, and one only the snapshot holds
   * counts as used at the restore, so a restore makes no stream in use look idle to eviction.
   *
   * @param loaded the snapshot's model, of this entry's spec
   * @param snapshotSeq the log sequence number the snapshot covers
   * @throws Refusal NOT_FOUND when the model was deleted; UNAVAILABLE when the journal has failed (before: nothing
   *     changed; after the append: the restore is applied in memory but not acknowledged)
   */
  public void restore(MixtureOfExperts loaded, long snapshotSeq) {
    // Answered only once durable, as learns and deletions are: a restore a client saw succeed must
    // survive a crash.
    replaceModel(() -> {
      // Recency is bookkeeping, not state: the streams in use before the restore stay the most
      // recently used ones; streams only the snapshot holds count as used now.
      loaded.copyStreamRecency(model, registry.now());
      return new Replacement(Operation.restore(name, snapshotSeq), loaded, 0);
    });
  }


  /** A change answered once durable: its log sequence number and what is in force after it. */
  public record Changed<T>(long seq, T now) {}

  /**
   * Changes the model's run-time settings (a CONFIGURE operation), answered once durable. The change
   * is merged with the settings in force under the sequencer, so concurrent changes of different
   * settings do not undo each other; the log records the merged, absolute settings.
   *
   * @param change from the settings in force to the ones wanted
   * @return the operation's log sequence number and the settings set
   * @throws Refusal INVALID for a setting out of range, NOT_FOUND when the model was deleted, UNAVAILABLE when the
   *     journal has failed (nothing changed) or could not make the change durable
   */
  public Changed<ModelSettings> configure(java.util.function.UnaryOperator<ModelSettings> change) {
    CompletableFuture<Long> durable;
    ModelSettings s;
    sequencer.lock();
    try {
      requireLive();
      s = change.apply(ModelSettings.of(model)).asFloats();
      s.validate();
      durable = log(Operation.change(Operation.Type.CONFIGURE, name, ModelRegistry.json(s)));
      s.applyTo(model);
    } catch (Error e) {
      throw wedge(e);
    } finally {
      unlockSequencer();
    }
    after();
    return new Changed<>(awaitDurable(durable), s);
  }

  /** The model's experts now: one row per expert, index order. */
  public record ExpertInfo(int index, String name, String kind, double[] hyperParameters, long selections,
      float load, float bias) {}

  /** The experts with their balancer state, read in one consistent view. */
  public List<ExpertInfo> experts() {
    sequencer.lock();
    try {
      requireLive();
      MixtureOfExperts m = model;
      var b = m.balanceState();
      ExpertInfo[] r = new ExpertInfo[m.expertCount()];
      for (int i = 0; i < r.length; i++) {
        var e = m.expert(i);
        r[i] = new ExpertInfo(i, e.name(), e.kind(), e.hyperParameters(), b.counts()[i], b.load()[i], b.bias()[i]);
      }
      return List.of(r);
    } finally {
      sequencer.unlock();
    }
  }

  /**
   * Adds an expert at the end of the expert list (an EXPERT_ADD operation; see
   * {@link MixtureOfExperts#withExpert}), answered once durable.
   *
   * @return the operation's log sequence number and the expert names right after it
   * @throws Refusal INVALID for a bad spec, NOT_FOUND when the model was deleted, CONFLICT when the name is
   *     taken, the model has {@value ModelSpec#MAX_EXPERTS} experts, or the per-model parameter limit
   *     or the server's parameter budget would be exceeded, UNAVAILABLE when the journal has failed
   */
  public Changed<List<String>> addExpert(ExpertSpec spec) {
    spec.validate();
    int in = this.spec.inputDim();
    int out = this.spec.outputDim();
    long added = spec.parameters(in, out);
    ServerLimits limits = registry.limits();
    return replaceModel(() -> {
      if (expertNames.contains(spec.name())) {
        throw Refusal.conflict("model '" + name + "' already has an expert named '" + spec.name() + "'");
      }
      if (expertNames.size() >= ModelSpec.MAX_EXPERTS) {
        throw Refusal.conflict("model '" + name + "' has " + expertNames.size() + " experts, the most a model"
            + " may have; remove one first");
      }
      long after = heldParameters() + added;
      if (after > limits.maxParameters()) {
        throw Refusal.conflict("with this expert model '" + name + "' would hold about " + after
            + " parameters (its open streams counted in), more than the limit of " + limits.maxParameters()
            + " per model");
      }
      // Reserved before anything is allocated; settled by swap, given back here if it fails first.
      registry.reserve(added);
      try {
        dev.auramoe.experts.Expert e;
        try {
          e = spec.build(in, out);
        } catch (IllegalArgumentException ex) {
          throw Refusal.invalid("invalid expert: " + ex.getMessage());
        }
        return new Replacement(Operation.change(Operation.Type.EXPERT_ADD, name, ModelRegistry.json(spec)),
            model.withExpert(e), added);
      } catch (RuntimeException | Error ex) {
        registry.release(added);
        throw ex;
      }
    });
  }


  /**
   * Removes an expert (an EXPERT_REMOVE operation; see {@link MixtureOfExperts#withoutExpert});
   * the experts after it move down one index. Answered once durable.
   *
   * @return the operation's log sequence number and the expert names right after it
   * @throws Refusal NOT_FOUND for an unknown model or expert, CONFLICT when fewer than topK experts would
   *     remain, UNAVAILABLE when the journal has failed
   */
  public Changed<List<String>> removeExpert(String expert) {
    return replaceModel(() -> {
      int i = requireExpert(expert);
      if (model.expertCount() - 1 < model.topK()) {
        throw Refusal.conflict("cannot remove expert '" + expert + "': model '" + name + "' routes each input"
            + " to " + model.topK() + " experts and would have " + (model.expertCount() - 1));
      }
      return new Replacement(Operation.change(Operation.Type.EXPERT_REMOVE, name,
          ModelRegistry.json(java.util.Map.of("name", expert))), model.withoutExpert(i), 0);
    });
  }

  /**
   * Renames an expert (an EXPERT_RENAME operation), answered once durable.
   *
   * @return the operation's log sequence number and the expert names right after it
   * @throws Refusal INVALID for a malformed new name, NOT_FOUND for an unknown model or expert, CONFLICT when
   *     the new name is taken, UNAVAILABLE when the journal has failed
   */
  public Changed<List<String>> renameExpert(String expert, String newName) {
    ExpertSpec.checkName(newName);
    return replaceModel(() -> {
      int i = requireExpert(expert);
      if (expertNames.contains(newName)) {
        throw Refusal.conflict("model '" + name + "' already has an expert named '" + newName + "'");
      }
      return new Replacement(Operation.change(Operation.Type.EXPERT_RENAME, name,
          ModelRegistry.json(java.util.Map.of("name", expert, "newName", newName))), model.withExpertRenamed(i, newName), 0);
    });
  }

  /**
   * Float parameters the model holds now: the cell's input projection (time constants, drive and the
   * router's input readout), its recurrent weights, the router readout and every expert's state.
   */
  public long parameters() {
    MixtureOfExperts m = model;
    int e = m.expertCount();
    long p = spec.routerParameters(e);
    for (int i = 0; i < e; i++) {
      p += ExpertSpec.parameters(m.expert(i).kind(), spec.inputDim(), spec.outputDim());
    }
    return p;
  }

  /**
   * What the model holds against the memory limits, in parameters: {@link #parameters()} and
   * {@link ModelSpec#streamParameters()} per open stream, as last settled (exact whenever no change
   * of this model is under way). Constant time; takes no lock.
   */
  public long heldParameters() {
    return held;
  }

  /**
   * Settles this model's share of the registry's running total after a change, under the
   * sequencer: the change's reservation becomes part of the share, and the share is recounted from
   * this model alone (its parameters and open streams). A deleted model's share was given back.
   *
   * @param reserved what the change reserved in the registry (0 for none)
   */
  private void settle(long reserved) {
    if (deleted) {
      registry.release(reserved);
      return;
    }
    long now = parameters() + (long) model.streamCount() * spec.streamParameters();
    registry.release(held + reserved - now);
    held = now;
  }

  /** The expert names now, in index order. */
  public List<String> expertNames() {
    return expertNames;
  }

  private int requireExpert(String expert) {
    int i = expertNames.indexOf(expert);
    if (i < 0) {
      throw Refusal.notFound("model '" + name + "' has no expert named '" + expert + "'");
    }
    return i;
  }

  /**
   * A replacement of the model (a change of the expert set, a restore): its operation, the new model
   * and the parameters reserved for it in the registry's budget.
   */
  private record Replacement(Operation op, MixtureOfExperts next, long reserved) {}

  /**
   * Replaces the model. Under the sequencer, {@code change} checks the request against the live
   * model (throwing to refuse it, which changes nothing) and gives the new model; the operation is
   * logged (the new model is closed if the log refuses it), then the new model takes the old one's
   * place. Outside the lock the old model is closed and the operation awaited until durable.
   *
   * A change that adds parameters reserves them in {@code change} (giving them back if it throws);
   * the model's share of the budget is settled once the new model is in place, or the old one kept.
   *
   * @return the sequence number and the expert names right after the change
   */
  private Changed<List<String>> replaceModel(java.util.function.Supplier<Replacement> change) {
    Swapped s = swap(change);
    s.old().close();
    after();
    return new Changed<>(awaitDurable(s.durable()), s.names());
  }

  private record Swapped(MixtureOfExperts old, CompletableFuture<Long> durable, List<String> names) {}

  private Swapped swap(java.util.function.Supplier<Replacement> change) {
    Replacement c = null;
    sequencer.lock();
    try {
      requireLive();
      c = change.get();
      CompletableFuture<Long> durable;
      try {
        durable = log(c.op());
      } catch (RuntimeException e) {
        c.next().close();
        throw e;
      }
      MixtureOfExperts old = model;
      model = c.next();
      expertNames = c.next().expertNames();
      return new Swapped(old, durable, expertNames);
    } catch (Error e) {
      throw wedge(e);
    } finally {
      settle(c == null ? 0 : c.reserved());
      unlockSequencer();
    }
  }

  private static long awaitDurable(CompletableFuture<Long> durable) {
    try {
      return durable.join();
    } catch (CompletionException | java.util.concurrent.CancellationException e) {
      throw Refusal.unavailable("the operation log could not make the change durable; it is not acknowledged");
    }
  }

  /**
   * A copy of the state for a digest starts no sooner than this many times its previous copy's
   * duration after that copy ended, so digests hold the sequencer at most 1/(1 + this) of the time.
   */
  public static final int DIGEST_PACE = 20;

  /** The longest a reader parks at once while it waits for its turn to copy (it then looks at the clock again). */
  private static final long DIGEST_PARK_NANOS = 10_000_000;

  /**
   * The digest of the model's state ({@link MixtureOfExperts#digest()}) at the version it has when
   * the state is copied: exact, computed at most once per version of the state (every logged
   * operation makes a new one). Only the copy of the state holds the sequencer; hashing it does not.
   *
   * <p>Readers wait, not writers: copies of the state are paced so that a loop of digest reads
   * beside writes cannot hold the model for more than a small share of the time. After a copy that
   * held the sequencer for {@code c}, the next copy starts no sooner than {@value #DIGEST_PACE}
   * {@code c} later (on the registry's clock), so copies take at most 1/21 of the model's time; a reader of a newer version waits for that moment holding only the digest
   * lock, and concurrent readers of one version wait for one computation. A 17 MB model whose copy
   * takes 13 ms gets a fresh digest at most every 0.27 s or so; a small one's wait is microseconds.
   *
   * @throws Refusal NOT_FOUND when the model was deleted, UNAVAILABLE when it is {@linkplain #wedged() wedged}
   */
  public String digest() {
    Digest d = digest;
    if (d != null && d.version() == version) {
      return d.hex();
    }
    digestLock.lock();
    try {
      d = digest;
      if (d != null && d.version() == version) {
        return d.hex();
      }
      awaitCopyTurn();
      long at;
      byte[] state;
      lockSequencer();
      try {
        requireLive();
        long t0 = System.nanoTime();
        at = version;
        state = Snapshots.state(model);
        lastCopyNanos = System.nanoTime() - t0;
      } finally {
        unlockSequencer();
      }
      lastCopyEnd = registry.now();
      String hex = Snapshots.digest(state);
      digest = new Digest(at, hex);
      return hex;
    } finally {
      digestLock.unlock();
    }
  }

  /**
   * Waits, holding the digest lock and nothing else, until {@value #DIGEST_PACE} times the last
   * copy's duration has passed since it ended (the copy's duration is measured with
   * {@link System#nanoTime()}, the moment on the registry's clock, the same clock but in tests).
   * An interrupted reader stops waiting.
   */
  private void awaitCopyTurn() {
    if (lastCopyNanos < 0) {
      return;
    }
    long due = lastCopyEnd + DIGEST_PACE * lastCopyNanos;
    for (long now = registry.now(); now - due < 0; now = registry.now()) {
      if (Thread.currentThread().isInterrupted()) {
        return;
      }
      java.util.concurrent.locks.LockSupport.parkNanos(Math.min(due - now, DIGEST_PARK_NANOS));
    }
  }

  /** Operations logged on this entry so far: the version of its state that {@link #digest()} caches. */
  public long version() {
    return version;
  }

  /**
   * A page of the open streams in id order (see {@link MixtureOfExperts#streams(String, int)}): up to
   * {@code limit} ids greater than {@code after} (from the first when null), which need not be open.
   * Holds the model's lock for time in log(streams) + limit, and copies only the page.
   */
  public List<String> streams(String after, int limit) {
    return model.streams(after, limit);
  }

  /**
   * Refuses the stream ({@link Refusal.Kind#NOT_FOUND}) unless it is open, and records its use for the least-recently-used order in
   * which streams are evicted. Constant time; allocates nothing.
   *
   * @throws Refusal NOT_FOUND for an unknown stream
   */
  public void requireStream(String stream) {
    if (!model.touchStream(stream, registry.now())) {
      throw unknownStream(stream);
    }
  }

  /**
   * Why the model refuses every request, or null when it does not: an error (an out-of-memory)
   * interrupted an operation after it was logged, so its state in memory may differ from the log's.
   * A restart recovers it from the log.
   */
  public String wedged() {
    Throwable w = wedgedBy;
    return w == null ? null : "model '" + name + "' stopped taking requests: " + w
        + " interrupted an operation after it was logged, so its state in memory may differ from the log's;"
        + " restart the server to recover it from the log";
  }

  /**
   * Records the error that interrupted the operation under the sequencer when it was logged (its
   * effect on the model is then unknown); allocates nothing, as the error may be an out-of-memory.
   */
  private Error wedge(Error e) {
    if (applying) {
      wedgedBy = e;
    }
    return e;
  }

  private void requireLive() {
    if (deleted) {
      throw Refusal.notFound("unknown model '" + name + "'");
    }
    if (wedgedBy != null) {
      throw Refusal.unavailable(wedged());
    }
  }

  private void requireLive(String stream) {
    requireLive();
    requireStream(stream);
  }

  /** How long a request spins for a held sequencer before it parks. */
  private static final long SPIN_NANOS = 50_000;

  /**
   * Takes the sequencer for a request: spins briefly while another thread holds it, then parks.
   * The sequencer is held for a few microseconds per request, by a thread running on another core,
   * so spinning usually wins. A virtual thread that parks instead gives up its carrier and, once
   * unparked, queues behind every other runnable request before it runs again, which is what made
   * the tail of route latencies under concurrent load.
   */
  private void lockSequencer() {
    if (sequencer.tryLock()) {
      return;
    }
    long start = System.nanoTime();
    // Once threads are parked in the lock's queue, spinning would barge ahead of them every time
    // (a parked thread wakes slowly): then queue behind them instead.
    while (!sequencer.hasQueuedThreads() && System.nanoTime() - start < SPIN_NANOS) {
      Thread.onSpinWait();
      if (!sequencer.isLocked() && sequencer.tryLock()) {
        return;
      }
    }
    sequencer.lock();
  }

  /** Releases the sequencer taken by {@link #lockSequencer()} or {@code sequencer.lock()}. */
  private void unlockSequencer() {
    applying = false;
    sequencer.unlock();
  }

  private static final String REFUSED = "the operation log has failed; nothing was changed";

  /**
   * Logs an operation known only under the sequencer, encoding it first: an error while it is
   * encoded (an out-of-memory) leaves nothing logged and the model as it was, not wedged.
   */
  private CompletableFuture<Long> log(Operation op) {
    OperationJournal journal = registry.journal();
    return log(journal, op, encodeAhead(journal, op), REFUSED);
  }

  /**
   * The operation's encoding when the journal writes one, computed before the operation is logged:
   * an error while encoding then changes nothing and wedges nothing. Operations known before the
   * sequencer is taken are encoded before it, so that the lock covers only queueing the record
   * (its order in the log is still fixed under the lock).
   */
  private static byte[] encodeAhead(OperationJournal journal, Operation op) {
    return journal.encodes() ? op.encode() : null;
  }

  /**
   * Under the sequencer: hands the operation (and its encoding, when computed ahead) to the journal,
   * before it is applied.
   */
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
    lastFuture = f;
    sinceSnapshot++;
    version++;
    return f;
  }

  /** After an operation, outside the lock: lets the registry take a periodic snapshot. */
  private void after() {
    registry.operationApplied(this);
  }

  private Refusal unknownStream(String stream) {
    return Refusal.notFound("unknown stream '" + stream + "' on model '" + name + "'");
  }
}
