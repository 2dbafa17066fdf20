package dev.auramoe.seq;

import dev.auramoe.seq.data.SequenceDataset;
import java.util.Arrays;
import java.util.Objects;
import java.util.Random;

/**
 * Seeded mini-batches over a {@link SequenceDataset}: each epoch visits every sequence once in a new
 * shuffled order, and {@link #startInOrder()} visits them once in the data set's order (evaluation).
 * Each batch is gathered into a {@link SequenceBatch} in the layers' layout ({@link SequenceLayer}):
 * time-major, left-padded to the batch's longest sequence, {@code first[r]} the first real step of
 * row r, padding with inputs 0 and elapsed time 0.
 *
 * <p>The order of epoch e is a Fisher-Yates shuffle of the previous epoch's order drawn from one
 * {@link Random} seeded once, so a seed gives the same batches on every run. Usage:
 * <pre>{@code
 * SequenceBatcher data = new SequenceBatcher(dataset, seed);
 * SequenceBatch batch = new SequenceBatch(dataset.features(), 0);
 * for (int epoch = 0; epoch < epochs; epoch++) {
 *   data.startEpoch();
 *   while (data.next(128, batch) > 0) {
 *     model.trainStep(batch, adam, clip);
 *   }
 * }
 * data.startInOrder();
 * while (data.next(512, batch) > 0) {
 *   model.predict(batch, out);            // row r is sequence data.sequence(r)
 * }
 * }</pre>
 * Once the batch has grown to the largest shape, neither {@code next} nor the {@code start} methods
 * allocate. Not thread-safe.
 */
public final class SequenceBatcher implements BatchSource {

  private final SequenceDataset data;
  private final int sequences;
  private final int[] order;
  private final int[] rows;
  private final Random random;
  private boolean inOrder;
  private int cursor;
  private int rowCount;

  /** Batches over {@code data}, shuffled from {@code seed}. No batch comes before an epoch or pass starts. */
  public SequenceBatcher(SequenceDataset data, long seed) {
    this.data = Objects.requireNonNull(data, "data");
    this.sequences = data.size();
    this.order = new int[sequences];
    for (int i = 0; i < sequences; i++) {
      order[i] = i;
    }
    this.rows = new int[sequences];
    this.random = new Random(seed);
    this.cursor = sequences;
  }

  /**
   * Batches over equal-length sequences given as sample-major arrays: sequence s, step t, feature i
   * at {@code x[(s * steps + t) * features + i]}, its elapsed time at {@code elapsed[s * steps + t]};
   * sequence s's id is {@code "s"}, and the classes are {@code 0 .. max(label)} (at least 2). The
   * arrays are copied.
   *
   * @param elapsed sequences * steps elapsed times, each finite and &gt;= 0 or NaN, or null (regular
   *     sampling: batches get NaN)
   * @param labels one per sequence, each &gt;= 0
   * @throws IllegalArgumentException when a shape does not fit, or an input is not finite, an elapsed
   *     time negative or infinite, or a label negative, naming the sequence and step
   */
  public SequenceBatcher(float[] x, float[] elapsed, int[] labels, int sequences, int steps, int features, long seed) {
    this(equalLength(x, elapsed, labels, sequences, steps, features), seed);
  }

  private static SequenceDataset equalLength(float[] x, float[] elapsed, int[] labels, int sequences, int steps,
      int features) {
    Objects.requireNonNull(x, "x");
    Objects.requireNonNull(labels, "labels");
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
    int classes = 2;
    for (int label : labels) {
      classes = Math.max(classes, label + 1);
    }
    SequenceDataset.Builder b = SequenceDataset.builder(Task.classification(classes), features);
    for (int s = 0; s < sequences; s++) {
      b.add(Integer.toString(s), steps, x, s * steps * features, elapsed, s * steps, labels[s]);
    }
    return b.build();
  }

  /** The data set batched. */
  public SequenceDataset data() {
    return data;
  }

