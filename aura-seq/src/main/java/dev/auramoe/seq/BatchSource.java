package dev.auramoe.seq;

/**
 * Mini-batches of a data set in the layers' layout: passes over every sequence once, shuffled
 * (training: a new seeded order each pass) or in order (evaluation). A source fills a caller's
 * {@link SequenceBatch} in place and does not allocate per batch. Not thread-safe.
 */
public interface BatchSource {

  /** Sequences in the data set. */
  int sequences();

  /** Starts a pass over every sequence: in a new seeded order when {@code shuffled}, else in order. */
  void start(boolean shuffled);

  /**
   * Fills {@code into} with the next at most {@code maxSize} sequences of the pass.
   *
   * @return the sequences gathered, 0 when the pass is over
   */
  int next(SequenceBatch into, int maxSize);
}
