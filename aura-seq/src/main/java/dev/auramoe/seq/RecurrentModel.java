package dev.auramoe.seq;

import dev.auramoe.cell.CellConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * Any recurrent layer ({@link SequenceLayer}: the liquid cell, an LSTM) with a head: the
 * sequence's representation is its last state, or the layer's temporal attention over its states,
 * and the head predicts from it. It is the baselines' model: the monolithic liquid network (one
 * liquid cell, its hidden size matched to a mixture's parameter count by {@link #liquidHiddenFor})
 * and the LSTM.
 *
 * <pre>
 * h_1..h_T = layer over x_1..x_T (elapsed times and left padding as the layer takes them)
 * c        = h_T, or TemporalAttention(h_1..h_T)
 * outputs  = Head(c)
 * </pre>
 *
 * Workspaces grow to the largest batch shape seen; after that neither a training step nor a
 * prediction allocates. Not thread-safe.
 */
public final class RecurrentModel implements SequenceModel {

  private final SequenceLayer layer;
  private final TemporalAttention attention;
  private final Head head;
  private final List<Parameter> parameters;
  private int batch;
  private int steps;
  private float[] hs = new float[0];
  private float[] dHs = new float[0];
  private float[] context = new float[0];
  private float[] dContext = new float[0];

  /**
   * @param layer the recurrent layer, trained with the model
   * @param temporalAttention whether the representation is the attention over the states (score
   *     width D = the layer's hidden size) rather than the last state
   * @param seed the attention's and the head's weights (the layer brings its own)
   */
  public RecurrentModel(SequenceLayer layer, Task task, boolean temporalAttention, long seed) {
    this.layer = Objects.requireNonNull(layer, "layer");
    Random r = new Random(seed);
    int hd = layer.hidden();
    this.attention = temporalAttention ? new TemporalAttention("attention", hd, hd, r) : null;
    this.head = new Head("head", hd, Objects.requireNonNull(task, "task"), r);
    List<Parameter> all = new ArrayList<>(layer.parameters());
    if (attention != null) {
      all.addAll(attention.parameters());
    }
    all.addAll(head.parameters());
    this.parameters = List.copyOf(all);
  }

  /**
   * The monolithic liquid network: one liquid cell of {@code cell}'s configuration (its hidden size
   * as given) under this model; the cell's weights from {@code seed}, the rest from the next draw.
   */
  public static RecurrentModel liquid(CellConfig cell, int inputDim, Task task, boolean temporalAttention, long seed) {
    Random r = new Random(seed);
    return new RecurrentModel(new TrainableLiquidCell(cell, inputDim, r.nextLong()), task, temporalAttention,
        r.nextLong());
  }

  /**
   * The hidden size H of a monolithic liquid network ({@link #liquid}) whose parameter count is
   * closest to {@code parameters} (the smaller H on a tie):
   * {@code 2 F H + H^2 + 2 H} for the cell, {@code H^2 + 2 H} for the attention, {@code (H + 1) O}
   * for the head.
   *
   * @param parameters the count to match, e.g. a mixture's {@link #parameterCount()}
   */
  public static int liquidHiddenFor(long parameters, int inputDim, Task task, boolean temporalAttention) {
    if (parameters <= 0 || inputDim <= 0) {
      throw new IllegalArgumentException("need parameters and inputDim > 0, got " + parameters + ", " + inputDim);
    }
    int best = 1;
    long bestGap = Long.MAX_VALUE;
    for (int h = 1; ; h++) {
      long count = liquidParameters(h, inputDim, task, temporalAttention);
      long gap = Math.abs(count - parameters);
      if (gap < bestGap) {
        best = h;
        bestGap = gap;
      }
      if (count >= parameters) {
        return best;
      }
    }
  }

  /** The parameter count of {@link #liquid} at hidden size h. */
  static long liquidParameters(int h, int inputDim, Task task, boolean temporalAttention) {
    long hh = h;
    long cell = 2L * inputDim * hh + hh * hh + 2 * hh;
    long att = temporalAttention ? hh * hh + 2 * hh : 0;
    return cell + att + (hh + 1) * task.outputs();
  }

  /** The layer. */
  public SequenceLayer layer() {
    return layer;
  }

  /** The temporal attention, or null when the representation is the last state. */
  public TemporalAttention temporalAttention() {
    return attention;
  }

  /** The head. */
  public Head head() {
    return head;
  }

  @Override
  public Task task() {
    return head.task();
  }

  @Override
  public int inputDim() {
    return layer.inputDim();
  }

  @Override
  public List<Parameter> parameters() {
    return parameters;
  }

  @Override
  public void predict(SequenceBatch batch, float[] out) {
    forward(batch);
    head.outputs(out);
  }

  @Override
  public double lossAndGradients(SequenceBatch batch) {
    zeroGradients();
    forward(batch);
    double loss = head.loss(batch);
    backward();
    return loss;
  }

  /** The temporal weights per step of the last pass, {@code steps * batch} (live), or null without attention. */
  public float[] temporalWeights() {
    return attention == null ? null : attention.weights();
  }

  private void forward(SequenceBatch b) {
    if (b.features() != layer.inputDim()) {
      throw new IllegalArgumentException("the model reads " + layer.inputDim() + " features per step, the batch holds "
          + b.features());
    }
    int rows = b.size();
    int st = b.steps();
    int hd = layer.hidden();
    int cells = Math.multiplyExact(rows, st);
    hs = Buffers.grow(hs, Math.multiplyExact(cells, hd));
    dHs = Buffers.grow(dHs, cells * hd);
    context = Buffers.grow(context, rows * hd);
    dContext = Buffers.grow(dContext, rows * hd);
    layer.forward(b.x(), b.elapsed(), b.first(), rows, st, hs);
    this.batch = rows;
    this.steps = st;
    if (attention != null) {
      attention.forward(hs, b.first(), rows, st, context);
    } else {
      System.arraycopy(hs, (st - 1) * rows * hd, context, 0, rows * hd);
    }
    head.forward(context, rows);
  }

  private void backward() {
    int hd = layer.hidden();
    int cells = batch * steps;
    head.backward(context, dContext);
    if (attention != null) {
      attention.backward(hs, dContext, dHs);
    } else {
      Arrays.fill(dHs, 0, cells * hd, 0f);
      System.arraycopy(dContext, 0, dHs, (steps - 1) * batch * hd, batch * hd);
    }
    layer.backward(dHs, null);
  }
}
