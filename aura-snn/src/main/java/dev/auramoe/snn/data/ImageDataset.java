package dev.auramoe.snn.data;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Labelled images as float pixels, immutable. The pixels are in one flat array, image by image and
 * <b>channels first</b> within an image (the layout {@code N x C x H x W}): pixel (row y, column x)
 * of channel c of image i is at {@code ((i * C + c) * H + y) * W + x}. Labels are class indices
 * {@code 0 .. classes - 1}, and class k is named {@code classNames().get(k)}.
 *
 * <p>Everything is checked once, when a data set is made: a shape of positive sizes, at least one
 * image, as many pixels as images times the image size, at most {@value #MAX_VALUES} values in all
 * (the most a Java array holds), every pixel finite, every label a class, at least one class and no
 * class named twice. The errors name the image (and the channel, row and column of a pixel). A data
 * set copies the arrays it is given and never hands out its own.
 */
public final class ImageDataset {

  /** The most pixel values a data set holds (a little under 2^31, the largest Java array). */
  public static final int MAX_VALUES = Integer.MAX_VALUE - 8;

  private final ImageShape shape;
  private final float[] pixels;
  private final int[] labels;
  private final List<String> classNames;

  private ImageDataset(ImageShape shape, float[] pixels, int[] labels, List<String> classNames) {
    this.shape = Objects.requireNonNull(shape, "shape");
    this.pixels = pixels;
    this.labels = labels;
    this.classNames = checkClasses(classNames);
    check();
  }

  /**
   * A data set of these images (copied).
   *
   * @param pixels {@code labels.length * shape.size()} finite values, channels first (see the class comment)
   * @param labels one per image, each in {@code 0 .. classNames.size() - 1}
   * @param classNames class k's name at index k, distinct
   * @throws IllegalArgumentException when anything above does not hold, naming the image
   */
  public static ImageDataset of(ImageShape shape, float[] pixels, int[] labels, List<String> classNames) {
    return new ImageDataset(shape, pixels.clone(), labels.clone(), classNames);
  }

  /** A data set that takes these arrays, which the caller must not change afterwards (readers). */
  static ImageDataset wrap(ImageShape shape, float[] pixels, int[] labels, List<String> classNames) {
    return new ImageDataset(shape, pixels, labels, classNames);
  }

  private static List<String> checkClasses(List<String> names) {
    Objects.requireNonNull(names, "classNames");
    if (names.isEmpty()) {
      throw new IllegalArgumentException("an image data set needs at least one class name");
    }
    Set<String> seen = new HashSet<>();
    for (int k = 0; k < names.size(); k++) {
      String name = Objects.requireNonNull(names.get(k), "class name " + k);
      if (!seen.add(name)) {
        throw new IllegalArgumentException("class name '" + name + "' appears twice");
      }
    }
    return List.copyOf(names);
  }

  private void check() {
    int n = labels.length;
    if (n == 0) {
      throw new IllegalArgumentException("an image data set needs at least one image");
    }
    long values = (long) n * shape.size();
    if (values > MAX_VALUES) {
      throw new IllegalArgumentException(n + " images of " + shape + " are " + values + " values, more than "
          + MAX_VALUES);
    }
    if (pixels.length != values) {
      throw new IllegalArgumentException(pixels.length + " pixel values for " + n + " images of " + shape + ", which "
          + "need " + values);
    }
    for (int i = 0; i < n; i++) {
      if (labels[i] < 0 || labels[i] >= classNames.size()) {
        throw new IllegalArgumentException("image " + i + " has label " + labels[i] + ", outside 0.."
            + (classNames.size() - 1) + " (" + classNames.size() + " classes)");
      }
    }
    for (int p = 0; p < pixels.length; p++) {
      if (!Float.isFinite(pixels[p])) {
        throw new IllegalArgumentException(where(p) + " is " + pixels[p] + "; pixel values must be finite");
      }
    }
  }

  /** Pixel p of the flat array named for an error: {@code image 3, channel 0, row 2, column 5}. */
  private String where(int p) {
    int size = shape.size();
    int in = p % size;
    return "image " + p / size + ", channel " + in / shape.plane() + ", row " + in % shape.plane() / shape.width()
        + ", column " + in % shape.width();
  }

  /** The shape of every image. */
  public ImageShape shape() {
    return shape;
  }

  /** Number of images. */
  public int size() {
    return labels.length;
  }

  /** Number of classes. */
  public int classes() {
    return classNames.size();
  }

  /** Class k's name at index k. */
  public List<String> classNames() {
    return classNames;
  }

  /** Image i's class. */
  public int label(int i) {
    return labels[Objects.checkIndex(i, labels.length)];
  }

  /** Pixel (row y, column x) of channel c of image i. */
  public float pixel(int i, int c, int y, int x) {
    Objects.checkIndex(i, labels.length);
    Objects.checkIndex(c, shape.channels());
    Objects.checkIndex(y, shape.height());
    Objects.checkIndex(x, shape.width());
    return pixels[((i * shape.channels() + c) * shape.height() + y) * shape.width() + x];
  }

  /** The smallest and the largest pixel value of every image, {@code {min, max}}. */
  public float[] pixelRange() {
    float min = Float.POSITIVE_INFINITY;
    float max = Float.NEGATIVE_INFINITY;
    for (float v : pixels) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    return new float[] {min, max};
  }

  /** Copies image i's {@code shape().size()} values, channels first, into {@code into[off ..]}. */
  public void copyImage(int i, float[] into, int off) {
    Objects.checkIndex(i, labels.length);
    int size = shape.size();
    System.arraycopy(pixels, i * size, into, off, size);
  }

  /** How many images each class has, class k at index k. */
  public int[] classCounts() {
    int[] counts = new int[classNames.size()];
    for (int label : labels) {
      counts[label]++;
    }
    return counts;
  }

  /**
   * The images at these indices, in this order (an index may repeat), with the same classes.
   *
   * @throws IllegalArgumentException when there is none
   * @throws IndexOutOfBoundsException when an index is not an image
   */
  public ImageDataset subset(int[] indices) {
    int size = shape.size();
    float[] x = new float[Math.multiplyExact(indices.length, size)];
    int[] y = new int[indices.length];
    for (int r = 0; r < indices.length; r++) {
      int i = Objects.checkIndex(indices[r], labels.length);
      System.arraycopy(pixels, i * size, x, r * size, size);
      y[r] = labels[i];
    }
    return new ImageDataset(shape, x, y, classNames);
  }

  /** The first {@code n} images (all of them when there are fewer), with the same classes. */
  public ImageDataset first(int n) {
    if (n <= 0) {
      throw new IllegalArgumentException("need at least one image, got " + n);
    }
    int m = Math.min(n, labels.length);
    return new ImageDataset(shape, Arrays.copyOf(pixels, m * shape.size()), Arrays.copyOf(labels, m), classNames);
  }

  /**
   * The same images and labels with each pixel replaced by {@code f} of it (its channel passed too),
   * checked as any new data set.
   */
  ImageDataset mapPixels(PixelMap f) {
    float[] x = new float[pixels.length];
    int plane = shape.plane();
    int channels = shape.channels();
    for (int p = 0; p < x.length; p++) {
      x[p] = f.apply(p / plane % channels, pixels[p]);
    }
    return new ImageDataset(shape, x, labels, classNames);
  }

  /** A change of one pixel value, which may depend on its channel. */
  @FunctionalInterface
  interface PixelMap {
    float apply(int channel, float value);
  }

  /** Sums and squared deviations of each channel's pixels, over every image, in double: means, then variances. */
  void channelMoments(double[] mean, double[] variance) {
    int channels = shape.channels();
    int plane = shape.plane();
    int n = labels.length;
    for (int i = 0; i < n; i++) {
      for (int c = 0; c < channels; c++) {
        int from = (i * channels + c) * plane;
        double sum = 0;
        for (int p = from; p < from + plane; p++) {
          sum += pixels[p];
        }
        mean[c] += sum;
      }
    }
    double count = (double) n * plane;
    for (int c = 0; c < channels; c++) {
      mean[c] /= count;
    }
    for (int i = 0; i < n; i++) {
      for (int c = 0; c < channels; c++) {
        int from = (i * channels + c) * plane;
        double m = mean[c];
        double sum = 0;
        for (int p = from; p < from + plane; p++) {
          double d = pixels[p] - m;
          sum += d * d;
        }
        variance[c] += sum;
      }
    }
    for (int c = 0; c < channels; c++) {
      variance[c] /= count;
    }
  }

  @Override
  public String toString() {
    return "ImageDataset[" + labels.length + " images of " + shape + ", " + classNames.size() + " classes]";
  }
}
