package dev.auramoe.stream.gen;

import dev.auramoe.stream.data.InstanceStream;
import java.util.List;
import java.util.function.Function;

/**
 * The project's benchmark streams by name, each fully determined by its name, its length {@code n} (100,000 unless
 * told otherwise) and a seed (fixed per stream unless told otherwise). Drift positions and widths scale with
 * {@code n}; the figures below are for {@code n = 100,000}.
 *
 * <ul>
 *   <li>{@code sea}: SEA, 10% label noise, functions 1, 2, 3, 4 (theta 8, 9, 7, 9.5) with abrupt drifts at 25,000,
 *       50,000 and 75,000.
 *   <li>{@code hyperplane}: rotating hyperplane, 10 attributes, 2 classes, all 10 weights drifting by 0.001 per
 *       instance with direction reversal probability 10%, 5% label noise (continuous drift, no drift point; the
 *       "fast" hyperplane of the literature).
 *   <li>{@code rbf}: random RBF with moving centroids, 10 attributes, 5 classes, 50 centroids all moving at speed
 *       0.0001 per instance (continuous drift, no drift point). Five classes rather than MOA's default two make the
 *       accuracy of a weak learner far from that of a good one.
 *   <li>{@code agrawal}: Agrawal, 5% perturbation, functions 1, 2, 5, 8 with abrupt drifts at 25,000, 50,000 and
 *       75,000 (one age-only, one salary-and-age, one loan-and-salary-and-age and one linear-disposable concept).
 *   <li>{@code agrawal-gradual}: as {@code agrawal} but each drift gradual, of width 10,000 (about 12% of the new
 *       concept 5,000 instances before the drift point, 88% 5,000 after).
 *   <li>{@code led}: LED, 10% segment noise, with an abrupt drift at 50,000 from no swapped attribute to 5 segment
 *       columns swapped with irrelevant ones (LEDGeneratorDrift), so that the relevant columns change.
 * </ul>
 */
public final class Generators {

  /** Default length of a benchmark stream. */
  public static final long DEFAULT_LENGTH = 100_000;

  private static final List<String> NAMES = List.of("sea", "hyperplane", "rbf", "agrawal", "agrawal-gradual", "led");

  private static final int[] AGRAWAL_FUNCTIONS = {1, 2, 5, 8};

  private Generators() {}

  /** The names of the benchmark streams, in a fixed order. */
  public static List<String> names() {
    return NAMES;
  }

  /** The benchmark stream {@code name} with 100,000 instances and its fixed seed. */
  public static LimitedStream create(String name) {
    return create(name, DEFAULT_LENGTH);
  }

  /** The benchmark stream {@code name} with {@code n} instances and its fixed seed. */
  public static LimitedStream create(String name, long n) {
    return create(name, n, defaultSeed(name));
  }

  /**
   * The benchmark stream {@code name} with {@code n} instances; drift positions and widths are scaled to
   * {@code n} (those for 100,000 times {@code n / 100,000}).
   *
   * @param seed the seed from which the seeds of the generators and drift draws are derived
   * @throws IllegalArgumentException for an unknown name or a negative {@code n}
   */
  public static LimitedStream create(String name, long n, long seed) {
    if (n < 0) {
      throw new IllegalArgumentException("stream length must be >= 0, got " + n);
    }
    InstanceStream stream = switch (checkName(name)) {
      case "sea" -> chain(n, 1,
          s -> new SeaGenerator(s.index() + 1, SeaGenerator.DEFAULT_NOISE, false, s.seed()), seed, 4);
      case "hyperplane" -> new HyperplaneGenerator(10, 2, 10, 0.001, 0.05, 0.10, seed);
      case "rbf" -> new RandomRbfGenerator(10, 5, 50, 50, RandomRbfGenerator.DEFAULT_SPEED, seed);
      case "agrawal" -> agrawal(n, 1, seed);
      case "agrawal-gradual" -> agrawal(n, Math.max(2, n / 10), seed);
      default -> new ConceptDriftStream(new LedGenerator(LedGenerator.DEFAULT_NOISE, 0, seed),
          new LedGenerator(LedGenerator.DEFAULT_NOISE, 5, seed + 1), n / 2, 1, seed + 2);
    };
    return LimitedStream.of(stream, n);
  }

  /** The default seed of stream {@code name}. */
  public static long defaultSeed(String name) {
    return 1000 + NAMES.indexOf(checkName(name));
  }

  /** A one-paragraph description of stream {@code name} for n = 100,000 (the class Javadoc says the same). */
  public static String describe(String name) {
    return switch (checkName(name)) {
      case "sea" -> "SEA, 10% label noise, functions 1-2-3-4 with abrupt drifts at 25%, 50% and 75% of the stream";
      case "hyperplane" -> "rotating hyperplane, 10 attributes, 2 classes, 10 drifting weights, magChange 0.001, "
          + "sigma 10%, 5% noise (continuous drift)";
      case "rbf" -> "random RBF, 10 attributes, 5 classes, 50 centroids all moving at speed 0.0001 "
          + "(continuous drift)";
      case "agrawal" -> "Agrawal, 5% perturbation, functions 1-2-5-8 with abrupt drifts at 25%, 50% and 75%";
      case "agrawal-gradual" -> "Agrawal, 5% perturbation, functions 1-2-5-8 with gradual drifts (width 10% of "
          + "the stream) centred at 25%, 50% and 75%";
      default -> "LED, 10% noise, abrupt drift at 50% from 0 to 5 swapped segment attributes";
    };
  }

  private static String checkName(String name) {
    if (!NAMES.contains(name)) {
      throw new IllegalArgumentException("unknown stream '" + name + "'; known streams: " + String.join(", ", NAMES));
    }
    return name;
  }

  private static InstanceStream agrawal(long n, long width, long seed) {
    return chain(n, width,
        s -> new AgrawalGenerator(AGRAWAL_FUNCTIONS[s.index()], AgrawalGenerator.DEFAULT_PERTURBATION, false,
            s.seed()), seed, AGRAWAL_FUNCTIONS.length);
  }

  private record Part(int index, long seed) {}

  /**
   * Concepts 0 .. count-1 joined by drifts centred at n/count, 2n/count, ...: the first concept is the innermost
   * first stream, so that every drift position counts instances of the whole stream.
   */
  private static InstanceStream chain(long n, long width, Function<Part, InstanceStream> concept, long seed,
      int count) {
    InstanceStream stream = concept.apply(new Part(0, seed));
    for (int i = 1; i < count; i++) {
      stream = new ConceptDriftStream(stream, concept.apply(new Part(i, seed + i)), n * i / count, width,
          seed + 100 + i);
    }
    return stream;
  }
}
