package dev.auramoe.seq;

import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * The output layer of a sequence model and its loss: a {@link Dense} from the sequence's
 * representation to {@link Task#outputs()} values, then
 * <ul>
 *   <li>a classification: softmax cross-entropy on the logits ({@link Losses#softmaxCrossEntropy});
 *       the outputs are the class probabilities;
 *   <li>a regression: mean squared error on the values ({@link Losses#meanSquaredError}); the
 *       outputs are the values.
 * </ul>
 * Call order: {@link #forward}, {@link #loss}, {@link #backward}. Neither allocates once the
 * workspaces have grown. Not thread-safe.
 */
public final class Head implements Trainable {

  private final Task task;
  private final Dense dense;
  private int rows;
  private float[] z = new float[0];
  private float[] dz = new float[0];

  /** @param name prefix of the parameters' names */
  public Head(String name, int inputDim, Task task, Random random) {
    this.task = Objects.requireNonNull(task, "task");
    this.dense = new Dense(name, inputDim, task.outputs(), random);
  }

  /** The task. */
  public Task task() {
    return task;
  }

  /** The dense layer. */
  public Dense dense() {
    return dense;
  }

  @Override
  public List<Parameter> parameters() {
    return dense.parameters();
  }

  /** The logits or values of {@code rows} representations (kept for {@link #loss} and {@link #outputs}). */
  public void forward(float[] representation, int rows) {
    z = Buffers.grow(z, Math.multiplyExact(rows, task.outputs()));
    dense.forward(representation, rows, z);
    this.rows = rows;
  }

  /**
   * The mean loss of the last forward pass against the batch's labels or targets, keeping its
   * gradient for {@link #backward}. Labels and targets are checked before anything is written.
   */
  public double loss(SequenceBatch batch) {
    int out = task.outputs();
    if (batch.size() != rows) {
      throw new IllegalArgumentException("the batch has " + batch.size() + " sequences, the forward pass " + rows);
    }
    dz = Buffers.grow(dz, rows * out);
    if (task.kind() == Task.Kind.CLASSIFICATION) {
      return Losses.softmaxCrossEntropy(z, batch.labels(), rows, out, dz);
    }
    if (batch.targetDim() != out) {
      throw new IllegalArgumentException("the task predicts " + out + " targets, the batch holds " + batch.targetDim());
    }
    return Losses.meanSquaredError(z, batch.targets(), rows, out, dz);
  }

  /**
   * Backward from the last {@link #loss}: adds the dense layer's gradients.
   *
   * @param representation the forward pass's input, unchanged
   * @param dRepresentation receives its gradient, rows * inputDim (overwritten)
   */
  public void backward(float[] representation, float[] dRepresentation) {
    dense.backward(representation, dz, rows, dRepresentation);
  }

  /** The outputs of the last forward pass: probabilities or values, rows * outputs into {@code out}. */
  public void outputs(float[] out) {
    int n = rows * task.outputs();
    if (out.length < n) {
      throw new IllegalArgumentException(rows + " rows need " + n + " outputs, got " + out.length);
    }
    if (task.kind() == Task.Kind.CLASSIFICATION) {
      Softmax.rows(z, rows, task.outputs(), out);
    } else {
      System.arraycopy(z, 0, out, 0, n);
    }
  }
}