  /** Number of sequences. */
  @Override
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
    inOrder = false;
    cursor = 0;
  }

  /** Starts a pass over every sequence in the data set's order (for evaluation); draws nothing from the seed. */
  public void startInOrder() {
    inOrder = true;
    cursor = 0;
  }

  @Override
  public void start(boolean shuffled) {
    if (shuffled) {
      startEpoch();
    } else {
      startInOrder();
    }
  }

  @Override
  public int next(SequenceBatch into, int maxSize) {
    return next(maxSize, into);
  }

  /**
   * Gathers the next batch of the epoch or pass into {@code out}, reshaped to the rows gathered and
   * their longest sequence; a shorter sequence's steps end at the last step, its first real step in
   * {@code out.first()}, the steps before it inputs 0 and elapsed time 0. Labels (a classification)
   * or targets (a regression) come with the rows.
   *
   * @param out a batch of the data set's features, and of its targets for a regression (0 otherwise)
   * @return the rows gathered: {@code batchSize}, fewer for the last batch, 0 when the epoch or pass is
   *     over (or none was started), and then {@code out} is unchanged
   */
  public int next(int batchSize, SequenceBatch out) {
    if (batchSize <= 0) {
      throw new IllegalArgumentException("batchSize must be > 0, got " + batchSize);
    }
    int features = data.features();
    boolean regression = data.task().kind() == Task.Kind.REGRESSION;
    int targetDim = regression ? data.task().size() : 0;
    if (out.features() != features || out.targetDim() != targetDim) {
      throw new IllegalArgumentException("the data set has " + features + " features and " + targetDim
          + " targets per sequence, the batch " + out.features() + " and " + out.targetDim());
    }
    int n = take(batchSize);
    if (n == 0) {
      return 0;
    }
    int steps = 0;
    for (int r = 0; r < n; r++) {
      steps = Math.max(steps, data.length(rows[r]));
    }
    out.reshape(n, steps);
    float[] x = out.x();
    float[] elapsed = out.elapsed();
    int[] first = out.first();
    for (int r = 0; r < n; r++) {
      int s = rows[r];
      int pad = steps - data.length(s);
      first[r] = pad;
      for (int t = 0; t < pad; t++) {
        int cell = t * n + r;
        Arrays.fill(x, cell * features, (cell + 1) * features, 0f);
        elapsed[cell] = 0f;
      }
      for (int t = pad; t < steps; t++) {
        int cell = t * n + r;
        data.copyStep(s, t - pad, x, cell * features);
        elapsed[cell] = data.elapsed(s, t - pad);
      }
      if (regression) {
        data.copyTargets(s, out.targets(), r * targetDim);
      } else {
        out.labels()[r] = data.label(s);
      }
    }
    return n;
  }

  /**
   * Gathers the next batch of an epoch into caller arrays, for data sets of equal-length sequences
   * (a classification), without padding.
   *
   * @param xOut receives rows * steps * features inputs, time-major
   * @param elapsedOut receives rows * steps elapsed times, time-major (NaN for the regular step)
   * @param labelsOut receives rows labels
   * @return the rows gathered: {@code batchSize}, fewer for the last batch of the epoch, 0 when the
   *     epoch is over (or none was started)
   * @throws IllegalStateException when the sequences differ in length: use {@link #next(int, SequenceBatch)}
   */
  public int next(int batchSize, float[] xOut, float[] elapsedOut, int[] labelsOut) {
    if (batchSize <= 0) {
      throw new IllegalArgumentException("batchSize must be > 0, got " + batchSize);
    }
    int steps = data.maxLength();
    int features = data.features();
    if (data.totalSteps() != (long) steps * sequences || data.task().kind() != Task.Kind.CLASSIFICATION) {
      throw new IllegalStateException("arrays without padding need a classification of equal-length sequences; "
          + "gather into a SequenceBatch instead");
    }
    int n = Math.min(batchSize, sequences - cursor);
    if (xOut.length < n * steps * features || elapsedOut.length < n * steps || labelsOut.length < n) {
      throw new IllegalArgumentException("a batch of " + n + " needs " + n * steps * features
          + " inputs, " + n * steps + " elapsed times and " + n + " labels");
    }
    n = take(batchSize);
    for (int r = 0; r < n; r++) {
      int s = rows[r];
      labelsOut[r] = data.label(s);
      for (int t = 0; t < steps; t++) {
        data.copyStep(s, t, xOut, (t * n + r) * features);
        elapsedOut[t * n + r] = data.elapsed(s, t);
      }
    }
    return n;
  }

  /**
   * The data set's index of row r of the last batch gathered (to match outputs with ids and labels).
   */
  public int sequence(int row) {
    Objects.checkIndex(row, rowCount);
    return rows[row];
  }

  /** Moves up to {@code batchSize} sequences of the epoch or pass into {@link #rows}; returns how many. */
  private int take(int batchSize) {
    int n = Math.min(batchSize, sequences - cursor);
    if (n <= 0) {
      return 0;
    }
    for (int r = 0; r < n; r++) {
      rows[r] = inOrder ? cursor + r : order[cursor + r];
    }
    cursor += n;
    rowCount = n;
    return n;
  }
}
