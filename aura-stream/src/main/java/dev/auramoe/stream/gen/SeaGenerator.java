package dev.auramoe.stream.gen;

import dev.auramoe.stream.data.Attribute;
import dev.auramoe.stream.data.Schema;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The SEA concepts (Street and Kim, 2001; MOA's {@code SEAGenerator}): three numeric attributes uniform in
 * [0, 10], of which only the first two are relevant, and a binary class
 *
 * <pre>
 *   class = groupA (index 0)  when x1 + x2 &lt;= theta,   groupB (index 1) otherwise
 * </pre>
 *
 * with {@code theta} = 8, 9, 7 and 9.5 for functions 1 to 4. A fraction {@code noise} of the labels is flipped
 * (10% by default). With balanced classes the generator alternates between the classes by redrawing instances until
 * the noise-free class is the one due, as MOA does. The noise draw is made for every instance whatever the noise
 * fraction, so two generators that differ only in their noise give the same attributes.
 *
 * <p>Schema: relation {@code sea}, columns {@code attrib1, attrib2, attrib3, class {groupA, groupB}}.
 */
public final class SeaGenerator extends Generator {

  /** Default fraction of flipped labels. */
  public static final double DEFAULT_NOISE = 0.10;

  private static final double[] THETA = {8, 9, 7, 9.5};

  private final int function;
  private final double theta;
  private final double noise;
  private final boolean balanced;
  private final SplittableRandom random;
  private boolean nextIsGroupB;

  /** Function {@code function} with 10% label noise and unbalanced classes. */
  public SeaGenerator(int function, long seed) {
    this(function, DEFAULT_NOISE, false, seed);
  }

  /**
   * @param function the concept, 1 to 4 (theta 8, 9, 7, 9.5)
   * @param noise fraction of labels flipped, in [0, 1]
   * @param balanced whether the noise-free classes alternate groupA, groupB, groupA, ...
   * @param seed the seed that determines the stream
   */
  public SeaGenerator(int function, double noise, boolean balanced, long seed) {
    super(standardSchema(), seed);
    if (function < 1 || function > 4) {
      throw new IllegalArgumentException("SEA function must be 1, 2, 3 or 4, got " + function);
    }
    this.function = function;
    this.theta = THETA[function - 1];
    this.noise = checkFraction("SEA noise", noise);
    this.balanced = balanced;
    this.random = new SplittableRandom(seed);
  }

  /** The schema of every SEA stream. */
  public static Schema standardSchema() {
    return new Schema("sea", List.of(Attribute.numeric("attrib1"), Attribute.numeric("attrib2"),
        Attribute.numeric("attrib3"), Attribute.nominal("class", List.of("groupA", "groupB"))), 3);
  }

  /** The threshold of function {@code function} (1 to 4). */
  public static double theta(int function) {
    if (function < 1 || function > 4) {
      throw new IllegalArgumentException("SEA function must be 1, 2, 3 or 4, got " + function);
    }
    return THETA[function - 1];
  }

  /** The concept, 1 to 4. */
  public int function() {
    return function;
  }

  /** Fraction of labels flipped. */
  public double noise() {
    return noise;
  }

  /** Whether the classes are balanced. */
  public boolean balanced() {
    return balanced;
  }

  @Override
  protected void generate(double[] v) {
    double x1;
    double x2;
    double x3;
    int group;
    while (true) {
      x1 = 10 * random.nextDouble();
      x2 = 10 * random.nextDouble();
      x3 = 10 * random.nextDouble();
      group = x1 + x2 <= theta ? 0 : 1;
      if (!balanced || (group == 1) == nextIsGroupB) {
        nextIsGroupB = !nextIsGroupB;
        break;
      }
    }
    if (random.nextDouble() < noise) {
      group = 1 - group;
    }
    v[0] = x1;
    v[1] = x2;
    v[2] = x3;
    v[3] = group;
  }
}
