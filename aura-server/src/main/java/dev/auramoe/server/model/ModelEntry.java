package dev.auramoe.server.model;

import dev.auramoe.MixtureOfExperts;
import dev.auramoe.routing.RoutingDecision;
import dev.auramoe.server.journal.Operation;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * One named model of the registry: the {@link MixtureOfExperts}, the spec it was built from and the
 * API of its requests. Its concerns live in types of their own: the data path of route, predict and
 * learn with its request counters ({@link DataPath}), the sequencing lock and journaling
 * ({@link Sequencer}), the snapshot bookkeeping ({@link SnapshotMarks}), the share of the parameter
 * budget ({@link ParameterShare}), the streams and their eviction ({@link ModelStreams}), the changes
 * answered once durable ({@link ModelChanges}), the digest of the state ({@link StateDigest}) and
 * feedback on its routes under guard-rails ({@link ModelFeedback}).
 *
 * <h2>Sequencing</h2>
 * Every operation that changes the model (route, predict, learn, stream open, close, reset and
 * eviction, the changes) takes this entry's sequencing lock, hands its {@link Operation} to the
 * registry's journal and applies it under that lock, so the journal's order is the order in which
 * operations are applied, and a stream checked to be open stays open until the operation is
 * applied. A learn is answered only once its operation is durable; routes and predictions are
 * answered without waiting (they are ordered in the log all the same, and recovery replays the
 * durable prefix, which holds every acknowledged learn). When the journal refuses an operation (it
 * has failed) the call is refused as {@linkplain Refusal.Kind#UNAVAILABLE unavailable} and changes
 * nothing. Every argument is validated before the model is touched, so a refused call changes
 * nothing. An error (an out-of-memory) thrown after an operation was handed to the journal and
 * before it was applied completely leaves the model {@linkplain #wedged() wedged}: it refuses every
 * request until a restart replays the log.
 *
 * <h2>Lock order</h2>
 * The snapshot lock ({@link #snapshotLock()}), then the registry's creation lock, then the
 * sequencer ({@link #sequencer()}), then the monitor of its feedback guard ({@link ModelFeedback}),
 * then the model's own lock (inside each of its calls); the
 * digest lock ({@link StateDigest}) is taken before the sequencer and never with the first two. No
 * operation of one model takes another model's locks: the parameter budget is a lock-free running
 * total in the registry (see {@link ParameterShare}).
 */
public final class ModelEntry {

  private static final Pattern STREAM = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");

  /**
   * A copy of the state for a digest starts no sooner than this many times its previous copy's
   * duration after that copy ended, so digests hold the sequencer at most 1/(1 + this) of the time.
   */
  public static final int DIGEST_PACE = 20;

  private final String name;
  private final ModelSpec spec;
  /** Replaced, under the sequencer, by a restore and by the changes of the expert set. */
  private volatile MixtureOfExperts model;
  /** The model's expert names, replaced with the model. */
  private volatile List<String> expertNames;
  private final Instant created = Instant.now();
  private final ModelRegistry registry;
  private final SnapshotMarks marks;
  private final Sequencer sequencer;
  private final ReentrantLock snapshotLock = new ReentrantLock();
  private final ParameterShare share;
  private final DataPath data;
  private final ModelFeedback feedback;
  /** The streams and their limits (the registry installs the limits once recovery is over). */
  final ModelStreams streams = new ModelStreams(this);
  private final ModelChanges changes = new ModelChanges(this);
  private final StateDigest digest = new StateDigest(this);
  private volatile boolean deleted;

  /** The result of one learned sample: the prediction made before learning, its error and routing. */
  public record LearnedSample(float[] prediction, double squaredError, int[] experts, float[] weights) {}

  /** The samples learned by {@link #learn}, with the log sequence number of their operation. */
  public record Learned(List<LearnedSample> samples, long seq) {}

  /**
   * One routed input: the decision, the names of the model's experts when it was made, and the id it
   * waits for feedback under (null when the model's feedback is off).
   */
  public record Routed(RoutingDecision decision, List<String> expertNames, String routeId) {}

  /** The result of one predicted sample, with the experts that made it. */
  public record Prediction(float[] prediction, int[] experts, float[] weights) {}

  /** A change answered once durable: its log sequence number and what is in force after it. */
  public record Changed<T>(long seq, T now) {}

  /** The model's experts now: one row per expert, index order. */
  public record ExpertInfo(int index, String name, String kind, double[] hyperParameters, long selections,
      float load, float bias) {}

  ModelEntry(ModelSpec spec, MixtureOfExperts model, ModelRegistry registry, long coveredSeq) {
    this.name = spec.name();
    this.spec = spec;
    this.model = model;
    this.expertNames = model.expertNames();
    this.registry = registry;
    this.marks = new SnapshotMarks(coveredSeq);
    this.sequencer = new Sequencer(registry, marks);
    this.feedback = new ModelFeedback(this, sequencer, spec.feedback());
    this.share = new ParameterShare(this);
    this.data = new DataPath(this, sequencer);
    streams.loaded();
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

  /** The expert names now, in index order. */
  public List<String> expertNames() {
    return expertNames;
  }

  /** When the entry was created. */
  public Instant created() {
    return created;
  }

  /** Inputs routed through route and route/batch. */
  public long routes() {
    return data.routes();
  }

  /** Inputs predicted through predict and predict/batch. */
  public long predictions() {
    return data.predictions();
  }

  /**
   * Samples in the model's state that the journal acknowledged: the model's {@code learnSteps} less
   * the samples whose log write is pending or failed. With a data directory it survives a restart
   * (a recovered model's samples were all durable), and it follows the model through a restore.
   */
  public long learns() {
    return data.learns();
  }

  /** The sequencing lock: held, the model changes only under the holder. */
  public ReentrantLock sequencer() {
    return sequencer.lock();
  }

  /**
   * Held while a snapshot of this model is written, and by deletion and restore around their own
   * work, so that neither runs while a snapshot's files are half written. Taken before the
   * registry's creation lock and before the sequencer.
   */
  public ReentrantLock snapshotLock() {
    return snapshotLock;
  }

  /** Whether the model was deleted (a late request on it is refused as not found). */
  public boolean deleted() {
    return deleted;
  }

  /** Marks the model deleted and gives its budget share back; under the sequencer, once it leaves the registry. */
  void dropped() {
    deleted = true;
    share.drop();
  }

  /** What the model's snapshot covers and what came after it (the snapshot policy's and the trim's). */
  public SnapshotMarks snapshotMarks() {
    return marks;
  }

  /**
   * Checks a stream id's form.
   *
   * @throws Refusal {@link Refusal.Kind#INVALID} when it is malformed
   */
  public static void checkStreamId(String stream) {
    if (stream == null || !STREAM.matcher(stream).matches()) {
      throw Refusal.invalid("stream id must be 1 to 128 characters of A-Z a-z 0-9 . _ : - starting with a"
          + " letter or digit");
    }
  }

  /**
   * Routes one input; logged under the sequencer, not awaited (see {@link DataPath}).
   *
   * @param x the input, already checked to be finite and of length inputDim; not modified
   * @throws Refusal NOT_FOUND for an unknown stream, UNAVAILABLE when the journal has failed
   */
  public Routed route(String stream, float[] x) {
    return data.route(stream, x);
  }

  /** Routes {@code count} inputs of one stream into {@code count * topK} experts and weights; as {@link #route}. */
  public void routeBatch(String stream, float[] xs, int count, int[] experts, float[] weights) {
    data.routeBatch(stream, xs, count, experts, weights);
  }

  /** Predicts {@code count} consecutive inputs of one stream with the experts that made each; as {@link #route}. */
  public List<Prediction> predict(String stream, float[] xs, int count) {
    return data.predict(stream, xs, count);
  }

  /**
   * Learns {@code count} consecutive samples of one stream, prequentially, answered once durable.
   *
   * @throws Refusal NOT_FOUND for an unknown stream (nothing changed), UNAVAILABLE when the journal
   *     refuses the event (nothing changed) or fails to make it durable (learned in memory, not acknowledged)
   */
  public Learned learn(String stream, float[] xs, float[] ys, int count) {
    return data.learn(stream, xs, ys, count);
  }

  /** Opens a stream, evicting idle ones when the model holds all it may; see {@link ModelStreams#open}. */
  public void openStream(String stream) {
    streams.open(stream);
  }

  /** Closes a stream other than the default one; see {@link ModelStreams#close}. */
  public void closeStream(String stream) {
    streams.close(Operation.Type.STREAM_CLOSE, stream);
  }

  /** Evicts a stream as {@link #openStream} does to make room (recovery replays evictions here). */
  public void evictStream(String stream) {
    streams.close(Operation.Type.STREAM_EVICT, stream);
  }

  /** Resets a stream's cell state to zero; see {@link ModelStreams#reset}. */
  public void resetStream(String stream) {
    streams.reset(stream);
  }

  /** The most open streams this model may hold, the default stream included; see {@link ModelStreams#cap}. */
  public int streamCap() {
    return streams.cap();
  }

  /** The most open streams this model could hold now; see {@link ModelStreams#room}. */
  public int streamRoom() {
    return streams.room();
  }

  /** Open streams, the default stream included; constant time. */
  public int streamCount() {
    return model.streamCount();
  }

  /** Streams evicted to make room for others since the entry was made (replayed evictions included). */
  public long evictedStreams() {
    return streams.evicted();
  }

  /** A page of up to {@code limit} open stream ids after {@code after}; see {@link MixtureOfExperts#streams}. */
  public List<String> streams(String after, int limit) {
    return model.streams(after, limit);
  }

  /**
   * Refuses an unknown stream, and records the use of an open one for the least-recently-used order
   * in which streams are evicted. Constant time; allocates nothing.
   *
   * @throws Refusal NOT_FOUND for an unknown stream
   */
  public void requireStream(String stream) {
    if (!model.touchStream(stream, registry.now())) {
      throw Refusal.notFound("unknown stream '" + stream + "' on model '" + name + "'");
    }
  }

  /** Replaces the model by a snapshot of it, keeping the streams' recency; see {@link ModelChanges#restore}. */
  public void restore(MixtureOfExperts loaded, long snapshotSeq) {
    changes.restore(loaded, snapshotSeq);
  }

  /** Changes the run-time settings, answered once durable; see {@link ModelChanges#configure}. */
  public Changed<ModelSettings> configure(UnaryOperator<ModelSettings> change) {
    return changes.configure(change);
  }

  /** Adds an expert at the end of the list, answered once durable; see {@link ModelChanges#addExpert}. */
  public Changed<List<String>> addExpert(ExpertSpec spec) {
    return changes.addExpert(spec);
  }

  /** Removes an expert, answered once durable; see {@link ModelChanges#removeExpert}. */
  public Changed<List<String>> removeExpert(String expert) {
    return changes.removeExpert(expert);
  }

  /** Renames an expert, answered once durable; see {@link ModelChanges#renameExpert}. */
  public Changed<List<String>> renameExpert(String expert, String newName) {
    return changes.renameExpert(expert, newName);
  }

  /** The feedback settings in force; takes no lock. */
  public FeedbackSettings feedbackSettings() {
    return feedback.settings();
  }

  /** What {@link #feedback} answered: the route id, what the guard did, and its log sequence number (-1: none). */
  public record FeedbackAnswer(String routeId, dev.auramoe.feedback.FeedbackOutcome outcome, long seq) {}

  /**
   * A reward in [0, 1] for one chosen expert of a route this model remembered for feedback, through
   * its guard-rails; answered once the change is durable. See {@link ModelFeedback#feedback}.
   */
  public FeedbackAnswer feedback(String routeId, String expert, double reward) {
    return feedback.feedback(routeId, expert, reward);
  }

  /** Makes the router now the feedback's anchor, answered once durable: the sequence number. */
  public long feedbackAnchor() {
    return feedback.anchor();
  }

  /** A rollback answered: how far the router moved back to its anchor, and the log sequence number. */
  public record RolledBack(double moved, long seq) {}

  /** Puts the router back to the feedback's anchor, bit for bit, answered once durable. */
  public RolledBack feedbackRollback() {
    return feedback.rollback();
  }

  /**
   * The feedback's state: settings, routes waiting, drift from the anchor (null with feedback off),
   * and the parameters the route memory may take.
   */
  public record FeedbackInfo(FeedbackSettings settings, int pendingRoutes, Double drift, long routeMemory) {}

  /** The feedback's state, read under the sequencer. */
  public FeedbackInfo feedbackInfo() {
    return feedback.info();
  }

  /** Replays a ROUTER_CHANGE operation without the guard (recovery). */
  public void replayRouterChange(Operation op) {
    feedback.replay(op);
  }

  /** Feedback settings and anchor, as a snapshot keeps them beside the model. */
  public record FeedbackState(FeedbackSettings settings, float[] anchor) {}

  /** The feedback's settings and a copy of its anchor; call under the sequencer (a snapshot). */
  public FeedbackState feedbackState() {
    return feedback.persisted();
  }

  /**
   * Installs the feedback's settings and anchor a snapshot kept (recovery).
   *
   * @throws IllegalArgumentException when the anchor does not fit the model's router
   */
  public void loadFeedback(FeedbackState state) {
    sequencer.lockParking();
    try {
      feedback.load(state);
      share.settle(0);
    } finally {
      sequencer.unlock();
    }
  }

  /** The experts with their balancer state, read in one consistent view. */
  public List<ExpertInfo> experts() {
    sequencer.lockParking();
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

  /** Float parameters the model holds now ({@link MixtureOfExperts#parameterCount()}). */
  public long parameters() {
    return share.parameters();
  }

  /**
   * What the model holds against the memory limits, in parameters: {@link #parameters()} and
   * {@link ModelSpec#streamParameters()} per open stream, as last settled (exact whenever no change
   * of this model is under way). Constant time; takes no lock.
   */
  public long heldParameters() {
    return share.held();
  }

  /**
   * The digest of the model's state at the version it has when the state is copied, computed at most
   * once per version, with copies paced so that digest reads cannot stall writes (see {@link StateDigest}).
   *
   * @throws Refusal NOT_FOUND when the model was deleted, UNAVAILABLE when it is {@linkplain #wedged() wedged}
   */
  public String digest() {
    return digest.digest();
  }

  /**
   * The model's state as snapshot bytes ({@link dev.auramoe.Snapshots}' format, what
   * {@link dev.auramoe.Snapshots#load} and {@link ModelImport} read), copied at the pace of the
   * digest's copies (see {@link StateDigest#snapshot()}).
   *
   * @throws Refusal NOT_FOUND when the model was deleted, UNAVAILABLE when it is {@linkplain #wedged() wedged},
   *     CONFLICT when it holds a value that is not finite
   */
  public byte[] snapshotBytes() {
    return digest.snapshot();
  }

  /** Operations logged on this entry so far: the version of its state that {@link #digest()} caches. */
  public long version() {
    return sequencer.version();
  }

  /**
   * Why the model refuses every request, or null when it does not: an error (an out-of-memory)
   * interrupted an operation after it was logged, so its state in memory may differ from the log's.
   * A restart recovers it from the log.
   */
  public String wedged() {
    Throwable w = sequencer.wedgedBy();
    return w == null ? null : "model '" + name + "' stopped taking requests: " + w
        + " interrupted an operation after it was logged, so its state in memory may differ from the log's;"
        + " restart the server to recover it from the log";
  }

  ModelRegistry registry() {
    return registry;
  }

  Sequencer sequencing() {
    return sequencer;
  }

  ParameterShare share() {
    return share;
  }

  ModelFeedback feedbackPart() {
    return feedback;
  }

  /** Puts a new model in the old one's place, with its stream limits; under the sequencer. @return its expert names */
  List<String> replace(MixtureOfExperts next) {
    streams.replacing(next);
    model = next;
    expertNames = next.expertNames();
    streams.limit();
    feedback.replaced(next);
    return expertNames;
  }

  /** Refuses a request on a deleted or wedged model. */
  void requireLive() {
    if (deleted) {
      throw Refusal.notFound("unknown model '" + name + "'");
    }
    if (sequencer.wedgedBy() != null) {
      throw Refusal.unavailable(wedged());
    }
  }

  void requireLive(String stream) {
    requireLive();
    requireStream(stream);
  }

  /** After an operation, outside the lock: lets the registry take a periodic snapshot. */
  void after() {
    registry.operationApplied(this);
  }
}
