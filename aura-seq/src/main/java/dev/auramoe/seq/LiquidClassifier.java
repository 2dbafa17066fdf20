package dev.auramoe.seq;

import static dev.auramoe.seq.Buffers.grow;

import dev.auramoe.cell.CellConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * A sequence classifier: the trainable liquid cell over the sequence, a {@link Dense} head on its
 * last state, softmax cross-entropy, trained by backpropagation through time with {@link Adam} and
 * global-norm clipping. It is the monolithic liquid network, and the smallest complete use of this
 * module's pieces.
 *
 * <pre>
 * h_1..h_T = liquid cell over x_1..x_T (with elapsed times)
 * z        = W_head h_T + b_head
 * L        = mean over the batch of -log softmax(z)[label]
 * </pre>
 *
 * <p>Usage:
 * <pre>{@code
 * LiquidClassifier model = new LiquidClassifier(CellConfig.DEFAULT.withHidden(32), features, classes, seed);
 * Adam adam = new Adam(model.parameters(), Adam.Settings.DEFAULT.withLearningRate(1e-2f));
 * for (each mini-batch) {
 *   double loss = model.trainStep(x, elapsed, labels, batch, steps, adam, 1.0);
 * }
 * model.logits(x, elapsed, batch, steps, logits);
 * }</pre>
 * Workspaces grow to the largest batch shape seen; after that neither method allocates.
 * Not thread-safe.
 */
public final class LiquidClassifier implements Trainable {

  private final TrainableLiquidCell cell;
  private final Dense head;
  private final int classes;
  private final List<Parameter> parameters;
  private float[] hs = new float[0];
  private float[] dHs = new float[0];
  private float[] last = new float[0];
  private float[] dLast = new float[0];
  private float[] z = new float[0];
  private float[] dz = new float[0];

  /**
   * A classifier with seeded weights (the cell from {@code seed}, the head from the next draw of a
   * generator seeded with it).
   *
   * @param classes at least 2
   */
  public LiquidClassifier(CellConfig config, int inputDim, int classes, long seed) {
    if (classes < 2) {
      throw new IllegalArgumentException("a classifier needs at least 2 classes, got " + classes);
    }
    this.classes = classes;
    Random r = new Random(seed);
    this.cell = new TrainableLiquidCell(config, inputDim, r.nextLong());
    this.head = new Dense("head", config.hidden(), classes, r);
    List<Parameter> all = new ArrayList<>(cell.parameters());
    all.addAll(head.parameters());
    this.parameters = List.copyOf(all);
  }

  /** The cell. */
  public TrainableLiquidCell cell() {
    return cell;
  }

  /** The head. */
  public Dense head() {
    return head;
  }

  /** Number of classes. */
  public int classes() {
    return classes;
  }

  @Override
  public List<Parameter> parameters() {
    return parameters;
  }

  /**
   * The logits of a batch, without touching any gradient.
   *
   * @param x time-major inputs (see {@link TrainableLiquidCell#forward}), not modified
   * @param elapsed elapsed times or null, not modified
   * @param out receives batch * classes logits
   */
  public void logits(float[] x, float[] elapsed, int batch, int steps, float[] out) {
    logits(x, elapsed, null, batch, steps, out);
  }

  /**
   * The logits of a left-padded batch ({@link SequenceLayer}), without touching any gradient.
   *
   * @param first each sequence's first real step, or null for 0 everywhere; not modified
   */
  public void logits(float[] x, float[] elapsed, int[] first, int batch, int steps, float[] out) {
    forward(x, elapsed, first, batch, steps);
    System.arraycopy(z, 0, out, 0, batch * classes);
  }

  /**
   * One training step on a mini-batch: zero the gradients, forward, loss, backpropagation through
   * time, global-norm clipping at {@code clipNorm}, one Adam step.
   *
   * @param labels batch class indices, not modified
   * @param adam an optimiser over {@link #parameters()}
   * @return the mean cross-entropy before the step
   */
  public double trainStep(float[] x, float[] elapsed, int[] labels, int batch, int steps, Adam adam, double clipNorm) {
    return trainStep(x, elapsed, null, labels, batch, steps, adam, clipNorm);
  }

  /**
   * One training step on a left-padded mini-batch ({@link SequenceLayer}): each sequence is
   * classified from its state after the last step.
   *
   * @param first each sequence's first real step, or null for 0 everywhere; not modified
   */
  public double trainStep(float[] x, float[] elapsed, int[] first, int[] labels, int batch, int steps, Adam adam,
      double clipNorm) {
    zeroGradients();
    forward(x, elapsed, first, batch, steps);
    int hd = cell.hidden();
    double loss = Losses.softmaxCrossEntropy(z, labels, batch, classes, dz);
    head.backward(last, dz, batch, dLast);
    int cells = batch * steps;
    Arrays.fill(dHs, 0, cells * hd, 0f);
    System.arraycopy(dLast, 0, dHs, (steps - 1) * batch * hd, batch * hd);
    cell.backward(dHs, null);
    Gradients.clipGlobalNorm(parameters, clipNorm);
    adam.step();
    return loss;
  }

  private void forward(float[] x, float[] elapsed, int[] first, int batch, int steps) {
    int hd = cell.hidden();
    int cells = Math.multiplyExact(batch, steps);
    hs = grow(hs, Math.multiplyExact(cells, hd));
    dHs = grow(dHs, cells * hd);
    last = grow(last, batch * hd);
    dLast = grow(dLast, batch * hd);
    z = grow(z, batch * classes);
    dz = grow(dz, batch * classes);
    cell.forward(x, elapsed, first, batch, steps, hs);
    System.arraycopy(hs, (steps - 1) * batch * hd, last, 0, batch * hd);
    head.forward(last, batch, z);
  }
}
