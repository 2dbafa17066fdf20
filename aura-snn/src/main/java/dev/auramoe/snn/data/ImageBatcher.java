package dev.auramoe.snn.data;

import java.util.Objects;
import java.util.Random;

/**
 * Seeded mini-batches over an {@link ImageDataset}: each epoch visits every image once in a new
 * shuffled order, and {@link #startInOrder()} visits them once in the data set's order (evaluation).
 * The last batch of an epoch or pass holds what is left, fewer than the batch's capacity when the
 * images do not divide evenly.
 *
 * <p>The order of epoch e is a Fisher-Yates shuffle of the previous epoch's order drawn from one
 * {@link Random} seeded once (as aura-seq's {@code SequenceBatcher} does), so a seed gives the same
 * batches on every run. Usage:
 * <pre>{@code
 * ImageBatcher data = new ImageBatcher(train, seed);
 * ImageBatch batch = new ImageBatch(train.shape(), 128);
 * for (int epoch = 0; epoch < epochs; epoch++) {
 *   data.startEpoch();
 *   while (data.next(batch) > 0) {
 *     model.trainStep(batch.x(), batch.labels(), batch.size());
 *   }
 * }
 * }</pre>
 * Neither {@code next} nor the {@code start} methods allocate. Not thread-safe.
 */
public final class ImageBatcher {

  private final ImageDataset data;
  private final int[] order;
  private final Random random;
  private boolean inOrder;
  private int cursor;

  /** Batches over {@code data}, shuffled from {@code seed}. No batch comes before an epoch or pass starts. */
  public ImageBatcher(ImageDataset data, long seed) {
    this.data = Objects.requireNonNull(data, "data");
    this.order = new int[data.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    this.random = new Random(seed);
    this.cursor = order.length;
  }

  /** The data set batched. */
  public ImageDataset data() {
    return data;
  }

  /** Starts an epoch: a new shuffled order of every image. */
  public void startEpoch() {
    for (int i = order.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    inOrder = false;
    cursor = 0;
  }

  /** Starts a pass over every image in the data set's order; draws nothing from the seed. */
  public void startInOrder() {
    inOrder = true;
    cursor = 0;
  }

  /**
   * Gathers the next at most {@code out.capacity()} images of the epoch or pass into {@code out}.
   *
   * @return the images gathered (also {@code out.size()}): the capacity, fewer for the last batch, 0
   *     when the epoch or pass is over (or none was started), and then {@code out} is unchanged
   * @throws IllegalArgumentException when the batch's image shape is not the data set's
   */
  public int next(ImageBatch out) {
    if (!out.shape().equals(data.shape())) {
      throw new IllegalArgumentException("the batch holds images of " + out.shape() + ", the data set " + data.shape());
    }
    int n = Math.min(out.capacity(), order.length - cursor);
    if (n <= 0) {
      return 0;
    }
    int size = data.shape().size();
    float[] x = out.x();
    int[] labels = out.labels();
    int[] indices = out.indices();
    for (int r = 0; r < n; r++) {
      int i = inOrder ? cursor + r : order[cursor + r];
      data.copyImage(i, x, r * size);
      labels[r] = data.label(i);
      indices[r] = i;
    }
    cursor += n;
    out.setSize(n);
    return n;
  }
}
