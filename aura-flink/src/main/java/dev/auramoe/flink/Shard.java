package dev.auramoe.flink;

import dev.auramoe.MixtureOfExperts;
import dev.auramoe.Snapshots;
import dev.auramoe.io.SnapshotException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One learner shard: a replica of the shared weights (cell, router, experts, balancer, counters and the
 * default stream) that learns, in arrival order, from the streams whose {@link Shards#shardOf shard} it
 * is. A stream's own state (cell state, attention, recent errors, route count) lives in a
 * {@link StreamStates} (the job's keyed state): the replica takes it from there at the stream's first
 * record after a {@link #flush}, learns with it, and gives it back at the next flush (each
 * checkpoint), so that a checkpoint's replica holds no stream but the default one.
 *
 * <p>With one shard this is the single-JVM model, learned record after record: the digest of
 * {@link #assemble} equals that of a model that learned the same records with
 * {@link MixtureOfExperts#learn}. Not thread-safe.
 */
public final class Shard {

  /** Where the streams' states live between records. */
  public interface StreamStates {
    /** A stream's exported state, or null when it has none yet. */
    byte[] get(String id) throws Exception;

    /** Stores a stream's exported state. */
    void put(String id, byte[] state) throws Exception;

    /** Stores the position of a stream in the model (its first sight), once per stream. */
    void putOrder(String id, long order) throws Exception;

    /** Every stored stream with its position. */
    Map<String, Long> orders() throws Exception;
  }

  private final int index;
  private final MixtureOfExperts model;
  private final Initial initial;
  private final float[] yHat;
  private long records;
  private double squaredError;

  /** The streams of a model a job starts from, handed out to the shards as records arrive. */
  public record Initial(MixtureOfExperts model, Map<String, Integer> position) {

    /** The streams of {@code model} but the default one, in their order. */
    public static Initial of(MixtureOfExperts model) {
      Map<String, Integer> pos = new HashMap<>();
      for (String s : model.streams()) {
        if (!s.equals(MixtureOfExperts.DEFAULT_STREAM)) {
          pos.put(s, pos.size());
        }
      }
      return new Initial(model, Map.copyOf(pos));
    }

    /** The order key of an initial stream: negative, so before every stream the job opens. */
    long order(String id) {
      return position.get(id) - (long) position.size();
    }
  }

  private Shard(int index, MixtureOfExperts model, Initial initial, long records, double squaredError) {
    this.index = index;
    this.model = model;
    this.initial = initial;
    this.yHat = new float[model.outputDim()];
    this.records = records;
    this.squaredError = squaredError;
  }

  /**
   * A shard that has learned nothing: a fresh model of {@code options}, or a copy of the initial model
   * without its streams (the default one kept).
   */
  public static Shard fresh(int index, ModelOptions options, Initial initial) {
    MixtureOfExperts m;
    if (initial == null) {
      m = options.build();
    } else {
      m = copy(initial.model());
      for (String s : initial.position().keySet()) {
        m.closeStream(s);
      }
    }
    return new Shard(index, m, initial, 0, 0);
  }

  /** A shard restored from {@link #toBytes}. */
  public static Shard fromBytes(int index, byte[] bytes, Initial initial) throws SnapshotException {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes);
    long records = b.getLong();
    double err = b.getDouble();
    byte[] snapshot = new byte[bytes.length - 16];
    b.get(snapshot);
    return new Shard(index, Snapshots.fromBytes(snapshot, ModelIo.NO_FUNCTIONS), initial, records, err);
  }

  /** The replica and the shard's counters, for the job's state; after a {@link #flush}. */
  public byte[] toBytes() {
    if (model.streamCount() != 1) {
      throw new IllegalStateException("the replica holds streams; flush them first");
    }
    byte[] snapshot = Snapshots.toBytes(model);
    return java.nio.ByteBuffer.allocate(16 + snapshot.length).putLong(records).putDouble(squaredError)
        .put(snapshot).array();
  }

  /**
   * Predicts, then learns one record (prequential). A stream the replica does not hold is taken from
   * {@code states} (or the initial model, or opened with a zero state) and stays in the replica until
   * {@link #flush}.
   *
   * @return the squared error of the prediction made before learning
   */
  public double learn(LearnRecord r, StreamStates states) throws Exception {
    holdStream(r.stream, states);
    double err = model.learn(r.stream, r.x, r.y, yHat);
    records++;
    squaredError += err;
    return err;
  }

  /**
   * Routes one record without learning (the route stage of the expert-parallel job): the stream is
   * taken as {@link #learn} takes it, advanced, and the balancer records the choice; the decision goes
   * to {@code out}. Counted as a record of the shard.
   */
  public void route(LearnRecord r, StreamStates states, dev.auramoe.routing.RouteBuffer out) throws Exception {
    holdStream(r.stream, states);
    model.route(r.stream, r.x, out);
    records++;
  }

  /** The replica's model (the route stage reads the stream's state and sets the router). */
  public MixtureOfExperts model() {
    return model;
  }

  /** Makes sure the replica holds the stream: from {@code states}, the initial model, or opened fresh. */
  public void holdStream(String s, StreamStates states) throws Exception {
    if (!model.hasStream(s)) {
      byte[] st = states.get(s);
      if (st != null) {
        model.importStream(s, st);
      } else if (initial != null && initial.position().containsKey(s)) {
        model.importStream(s, initial.model().exportStream(s));
        states.putOrder(s, initial.order(s));
      } else {
        model.openStream(s);
        states.putOrder(s, records);
      }
    }
  }

  /**
   * Moves every stream the replica holds (the default one stays) into {@code states}: before the
   * replica is written at a checkpoint, so that the replica holds no stream and each stream's state is
   * in its own keyed state as of the same record.
   */
  public void flush(StreamStates states) throws Exception {
    if (model.streamCount() == 1) {
      return;
    }
    for (String s : model.streams()) {
      if (!s.equals(MixtureOfExperts.DEFAULT_STREAM)) {
        states.put(s, model.exportStream(s));
        model.closeStream(s);
      }
    }
  }

  /**
   * The shard's whole model, after a {@link #flush}: a copy of the replica with every stream of the
   * shard imported in the order the model met it (the initial model's streams first, in their order),
   * as the snapshot bytes.
   *
   * @param shards the number of shards, to pick the initial model's streams that are this shard's
   */
  public ShardResult assemble(StreamStates states, int shards) throws Exception {
    flush(states);
    MixtureOfExperts m = copy(model);
    Map<String, Long> orders = new HashMap<>(states.orders());
    if (initial != null) {
      for (String s : initial.position().keySet()) {
        if (!orders.containsKey(s) && Shards.shardOf(s, shards) == index) {
          orders.put(s, initial.order(s));
        }
      }
    }
    List<Map.Entry<String, Long>> sorted = new ArrayList<>(orders.entrySet());
    sorted.sort(Map.Entry.comparingByValue());
    for (Map.Entry<String, Long> e : sorted) {
      byte[] st = states.get(e.getKey());
      m.importStream(e.getKey(), st != null ? st : initial.model().exportStream(e.getKey()));
    }
    return new ShardResult(index, records, squaredError, Snapshots.toBytes(m));
  }

  /** The shard's index. */
  public int index() {
    return index;
  }

  /** Records learned. */
  public long records() {
    return records;
  }

  private static MixtureOfExperts copy(MixtureOfExperts m) {
    try {
      return Snapshots.fromBytes(Snapshots.toBytes(m), ModelIo.NO_FUNCTIONS);
    } catch (SnapshotException e) {
      throw new IllegalStateException("a model's own snapshot did not load back: " + e.getMessage(), e);
    }
  }
}
