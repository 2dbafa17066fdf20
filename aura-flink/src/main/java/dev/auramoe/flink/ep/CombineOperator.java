package dev.auramoe.flink.ep;

import dev.auramoe.MixtureOfExperts;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedMultiInput;
import org.apache.flink.streaming.api.operators.InternalTimer;
import org.apache.flink.streaming.api.operators.InternalTimerService;
import org.apache.flink.streaming.api.operators.Triggerable;
import org.apache.flink.streaming.api.operators.TwoInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * The combine stage, keyed by shard, in the slot of the shard's route stage (a co-location group): the
 * routings (first input) and the experts' outputs (second input) of an epoch wait in keyed state for
 * its end (the watermark), then each shard's {@link Combiner} mixes and learns them in input order, and
 * publishes its router and the streams' recent errors on the shard's {@link Boards board}, and, after
 * every watermark, how far it has come. The combiner is in keyed state {@code combiner}, the streams'
 * recent errors in {@code recent}; when the input ends each shard's router and recent errors go to the
 * assembler.
 */
public final class CombineOperator extends AbstractStreamOperator<EpPart>
    implements TwoInputStreamOperator<Routed, ExpertOutput, EpPart>, BoundedMultiInput,
    Triggerable<Integer, VoidNamespace> {

  private static final long serialVersionUID = 1L;

  private final int shards;
  private final EpOptions ep;
  private final byte[] templateModel;
  private final int[] keys;

  private transient ListState<Routed> routed;
  private transient ListState<ExpertOutput> outputs;
  private transient ValueState<byte[]> combiner;
  private transient MapState<String, byte[]> recent;
  private transient InternalTimerService<VoidNamespace> timers;
  private transient ListState<Long> progressState;
  private transient long progress;
  private transient String run;
  private transient String job;
  /** The model the routers start from; its router is set from a shard's state before each use. */
  private transient MixtureOfExperts scratch;
  private transient float[] initialRouter;
  private transient int ended;
  private transient long lastMillis;

  /** @param templateModel the snapshot bytes of the model the routers start from */
  public CombineOperator(int shards, EpOptions ep, byte[] templateModel, int[] keys) {
    this.shards = shards;
    this.ep = ep;
    this.templateModel = templateModel;
    this.keys = keys;
  }

  @Override
  public void initializeState(StateInitializationContext context) throws Exception {
    super.initializeState(context);
    progressState = context.getOperatorStateStore().getUnionListState(
        new ListStateDescriptor<>("progress", Types.LONG));
    progress = -1;
    for (Long p : progressState.get()) {
      progress = Math.max(progress, p);
    }
    job = getRuntimeContext().getJobInfo().getJobId().toString();
    run = Boards.run(job, context.getRestoredCheckpointId().orElse(-1));
  }

  @Override
  public void open() throws Exception {
    super.open();
    routed = getPartitionedState(new ListStateDescriptor<>("routed", TypeInformation.of(Routed.class)));
    outputs = getPartitionedState(new ListStateDescriptor<>("outputs", TypeInformation.of(ExpertOutput.class)));
    combiner = getPartitionedState(new ValueStateDescriptor<>("combiner",
        PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
    recent = getPartitionedState(new MapStateDescriptor<>("recent", Types.STRING,
        PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
    timers = getInternalTimerService("epochs", VoidNamespaceSerializer.INSTANCE, this);
    scratch = EpJob.load(templateModel);
    initialRouter = scratch.routerParameters();
    Boards.forget(job, run);
    // A restored stage publishes what it had learned before its route stage may read the board.
    for (int shard : ownShards()) {
      setCurrentKey(keys[shard]);
      Boards.Board board = Boards.of(run, shard);
      byte[] b = combiner.value();
      if (b != null) {
        for (Map.Entry<Long, float[]> v : combiner(b).versions()) {
          board.publish(v.getKey(), v.getValue());
        }
      }
      for (Map.Entry<String, byte[]> e : recent.entries()) {
        RecentHistory h = RecentHistory.fromBytes(e.getValue());
        for (int i = 0; i < h.epochs().length; i++) {
          board.publish(e.getKey(), h.epochs()[i], h.values()[i]);
        }
      }
      board.progress(progress);
    }
  }

  /** A shard's combiner from its state, or fresh (null), on the scratch model. */
  private Combiner combiner(byte[] b) {
    if (b == null) {
      scratch.setRouterParameters(initialRouter);
      return Combiner.fresh(scratch, ep);
    }
    return Combiner.fromBytes(b, scratch, ep);
  }

  private List<Integer> ownShards() {
    return dev.auramoe.flink.ShardKeys.owned(getRuntimeContext(), keys);
  }

  @Override
  public void processElement1(StreamRecord<Routed> element) throws Exception {
    Routed t = element.getValue();
    routed.add(t);
    timers.registerEventTimeTimer(VoidNamespace.INSTANCE, ep.endOf(ep.epochOf(t.seq)));
  }

  @Override
  public void processElement2(StreamRecord<ExpertOutput> element) throws Exception {
    outputs.add(element.getValue());
  }

  @Override
  public void onEventTime(InternalTimer<Integer, VoidNamespace> timer) throws Exception {
    long end = timer.getTimestamp();
    long epoch = ep.epochOf(end);
    List<Routed> due = new ArrayList<>();
    List<Routed> laterRouted = new ArrayList<>();
    for (Routed t : routed.get()) {
      (t.seq <= end ? due : laterRouted).add(t);
    }
    if (due.isEmpty()) {
      return;
    }
    Map<Long, List<ExpertOutput>> bySeq = new TreeMap<>();
    List<ExpertOutput> laterOutputs = new ArrayList<>();
    for (ExpertOutput o : outputs.get()) {
      if (o.seq <= end) {
        bySeq.computeIfAbsent(o.seq, k -> new ArrayList<>()).add(o);
      } else {
        laterOutputs.add(o);
      }
    }
    due.sort(Comparator.comparingLong(t -> t.seq));
    int shard = due.getFirst().shard;
    Boards.Board board = Boards.of(run, shard);
    Combiner c = combiner(combiner.value());
    Map<String, RecentHistory> touched = new HashMap<>();
    Combiner.Recents recents = new Combiner.Recents() {
      @Override
      public RecentHistory get(String stream) throws Exception {
        RecentHistory h = touched.get(stream);
        if (h == null) {
          byte[] r = recent.get(stream);
          h = r == null ? null : RecentHistory.fromBytes(r);
        }
        return h;
      }

      @Override
      public void put(String stream, RecentHistory history) {
        touched.put(stream, history);
      }
    };
    for (Routed t : due) {
      c.learn(t, EpStages.byExpert(t, bySeq.get(t.seq)), recents);
    }
    c.endEpoch(epoch);
    for (Map.Entry<String, RecentHistory> e : touched.entrySet()) {
      recent.put(e.getKey(), e.getValue().toBytes());
      board.publish(e.getKey(), epoch, e.getValue().latest());
    }
    RouterVersions.Version v = c.version(epoch);
    board.publish(v.epoch(), v.params());
    combiner.update(c.toBytes());
    lastMillis = System.currentTimeMillis();
    routed.update(laterRouted);
    outputs.update(laterOutputs);
  }

  @Override
  public void onProcessingTime(InternalTimer<Integer, VoidNamespace> timer) {}

  @Override
  public void processWatermark(Watermark mark) throws Exception {
    super.processWatermark(mark);
    long t = mark.getTimestamp();
    long done = t == Long.MAX_VALUE ? Long.MAX_VALUE : Math.floorDiv(t + 1, ep.epoch()) - 1;
    if (done > progress) {
      progress = done;
      for (int shard : ownShards()) {
        Boards.of(run, shard).progress(done);
      }
    }
  }

  @Override
  public void snapshotState(StateSnapshotContext context) throws Exception {
    super.snapshotState(context);
    progressState.update(List.of(progress));
  }

  @Override
  public void endInput(int inputId) throws Exception {
    if (++ended < 2) {
      return;
    }
    for (int shard : ownShards()) {
      setCurrentKey(keys[shard]);
      byte[] b = combiner.value();
      if (b == null) {
        continue;
      }
      Combiner c = combiner(b);
      List<String> ids = new ArrayList<>();
      for (String s : recent.keys()) {
        ids.add(s);
      }
      ids.sort(null);
      float[][] values = new float[ids.size()][];
      for (int i = 0; i < values.length; i++) {
        values[i] = RecentHistory.fromBytes(recent.get(ids.get(i))).latest();
      }
      CombineResult result = new CombineResult(shard, c.records(), c.squaredError(), c.routerParameters(),
          ids.toArray(String[]::new), values);
      result.lastMillis = lastMillis;
      output.collect(new StreamRecord<>(EpPart.of(result)));
    }
  }

  @Override
  public void finish() throws Exception {
    super.finish();
    Boards.forget(job, null);
  }

  /**
   * Also when the job fails or is cancelled: the boards are static, and a JVM that outlives the job (a
   * session cluster's task manager) would keep them for ever. An attempt that restarts after a failure
   * opens after this one has closed, and republishes what it restored on a board of its own.
   */
  @Override
  public void close() throws Exception {
    try {
      super.close();
    } finally {
      if (job != null) {
        Boards.forget(job, null);
      }
    }
  }
}
