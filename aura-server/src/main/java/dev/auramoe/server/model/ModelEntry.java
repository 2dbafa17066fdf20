package dev.auramoe.server.model;

import dev.auramoe.MixtureOfExperts;
import dev.auramoe.routing.RouteBuffer;
import dev.auramoe.routing.RoutingDecision;
import dev.auramoe.server.ApiException;
import dev.auramoe.server.journal.LearnEvent;
import dev.auramoe.server.journal.Operation;
import dev.auramoe.server.journal.OperationJournal;
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
 * Every operation that changes the model (route, predict, learn, stream open, close and reset) takes
 * this entry's sequencing lock, hands its {@link Operation} to the registry's
 * {@link OperationJournal} and applies it under that lock, so the journal's order is the order in
 * which operations are applied, and a stream checked to be open stays open until the operation is
 * applied. A learn is answered only once its operation is durable; routes and predictions are
 * answered without waiting (they are ordered in the log all the same, and recovery replays the
 * durable prefix, which holds every acknowledged learn). When the journal refuses an operation (it
 * has failed) the call answers 503 and changes nothing. Every argument is validated before the model
 * is touched, so a refused call changes nothing.
 *
 * <pre>{@code
 * ModelEntry e = registry.get("sensors");
 * RoutingDecision d = e.route("default", x);                       // logged, not awaited
 * List<LearnedSample> o = e.learn("default", xs, ys, 1);          // waits until durable
 * }</pre>
 */
public final class ModelEntry {

  private static final Pattern STREAM = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");

  private final String name;
  private final ModelSpec spec;
  /** Replaced only by {@link #restore}, under the sequencer. */
  private volatile MixtureOfExperts model;
  private final Instant created = Instant.now();
  private final ReentrantLock sequencer = new ReentrantLock();
  private final LongAdder routes = new LongAdder();
  private final LongAdder predictions = new LongAdder();
  private final LongAdder learns = new LongAdder();
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

  /** The result of one learned sample: the prediction made before learning, its error and routing. */
  public record LearnedSample(float[] prediction, double squaredError, int[] experts, float[] weights) {}

  /** The result of one predicted sample, with the experts that made it. */
  public record Prediction(float[] prediction, int[] experts, float[] weights) {}

