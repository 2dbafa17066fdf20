package dev.auramoe.flink.ep;

import dev.auramoe.MixtureOfExperts;
import dev.auramoe.Snapshots;
import dev.auramoe.flink.JobSummary;
import dev.auramoe.flink.ShardResult;
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
 * Runs alone: gathers the parts when the input ends, assembles the model ({@link EpAssembly}), saves
 * it as a single-JVM snapshot when given a file, and emits the {@link JobSummary}.
 */
public final class EpAssembler extends AbstractStreamOperator<JobSummary>
    implements OneInputStreamOperator<EpPart, JobSummary>, BoundedOneInput {

  private static final long serialVersionUID = 1L;

  private final int shards;
  private final int instances;
  private final String modelOut;
  private transient ListState<EpPart> parts;

  /** @param modelOut the snapshot file to write, or null for none */
  public EpAssembler(int shards, int instances, String modelOut) {
    this.shards = shards;
    this.instances = instances;
    this.modelOut = modelOut;
  }

  @Override
  public void initializeState(StateInitializationContext context) throws Exception {
    super.initializeState(context);
    parts = context.getOperatorStateStore().getListState(
        new ListStateDescriptor<>("parts", TypeInformation.of(EpPart.class)));
  }

  @Override
  public void processElement(StreamRecord<EpPart> element) throws Exception {
    parts.add(element.getValue());
  }

  @Override
  public void endInput() throws Exception {
    List<ShardResult> routes = new ArrayList<>();
    List<CombineResult> combines = new ArrayList<>();
    List<SlotResult> slots = new ArrayList<>();
    long first = Long.MAX_VALUE;
    long last = 0;
    for (EpPart p : parts.get()) {
      if (p.route != null) {
        routes.add(p.route);
        if (p.firstMillis > 0) {
          first = Math.min(first, p.firstMillis);
        }
      } else if (p.combine != null) {
        combines.add(p.combine);
      } else {
        slots.add(p.slot);
      }
    }
    MixtureOfExperts model = EpAssembly.model(routes, combines, slots, shards);
    byte[] bytes = Snapshots.toSavableBytes(model);
    if (modelOut != null) {
      dev.auramoe.io.AtomicFiles.write(Path.of(modelOut), bytes);
    }
    JobSummary s = new JobSummary();
    s.shards = shards;
    double err = 0;
    for (CombineResult c : combines) {
      last = Math.max(last, c.lastMillis);
      s.records += c.records;
      err += c.squaredError;
    }
    s.mse = s.records == 0 ? Double.NaN : err / s.records;
    s.digest = Snapshots.digest(model);
    s.modelBytes = bytes.length;
    s.instanceTokens = EpAssembly.instanceTokens(slots, instances);
    s.activeNanos = last > first ? (last - first) * 1_000_000 : 0;
    output.collect(new StreamRecord<>(s));
  }
}
