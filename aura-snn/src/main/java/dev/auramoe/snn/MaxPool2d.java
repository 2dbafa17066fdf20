package dev.auramoe.snn;

import java.util.Arrays;

/**
 * 2 x 2 max pooling with stride 2 over a batch of channels-last images ({@link Conv2d}'s layout:
 * pixel (h, w), channel c of image r at {@code ((r * H + h) * W + w) * C + c}).
 *
 * <pre>
 * y[r][oh][ow][c] = max_{dh, dw &lt; 2} x[r][2 oh + dh][2 ow + dw][c]      Ho = floor(H / 2), Wo = floor(W / 2)
 * dx[r][ih][iw][c] = dy[r][oh][ow][c] at the window's argmax, 0 elsewhere
 * </pre>
 *
 * <p>An odd side drops its last row or column (floor, as PyTorch's default): those inputs reach no
 * output and get a zero gradient. Ties go to the first maximum in the window's row-major order
 * ((0,0), (0,1), (1,0), (1,1)); a NaN wins over any number, so NaN propagates. On binary spikes the
 * maximum is the OR of the window and the output is again binary.
 *
 * <p>The forward pass keeps each output's argmax (the input's index) for the backward pass; neither
 * pass allocates once that tape has grown to the largest batch seen. Not thread-safe.
 */
public final class MaxPool2d {

  private final int height;
  private final int width;
  private final int channels;
  private final int outHeight;
  private final int outWidth;
  // The tape of the last forward pass.
  private int rows = -1;
  private int[] argmax = new int[0];

  /**
   * Pooling of images {@code height x width x channels}.
   *
   * @param height H, at least 2
   * @param width W, at least 2
   */
  public MaxPool2d(int height, int width, int channels) {
    if (height < 2 || width < 2 || channels <= 0) {
      throw new IllegalArgumentException("MaxPool2d needs images of at least 2x2 and channels > 0, got " + height
          + "x" + width + "x" + channels);
    }
    if ((long) height * width * channels > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("MaxPool2d: images of " + height + "x" + width + "x" + channels
          + " are too large");
    }
    this.height = height;
    this.width = width;
    this.channels = channels;
    this.outHeight = height / 2;
    this.outWidth = width / 2;
  }

  /** Ho = floor(H / 2). */
  public int outHeight() {
    return outHeight;
  }

  /** Wo = floor(W / 2). */
  public int outWidth() {
    return outWidth;
  }

  /** Floats of one input image. */
  public int inputSize() {
    return height * width * channels;
  }

  /** Floats of one output image. */
  public int outputSize() {
    return outHeight * outWidth * channels;
  }

  /**
   * The forward pass.
   *
   * @param x rows images of {@code H x W x C}, not modified
   * @param y receives rows images of {@code Ho x Wo x C} (must not alias x)
   */
  public void forward(float[] x, int rows, float[] y) {
    check("x", x, rows, inputSize());
    check("y", y, rows, outputSize());
    int n = rows * outputSize();
    if (argmax.length < n) {
      argmax = new int[n];
    }
    this.rows = rows;
    int rowStride = width * channels;
    int o = 0;
    for (int r = 0; r < rows; r++) {
      int img = r * inputSize();
      for (int oh = 0; oh < outHeight; oh++) {
        for (int ow = 0; ow < outWidth; ow++) {
          int i00 = img + (2 * oh * width + 2 * ow) * channels;
          for (int c = 0; c < channels; c++, o++) {
            int a = i00 + c;
            int best = a;
            float m = x[a];
            // Strictly greater keeps the first of equal maxima; a NaN replaces whatever came before.
            if (x[a + channels] > m || Float.isNaN(x[a + channels])) {
              best = a + channels;
              m = x[best];
            }
            if (x[a + rowStride] > m || Float.isNaN(x[a + rowStride])) {
              best = a + rowStride;
              m = x[best];
            }
            if (x[a + rowStride + channels] > m || Float.isNaN(x[a + rowStride + channels])) {
              best = a + rowStride + channels;
              m = x[best];
            }
            y[o] = m;
            argmax[o] = best;
          }
        }
      }
    }
  }

  /**
   * The backward pass of the last forward pass.
   *
   * @param dy rows images of gradients with respect to y, not modified
   * @param dx receives rows images of gradients with respect to x (overwritten; must not alias dy)
   */
  public void backward(float[] dy, float[] dx) {
    if (rows < 0) {
      throw new IllegalStateException("MaxPool2d backward before any forward pass");
    }
    check("dy", dy, rows, outputSize());
    check("dx", dx, rows, inputSize());
    Arrays.fill(dx, 0, rows * inputSize(), 0f);
    // The windows do not overlap: each input receives at most one output's gradient.
    for (int o = 0, n = rows * outputSize(); o < n; o++) {
      dx[argmax[o]] = dy[o];
    }
  }

  private void check(String what, float[] a, int rows, int perImage) {
    if (rows < 0) {
      throw new IllegalArgumentException("MaxPool2d: rows must be >= 0, got " + rows);
    }
    long need = (long) rows * perImage;
    if (need > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("MaxPool2d: a batch of " + rows + " images is too large");
    }
    if (a.length < need) {
      throw new IllegalArgumentException("MaxPool2d " + what + " needs " + need + " values (" + rows + " images of "
          + (perImage == inputSize() ? height + "x" + width : outHeight + "x" + outWidth) + "x" + channels + "), has "
          + a.length);
    }
  }
}
