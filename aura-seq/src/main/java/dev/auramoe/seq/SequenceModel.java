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
   * The loss of a batch and every parameter's gradient (zeroed first): forward, loss,
   * backpropagation, without a step and without moving any balancing state.
   *
   * @return the mean loss over the batch
   */
  double lossAndGradients(SequenceBatch batch);

  /**
   * One training step: {@link #lossAndGradients}, global-norm clipping at {@code clipNorm}, one step
   * of {@code optimiser}, then {@link #afterStep()}.
   *
   * @return the mean loss over the batch before the step
   */
  default double trainStep(SequenceBatch batch, Adam optimiser, double clipNorm) {
    double loss = lossAndGradients(batch);
    Gradients.clipGlobalNorm(parameters(), clipNorm);
    optimiser.step();
    afterStep();
    return loss;
  }

  /**
   * What a model does once a training step has been taken (a top-k gate records its load with its
   * balancer); after the step, so that a step refused for a non-finite gradient leaves it as it was.
   */
  default void afterStep() {}

  /**
   * The outputs of a batch without touching a gradient: {@code batch.size() * task().outputs()}
   * values, sequence-major (probabilities, or predicted targets).
   */
  void predict(SequenceBatch batch, float[] out);
}
