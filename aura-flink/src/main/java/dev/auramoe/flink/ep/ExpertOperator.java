package dev.auramoe.flink.ep;

import dev.auramoe.flink.ShardKeys;
import dev.auramoe.MixtureOfExperts;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
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
 * The expert stage, keyed by instance ({@link dev.auramoe.flink.ShardKeys}, so that instance j is
 * subtask j when there are as many subtasks as instances): the instance's expert replicas in keyed
 * state {@code experts} (with the tokens each computed in {@code tokens} and learned in
 * {@code learned}), the records of the current epoch in {@code pending}. Records reach an instance from
 * every route subtask in an order that changes from run to run, so they wait for their epoch's end
 * (the watermark) and are then computed in input order; the outputs go to the combine stage, and when
 * the input ends each replica's state to the assembler ({@link #PARTS}).
 */
public final class ExpertOperator extends AbstractStreamOperator<ExpertOutput>
    implements OneInputStreamOperator<Dispatch, ExpertOutput>, BoundedOneInput, Triggerable<Integer, VoidNamespace> {

  private static final long serialVersionUID = 1L;

  /** The replicas' states when the input ends, to the assembler. */
  public static final OutputTag<EpPart> PARTS = new OutputTag<>("expert-parts") {};

  private final EpOptions ep;
  private final byte[] templateModel;
  private final int[] keys;

  private transient MixtureOfExperts template;
  private transient Map<Integer, Integer> instanceOfKey;
  private transient ListState<Dispatch> pending;
  private transient MapState<Integer, float[]> experts;
  private transient MapState<Integer, Long> tokens;
  private transient MapState<Integer, Long> learned;
  private transient InternalTimerService<VoidNamespace> timers;

  /**
   * @param templateModel the snapshot bytes of the model whose experts the replicas start from
   * @param keys the instances' keys
   */
  public ExpertOperator(EpOptions ep, byte[] templateModel, int[] keys) {
    this.ep = ep;
    this.templateModel = templateModel;
    this.keys = keys;
  }

  @Override
  public void open() throws Exception {
    super.open();
    template = EpJob.load(templateModel);
    instanceOfKey = new HashMap<>();
    for (int i = 0; i < keys.length; i++) {
      instanceOfKey.put(keys[i], i);
    }
    pending = getPartitionedState(new ListStateDescriptor<>("pending", TypeInformation.of(Dispatch.class)));
    experts = getPartitionedState(new MapStateDescriptor<>("experts", Types.INT,
        PrimitiveArrayTypeInfo.FLOAT_PRIMITIVE_ARRAY_TYPE_INFO));
    tokens = getPartitionedState(new MapStateDescriptor<>("tokens", Types.INT, Types.LONG));
    learned = getPartitionedState(new MapStateDescriptor<>("learned", Types.INT, Types.LONG));
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
    Map<Integer, ExpertSlot> touched = new HashMap<>();
    for (Dispatch d : due) {
      output.collect(new StreamRecord<>(ExpertSlot.apply(d, e -> touched.computeIfAbsent(e, this::slot))));
    }
    for (Map.Entry<Integer, ExpertSlot> e : touched.entrySet()) {
      experts.put(e.getKey(), e.getValue().state());
      tokens.put(e.getKey(), e.getValue().tokens());
      learned.put(e.getKey(), e.getValue().learned());
    }
    pending.update(later);
  }

  private ExpertSlot slot(int expert) {
    try {
      float[] st = experts.get(expert);
      var t = template.expert(expert);
      return st == null ? ExpertSlot.of(t) : ExpertSlot.restore(t, st, tokens.get(expert), learned.get(expert));
    } catch (Exception e) {
      throw new IllegalStateException("expert " + expert + "'s replica did not load: " + e.getMessage(), e);
    }
  }

  @Override
  public void onProcessingTime(InternalTimer<Integer, VoidNamespace> timer) {}

  @Override
  public void endInput() throws Exception {
    for (int i : ShardKeys.owned(getRuntimeContext(), keys)) {
      setCurrentKey(keys[i]);
      for (Map.Entry<Integer, float[]> e : experts.entries()) {
        output.collect(PARTS, new StreamRecord<>(EpPart.of(
            new SlotResult(e.getKey(), i, tokens.get(e.getKey()), learned.get(e.getKey()), e.getValue()))));
      }
    }
  }
}
