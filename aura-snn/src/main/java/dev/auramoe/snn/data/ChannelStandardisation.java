package dev.auramoe.snn.data;

import dev.auramoe.seq.data.Standardisation;

/**
 * Per-channel standardisation of images, {@code (v - mean[c]) / std[c]} for every pixel of channel
 * c, with aura-seq's {@link Standardisation} as the statistics (one "feature" per channel): computed
 * once on the training set by {@link #fit}, kept (and saved with a model), and applied unchanged to
 * the training, test and any later images, so that they are scaled as what the model learnt from.
 * The mean and the population standard deviation of a channel are over every pixel of that channel
 * in every training image, in double and in two passes; a channel constant on the training set gets
 * standard deviation 1 ({@link Standardisation#ofMoments}). Each value is standardised in double, then
 * rounded to float.
 *
 * <p>Scaling bytes to [0, 1] comes before: the IDX reader divides each byte by 255 ({@link
 * ImageFiles}), and a CSV file's pixels are divided by {@link ImageFiles.Options#pixelMax()} when
 * it is set. Standardisation does not need it (it is invariant to a positive scale), but a spiking
 * network's rate-coded input does.
 */
public final class ChannelStandardisation {

  private ChannelStandardisation() {}

  /** The statistics of each channel of {@code training}. */
  public static Standardisation fit(ImageDataset training) {
    int channels = training.shape().channels();
    double[] mean = new double[channels];
    double[] variance = new double[channels];
    training.channelMoments(mean, variance);
    return Standardisation.ofMoments(mean, variance);
  }

  /**
   * No scaling at all (mean 0, standard deviation 1 per channel): what a rate-coded model keeps, since
   * it reads intensities in [0, 1] as they are.
   */
  public static Standardisation identity(int channels) {
    double[] std = new double[channels];
    java.util.Arrays.fill(std, 1.0);
    return new Standardisation(new double[channels], std);
  }

  /**
   * Checks that every pixel is an intensity in [0, 1], as rate coding reads them.
   *
   * @throws IllegalArgumentException naming the range found and how to scale the pixels
   */
  public static void checkIntensities(ImageDataset data) {
    float[] range = data.pixelRange();
    if (range[0] < 0f || range[1] > 1f) {
      throw new IllegalArgumentException("rate coding reads pixel intensities in [0, 1], these images range over ["
          + range[0] + ", " + range[1] + "]: divide them by their maximum (--pixel-max; IDX files are divided by "
          + "255)");
    }
  }

  /**
   * The data set with every pixel standardised by its channel's statistics (labels and classes as
   * they were).
   *
   * @throws IllegalArgumentException when the statistics are not of as many channels as the images
   */
  public static ImageDataset apply(Standardisation z, ImageDataset data) {
    check(z, data.shape());
    return data.mapPixels((c, v) -> (float) ((v - z.mean(c)) / z.std(c)));
  }

  private static void check(Standardisation z, ImageShape shape) {
    if (z.features() != shape.channels()) {
      throw new IllegalArgumentException("the standardisation has " + z.features() + " channels, the images "
          + shape.channels() + " (" + shape + ")");
    }
  }
}
