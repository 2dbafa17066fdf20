package dev.auramoe.stream.gen;

import dev.auramoe.stream.data.Attribute;
import dev.auramoe.stream.data.Schema;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Random radial basis functions with moving centroids (MOA's {@code RandomRBFGeneratorDrift}). From the seed the
 * generator draws {@code numCentroids} centroids, each with a centre uniform in [0, 1]^d, a class uniform among the
 * classes, a standard deviation uniform in [0, 1] and a weight uniform in [0, 1]. An instance picks a centroid with
 * probability proportional to its weight, a direction uniform on the sphere (a point uniform in [-1, 1]^d,
 * normalised, as MOA does) and a distance drawn from a normal distribution with the centroid's standard deviation;
 * its attributes are {@code centre + distance * direction} and its class is the centroid's.
 *
 * <p>Drift: before every instance each of the first {@code numDriftCentroids} centres moves by {@code speed} along
 * its own random unit direction, bouncing off the walls of the unit cube (a coordinate leaving [0, 1] is put back
 * on the wall and its direction reversed). The drift is continuous, so the stream lists no drift point.
 *
 * <p>Defaults: 10 attributes, 2 classes, 50 centroids, all 50 drifting at speed 0.0001 (MOA's defaults except for
 * the speed, which is 0 in MOA). Schema: relation {@code rbf}, columns {@code att1 .. attd},
 * {@code class {class0, class1, ..}}.
 */
public final class RandomRbfGenerator extends Generator {

  /** Default speed of a drifting centroid per instance. */
  public static final double DEFAULT_SPEED = 0.0001;

  private final int numAttributes;
  private final int numClasses;
  private final int numCentroids;
  private final int numDriftCentroids;
  private final double speed;
  private final SplittableRandom random;
  private final double[][] centres;
  private final int[] classes;
  private final double[] stdDevs;
  private final double[] cumulativeWeights;
  private final double[][] velocity;
  private final double[] direction;

  /** The defaults: 10 attributes, 2 classes, 50 centroids all moving at speed 0.0001. */
  public RandomRbfGenerator(long seed) {
    this(10, 2, 50, 50, DEFAULT_SPEED, seed);
  }

  /**
   * @param numAttributes number of numeric attributes d, at least 1
   * @param numClasses number of classes, at least 2
   * @param numCentroids number of centroids, at least 1
   * @param numDriftCentroids how many centroids move (the first ones), 0 to {@code numCentroids}
   * @param speed distance a moving centre travels per instance, &gt;= 0
   * @param seed the seed that determines the centroids and the stream
   */
  public RandomRbfGenerator(int numAttributes, int numClasses, int numCentroids, int numDriftCentroids,
      double speed, long seed) {
    super(standardSchema(checkAtLeast("RBF attribute count", numAttributes, 1),
        checkAtLeast("RBF class count", numClasses, 2)), seed);
    checkAtLeast("RBF centroid count", numCentroids, 1);
    if (numDriftCentroids < 0 || numDriftCentroids > numCentroids) {
      throw new IllegalArgumentException("RBF drifting centroid count must be in 0.." + numCentroids + ", got "
          + numDriftCentroids);
    }
    this.numAttributes = numAttributes;
    this.numClasses = numClasses;
    this.numCentroids = numCentroids;
    this.numDriftCentroids = numDriftCentroids;
    this.speed = checkNonNegative("RBF speed", speed);
    SplittableRandom root = new SplittableRandom(seed);
    SplittableRandom model = root.split();
    this.random = root.split();
    this.centres = new double[numCentroids][numAttributes];
    this.classes = new int[numCentroids];
    this.stdDevs = new double[numCentroids];
    this.cumulativeWeights = new double[numCentroids];
    double total = 0;
    for (int c = 0; c < numCentroids; c++) {
      for (int j = 0; j < numAttributes; j++) {
        centres[c][j] = model.nextDouble();
      }
      classes[c] = model.nextInt(numClasses);
      stdDevs[c] = model.nextDouble();
      total += model.nextDouble();
      cumulativeWeights[c] = total;
    }
    this.velocity = new double[numDriftCentroids][numAttributes];
    for (int c = 0; c < numDriftCentroids; c++) {
      double norm = 0;
      do {
        norm = 0;
        for (int j = 0; j < numAttributes; j++) {
          velocity[c][j] = model.nextDouble() * 2 - 1;
          norm += velocity[c][j] * velocity[c][j];
        }
      } while (norm == 0);
      norm = Math.sqrt(norm);
      for (int j = 0; j < numAttributes; j++) {
        velocity[c][j] /= norm;
      }
    }
    this.direction = new double[numAttributes];
  }

  /** The schema of an RBF stream with these sizes. */
  public static Schema standardSchema(int numAttributes, int numClasses) {
    List<Attribute> atts = new ArrayList<>();
    for (int i = 1; i <= numAttributes; i++) {
      atts.add(Attribute.numeric("att" + i));
    }
    atts.add(Attribute.nominal("class", HyperplaneGenerator.classNames(numClasses)));
    return new Schema("rbf", atts, numAttributes);
  }

  /** A copy of the current centre of centroid {@code c}. */
  public double[] centre(int c) {
    return centres[c].clone();
  }

  /** The class of centroid {@code c}. */
  public int centroidClass(int c) {
    return classes[c];
  }

  @Override
  protected void generate(double[] v) {
    for (int c = 0; c < numDriftCentroids; c++) {
      double[] centre = centres[c];
      double[] vel = velocity[c];
      for (int j = 0; j < numAttributes; j++) {
        centre[j] += vel[j] * speed;
        if (centre[j] > 1) {
          centre[j] = 1;
          vel[j] = -vel[j];
        } else if (centre[j] < 0) {
          centre[j] = 0;
          vel[j] = -vel[j];
        }
      }
    }
    int c = pickCentroid(random.nextDouble() * cumulativeWeights[numCentroids - 1]);
    double magnitude = 0;
    for (int j = 0; j < numAttributes; j++) {
      double x = random.nextDouble() * 2 - 1;
      direction[j] = x;
      magnitude += x * x;
    }
    magnitude = Math.sqrt(magnitude);
    double scale = magnitude == 0 ? 0 : random.nextGaussian() * stdDevs[c] / magnitude;
    double[] centre = centres[c];
    for (int j = 0; j < numAttributes; j++) {
      v[j] = centre[j] + direction[j] * scale;
    }
    v[numAttributes] = classes[c];
  }

  private int pickCentroid(double r) {
    int lo = 0;
    int hi = numCentroids - 1;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (cumulativeWeights[mid] > r) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }

  /** Number of numeric attributes. */
  public int numAttributes() {
    return numAttributes;
  }

  /** Number of classes. */
  public int numClasses() {
    return numClasses;
  }

  /** Number of centroids. */
  public int numCentroids() {
    return numCentroids;
  }

  /** Number of moving centroids. */
  public int numDriftCentroids() {
    return numDriftCentroids;
  }

  /** Distance a moving centre travels per instance. */
  public double speed() {
    return speed;
  }
}