  ModelEntry(ModelSpec spec, MixtureOfExperts model, ModelRegistry registry, long coveredSeq) {
    this.name = spec.name();
    this.spec = spec;
    this.model = model;
    this.registry = registry;
    this.coveredSeq = coveredSeq;
    this.lastReplayed = coveredSeq;
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

  void markDeleted() {
    deleted = true;
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
   * Records that a snapshot covers every operation up to {@code seq}; call under {@link #sequencer()}.
   */
  public void covered(long seq) {
    coveredSeq = seq;
    sinceSnapshot = 0;
  }

  /**
   * The log sequence number of the last operation applied to this model; call under
   * {@link #sequencer()}. Waits until that operation is durable.
   *
   * @throws java.util.concurrent.CompletionException when it could not be made durable
   */
  public long lastDurableSeq() {
    return lastFuture == null ? lastReplayed : Math.max(lastReplayed, lastFuture.join());
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

  /** Samples learned and acknowledged by the journal. */
  public long learns() {
    return learns.sum();
  }

  /**
   * Checks a stream id's form.
   *
   * @throws ApiException 400 when it is malformed
   */
  public static void checkStreamId(String stream) {
    if (stream == null || !STREAM.matcher(stream).matches()) {
      throw ApiException.badRequest("stream id must be 1 to 128 characters of A-Z a-z 0-9 . _ : - starting with a"
          + " letter or digit");
    }
  }

  /**
   * Routes one input.
   *
   * @param x the input, already checked to be finite and of length inputDim; not modified
   * @throws ApiException 404 for an unknown stream, 503 when the journal has failed
   */
  public RoutingDecision route(String stream, float[] x) {
    RoutingDecision d;
    OperationJournal journal = registry.journal();
    Operation op = Operation.inputs(Operation.Type.ROUTE, name, stream, 1, x.length, x.clone());
    byte[] encoded = encodeAhead(journal, op);
    lockSequencer();
    try {
      requireLive(stream);
      log(journal, op, encoded, REFUSED);
      d = model.route(stream, x);
    } finally {
      sequencer.unlock();
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
   * @throws ApiException 404 for an unknown stream, 503 when the journal has failed
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
    } finally {
      sequencer.unlock();
    }
    routes.add(count);
    after();
  }

  /**
   * Predicts {@code count} consecutive inputs of one stream: routes each and mixes the chosen
   * experts' outputs with the mixing weights, exactly as {@link MixtureOfExperts#predict} does (its
   * expert MACs are not metered: the core has no predict overload that also reports the routing).
   *
   * @param xs {@code count * inputDim} checked values; not modified
   * @throws ApiException 404 for an unknown stream, 503 when the journal has failed
   */
  public List<Prediction> predict(String stream, float[] xs, int count) {
    int in = model.inputDim();
    int out = model.outputDim();
    Prediction[] result = new Prediction[count];
    RouteBuffer buf = model.newRouteBuffer();
    float[] x = new float[in];
    float[] o = new float[out];
    OperationJournal journal = registry.journal();
    Operation op = Operation.inputs(Operation.Type.PREDICT, name, stream, count, in, xs.clone());
    byte[] encoded = encodeAhead(journal, op);
    lockSequencer();
    try {
      requireLive(stream);
      log(journal, op, encoded, REFUSED);
      for (int r = 0; r < count; r++) {
        System.arraycopy(xs, r * in, x, 0, in);
        model.route(stream, x, buf);
        float[] y = new float[out];
        int k = buf.k();
        int[] chosen = Arrays.copyOf(buf.expertsArray(), k);
        float[] w = Arrays.copyOf(buf.weightsArray(), k);
        for (int j = 0; j < k; j++) {
          // Experts are read under the sequencer, which every learn of this server holds too.
          model.expert(chosen[j]).predict(x, o);
          for (int i = 0; i < out; i++) {
            y[i] += w[j] * o[i];
          }
        }
        result[r] = new Prediction(y, chosen, w);
        predictions.increment();
      }
    } finally {
      sequencer.unlock();
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
   * @throws ApiException 404 for an unknown stream (nothing changed), 503 when the journal refuses
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
      for (int r = 0; r < count; r++) {
        float[] x = Arrays.copyOfRange(xs, r * in, (r + 1) * in);
        float[] y = Arrays.copyOfRange(ys, r * out, (r + 1) * out);
        MixtureOfExperts.LearnResult lr = model.learn(stream, x, y);
        result[r] = new LearnedSample(lr.prediction(), lr.squaredError(), lr.experts(), lr.weights());
      }
    } finally {
      sequencer.unlock();
    }
    long seq;
    try {
      seq = durable.join();
    } catch (CompletionException | java.util.concurrent.CancellationException e) {
      throw new ApiException(503, "the learn journal could not make the event durable; it is not acknowledged");
    }
    learns.add(count);
    after();
    return new Learned(List.of(result), seq);
  }

  /**
   * Opens a stream.
   *
   * @throws ApiException 409 when it is open already, 503 when the journal has failed
   */
  public void openStream(String stream) {
    checkStreamId(stream);
    sequencer.lock();
    try {
      requireLive();
      if (model.streams().contains(stream)) {
        throw ApiException.conflict("stream '" + stream + "' is already open on model '" + name + "'");
      }
      log(Operation.stream(Operation.Type.STREAM_OPEN, name, stream));
      model.openStream(stream);
    } finally {
      sequencer.unlock();
    }
    after();
  }

  /**
   * Closes a stream.
   *
   * @throws ApiException 404 for an unknown stream, 400 for the default stream, 503 when the journal
   *     has failed
   */
  public void closeStream(String stream) {
    if (MixtureOfExperts.DEFAULT_STREAM.equals(stream)) {
      throw ApiException.badRequest("the default stream cannot be closed");
    }
    sequencer.lock();
    try {
      requireLive(stream);
      log(Operation.stream(Operation.Type.STREAM_CLOSE, name, stream));
      model.closeStream(stream);
    } finally {
      sequencer.unlock();
    }
    after();
  }

  /**
   * Resets a stream's cell state to zero.
   *
   * @throws ApiException 404 for an unknown stream, 503 when the journal has failed
   */
  public void resetStream(String stream) {
    sequencer.lock();
    try {
      requireLive(stream);
      log(Operation.stream(Operation.Type.STREAM_RESET, name, stream));
      model.resetStream(stream);
    } finally {
      sequencer.unlock();
    }
    after();
  }

  /**
   * Replaces the model by a snapshot of it (loaded by the caller), logging a RESTORE operation first.
   *
   * @param loaded the snapshot's model, of this entry's spec
   * @param snapshotSeq the log sequence number the snapshot covers
   * @throws ApiException 404 when the model was deleted; 503 when the journal has failed (before: nothing
   *     changed; after the append: the restore is applied in memory but not acknowledged)
   */
  public void restore(MixtureOfExperts loaded, long snapshotSeq) {
    MixtureOfExperts old;
    CompletableFuture<Long> durable;
    sequencer.lock();
    try {
      requireLive();
      durable = log(Operation.restore(name, snapshotSeq));
      old = model;
      model = loaded;
    } finally {
      sequencer.unlock();
    }
    old.close();
    after();
    // Answered only once durable, as learns and deletions are: a restore a client saw succeed must
    // survive a crash.
    try {
      durable.join();
    } catch (java.util.concurrent.CompletionException | java.util.concurrent.CancellationException e) {
      throw new ApiException(503, "the operation log has failed; the restore is not durable");
    }
  }

  /** Open streams in opening order. */
  public List<String> streams() {
    return model.streams();
  }

  /**
   * Throws 404 unless the stream is open.
   *
   * @throws ApiException 404 for an unknown stream
   */
  public void requireStream(String stream) {
    if (!model.streams().contains(stream)) {
      throw unknownStream(stream);
    }
  }

  private void requireLive() {
    if (deleted) {
      throw ApiException.notFound("unknown model '" + name + "'");
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
    do {
      Thread.onSpinWait();
      if (!sequencer.isLocked() && sequencer.tryLock()) {
        return;
      }
    } while (System.nanoTime() - start < SPIN_NANOS);
    sequencer.lock();
  }

  private static final String REFUSED = "the operation log has failed; nothing was changed";

  private CompletableFuture<Long> log(Operation op) {
    return log(registry.journal(), op, null, REFUSED);
  }

  /**
   * The operation's encoding when the journal writes one, computed before the sequencer is taken so
   * that the lock covers only queueing the record (its order in the log is still fixed under the lock).
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
    try {
      f = journal.append(op, encoded);
    } catch (RuntimeException e) {
      throw new ApiException(503, refused);
    }
    if (f == null) {
      throw new IllegalStateException("the journal returned no future");
    }
    lastFuture = f;
    sinceSnapshot++;
    return f;
  }

  /** After an operation, outside the lock: lets the registry take a periodic snapshot. */
  private void after() {
    registry.operationApplied(this);
  }

  private ApiException unknownStream(String stream) {
    return ApiException.notFound("unknown stream '" + stream + "' on model '" + name + "'");
  }
}
