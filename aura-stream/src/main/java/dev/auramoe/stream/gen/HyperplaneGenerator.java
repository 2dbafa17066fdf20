package dev.auramoe.stream.gen;

import dev.auramoe.stream.data.Attribute;
import dev.auramoe.stream.data.Schema;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The rotating hyperplane (Hulten, Spencer and Domingos, 2001; MOA's {@code HyperplaneGenerator}): {@code d}
 * numeric attributes uniform in [0, 1] and weights {@code w} drawn uniform in [0, 1] from the seed; the class is
 *
 * <pre>
 *   class = 1  when  sum_i w_i x_i &gt;= (sum_i w_i) / 2,   0 otherwise
 * </pre>
 *
 * With more than two classes, class {@code c} is the slice {@code c/k <= (sum w_i x_i) / (sum w_i) < (c+1)/k}
 * (the middle classes are then more frequent than the outer ones); with two classes this is the rule above.
 *
 * <p>Drift: after every instance each of the first {@code numDriftAttributes} weights moves by
 * {@code magChange} in its direction (initially +1), and each direction reverses with probability {@code sigma}.
 * A fraction {@code noise} of the labels is replaced by another class (flipped, with two classes). Since the
 * attributes are symmetric about 1/2, the two classes stay balanced however the weights move.
 *
 * <p>Defaults as MOA: 10 attributes, 2 classes, 2 drifting attributes, {@code magChange} 0 (no drift), noise 5%,
 * sigma 10%. Schema: relation {@code hyperplane}, columns {@code att1 .. attd}, {@code class {class0, class1, ..}}.
 */
public final class HyperplaneGenerator extends Generator {

  private final int numAttributes;
  private final int numClasses;
  private final int numDriftAttributes;
  private final double magChange;
  private final double noise;
  private final double sigma;
  private final SplittableRandom random;
  private final double[] weights;
  private final double[] direction;

  /** MOA's defaults: 10 attributes, 2 classes, no drift, 5% noise. */
  public HyperplaneGenerator(long seed) {
    this(10, 2, 2, 0.0, 0.05, 0.10, seed);
  }

  /**
   * @param numAttributes number of numeric attributes d, at least 1
   * @param numClasses number of classes, at least 2
   * @param numDriftAttributes how many of the weights drift (the first ones), 0 to d
   * @param magChange how much a drifting weight moves per instance, &gt;= 0 (0: a fixed hyperplane)
   * @param noise fraction of labels replaced by another class, in [0, 1]
   * @param sigma probability per instance that a drifting weight reverses its direction, in [0, 1]
   * @param seed the seed that determines the weights and the stream
   */
  public HyperplaneGenerator(int numAttributes, int numClasses, int numDriftAttributes, double magChange,
      double noise, double sigma, long seed) {
    super(standardSchema(checkAtLeast("hyperplane attribute count", numAttributes, 1),
        checkAtLeast("hyperplane class count", numClasses, 2)), seed);
    if (numDriftAttributes < 0 || numDriftAttributes > numAttributes) {
      throw new IllegalArgumentException("hyperplane drifting attribute count must be in 0.." + numAttributes
          + ", got " + numDriftAttributes);
    }
    this.numAttributes = numAttributes;
    this.numClasses = numClasses;
    this.numDriftAttributes = numDriftAttributes;
    this.magChange = checkNonNegative("hyperplane magChange", magChange);
    this.noise = checkFraction("hyperplane noise", noise);
    this.sigma = checkFraction("hyperplane sigma", sigma);
    SplittableRandom root = new SplittableRandom(seed);
    SplittableRandom model = root.split();
    this.random = root.split();
    this.weights = new double[numAttributes];
    this.direction = new double[numAttributes];
    for (int i = 0; i < numAttributes; i++) {
      weights[i] = model.nextDouble();
      direction[i] = i < numDriftAttributes ? 1 : 0;
    }
  }

  /** The schema of a hyperplane stream with these sizes. */
  public static Schema standardSchema(int numAttributes, int numClasses) {
    List<Attribute> atts = new ArrayList<>();
    for (int i = 1; i <= numAttributes; i++) {
      atts.add(Attribute.numeric("att" + i));
    }
    atts.add(Attribute.nominal("class", classNames(numClasses)));
    return new Schema("hyperplane", atts, numAttributes);
  }

  static List<String> classNames(int numClasses) {
    List<String> names = new ArrayList<>();
    for (int c = 0; c < numClasses; c++) {
      names.add("class" + c);
    }
    return names;
  }

  /** A copy of the current weights. */
  public double[] weights() {
    return weights.clone();
  }

  @Override
  protected void generate(double[] v) {
    double sum = 0;
    double sumWeights = 0;
    for (int i = 0; i < numAttributes; i++) {
      double x = random.nextDouble();
      v[i] = x;
      sum += weights[i] * x;
      sumWeights += weights[i];
    }
    int label;
    if (numClasses == 2) {
      label = sum >= sumWeights * 0.5 ? 1 : 0;
    } else {
      double r = sumWeights == 0 ? 0.5 : sum / sumWeights;
      label = Math.clamp((long) Math.floor(r * numClasses), 0, numClasses - 1);
    }
    if (random.nextDouble() < noise) {
      label = (label + 1 + random.nextInt(numClasses - 1)) % numClasses;
    }
    v[numAttributes] = label;
    for (int i = 0; i < numDriftAttributes; i++) {
      weights[i] += direction[i] * magChange;
      if (random.nextDouble() < sigma) {
        direction[i] = -direction[i];
      }
    }
  }

  /** Number of numeric attributes. */
  public int numAttributes() {
    return numAttributes;
  }

  /** Number of classes. */
  public int numClasses() {
    return numClasses;
  }

  /** Number of drifting weights. */
  public int numDriftAttributes() {
    return numDriftAttributes;
  }

  /** Change of a drifting weight per instance. */
  public double magChange() {
    return magChange;
  }

  /** Fraction of labels replaced. */
  public double noise() {
    return noise;
  }

  /** Probability per instance that a drifting weight reverses. */
  public double sigma() {
    return sigma;
  }
}
