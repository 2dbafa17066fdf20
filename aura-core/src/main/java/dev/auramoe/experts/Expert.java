package dev.auramoe.experts;

/**
 * One expert of a mixture: a named function from an input vector to an output vector.
 *
 * <p>Lifecycle: construct → ({@link #predict} → [{@link AdaptiveExpert#learn}])* → {@link #copy} as
 * needed. The mixture calls {@code predict} only for the experts a token was routed to, and
 * {@code learn} right after, with the same input and the expert's own prediction.
 *
 * <p>Implementations are not required to be thread-safe: the mixture calls them under its lock.
 */
public interface Expert {

  /** Unique name within a mixture. */
  String name();

  /** Input dimension. */
  int inputDim();

  /** Output dimension. */
  int outputDim();

  /**
   * Computes the expert's output.
   *
   * @param x input, length {@link #inputDim()}; not modified
   * @param out output, length {@link #outputDim()}; overwritten
   */
  void predict(float[] x, float[] out);

  /** Multiply-accumulates of one {@link #predict} call (analytic). */
  long predictMacs();

  /**
   * Float parameters the expert holds (its weights and any other learned state), for memory
   * budgets. The built-in experts count exactly; the default is 0, for experts that hold no
   * parameters of their own or do not say (a user's function).
   */
  default long parameterCount() {
    return 0;
  }

  /** Kind tag used by snapshots, e.g. {@code nlms}, {@code rls}, {@code function}. */
  String kind();

  /** Hyper-parameters needed to rebuild the expert from a snapshot (copy). */
  double[] hyperParameters();

  /** A deep copy with the same state. */
  Expert copy();

  /**
   * A deep copy with the same state under another name: how a mixture renames an expert
   * ({@code MixtureOfExperts.withExpertRenamed}). The built-in experts implement it; the default
   * refuses.
   *
   * @throws UnsupportedOperationException when this kind of expert cannot be renamed
   */
  default Expert copy(String newName) {
    throw new UnsupportedOperationException("expert kind '" + kind() + "' cannot be copied under a new name");
  }
}
