package dev.auramoe.flink;

import dev.auramoe.MixtureOfExperts;
import dev.auramoe.Snapshots;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Runs alone (parallelism 1): gathers the shards' results when the input ends, combines them
 * ({@link ModelIo#combine}), saves the model as a single-JVM snapshot when given a file (on the machine
 * that runs this task), and emits the {@link JobSummary}.
 */
public final class ModelAssembler extends AbstractStreamOperator<JobSummary>
    implements OneInputStreamOperator<ShardResult, JobSummary>, BoundedOneInput {

  private static final long serialVersionUID = 1L;

  private final int shards;
  private final String modelOut;
  private transient ListState<ShardResult> results;

  /** @param modelOut the snapshot file to write, or null for none */
  public ModelAssembler(int shards, String modelOut) {
    this.shards = shards;
    this.modelOut = modelOut;
  }

  @Override
  public void initializeState(StateInitializationContext context) throws Exception {
    super.initializeState(context);
    results = context.getOperatorStateStore().getListState(
        new ListStateDescriptor<>("results", TypeInformation.of(ShardResult.class)));
  }

  @Override
  public void processElement(StreamRecord<ShardResult> element) throws Exception {
    results.add(element.getValue());
  }

  @Override
  public void endInput() throws Exception {
    List<ShardResult> rs = new ArrayList<>();
    results.get().forEach(rs::add);
    if (rs.size() != shards) {
      throw new IllegalStateException("the input ended with " + rs.size() + " of " + shards + " shards' models");
    }
    MixtureOfExperts model = ModelIo.combine(rs);
    byte[] bytes = Snapshots.toSavableBytes(model);
    if (modelOut != null) {
      dev.auramoe.io.AtomicFiles.write(Path.of(modelOut), bytes);
    }
    JobSummary s = new JobSummary();
    s.shards = shards;
    double err = 0;
    for (ShardResult r : rs) {
      s.records += r.records;
      err += r.squaredError;
      s.activeNanos = Math.max(s.activeNanos, r.activeNanos);
      s.streams += r.streams;
      s.replicaBytes += r.replicaBytes;
      s.streamBytes += r.streamBytes;
      s.checkpoints = Math.max(s.checkpoints, r.checkpoints);
      s.checkpointNanos = Math.max(s.checkpointNanos, r.checkpointNanos);
    }
    s.mse = s.records == 0 ? Double.NaN : err / s.records;
    s.digest = Snapshots.digest(model);
    s.modelBytes = bytes.length;
    output.collect(new StreamRecord<>(s));
  }
}
