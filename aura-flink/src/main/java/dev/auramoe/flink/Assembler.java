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
 * A job's last operator, run alone (parallelism 1): it keeps the parts its learners send when the input
 * ends (operator list state), then assembles the model from all of them, saves it as a single-JVM
 * snapshot when given a file (on the machine that runs this task) and emits the {@link JobSummary}.
 *
 * @param <T> the parts
 */
public abstract class Assembler<T> extends AbstractStreamOperator<JobSummary>
    implements OneInputStreamOperator<T, JobSummary>, BoundedOneInput {

  private static final long serialVersionUID = 1L;

  private final String stateName;
  private final Class<T> type;
  private final String modelOut;
  private transient ListState<T> parts;

  /**
   * @param stateName the name of the parts' list state (fixed: savepoints name it)
   * @param modelOut the snapshot file to write, or null for none
   */
  protected Assembler(String stateName, Class<T> type, String modelOut) {
    this.stateName = stateName;
    this.type = type;
    this.modelOut = modelOut;
  }

  @Override
  public void initializeState(StateInitializationContext context) throws Exception {
    super.initializeState(context);
    parts = context.getOperatorStateStore().getListState(
        new ListStateDescriptor<>(stateName, TypeInformation.of(type)));
  }

  @Override
  public void processElement(StreamRecord<T> element) throws Exception {
    parts.add(element.getValue());
  }

  @Override
  public void endInput() throws Exception {
    List<T> all = new ArrayList<>();
    parts.get().forEach(all::add);
    JobSummary s = new JobSummary();
    MixtureOfExperts model = assemble(all, s);
    byte[] bytes = Snapshots.toSavableBytes(model);
    if (modelOut != null) {
      dev.auramoe.io.AtomicFiles.write(Path.of(modelOut), bytes);
    }
    s.digest = Snapshots.digest(model);
    s.modelBytes = bytes.length;
    output.collect(new StreamRecord<>(s));
  }

  /** The model from every part; fills the summary's counters (the digest and size are added after). */
  protected abstract MixtureOfExperts assemble(List<T> parts, JobSummary summary) throws Exception;
}
