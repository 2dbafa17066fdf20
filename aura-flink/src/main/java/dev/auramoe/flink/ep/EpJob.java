package dev.auramoe.flink.ep;

import dev.auramoe.MixtureOfExperts;
import dev.auramoe.Snapshots;
import dev.auramoe.flink.JobSpec;
import dev.auramoe.flink.JobSummary;
import dev.auramoe.flink.LearnRecord;
import dev.auramoe.flink.ModelIo;
import dev.auramoe.flink.Shards;
import dev.auramoe.io.SnapshotException;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The expert-parallel job:
 * <pre>
 *   FileSource (1) -> number (1) -> keyBy(shard) -> route (N) --a Dispatch per instance, keyBy(instance)--> experts (N)
 *                                                     |                                                        |
 *                                                     +--routings, keyBy(shard)--> combine (N, beside route) <-+
 *   route, experts, combine --parts when the input ends--> assemble (1)
 * </pre>
 * Records are numbered in input order; the numbering's event time and its watermarks (one at each
 * epoch's end) let the experts and the combine stages compute each epoch once all of it has arrived,
 * in input order whatever the order of arrival. Every operator has a fixed uid; the settings that the
 * state depends on (shards, instances, epoch, spill) are checked on restore.
 */
public final class EpJob {

  /** Milliseconds a network buffer may wait before it is sent: short, see {@link #build}. */
  static final long BUFFER_TIMEOUT_MS = 1;

  private EpJob() {}

  /**
   * Adds the job to {@code env}.
   *
   * @param probe a function applied to every record after the source, or null for none
   * @return the summary, one element when the input ends
   */
  public static DataStream<JobSummary> build(StreamExecutionEnvironment env, JobSpec spec, EpOptions ep,
      MapFunction<LearnRecord, LearnRecord> probe) throws SnapshotException {
    if (env.getConfiguration().get(CheckpointingOptions.ENABLE_UNALIGNED)) {
      // An unaligned checkpoint catches the combine subtasks at different epochs (an epoch's end may still
      // be in flight to one of them), while a route stage may already have read that epoch's end from its
      // board: restored, the route stages and the combine stages would disagree on what was learned.
      throw new IllegalArgumentException("--expert-parallel needs aligned checkpoints: set "
          + CheckpointingOptions.ENABLE_UNALIGNED.key() + " to false");
    }
    // An epoch's end travels route -> experts -> combine -> (board) -> route: every hop holds it until its
    // network buffer is flushed, and the route stage waits for it one epoch later. A buffer flushed only
    // when full (-1) would hold it for ever: the route stage that sent it waits, and sends nothing more.
    long bufferTimeout = Long.getLong("aura.ep.bufferTimeoutMs", BUFFER_TIMEOUT_MS);
    if (bufferTimeout < 0) {
      throw new IllegalArgumentException("aura.ep.bufferTimeoutMs must be >= 0 (milliseconds before a network "
          + "buffer is sent), got " + bufferTimeout + ": the route stages wait for each epoch's end to come back");
    }
    env.setBufferTimeout(bufferTimeout);
    DataStream<LearnRecord> records = dev.auramoe.flink.AuraFlinkJob.records(env, spec, probe);
    DataStream<LearnRecord> numbered = records.map(new Numbering()).uid("number").setParallelism(1)
        .setMaxParallelism(1).returns(LearnRecord.class)
        .assignTimestampsAndWatermarks(WatermarkStrategy.<LearnRecord>forGenerator(c -> new EpochEnds(ep))
            .withTimestampAssigner((r, t) -> r.seq))
        .uid("epochs").setParallelism(1).setMaxParallelism(1);

    byte[] template = spec.initialModel() != null ? spec.initialModel() : Snapshots.toBytes(spec.model().build());
    int shards = spec.shards();
    int[] shardKeys = dev.auramoe.flink.ShardKeys.keys(shards);
    int p = spec.parallelism();
    String colocation = "aura-ep-shard";

    SingleOutputStreamOperator<Dispatch> routed = numbered
        .keyBy(r -> shardKeys[Shards.shardOf(r.stream, shards)], TypeInformation.of(Integer.class))
        .transform("route", TypeInformation.of(Dispatch.class),
            new RouteOperator(spec.model(), shards, ep, spec.initialModel(), shardKeys))
        .uid("route").setParallelism(p).setMaxParallelism(Shards.MAX_SHARDS);
    routed.getTransformation().setCoLocationGroupKey(colocation);
    int instances = ep.instances();
    int[] instanceKeys = dev.auramoe.flink.ShardKeys.keys(instances);
    SingleOutputStreamOperator<ExpertOutput> computed = routed
        .keyBy(d -> instanceKeys[d.instance], TypeInformation.of(Integer.class))
        .transform("experts", TypeInformation.of(ExpertOutput.class), new ExpertOperator(ep, template, instanceKeys))
        .uid("experts").setParallelism(p).setMaxParallelism(Shards.MAX_SHARDS);
    SingleOutputStreamOperator<EpPart> combined = routed.getSideOutput(RouteOperator.ROUTED)
        .keyBy(t -> shardKeys[t.shard], TypeInformation.of(Integer.class))
        .connect(computed.keyBy(o -> shardKeys[o.shard], TypeInformation.of(Integer.class)))
        .transform("combine", TypeInformation.of(EpPart.class), new CombineOperator(shards, ep, template, shardKeys))
        .uid("combine").setParallelism(p).setMaxParallelism(Shards.MAX_SHARDS);
    combined.getTransformation().setCoLocationGroupKey(colocation);
    DataStream<EpPart> parts = combined.union(routed.getSideOutput(RouteOperator.PARTS),
        computed.getSideOutput(ExpertOperator.PARTS));
    return parts
        .transform("assemble", TypeInformation.of(JobSummary.class),
            new EpAssembler(shards, instances, spec.modelOut()))
        .uid("assemble").setParallelism(1).setMaxParallelism(1)
        .disableChaining();
  }

