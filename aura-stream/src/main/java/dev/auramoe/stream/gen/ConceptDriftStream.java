package dev.auramoe.stream.gen;

import dev.auramoe.stream.data.Instance;
import dev.auramoe.stream.data.InstanceStream;
import dev.auramoe.stream.data.Schema;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Two streams joined by a concept drift, after MOA's {@code ConceptDriftStream}: instance {@code t} (0-based) comes
 * from the second stream with probability
 *
 * <pre>
 *   P(second | t) = 1 / (1 + exp(-4 (t - position) / width))
 * </pre>
 *
 * and from the first otherwise; only the stream drawn from advances. With {@code width <= 1} the drift is abrupt:
 * instances {@code 0 .. position-1} come from the first stream and every later one from the second. (MOA applies the
 * sigmoid even for width 1, which gives the second stream probability 1/2 at the position and 0.98 one instance
 * later; here width 0 or 1 switches exactly at the position.) The draws use their own seed, so the result is as
 * deterministic as the two streams.
 *
 * <p>Streams with several drifts are built by nesting: the first stream (or the second) can itself be a
 * {@code ConceptDriftStream}, for example
 *
 * <pre>
 *   new ConceptDriftStream(new ConceptDriftStream(sea1, sea2, 25_000, 1, 7), sea3, 50_000, 1, 8)
 * </pre>
 *
 * <p>{@link #drifts()} lists the known drifts in this stream's positions: those of the first stream before
 * {@code position}, this one, and those of the second shifted by {@code position}. This is exact when the drifts
 * are abrupt (the first stream gives exactly the first {@code position} instances, the second all the others) and
 * approximate, by about the overlap of the sigmoids, when gradual drifts overlap.
 */
public final class ConceptDriftStream implements DriftingStream {

  private final InstanceStream first;
  private final InstanceStream second;
  private final long position;
  private final long width;
  private final long seed;
  private final SplittableRandom random;
  private final List<Drift> drifts;
  private long t;

  /**
   * @param first the concept before the drift
   * @param second the concept after it; must have the same columns and target as {@code first}
   * @param position 0-based index of the drift's centre (the first instance of the second concept when abrupt)
   * @param width the number of instances the drift takes; 0 or 1 for an abrupt drift
   * @param seed seed of the draws that choose between the two streams
   * @throws IllegalArgumentException when a stream is null, the schemas differ, or position or width is negative
   */
  public ConceptDriftStream(InstanceStream first, InstanceStream second, long position, long width, long seed) {
    if (first == null || second == null) {
      throw new IllegalArgumentException("both streams of a concept drift are needed, got " + first + " and "
          + second);
    }
    Schema a = first.schema();
    Schema b = second.schema();
    if (!a.attributes().equals(b.attributes()) || a.targetIndex() != b.targetIndex()) {
      throw new IllegalArgumentException("a concept drift joins streams with the same columns and target, got "
          + a.attributes() + " (target " + a.targetIndex() + ") and " + b.attributes() + " (target "
          + b.targetIndex() + ")");
    }
    Drift drift = new Drift(position, width);
    this.first = first;
    this.second = second;
    this.position = position;
    this.width = width;
    this.seed = seed;
    this.random = new SplittableRandom(seed);
    List<Drift> all = new ArrayList<>();
    if (first instanceof DriftingStream d) {
      for (Drift x : d.drifts()) {
        if (x.position() < position) {
          all.add(x);
        }
      }
    }
    all.add(drift);
    if (second instanceof DriftingStream d) {
      for (Drift x : d.drifts()) {
        all.add(new Drift(x.position() + position, x.width()));
      }
    }
    this.drifts = List.copyOf(all);
  }

  /** An abrupt drift: the first {@code position} instances from {@code first}, the rest from {@code second}. */
  public static ConceptDriftStream abrupt(InstanceStream first, InstanceStream second, long position) {
    return new ConceptDriftStream(first, second, position, 1, 0L);
  }

  /** The schema of the first stream (the second has the same columns and target). */
  @Override
  public Schema schema() {
    return first.schema();
  }

  /** 0-based index of the drift's centre. */
  public long position() {
    return position;
  }

  /** Number of instances the drift takes (0 or 1: abrupt). */
  public long width() {
    return width;
  }

  /** The seed of the draws between the two streams. */
  public long seed() {
    return seed;
  }

  /** Probability that instance {@code t} (0-based) is drawn from the second stream. */
  public double probabilityOfSecond(long t) {
    if (width <= 1) {
      return t >= position ? 1 : 0;
    }
    return 1 / (1 + Math.exp(-4.0 * (t - position) / width));
  }

  /** This stream, stopped after {@code n} instances. */
  public LimitedStream limit(long n) {
    return LimitedStream.of(this, n);
  }

  @Override
  public boolean next(Instance into) throws IOException {
    boolean fromSecond;
    if (width <= 1) {
      fromSecond = t >= position;
    } else {
      fromSecond = random.nextDouble() < probabilityOfSecond(t);
    }
    t++;
    return fromSecond ? second.next(into) : first.next(into);
  }

  @Override
  public List<Drift> drifts() {
    return drifts;
  }

  @Override
  public void close() throws IOException {
    try {
      first.close();
    } finally {
      second.close();
    }
  }
}
