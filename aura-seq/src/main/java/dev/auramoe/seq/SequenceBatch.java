package dev.auramoe.seq;

/**
 * One mini-batch in the layers' layout ({@link SequenceLayer}): time-major inputs, elapsed times,
 * each sequence's first real step (left padding), and its labels or targets. A reusable workspace:
 * a batcher fills it in place and the arrays grow to the largest shape seen, then stay.
 *
 * <p>{@code x[(t * size + r) * features + i]}, {@code elapsed[t * size + r]} (NaN: regular step),
 * {@code first[r]}, {@code labels[r]} for a classification, {@code targets[r * targetDim + k]} for a
 * regression. Arrays may be longer than the batch needs; only the prefix counts.
 */
public final class SequenceBatch {

  private final int features;
  private final int targetDim;
  private int size;
  private int steps;
  private float[] x = new float[0];
  private float[] elapsed = new float[0];
  private int[] first = new int[0];
  private int[] labels = new int[0];
  private float[] targets = new float[0];

  /**
   * @param features inputs per step
   * @param targetDim regression targets per sequence, 0 for a classification
   */
  public SequenceBatch(int features, int targetDim) {
    if (features <= 0 || targetDim < 0) {
      throw new IllegalArgumentException("need features > 0 and targetDim >= 0, got " + features + ", " + targetDim);
    }
    this.features = features;
    this.targetDim = targetDim;
  }

  /**
   * Sets the shape of the next batch, growing the arrays when needed (contents then undefined:
   * the filler writes every value of the prefix).
   */
  public void reshape(int size, int steps) {
    if (size <= 0 || steps <= 0) {
      throw new IllegalArgumentException("a batch needs size and steps > 0, got " + size + ", " + steps);
    }
    int cells = Math.multiplyExact(size, steps);
    int values = Math.multiplyExact(cells, features);
    if (x.length < values) {
      x = new float[values];
    }
    if (elapsed.length < cells) {
      elapsed = new float[cells];
    }
    if (first.length < size) {
      first = new int[size];
      labels = new int[size];
    }
    if (targets.length < size * targetDim) {
      targets = new float[Math.multiplyExact(size, targetDim)];
    }
    this.size = size;
    this.steps = steps;
  }

  public int features() {
    return features;
  }

  public int targetDim() {
    return targetDim;
  }

  /** Sequences in the batch. */
  public int size() {
    return size;
  }

  /** Steps of the longest sequence; shorter ones are left-padded. */
  public int steps() {
    return steps;
  }

  public float[] x() {
    return x;
  }

  public float[] elapsed() {
    return elapsed;
  }

  public int[] first() {
    return first;
  }

  public int[] labels() {
    return labels;
  }

  public float[] targets() {
    return targets;
  }
}