  /** A model from snapshot bytes. */
  static MixtureOfExperts load(byte[] bytes) throws SnapshotException {
    return Snapshots.fromBytes(bytes, ModelIo.NO_FUNCTIONS);
  }

  /**
   * Refuses state learned with other settings: a stream's shard, an expert's replicas and the epochs
   * depend on them, and the spill threshold on which replica each token went to (a job that went on
   * with another would end with a model of neither rule). Every route subtask keeps them in union list
   * state.
   */
  static void checkSettings(StateInitializationContext context, int shards, EpOptions ep) throws Exception {
    ListState<Long> s = context.getOperatorStateStore().getUnionListState(
        new ListStateDescriptor<>("ep-settings", Types.LONG));
    List<Long> now = List.of((long) shards, (long) ep.instances(), (long) ep.epoch(),
        Double.doubleToLongBits(ep.spill()));
    List<Long> was = new ArrayList<>();
    s.get().forEach(was::add);
    if (!was.isEmpty() && (was.size() < now.size() || !was.subList(0, now.size()).equals(now))) {
      throw new IllegalStateException("the job's state was learned with --shards " + was.get(0)
          + " --expert-instances " + was.get(1) + " --epoch " + was.get(2)
          + (was.size() < now.size() ? "" : " --spill " + Double.longBitsToDouble(was.get(3)))
          + "; they must stay (they are " + shards + ", " + ep.instances() + ", " + ep.epoch() + ", " + ep.spill()
          + ")");
    }
    s.update(now);
  }

  /** Numbers the records in input order (0, 1, ...); the count is operator state. */
  static final class Numbering implements MapFunction<LearnRecord, LearnRecord>, CheckpointedFunction {
    private static final long serialVersionUID = 1L;
    private transient ListState<Long> state;
    private long next;

    @Override
    public LearnRecord map(LearnRecord r) {
      r.seq = next++;
      return r;
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
      state.update(List.of(next));
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
      state = context.getOperatorStateStore().getListState(new ListStateDescriptor<>("next", Types.LONG));
      for (Long n : state.get()) {
        next = n;
      }
    }
  }

  /**
   * A watermark at the end of each epoch, right after its last record: it reaches every subtask before
   * any record of the next epoch, so that a route stage waiting, at the next epoch's first record, for
   * the epoch to be learned downstream has already passed it on. (After a restart the first record seen
   * may be in the middle of an epoch: the epoch before it is then ended at once, which the state
   * restored downstream already holds.)
   */
  static final class EpochEnds implements WatermarkGenerator<LearnRecord> {
    private final EpOptions ep;
    private long ended = -1;

    EpochEnds(EpOptions ep) {
      this.ep = ep;
    }

    @Override
    public void onEvent(LearnRecord r, long timestamp, WatermarkOutput out) {
      long e = ep.epochOf(r.seq);
      long done = r.seq == ep.endOf(e) ? e : e - 1;
      if (done > ended) {
        ended = done;
        out.emitWatermark(new Watermark(ep.endOf(done)));
      }
    }

    @Override
    public void onPeriodicEmit(WatermarkOutput out) {}
  }
}
