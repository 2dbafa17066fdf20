package dev.auramoe.cli.text;

/**
 * A router of {@code aura text-bench}: for each quote of the run, in order, it routes the quote to a
 * category and then learns, either from the quote's category ({@link Supervised}) or only from the
 * reward of what it chose ({@link Bandit}). Quotes are given by their index in the run's
 * {@link Embedded} inputs, which every contestant reads the same way. Each step returns the category
 * routed to before learning: its route's first (best) choice. A contestant that holds resources (a
 * thread) frees them on {@link #close()}.
 */
public sealed interface Contestant extends AutoCloseable {

  /** Frees what it holds; nothing by default. */
  @Override
  default void close() {}

  /** A contestant told each quote's category once it has routed it. */
  non-sealed interface Supervised extends Contestant {

    /**
     * Routes quote {@code i}, then learns that its category is {@code label}.
     *
     * @return the category routed to (0 to classes - 1), chosen before learning
     */
    int routeThenLearn(int i, int label);
  }

  /**
   * A contestant told only the rewards of the categories it chose: 1 for the quote's category, 0 for
   * any other. It never sees the category itself.
   */
  non-sealed interface Bandit extends Contestant {

    /**
     * Routes quote {@code i}, then learns from the rewards of the categories it chose.
     *
     * @return the category routed to first (0 to classes - 1), chosen before learning
     */
    int routeThenFeedback(int i, Reward reward);
  }

  /** A supervised contestant whose routing and learning are two calls (the baselines). */
  interface PredictThenLearn extends Supervised {

    /** The category it routes quote {@code i} to now. */
    int predict(int i);

    /** Learns that quote {@code i}, just predicted, is of category {@code label}. */
    void learn(int i, int label);

    @Override
    default int routeThenLearn(int i, int label) {
      int p = predict(i);
      learn(i, label);
      return p;
    }
  }

  /** The reward of a category for the current quote: what a bandit contestant may ask. */
  interface Reward {

    /** 1 when {@code category} is the quote's, else 0. */
    double of(int category);
  }
}
