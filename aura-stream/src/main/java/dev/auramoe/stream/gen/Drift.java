package dev.auramoe.stream.gen;

/**
 * A known concept drift of a generated stream.
 *
 * @param position the 0-based index of the instance at the centre of the drift: for an abrupt drift the first
 *     instance of the new concept, for a gradual one the instance drawn from either concept with probability 1/2
 * @param width the number of instances over which the drift happens (at most 1 for an abrupt drift); the new
 *     concept's probability follows {@code 1 / (1 + exp(-4 (t - position) / width))}, so it is about 12% at
 *     {@code position - width / 2} and 88% at {@code position + width / 2}
 */
public record Drift(long position, long width) {

  /** Checks that the position and width are not negative. */
  public Drift {
    if (position < 0) {
      throw new IllegalArgumentException("drift position must be >= 0, got " + position);
    }
    if (width < 0) {
      throw new IllegalArgumentException("drift width must be >= 0, got " + width);
    }
  }

  /** Whether the concept changes from one instance to the next (width 0 or 1). */
  public boolean isAbrupt() {
    return width <= 1;
  }
}
