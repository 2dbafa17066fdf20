package dev.auramoe.seq;

/**
 * A trainable sequence model with its head and loss: the multi-rate mixture, its baselines (LSTM,
 * monolithic liquid network, single-rate mixture), all behind one trainer.
 *
 * <p>Outputs per sequence: class probabilities for {@link Task.Kind#CLASSIFICATION} (binary is two
 * classes), predicted targets for {@link Task.Kind#REGRESSION}. Not thread-safe: one trainer owns
 * one model.
 */
public interface SequenceModel extends Trainable {

  /** What the head predicts. */
  Task task();

  /** Features per input step. */
  int inputDim();

  /**
   * One training step: zero the gradients, forward, loss, backpropagation through time,
   * global-norm clipping at {@code clipNorm}, one step of {@code optimiser}.
   *
   * @return the mean loss over the batch before the step
   */
  double trainStep(SequenceBatch batch, Adam optimiser, double clipNorm);

  /**
   * The outputs of a batch without touching a gradient: {@code batch.size() * task().outputs()}
   * values, sequence-major (probabilities, or predicted targets).
   */
  void predict(SequenceBatch batch, float[] out);
}
