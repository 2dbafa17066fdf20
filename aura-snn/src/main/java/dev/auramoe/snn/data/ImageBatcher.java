package dev.auramoe.snn.data;

import dev.auramoe.seq.BatchSource;
import dev.auramoe.seq.SequenceBatch;
import java.util.Arrays;
import java.util.Objects;
import java.util.Random;

/**
 * Seeded mini-batches over an {@link ImageDataset} in aura-seq's batch layout, so that aura-seq's
 * trainer drives an image model: an image is a sequence of one step whose features are its pixels,
 * channels first ({@code C H W} values), with no elapsed time and its class as the label. Each epoch
 * ({@code start(true)}) visits every image once in a new shuffled order, and {@code start(false)}
 * visits them once in the data set's order (evaluation). The last batch of an epoch or pass holds
 * what is left.
 *
 * <p>The order of epoch e is a Fisher-Yates shuffle of the previous epoch's order drawn from one
 * {@link Random} seeded once (as aura-seq's {@code SequenceBatcher} does), so a seed gives the same
 * batches on every run. Neither {@code next} nor {@code start} allocates once the batch has grown. Not thread-safe.
 */
public final class ImageBatcher implements BatchSource {

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

  @Override
  public int sequences() {
    return order.length;
  }

  /** Starts a pass: a new shuffled order of every image when {@code shuffled}, else the data set's order (drawing nothing). */
  @Override
  public void start(boolean shuffled) {
    if (shuffled) {
      for (int i = order.length - 1; i > 0; i--) {
        int j = random.nextInt(i + 1);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
    }
    inOrder = !shuffled;
    cursor = 0;
  }

  /**
   * Gathers the next at most {@code maxSize} images of the pass into {@code into}: one step of the
   * image's pixels, elapsed time NaN (a regular step), first step 0, the label.
   *
   * @return the images gathered: maxSize, fewer for the last batch, 0 when the pass is over (or none
   *     was started), and then {@code into} is unchanged
   * @throws IllegalArgumentException when the batch's width is not an image's size
   */
  @Override
  public int next(SequenceBatch into, int maxSize) {
    int size = data.shape().size();
    if (into.features() != size) {
      throw new IllegalArgumentException("the batch holds " + into.features() + " features per step, an image of "
          + data.shape() + " has " + size);
    }
    if (maxSize <= 0) {
      throw new IllegalArgumentException("a batch needs a size > 0, got " + maxSize);
    }
    int n = Math.min(maxSize, order.length - cursor);
    if (n <= 0) {
      return 0;
    }
    into.reshape(n, 1);
    float[] x = into.x();
    int[] labels = into.labels();
    for (int r = 0; r < n; r++) {
      int i = inOrder ? cursor + r : order[cursor + r];
      data.copyImage(i, x, r * size);
      labels[r] = data.label(i);
    }
    Arrays.fill(into.elapsed(), 0, n, Float.NaN);
    Arrays.fill(into.first(), 0, n, 0);
    cursor += n;
    return n;
  }
}
