package dev.auramoe.stream.gen;

import dev.auramoe.stream.data.Instance;
import dev.auramoe.stream.data.InstanceStream;
import dev.auramoe.stream.data.Schema;

/**
 * Base of the seeded generators: an infinite {@link InstanceStream} fully determined by its parameters and its
 * {@code long} seed (the same seed gives the same stream, instance for instance). Subclasses fill a caller's
 * {@link Instance} without allocating.
 */
public abstract class Generator implements InstanceStream {

  private final Schema schema;
  private final long seed;

  /**
   * @param schema the columns of every instance
   * @param seed the seed that, with the parameters, determines the stream
   */
  protected Generator(Schema schema, long seed) {
    this.schema = schema;
    this.seed = seed;
  }

  @Override
  public final Schema schema() {
    return schema;
  }

  /** The seed this generator was built with. */
  public final long seed() {
    return seed;
  }

  /** This generator, stopped after {@code n} instances. */
  public LimitedStream limit(long n) {
    return LimitedStream.of(this, n);
  }

  /** Generates the next instance into {@code into}; never returns false. */
  @Override
  public final boolean next(Instance into) {
    if (into.values().length != schema.size()) {
      throw new IllegalArgumentException("instance has " + into.values().length + " columns, the schema of "
          + schema.relation() + " has " + schema.size());
    }
    into.setLine(0);
    generate(into.values());
    return true;
  }

  /** Writes the next instance's values, one per column of the schema, into {@code values}. */
  protected abstract void generate(double[] values);

  static double checkFraction(String what, double f) {
    if (!(f >= 0 && f <= 1)) {
      throw new IllegalArgumentException(what + " must be a fraction in [0, 1], got " + f);
    }
    return f;
  }

  static int checkAtLeast(String what, int value, int min) {
    if (value < min) {
      throw new IllegalArgumentException(what + " must be at least " + min + ", got " + value);
    }
    return value;
  }

  static double checkNonNegative(String what, double value) {
    if (!(value >= 0) || Double.isInfinite(value)) {
      throw new IllegalArgumentException(what + " must be finite and >= 0, got " + value);
    }
    return value;
  }
}
