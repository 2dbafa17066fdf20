package dev.auramoe.seq;

import java.util.Objects;
import java.util.Random;

/**
 * Seeded mini-batches over a data set of equal-length labelled sequences: each epoch visits every
 * sequence once in a new shuffled order, and each batch is gathered into the time-major layout the
 * layers take ({@code x[(t * batch + r) * features + i]}, {@code elapsed[t * batch + r]}).
 *
 * <p>The data set is sample-major: sequence s, step t, feature i at
 * {@code x[(s * steps + t) * features + i]}, its elapsed time at {@code elapsed[s * steps + t]}.
 * The arrays are read, never copied or modified; the caller keeps them unchanged while batching.
 *
 * <p>The order of epoch e is a Fisher-Yates shuffle drawn from one {@link Random} seeded once, so a
 * seed gives the same batches on every run. Usage:
 * <pre>{@code
 * SequenceBatcher data = new SequenceBatcher(x, elapsed, labels, n, steps, features, seed);
 * for (int epoch = 0; epoch < epochs; epoch++) {
 *   data.startEpoch();
 *   int rows;
 *   while ((rows = data.next(batch, bx, be, bl)) > 0) {
 *     model.trainStep(bx, be, bl, rows, steps, adam, clip);
 *   }
 * }
 * }</pre>
 * Neither method allocates. Not thread-safe.
 */
public final class SequenceBatcher {

  private final float[] x;
  private final float[] elapsed;
  private final int[] labels;
  private final int sequences;
  private final int steps;
  private final int features;
  private final int[] order;
  private final Random random;
  private int cursor;

  /**
   * @param x sequences * steps * features values, sample-major
   * @param elapsed sequences * steps elapsed times, each finite and &gt;= 0 or NaN, or null (regular
   *     sampling: batches get NaN)
   * @param labels one per sequence, each &gt;= 0
   * @throws IllegalArgumentException when a shape does not fit, or an input is not finite, an elapsed
   *     time negative or infinite, or a label negative, naming the sequence and step
   */
  public SequenceBatcher(float[] x, float[] elapsed, int[] labels, int sequences, int steps, int features, long seed) {
    this.x = Objects.requireNonNull(x, "x");
    this.labels = Objects.requireNonNull(labels, "labels");
    this.elapsed = elapsed;
    if (sequences <= 0 || steps <= 0 || features <= 0) {
      throw new IllegalArgumentException("need sequences, steps and features > 0, got " + sequences + ", " + steps
          + ", " + features);
    }
    if ((long) sequences * steps * features != x.length) {
      throw new IllegalArgumentException("x holds " + x.length + " values, not " + sequences + " sequences x "
          + steps + " steps x " + features + " features");
    }
    if (elapsed != null && (long) sequences * steps != elapsed.length) {
      throw new IllegalArgumentException("elapsed holds " + elapsed.length + " values, not " + sequences
          + " sequences x " + steps + " steps");
    }
    if (labels.length != sequences) {
      throw new IllegalArgumentException("labels holds " + labels.length + " values, not " + sequences);
    }
    // Checked here, where the data set's own sequence and step can be named, rather than in a
    // training step, where only the row of a shuffled batch could be.
    for (int s = 0; s < sequences; s++) {
      if (labels[s] < 0) {
        throw new IllegalArgumentException("label " + labels[s] + " of sequence " + s + " is negative");
      }
      for (int t = 0; t < steps; t++) {
        float e = elapsed == null ? Float.NaN : elapsed[s * steps + t];
        if (e < 0 || e == Float.POSITIVE_INFINITY) {
          throw new IllegalArgumentException("elapsed time at step " + t + " of sequence " + s
              + " must be finite and >= 0 (or NaN for the default step), got " + e);
        }
        for (int i = 0; i < features; i++) {
          float v = x[(s * steps + t) * features + i];
          if (!Float.isFinite(v)) {
            throw new IllegalArgumentException("feature " + i + " at step " + t + " of sequence " + s
                + " is not finite: " + v);
          }
        }
      }
    }
    this.sequences = sequences;
    this.steps = steps;
    this.features = features;
    this.order = new int[sequences];
    for (int i = 0; i < sequences; i++) {
      order[i] = i;
    }
    this.random = new Random(seed);
    this.cursor = sequences;
  }

  /** Number of sequences. */
  public int sequences() {
    return sequences;
  }

  /** Starts an epoch: a new shuffled order of every sequence. */
  public void startEpoch() {
    for (int i = sequences - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    cursor = 0;
  }

  /**
   * Gathers the next batch of the epoch.
   *
   * @param xOut receives rows * steps * features inputs, time-major
   * @param elapsedOut receives rows * steps elapsed times, time-major (NaN without elapsed times)
   * @param labelsOut receives rows labels
   * @return the rows gathered: {@code batchSize}, fewer for the last batch of the epoch, 0 when the
   *     epoch is over (or none was started)
   */
  public int next(int batchSize, float[] xOut, float[] elapsedOut, int[] labelsOut) {
    if (batchSize <= 0) {
      throw new IllegalArgumentException("batchSize must be > 0, got " + batchSize);
    }
    int rows = Math.min(batchSize, sequences - cursor);
    if (xOut.length < rows * steps * features || elapsedOut.length < rows * steps || labelsOut.length < rows) {
      throw new IllegalArgumentException("a batch of " + rows + " needs " + rows * steps * features
          + " inputs, " + rows * steps + " elapsed times and " + rows + " labels");
    }
    for (int r = 0; r < rows; r++) {
      int s = order[cursor + r];
      labelsOut[r] = labels[s];
      for (int t = 0; t < steps; t++) {
        System.arraycopy(x, (s * steps + t) * features, xOut, (t * rows + r) * features, features);
        elapsedOut[t * rows + r] = elapsed == null ? Float.NaN : elapsed[s * steps + t];
      }
    }
    cursor += rows;
    return rows;
  }
}
