package dev.auramoe.flink;

import dev.auramoe.Snapshots;
import dev.auramoe.io.SnapshotException;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * The learner: keyed by shard ({@link ShardKeys}), it holds each shard's replica of the shared weights
 * in keyed state {@code replica} and each stream's exported state in the keyed map {@code streams}
 * (with the stream's position in {@code order}), and learns every record as it arrives.
 *
 * <p>The replicas live on the heap as models between checkpoints: a checkpoint first writes every
 * replica that learned since the last one into its keyed state, then the state backend snapshots, so
 * that a checkpoint holds the replicas and the streams as they were after the same record. When the
 * input ends, each shard this subtask owns emits its whole model ({@link Shard#assemble}).
 */
public final class LearnOperator extends AbstractStreamOperator<ShardResult>
    implements OneInputStreamOperator<LearnRecord, ShardResult>, BoundedOneInput {

  private static final long serialVersionUID = 1L;

  private final ModelOptions options;
  private final int shards;
  private final byte[] initialModel;
  private final int[] keys;

  private transient ValueState<byte[]> replica;
  private transient MapState<String, byte[]> streams;
  private transient MapState<String, Long> order;
  private transient Map<Integer, Shard> live;
  private transient Map<Integer, Long> flushed;
  private transient Shard.Initial initial;
  private transient Shard.StreamStates states;
  private transient long firstNanos;
  private transient long lastNanos;
  private transient long checkpoints;
  private transient long checkpointNanos;

  /**
   * @param initialModel the snapshot bytes of the model every shard starts from, or null for a fresh
   *     model of {@code options}
   */
  public LearnOperator(ModelOptions options, int shards, byte[] initialModel) {
    this.options = options;
    this.shards = Shards.check(shards);
    this.initialModel = initialModel;
    this.keys = ShardKeys.keys(shards);
  }

  /**
   * Refuses state learned with another number of shards: a stream's shard, and so the key its state
   * is under, depends on it. Every subtask keeps the number in union list state.
   */
  @Override
  public void initializeState(StateInitializationContext context) throws Exception {
    super.initializeState(context);
    ListState<Integer> count = context.getOperatorStateStore().getUnionListState(
        new ListStateDescriptor<>("shards", Types.INT));
    for (Integer n : count.get()) {
      if (n != shards) {
        throw new IllegalStateException("the job's state was learned with " + n + " shards; --shards must stay "
            + n + " (it is " + shards + ")");
      }
    }
    count.update(java.util.List.of(shards));
  }

  @Override
  public void open() throws Exception {
    super.open();
    replica = getPartitionedState(KeyedStreamStates.replicaDescriptor());
    streams = getPartitionedState(KeyedStreamStates.streamsDescriptor());
    order = getPartitionedState(KeyedStreamStates.orderDescriptor());
    live = new HashMap<>();
    flushed = new HashMap<>();
    initial = initialModel == null ? null : Shard.Initial.of(Snapshots.fromBytes(initialModel, ModelIo.NO_FUNCTIONS));
    states = new KeyedStreamStates(streams, order);
  }

  @Override
  public void processElement(StreamRecord<LearnRecord> element) throws Exception {
    LearnRecord r = element.getValue();
    if (firstNanos == 0) {
      firstNanos = System.nanoTime();
    }
    shard(Shards.shardOf(r.stream, shards)).learn(r, states);
    lastNanos = System.nanoTime();
  }

  /** The shard's replica, from the heap, from its keyed state, or fresh; the current key must be its. */
  private Shard shard(int index) throws Exception {
    Shard s = live.get(index);
    if (s == null) {
      byte[] b = replica.value();
      s = b == null ? Shard.fresh(index, options, initial) : restore(index, b);
      live.put(index, s);
      flushed.put(index, s.records());
    }
    return s;
  }

  private Shard restore(int index, byte[] b) throws SnapshotException {
    return Shard.fromBytes(index, b, initial);
  }

  @Override
  public void snapshotState(StateSnapshotContext context) throws Exception {
    long t0 = System.nanoTime();
    Object key = getCurrentKey();
    for (Shard s : live.values()) {
      if (flushed.get(s.index()) != s.records()) {
        setCurrentKey(keys[s.index()]);
        s.flush(states);
        replica.update(s.toBytes());
        flushed.put(s.index(), s.records());
      }
    }
    if (key != null) {
      setCurrentKey(key);
    }
    super.snapshotState(context);
    checkpoints++;
    checkpointNanos += System.nanoTime() - t0;
  }

  @Override
  public void endInput() throws Exception {
    long active = lastNanos - firstNanos;
    for (int i : ShardKeys.owned(getRuntimeContext(), keys)) {
      setCurrentKey(keys[i]);
      Shard shard = shard(i);
      ShardResult result = shard.assemble(states, shards);
      result.activeNanos = active;
      result.checkpoints = checkpoints;
      result.checkpointNanos = checkpointNanos;
      result.replicaBytes = shard.toBytes().length;  // assemble flushed the streams
      for (Map.Entry<String, byte[]> e : streams.entries()) {
        result.streams++;
        result.streamBytes += e.getValue().length + e.getKey().length() + Long.BYTES;
      }
      output.collect(new StreamRecord<>(result));
    }
  }
}
