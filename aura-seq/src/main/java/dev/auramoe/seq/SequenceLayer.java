package dev.auramoe.seq;

/**
 * A recurrent layer trained by backpropagation through time over a batch of sequences.
 *
 * <p>Layout, shared by every layer and model of this module: time-major, {@code steps} steps of
 * {@code batch} sequences. Input i of sequence r at step t is {@code x[(t * batch + r) * inputDim() + i]},
 * its elapsed time since the sequence's previous input {@code elapsed[t * batch + r]} (NaN: the
 * regular step; null: NaN everywhere), its state after the step {@code hs[(t * batch + r) * hidden() + j]}.
 *
 * <p>Sequences of different lengths share a batch left-padded: sequence r's real steps are
 * {@code first[r] .. steps - 1} ({@code first} null: every sequence starts at step 0). A layer does
 * not run the padding: before {@code first[r]} the state stays the initial zero state, written as
 * zeros to {@code hs}, the inputs there are ignored and receive a zero gradient. So the last step
 * always holds every sequence's final state.
 *
 * <p>Call order: {@code forward} keeps its tape; {@code backward} adds the parameters' gradients
 * (call {@link #zeroGradients()} first) and writes the inputs' gradients. Neither allocates once
 * the workspaces have grown to the largest batch shape seen. Not thread-safe.
 */
public interface SequenceLayer extends Trainable {

  /** Features per input. */
  int inputDim();

  /** State size per sequence. */
  int hidden();

  /**
   * Runs the layer over the batch from the zero state and keeps the tape for {@link #backward}.
   * Inputs, elapsed times and first steps are checked before anything changes.
   *
   * @param x inputs, not modified
   * @param elapsed elapsed times (finite and &gt;= 0, or NaN), or null; not modified
   * @param first each sequence's first real step in [0, steps), or null; not modified
   * @param hs receives every state after every step
   * @return the work done, in the layer's own unit (the liquid cell counts integration steps)
   */
  long forward(float[] x, float[] elapsed, int[] first, int batch, int steps, float[] hs);

  /**
   * Backpropagation through time over the last {@link #forward}.
   *
   * @param dHs the loss's gradient with respect to every state of {@code hs}, same layout; not modified
   * @param dXs receives the gradient with respect to every input (overwritten, zeros at padding),
   *     or null when not needed
   */
  void backward(float[] dHs, float[] dXs);

  /**
   * The values one sequence carries from step to step in {@link #step}: its first {@link #hidden()}
   * are the state h; a layer with more (the LSTM's cell state c) keeps them after h.
   */
  default int stateSize() {
    return hidden();
  }

  /**
   * One step of one sequence, for inference (scoring a live stream input by input): advances
   * {@code state[stateOff .. stateOff + stateSize())} in place over input {@code x[xOff .. xOff +
   * inputDim())} after {@code elapsed} seconds (NaN: the regular step). From a zeroed state, steps
   * over a sequence's inputs give the states {@link #forward} gives for it, with the same formulas
   * and kernels (up to the summation order a batched product may take). Inputs and elapsed time are
   * checked before anything changes; the tape of the last forward pass is not touched, no gradient
   * either, and nothing is allocated once the step's workspaces have grown. Not thread-safe.
   */
  void step(float[] x, int xOff, float elapsed, float[] state, int stateOff);
}
