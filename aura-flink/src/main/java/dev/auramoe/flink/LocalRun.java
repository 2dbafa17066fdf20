package dev.auramoe.flink;

import dev.auramoe.MixtureOfExperts;
import dev.auramoe.Snapshots;
import dev.auramoe.io.SnapshotException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The job's rule in one JVM, without Flink: the same shards, each learning its streams' records in file
 * order, the streams' states in plain maps, and the same combination. A job at any parallelism ends
 * with this run's model, bit for bit; with one shard both are the single-JVM model that learned the
 * records one after another with {@link MixtureOfExperts#learn}.
 */
public final class LocalRun {

  private final int shards;
  private final List<Shard> shardList = new ArrayList<>();
  private final List<MapStates> states = new ArrayList<>();

  /** A run of {@code shards} shards from a fresh model of {@code options} or from {@code initial}. */
  public LocalRun(ModelOptions options, int shards, MixtureOfExperts initial) {
    this.shards = Shards.check(shards);
    Shard.Initial init = initial == null ? null : Shard.Initial.of(initial);
    for (int i = 0; i < shards; i++) {
      shardList.add(Shard.fresh(i, options, init));
      states.add(new MapStates());
    }
  }

  /** Learns one record. */
  public double learn(LearnRecord r) throws Exception {
    int s = Shards.shardOf(r.stream, shards);
    return shardList.get(s).learn(r, states.get(s));
  }

  /** Learns every record of a file, in order; the number of records. */
  public long learn(Path file, LearnRecords reader) throws IOException {
    return reader.learnEach(file, this::learn);
  }

  /** The combined model, as the job's end writes it. */
  public MixtureOfExperts model() throws Exception {
    List<ShardResult> rs = new ArrayList<>();
    for (int i = 0; i < shards; i++) {
      rs.add(shardList.get(i).assemble(states.get(i), shards));
    }
    return ModelIo.combine(rs);
  }

  /** {@link Snapshots#digest} of {@link #model()}. */
  public String digest() throws Exception {
    return Snapshots.digest(model());
  }

  /** Streams' states in plain maps (the job keeps them in keyed state). */
  public static final class MapStates implements Shard.StreamStates {
    private final Map<String, byte[]> streams = new HashMap<>();
    private final Map<String, Long> order = new HashMap<>();

    @Override
    public byte[] get(String id) {
      return streams.get(id);
    }

    @Override
    public void put(String id, byte[] state) {
      streams.put(id, state);
    }

    @Override
    public void putOrder(String id, long position) {
      order.put(id, position);
    }

    @Override
    public Map<String, Long> orders() {
      return order;
    }
  }

  static MixtureOfExperts load(byte[] snapshot) throws SnapshotException {
    return Snapshots.fromBytes(snapshot, ModelIo.NO_FUNCTIONS);
  }
}
