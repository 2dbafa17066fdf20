package dev.auramoe.flink.ep;

import dev.auramoe.MixtureOfExperts;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.InternalTimer;
import org.apache.flink.streaming.api.operators.InternalTimerService;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.Triggerable;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;

/**
 * The expert stage, keyed by replica ({@link SlotKeys}): each replica's state in keyed state
 * {@code expert} (with its token count in {@code tokens}), the tokens of the current epoch in
 * {@code pending}. Tokens reach a replica from every route subtask in an order that changes from run to
 * run, so they wait for their epoch's end (the watermark) and are then computed in input order; the
 * outputs go to the combine stage, and when the input ends each replica's state to the assembler
 * ({@link #PARTS}).
 */
public final class ExpertOperator extends AbstractStreamOperator<ExpertOutput>
    implements OneInputStreamOperator<Dispatch, ExpertOutput>, BoundedOneInput, Triggerable<Integer, VoidNamespace> {

  private static final long serialVersionUID = 1L;

  /** The replicas' states when the input ends, to the assembler. */
  public static final OutputTag<EpPart> PARTS = new OutputTag<>("expert-parts") {};

  private final EpOptions ep;
  private final byte[] templateModel;
  private final int experts;

  private transient MixtureOfExperts template;
  private transient SlotKeys slotKeys;
  private transient ListState<Dispatch> pending;
  private transient ValueState<float[]> expert;
  private transient ValueState<Long> tokens;
  private transient InternalTimerService<VoidNamespace> timers;

  /** @param templateModel the snapshot bytes of the model whose experts the replicas start from */
  public ExpertOperator(EpOptions ep, byte[] templateModel, int experts) {
    this.ep = ep;
    this.templateModel = templateModel;
    this.experts = experts;
  }

  @Override
  public void open() throws Exception {
    super.open();
    template = EpJob.load(templateModel);
    slotKeys = new SlotKeys(experts, ep.instances());
    pending = getPartitionedState(new ListStateDescriptor<>("pending", TypeInformation.of(Dispatch.class)));
    expert = getPartitionedState(new ValueStateDescriptor<>("expert",
        PrimitiveArrayTypeInfo.FLOAT_PRIMITIVE_ARRAY_TYPE_INFO));
    tokens = getPartitionedState(new ValueStateDescriptor<>("tokens", Types.LONG));
    timers = getInternalTimerService("epochs", VoidNamespaceSerializer.INSTANCE, this);
  }

  @Override
  public void processElement(StreamRecord<Dispatch> element) throws Exception {
    Dispatch d = element.getValue();
    pending.add(d);
    timers.registerEventTimeTimer(VoidNamespace.INSTANCE, ep.endOf(ep.epochOf(d.seq)));
  }

  @Override
  public void onEventTime(InternalTimer<Integer, VoidNamespace> timer) throws Exception {
    long end = timer.getTimestamp();
    List<Dispatch> due = new ArrayList<>();
    List<Dispatch> later = new ArrayList<>();
    for (Dispatch d : pending.get()) {
      (d.seq <= end ? due : later).add(d);
    }
    if (due.isEmpty()) {
      return;
    }
    due.sort(Comparator.comparingLong(d -> d.seq));
    int slot = slotKeys.slot(timer.getKey());
    ExpertSlot s = slot(slot);
    for (Dispatch d : due) {
      output.collect(new StreamRecord<>(s.apply(d)));
    }
    expert.update(s.state());
    tokens.update(s.tokens());
    pending.update(later);
  }

  private ExpertSlot slot(int slot) throws Exception {
    float[] st = expert.value();
    var t = template.expert(slot / ep.instances());
    return st == null ? ExpertSlot.of(t) : ExpertSlot.restore(t, st, tokens.value());
  }

  @Override
  public void onProcessingTime(InternalTimer<Integer, VoidNamespace> timer) {}

  @Override
  public void endInput() throws Exception {
    int maxParallelism = getRuntimeContext().getTaskInfo().getMaxNumberOfParallelSubtasks();
    int parallelism = getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks();
    int subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
    for (int key : slotKeys.keys()) {
      int group = KeyGroupRangeAssignment.assignToKeyGroup(key, maxParallelism);
      if (KeyGroupRangeAssignment.computeOperatorIndexForKeyGroup(maxParallelism, parallelism, group) == subtask) {
        setCurrentKey(key);
        float[] st = expert.value();
        if (st != null) {
          int slot = slotKeys.slot(key);
          output.collect(PARTS, new StreamRecord<>(EpPart.of(
              new SlotResult(slot / ep.instances(), slot % ep.instances(), tokens.value(), st))));
        }
      }
    }
  }
}
