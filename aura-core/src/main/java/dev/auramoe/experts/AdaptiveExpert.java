package dev.auramoe.experts;

/**
 * An expert that learns on-line from its own error. No gradient reaches it from the router: the
 * mixture hands it the input, the target, the expert's own prediction and a credit in [0, 1]
 * (its gate weight), and the expert applies its local rule.
 */
public interface AdaptiveExpert extends Expert {

  /**
   * One on-line update.
   *
   * @param x input, length inputDim; not modified
   * @param y target, length outputDim; not modified
   * @param prediction this expert's prediction for x, from {@link #predict}; not modified
   * @param weight credit in [0, 1]; 0 leaves the expert unchanged, 1 is a full step
   */
  void learn(float[] x, float[] y, float[] prediction, float weight);

  /** Multiply-accumulates of one {@link #learn} call (analytic). */
  long learnMacs();

  /** The learnable state flattened into one array (copy), for snapshots and digests. */
  float[] state();

  /**
   * Replaces the learnable state with one produced by {@link #state()} of an expert of the same kind
   * and shape.
   *
   * @throws IllegalArgumentException when the length does not match or a value is not finite; the
   *     expert is then unchanged
   */
  void setState(float[] state);

  /**
   * Forgets everything learned: back to the state of a freshly constructed expert of the same
   * hyper-parameters (zero weights unless the class says otherwise).
   */
  default void reset() {
    setState(new float[state().length]);
  }
}
