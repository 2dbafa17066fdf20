package dev.auramoe.stream.gen;

import dev.auramoe.stream.data.Attribute;
import dev.auramoe.stream.data.Schema;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The LED display (Breiman et al., 1984; MOA's {@code LEDGenerator} and {@code LEDGeneratorDrift}): a digit 0 .. 9
 * drawn uniformly is the class; the seven segments of its display
 *
 * <pre>
 *    -0-
 *   1   2
 *    -3-
 *   4   5
 *    -6-
 * </pre>
 *
 * are seven binary attributes (see {@link #lit}), each flipped independently with probability {@code noise}
 * (10% by default), followed by 17 irrelevant binary attributes uniform in {0, 1}.
 *
 * <p>Drift variant: with {@code numDriftAttributes = m} (0 .. 7) the columns of segments {@code 0 .. m-1} are swapped
 * with the irrelevant columns {@code 7 .. 7+m-1}, as in MOA's {@code LEDGeneratorDrift}: segment {@code i} is then
 * written to column {@code 7 + i} and irrelevant attribute {@code i} to column {@code i}. A drift is a
 * {@link ConceptDriftStream} from one number of swapped attributes to another.
 *
 * <p>Schema: relation {@code led}, columns {@code att1 .. att24}, each nominal {@code {0, 1}}, and
 * {@code class {0, .., 9}}.
 */
public final class LedGenerator extends Generator {

  /** Default probability that a segment is flipped. */
  public static final double DEFAULT_NOISE = 0.10;

  /** Number of segment attributes. */
  public static final int NUM_SEGMENTS = 7;

  /** Number of irrelevant attributes. */
  public static final int NUM_IRRELEVANT = 17;

  /** The segments lit for each digit: {@code SEGMENTS[digit][segment]} is 1 when lit. */
  private static final int[][] SEGMENTS = {
    {1, 1, 1, 0, 1, 1, 1},
    {0, 0, 1, 0, 0, 1, 0},
    {1, 0, 1, 1, 1, 0, 1},
    {1, 0, 1, 1, 0, 1, 1},
    {0, 1, 1, 1, 0, 1, 0},
    {1, 1, 0, 1, 0, 1, 1},
    {1, 1, 0, 1, 1, 1, 1},
    {1, 0, 1, 0, 0, 1, 0},
    {1, 1, 1, 1, 1, 1, 1},
    {1, 1, 1, 1, 0, 1, 1},
  };

  private final double noise;
  private final int numDriftAttributes;
  private final SplittableRandom random;
  private final int[] column;

  /** 10% noise, no swapped attributes. */
  public LedGenerator(long seed) {
    this(DEFAULT_NOISE, 0, seed);
  }

  /**
   * @param noise probability that each segment attribute is flipped, in [0, 1]
   * @param numDriftAttributes how many segment columns are swapped with irrelevant ones, 0 to 7
   * @param seed the seed that determines the stream
   */
  public LedGenerator(double noise, int numDriftAttributes, long seed) {
    super(standardSchema(), seed);
    this.noise = checkFraction("LED noise", noise);
    if (numDriftAttributes < 0 || numDriftAttributes > NUM_SEGMENTS) {
      throw new IllegalArgumentException("LED drifting attribute count must be in 0.." + NUM_SEGMENTS + ", got "
          + numDriftAttributes);
    }
    this.numDriftAttributes = numDriftAttributes;
    this.random = new SplittableRandom(seed);
    this.column = new int[NUM_SEGMENTS + NUM_IRRELEVANT];
    for (int i = 0; i < column.length; i++) {
      column[i] = i;
    }
    for (int i = 0; i < numDriftAttributes; i++) {
      column[i] = NUM_SEGMENTS + i;
      column[NUM_SEGMENTS + i] = i;
    }
  }

  /** The schema of every LED stream. */
  public static Schema standardSchema() {
    List<Attribute> atts = new ArrayList<>();
    List<String> bits = List.of("0", "1");
    for (int i = 1; i <= NUM_SEGMENTS + NUM_IRRELEVANT; i++) {
      atts.add(Attribute.nominal("att" + i, bits));
    }
    List<String> digits = new ArrayList<>();
    for (int d = 0; d <= 9; d++) {
      digits.add(Integer.toString(d));
    }
    atts.add(Attribute.nominal("class", digits));
    return new Schema("led", atts, NUM_SEGMENTS + NUM_IRRELEVANT);
  }

  /** Whether segment {@code segment} (0 .. 6) is lit on digit {@code digit} (0 .. 9). */
  public static boolean lit(int digit, int segment) {
    return SEGMENTS[digit][segment] == 1;
  }

  /** The column (0 .. 23) that holds segment {@code segment} (0 .. 6) in this generator. */
  public int segmentColumn(int segment) {
    if (segment < 0 || segment >= NUM_SEGMENTS) {
      throw new IllegalArgumentException("segment must be in 0.." + (NUM_SEGMENTS - 1) + ", got " + segment);
    }
    return column[segment];
  }

  /** Probability that a segment is flipped. */
  public double noise() {
    return noise;
  }

  /** Number of segment columns swapped with irrelevant ones. */
  public int numDriftAttributes() {
    return numDriftAttributes;
  }

  @Override
  protected void generate(double[] v) {
    int digit = random.nextInt(10);
    int[] lit = SEGMENTS[digit];
    for (int i = 0; i < NUM_SEGMENTS; i++) {
      int bit = lit[i];
      if (random.nextDouble() < noise) {
        bit = 1 - bit;
      }
      v[column[i]] = bit;
    }
    for (int i = 0; i < NUM_IRRELEVANT; i++) {
      v[column[NUM_SEGMENTS + i]] = random.nextInt(2);
    }
    v[NUM_SEGMENTS + NUM_IRRELEVANT] = digit;
  }
}
