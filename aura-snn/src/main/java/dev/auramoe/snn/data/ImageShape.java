package dev.auramoe.snn.data;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The shape of one image, channels first: {@code channels x height x width}. Written and parsed as
 * {@code 3x32x32} ({@code C x H x W}) or {@code 28x28} ({@code H x W}, one channel); blanks around
 * the numbers and an upper-case {@code X} are accepted.
 *
 * @param channels at least 1
 * @param height rows of pixels, at least 1
 * @param width columns of pixels, at least 1
 */
public record ImageShape(int channels, int height, int width) {

  private static final Pattern FORM = Pattern.compile("\\s*(\\d+)\\s*x\\s*(\\d+)\\s*(?:x\\s*(\\d+)\\s*)?");

  /** Validates the sizes. */
  public ImageShape {
    if (channels <= 0 || height <= 0 || width <= 0) {
      throw new IllegalArgumentException("an image shape needs channels, height and width > 0, got " + channels + "x"
          + height + "x" + width);
    }
    if ((long) channels * height * width > ImageDataset.MAX_VALUES) {
      throw new IllegalArgumentException("an image of " + channels + "x" + height + "x" + width + " holds "
          + (long) channels * height * width + " values, more than " + ImageDataset.MAX_VALUES);
    }
  }

  /** A one-channel shape. */
  public static ImageShape of(int height, int width) {
    return new ImageShape(1, height, width);
  }

  /**
   * Parses {@code CxHxW} or {@code HxW} (one channel).
   *
   * @throws IllegalArgumentException naming the text when it is not of that form or a size is 0
   */
  public static ImageShape parse(String text) {
    Matcher m = FORM.matcher(text.toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new IllegalArgumentException("image shape '" + text + "' is not C x H x W (such as 3x32x32) or H x W "
          + "(one channel, such as 28x28)");
    }
    int a = size(m.group(1), text);
    int b = size(m.group(2), text);
    return m.group(3) == null ? new ImageShape(1, a, b) : new ImageShape(a, b, size(m.group(3), text));
  }

  private static int size(String digits, String text) {
    long v = digits.length() > 10 ? Long.MAX_VALUE : Long.parseLong(digits);
    if (v > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("image shape '" + text + "' has a size beyond " + Integer.MAX_VALUE);
    }
    return (int) v;
  }

  /** Values in one image, {@code channels * height * width}. */
  public int size() {
    return channels * height * width;
  }

  /** Pixels in one channel, {@code height * width}. */
  public int plane() {
    return height * width;
  }

  @Override
  public String toString() {
    return channels + "x" + height + "x" + width;
  }
}
