package dev.auramoe.flink;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The job: records from files ({@link LearnRecordFormat}, one source reader, so that each stream's
 * records keep their order), keyed by shard to the {@link LearnOperator}s, whose shards' models meet in
 * one {@link ModelAssembler} when the input ends. Every operator has a fixed uid, so that a savepoint
 * restores into the same job at another parallelism.
 */
public final class AuraFlinkJob {

  private AuraFlinkJob() {}

  /**
   * The records of a run, as both layouts read them: streaming mode, exactly-once checkpoints at the
   * spec's interval, the inputs through one source reader (watched when asked), then the probe.
   *
   * @param probe a function applied to every record after the source, or null for none
   */
  public static DataStream<LearnRecord> records(StreamExecutionEnvironment env, JobSpec spec,
      MapFunction<LearnRecord, LearnRecord> probe) {
    env.setRuntimeMode(RuntimeExecutionMode.STREAMING);
    if (spec.checkpointInterval() != null) {
      env.enableCheckpointing(spec.checkpointInterval().toMillis(), CheckpointingMode.EXACTLY_ONCE);
    }
    List<Path> paths = new ArrayList<>();
    for (String s : spec.inputs()) {
      paths.add(new Path(s));
    }
    FileSource.FileSourceBuilder<LearnRecord> source = FileSource.forRecordStreamFormat(
        new LearnRecordFormat(spec.model().inputDim(), spec.model().outputDim()), paths.toArray(Path[]::new));
    if (spec.watch() != null) {
      source.monitorContinuously(spec.watch());
    }
    DataStream<LearnRecord> records = env.fromSource(source.build(), WatermarkStrategy.noWatermarks(), "records")
        .uid("records").setParallelism(1).setMaxParallelism(1);
    if (probe != null) {
      records = records.map(probe).uid("probe").setParallelism(1).setMaxParallelism(1)
          .returns(LearnRecord.class);
    }
    return records;
  }

  /**
   * Adds the job to {@code env}.
   *
   * @param probe a function applied to every record after the source (the identity in a run; tests
   *     count records or fail there), or null for none
   * @return the summary, one element when the input ends
   */
  public static DataStream<JobSummary> build(StreamExecutionEnvironment env, JobSpec spec,
      MapFunction<LearnRecord, LearnRecord> probe) {
    DataStream<LearnRecord> records = records(env, spec, probe);
    int shards = spec.shards();
    int[] keys = ShardKeys.keys(shards);
    SingleOutputStreamOperator<ShardResult> learned = records
        .keyBy(r -> keys[Shards.shardOf(r.stream, shards)], TypeInformation.of(Integer.class))
        .transform("learn", TypeInformation.of(ShardResult.class),
            new LearnOperator(spec.model(), shards, spec.initialModel()))
        .uid("learn").setParallelism(spec.parallelism()).setMaxParallelism(Shards.MAX_SHARDS);
    return learned
        .transform("assemble", TypeInformation.of(JobSummary.class), new ModelAssembler(shards, spec.modelOut()))
        .uid("assemble").setParallelism(1).setMaxParallelism(1)
        // Never chained to the learners: at parallelism 1 it could be, and a savepoint of that chain
        // would not restore at another parallelism (a task's operators share one maximum parallelism).
        .disableChaining();
  }
}
