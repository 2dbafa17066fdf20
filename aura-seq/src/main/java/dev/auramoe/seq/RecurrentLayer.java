package dev.auramoe.seq;

import dev.auramoe.internal.vector.KernelSupport;
import java.util.Objects;

/**
 * What the recurrent layers trained by backpropagation through time share: the name that prefixes
 * their parameters' names and labels their error messages, the input and state sizes, and the
 * core's kernels they run on (Vector API when present, else scalar; tests pass either).
 */
abstract sealed class RecurrentLayer implements SequenceLayer
    permits TrainableLstm, TrainableCfcCell, TrainableLiquidCell {

  final String name;
  /** The name in error messages, built once (not per pass): the kind, then the name. */
  final String label;
  final int in;
  final int hidden;
  final KernelSupport kern;

  /**
   * Checks and keeps the shared arguments.
   *
   * @param kind the layer's kind in messages ({@code "LSTM"}, {@code "CfC cell"}, ...)
   * @throws IllegalArgumentException when {@code inputDim} or {@code hidden} is not &gt; 0
   */
  RecurrentLayer(String kind, String name, int inputDim, int hidden, KernelSupport kernels) {
    this.name = Objects.requireNonNull(name, "name");
    this.label = kind + " " + name;
    this.kern = Objects.requireNonNull(kernels, "kernels");
    if (inputDim <= 0 || hidden <= 0) {
      throw new IllegalArgumentException(label + " needs inputDim > 0 and hidden > 0, got " + inputDim + ", "
          + hidden);
    }
    this.in = inputDim;
    this.hidden = hidden;
  }

  /** The prefix of the parameters' names. */
  public final String name() {
    return name;
  }

  @Override
  public final int inputDim() {
    return in;
  }

  @Override
  public final int hidden() {
    return hidden;
  }
}
