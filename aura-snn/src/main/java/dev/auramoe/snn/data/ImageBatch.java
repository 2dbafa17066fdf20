package dev.auramoe.snn.data;

import java.util.Objects;

/**
 * A mini-batch of images in reused buffers: {@link #x()} holds up to {@link #capacity()} images in
 * the layout {@code rows x C x H x W} (row r, channel c, pixel (y, x) at
 * {@code ((r * C + c) * H + y) * W + x}), {@link #labels()} their classes and {@link #indices()} their
 * indices in the data set. Only the first {@link #size()} rows are the batch; the rest of the buffers
 * hold what an earlier batch left there. The buffers are allocated once, by the constructor. Not
 * thread-safe.
 */
public final class ImageBatch {

  private final ImageShape shape;
  private final float[] x;
  private final int[] labels;
  private final int[] indices;
  private int size;

  /**
   * An empty batch of at most {@code capacity} images of this shape.
   *
   * @throws IllegalArgumentException when the capacity is not positive or the buffer would exceed
   *     {@value ImageDataset#MAX_VALUES} values
   */
  public ImageBatch(ImageShape shape, int capacity) {
    this.shape = Objects.requireNonNull(shape, "shape");
    if (capacity <= 0) {
      throw new IllegalArgumentException("a batch needs a capacity > 0, got " + capacity);
    }
    if ((long) capacity * shape.size() > ImageDataset.MAX_VALUES) {
      throw new IllegalArgumentException("a batch of " + capacity + " images of " + shape + " would hold more than "
          + ImageDataset.MAX_VALUES + " values");
    }
    this.x = new float[capacity * shape.size()];
    this.labels = new int[capacity];
    this.indices = new int[capacity];
  }

  /** The shape of each image. */
  public ImageShape shape() {
    return shape;
  }

  /** The most images the batch holds. */
  public int capacity() {
    return labels.length;
  }

  /** The images in the batch now (0 before the first one is gathered). */
  public int size() {
    return size;
  }

  /** The pixels, {@code capacity() x C x H x W}; the first {@link #size()} images are the batch's. */
  public float[] x() {
    return x;
  }

  /** The classes, the first {@link #size()} the batch's. */
  public int[] labels() {
    return labels;
  }

  /** Each row's index in the data set, the first {@link #size()} the batch's. */
  public int[] indices() {
    return indices;
  }

  void setSize(int size) {
    this.size = size;
  }
}
