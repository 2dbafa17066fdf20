package dev.auramoe.flink.ep;

import dev.auramoe.flink.ShardKeys;
import dev.auramoe.Snapshots;
import dev.auramoe.flink.LearnRecord;
import dev.auramoe.flink.ModelIo;
import dev.auramoe.flink.ModelOptions;
import dev.auramoe.flink.Shard;
import dev.auramoe.flink.ShardResult;
import dev.auramoe.flink.Shards;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;

/**
 * The route stage, keyed by shard: each shard's {@link RouteStage} (its replica in keyed state
 * {@code replica} with the stage's counters in {@code dispatch}, each stream's exported state in
 * {@code streams}), the tokens out to the experts, the routings out to the combine stage
 * ({@link #ROUTED}) and, when the input ends, each shard's model to the assembler ({@link #PARTS}).
 * The replicas live on the heap between checkpoints, written into state at each, as the
 * data-parallel learner does.
 */
public final class RouteOperator extends AbstractStreamOperator<Dispatch>
    implements OneInputStreamOperator<LearnRecord, Dispatch>, BoundedOneInput {

  private static final long serialVersionUID = 1L;

  /** The routings, to the combine stage. */
  public static final OutputTag<Routed> ROUTED = new OutputTag<>("routed") {};
  /** The shards' models when the input ends, to the assembler. */
  public static final OutputTag<EpPart> PARTS = new OutputTag<>("route-parts") {};

  private final ModelOptions options;
  private final int shards;
  private final EpOptions ep;
  private final byte[] initialModel;
  private final int[] keys;

  private transient ValueState<byte[]> replica;
  private transient ValueState<long[]> dispatch;
  private transient MapState<String, byte[]> streams;
  private transient MapState<String, Long> order;
  private transient Map<Integer, RouteStage> live;
  private transient Map<Integer, Long> flushed;
  private transient Shard.Initial initial;
  private transient Shard.StreamStates states;
  private transient RouterVersions versions;
  private transient long firstMillis;
  private transient String run;

  public RouteOperator(ModelOptions options, int shards, EpOptions ep, byte[] initialModel, int[] keys) {
    this.options = options;
    this.shards = Shards.check(shards);
    this.ep = ep;
    this.initialModel = initialModel;
    this.keys = keys;
  }

  @Override
  public void initializeState(StateInitializationContext context) throws Exception {
    super.initializeState(context);
    EpJob.checkSettings(context, shards, ep);
    run = Boards.run(getRuntimeContext().getJobInfo().getJobId().toString(),
        context.getRestoredCheckpointId().orElse(-1));
  }

  @Override
  public void open() throws Exception {
    super.open();
    replica = getPartitionedState(dev.auramoe.flink.KeyedStreamStates.replicaDescriptor());
    dispatch = getPartitionedState(new ValueStateDescriptor<>("dispatch",
        PrimitiveArrayTypeInfo.LONG_PRIMITIVE_ARRAY_TYPE_INFO));
    streams = getPartitionedState(dev.auramoe.flink.KeyedStreamStates.streamsDescriptor());
    order = getPartitionedState(dev.auramoe.flink.KeyedStreamStates.orderDescriptor());
    live = new HashMap<>();
    flushed = new HashMap<>();
    initial = initialModel == null ? null : Shard.Initial.of(Snapshots.fromBytes(initialModel, ModelIo.NO_FUNCTIONS));
    states = new dev.auramoe.flink.KeyedStreamStates(streams, order);
    versions = Boards.versions(run);
  }

  @Override
  public void processElement(StreamRecord<LearnRecord> element) throws Exception {
    LearnRecord r = element.getValue();
    if (firstMillis == 0) {
      firstMillis = System.currentTimeMillis();
    }
    stage(Shards.shardOf(r.stream, shards)).route(r, states, versions, d -> output.collect(new StreamRecord<>(d)),
        t -> output.collect(ROUTED, new StreamRecord<>(t)));
  }

  /** The shard's stage, from the heap, from its keyed state, or fresh; the current key must be its. */
  private RouteStage stage(int index) throws Exception {
    RouteStage s = live.get(index);
    if (s == null) {
      byte[] b = replica.value();
      s = b == null ? RouteStage.fresh(index, options, initial, ep)
          : RouteStage.restore(Shard.fromBytes(index, b, initial), dispatch.value(), ep);
      live.put(index, s);
      flushed.put(index, -1L);
    }
    return s;
  }

  @Override
  public void snapshotState(StateSnapshotContext context) throws Exception {
    Object key = getCurrentKey();
    for (RouteStage s : live.values()) {
      Shard shard = s.shard();
      if (flushed.get(shard.index()) != shard.records()) {
        setCurrentKey(keys[shard.index()]);
        shard.flush(states);
        replica.update(shard.toBytes());
        dispatch.update(s.extra());
        flushed.put(shard.index(), shard.records());
      }
    }
    if (key != null) {
      setCurrentKey(key);
    }
    super.snapshotState(context);
  }

  @Override
  public void endInput() throws Exception {
    for (int i : ShardKeys.owned(getRuntimeContext(), keys)) {
      setCurrentKey(keys[i]);
      ShardResult result = stage(i).shard().assemble(states, shards);
      EpPart part = EpPart.of(result);
      part.firstMillis = firstMillis;
      output.collect(PARTS, new StreamRecord<>(part));
    }
  }
}
