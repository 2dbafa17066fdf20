package dev.auramoe.snn;

import dev.auramoe.internal.vector.KernelProvider;
import dev.auramoe.internal.vector.KernelSupport;
import dev.auramoe.seq.Init;
import dev.auramoe.seq.Parameter;
import dev.auramoe.seq.Trainable;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * A 2-D convolution with a square k x k kernel, stride 1, zero padding p and a bias, over a batch of
 * images. A convolution keeps no state across time steps, so a spiking network folds its T time
 * steps into the batch: rows = T x batch images, each {@code H x W x Cin}.
 *
 * <p>Layout: channels-last ({@code NHWC}). Pixel (h, w), channel c of image r is at
 * {@code ((r * H + h) * W + w) * Cin + c}; outputs alike with {@code Ho = H + 2p - k + 1},
 * {@code Wo = W + 2p - k + 1} and Cout channels. The weights are input-major, as the core's kernels
 * and {@code Dense} keep them: {@code W[kh][kw][ci][co]} at {@code ((kh * k + kw) * Cin + ci) * Cout + co},
 * a {@code (k k Cin) x Cout} matrix. With this layout an image's im2col row is k runs of
 * {@code k Cin} contiguous inputs, and the product's output rows are the output pixels already in
 * channels-last order, so the convolution is one {@code gemm} with no reordering on either side.
 *
 * <pre>
 * y[r][oh][ow][co] = b[co] + sum_{kh, kw &lt; k, ci &lt; Cin} x[r][oh + kh - p][ow + kw - p][ci] * W[kh][kw][ci][co]
 *                    (x outside the image is 0)
 * dW[kh][kw][ci][co] += sum_{r, oh, ow} x[r][oh + kh - p][ow + kw - p][ci] * dy[r][oh][ow][co]
 * db[co]             += sum_{r, oh, ow} dy[r][oh][ow][co]
 * dx[r][ih][iw][ci]   = sum_{kh, kw, co} W[kh][kw][ci][co] * dy[r][ih - kh + p][iw - kw + p][co]
 *                    (over the output pixels that exist)
 * </pre>
 *
 * <p>Each pass runs over chunks of images whose im2col matrix ({@code Ho Wo} rows of {@code k k Cin}
 * per image) fits a fixed workspace of about 256 KiB, so that the product reads it from cache right
 * after it is written: forward {@code Y = [col(X) 1] [W; b]}, the bias a last weight row against a
 * constant input (the core's register-blocked {@code gemm}, Vector API when present); backward
 * {@code dW += col(X)^T dY} over the transposed im2col, written directly, {@code db} from the same
 * chunk of dY, and {@code dX = col2im(dY W^T)}. Neither pass allocates once its workspaces have grown (at the
 * first call: their size does not depend on the batch). Not thread-safe.
 *
 * <p>Counting for energy estimates: {@link #macsPerImage()} is the dense implementation's
 * multiply-accumulates, {@link #synapticOperations} the accumulates of a spike-driven one, which
 * adds a weight column for each nonzero input to each output it reaches.
 */
public final class Conv2d implements Trainable {

  /** Floats of the im2col workspace one chunk of images aims at (256 KiB, within L2). */
  private static final int CHUNK_FLOATS = 1 << 16;

  private final String name;
  private final int cin;
  private final int cout;
  private final int k;
  private final int pad;
  private final int height;
  private final int width;
  private final int outHeight;
  private final int outWidth;
  /** k k Cin: the im2col row and the weights' rows. */
  private final int patch;
  private final int imagesPerChunk;
  private final Parameter w;
  private final Parameter b;
  private final List<Parameter> parameters;
  private final KernelSupport kern;
  /** Output pixels each input row (column) reaches, per input row (column): the spike fan-out. */
  private final int[] fanRows;
  private final int[] fanCols;

  // Workspaces, sized at the first pass.
  private float[] col = new float[0];
  private float[] dyChunk = new float[0];
  private float[] wT = new float[0];
  /** W with b as a last row, {@code (k k Cin + 1) x Cout}. */
  private float[] wb = new float[0];

  /**
   * A layer with He-normal weights ({@code N(0, 2 / (k k Cin))}: He et al., "Delving deep into
   * rectifiers", ICCV 2015; keeps the pre-activations' variance across layers with a threshold
   * nonlinearity after them) and zero biases.
   *
   * @param name prefix of the parameters' names ({@code name.W}, {@code name.b})
   * @param inChannels Cin
   * @param outChannels Cout
   * @param kernel k
   * @param padding p, zeros on each side ({@code (k - 1) / 2} keeps odd-k outputs the input's size)
   * @param height H of the input images
   * @param width W of the input images
   */
  public Conv2d(String name, int inChannels, int outChannels, int kernel, int padding, int height, int width,
      Random random) {
    this(name, inChannels, outChannels, kernel, padding, height, width, random, KernelProvider.get());
  }

  /** A layer on the given kernels (tests compare the scalar and the Vector API ones). */
  Conv2d(String name, int inChannels, int outChannels, int kernel, int padding, int height, int width,
      Random random, KernelSupport kernels) {
    this.name = Objects.requireNonNull(name, "name");
    this.kern = Objects.requireNonNull(kernels, "kernels");
    if (inChannels <= 0 || outChannels <= 0 || kernel <= 0 || padding < 0 || height <= 0 || width <= 0) {
      throw new IllegalArgumentException("Conv2d " + name + " needs channels, kernel and image sides > 0 and padding"
          + " >= 0, got Cin " + inChannels + ", Cout " + outChannels + ", k " + kernel + ", p " + padding + ", "
          + height + "x" + width);
    }
    if (padding >= kernel) {
      throw new IllegalArgumentException("Conv2d " + name + ": padding " + padding + " must be < kernel " + kernel
          + " (an output pixel would see only padding)");
    }
    this.cin = inChannels;
    this.cout = outChannels;
    this.k = kernel;
    this.pad = padding;
    this.height = height;
    this.width = width;
    this.outHeight = height + 2 * padding - kernel + 1;
    this.outWidth = width + 2 * padding - kernel + 1;
    if (outHeight <= 0 || outWidth <= 0) {
      throw new IllegalArgumentException("Conv2d " + name + ": a " + kernel + "x" + kernel + " kernel with padding "
          + padding + " leaves no output of a " + height + "x" + width + " image");
    }
    long patchL = (long) kernel * kernel * inChannels;
    long perImage = (patchL + 1) * outHeight * outWidth;
    if (patchL * outChannels > Integer.MAX_VALUE - 8 || perImage > Integer.MAX_VALUE - 8
        || (long) height * width * inChannels > Integer.MAX_VALUE - 8
        || (long) outHeight * outWidth * outChannels > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("Conv2d " + name + " is too large");
    }
    this.patch = (int) patchL;
    this.imagesPerChunk = (int) Math.max(1, CHUNK_FLOATS / perImage);
    this.w = new Parameter(name + ".W", kernel, kernel, inChannels, outChannels);
    this.b = new Parameter(name + ".b", outChannels);
    this.parameters = List.of(w, b);
    Init.scaledNormal(w.values(), Math.sqrt(2.0 / patch), random);
    this.fanRows = fanOut(height, outHeight);
    this.fanCols = fanOut(width, outWidth);
  }

  /** For each input index along one side, how many output indices' windows contain it. */
  private int[] fanOut(int in, int out) {
    int[] fan = new int[in];
    for (int i = 0; i < in; i++) {
      // Output o sees inputs o - p .. o - p + k - 1.
      int lo = Math.max(0, i + pad - k + 1);
      int hi = Math.min(out - 1, i + pad);
      fan[i] = Math.max(0, hi - lo + 1);
    }
    return fan;
  }

  /** Cin. */
  public int inChannels() {
    return cin;
  }

  /** Cout. */
  public int outChannels() {
    return cout;
  }

  /** k. */
  public int kernel() {
    return k;
  }

  /** p. */
  public int padding() {
    return pad;
  }

  /** H of the input images. */
  public int height() {
    return height;
  }

  /** W of the input images. */
  public int width() {
    return width;
  }

  /** Ho = H + 2p - k + 1. */
  public int outHeight() {
    return outHeight;
  }

  /** Wo = W + 2p - k + 1. */
  public int outWidth() {
    return outWidth;
  }

  /** Floats of one input image, {@code H W Cin}. */
  public int inputSize() {
    return height * width * cin;
  }

  /** Floats of one output image, {@code Ho Wo Cout}. */
  public int outputSize() {
    return outHeight * outWidth * cout;
  }

  /** The weights, shape {@code [k, k, Cin, Cout]} (a {@code (k k Cin) x Cout} input-major matrix). */
  public Parameter weights() {
    return w;
  }

  /** The biases, Cout. */
  public Parameter bias() {
    return b;
  }

  @Override
  public List<Parameter> parameters() {
    return parameters;
  }

  /**
   * Multiply-accumulates of the dense convolution per image: {@code k k Cin Cout Ho Wo}
   * ({@code k k Cin Cout H W} with "same" padding). The taps that fall on the zero padding count,
   * as a dense implementation performs them; the bias adds are not counted.
   */
  public long macsPerImage() {
    return (long) patch * cout * outHeight * outWidth;
  }

  /**
   * The accumulates a spike-driven implementation performs on these inputs: each nonzero input
   * adds its weights to every output channel of every output pixel whose window contains it, so
   *
   * <pre>
   * ops = sum over nonzero x[r][ih][iw][ci] of Cout * fanH(ih) * fanW(iw)
   * fanH(ih) = #{oh &lt; Ho : 0 &lt;= ih - oh + p &lt; k}      (fewer at the border)
   * </pre>
   *
   * <p>For binary spikes these are the synaptic operations (each an accumulate, no multiply); for
   * other inputs it is the number of nonzero multiply-accumulates. Exact; the bias adds are not
   * counted.
   *
   * @param x rows images, not modified
   */
  public long synapticOperations(float[] x, int rows) {
    checkInput(x, rows);
    long reach = 0;
    int o = 0;
    for (int r = 0; r < rows; r++) {
      for (int ih = 0; ih < height; ih++) {
        int fh = fanRows[ih];
        for (int iw = 0; iw < width; iw++) {
          int nonzero = 0;
          for (int c = 0; c < cin; c++) {
            nonzero += x[o + c] != 0f ? 1 : 0;
          }
          o += cin;
          reach += (long) nonzero * fh * fanCols[iw];
        }
      }
    }
    return reach * cout;
  }

  /**
   * The forward pass.
   *
   * @param x rows images of {@code H x W x Cin}, not modified
   * @param y receives rows images of {@code Ho x Wo x Cout} (must not alias x)
   */
  public void forward(float[] x, int rows, float[] y) {
    checkInput(x, rows);
    checkOutput("y", y, rows);
    grow();
    // The bias rides in the product as a last weight row against a constant input of 1: y is written
    // once, with no separate pass to fill or add the bias.
    System.arraycopy(w.values(), 0, wb, 0, patch * cout);
    System.arraycopy(b.values(), 0, wb, patch * cout, cout);
    int outPixels = outHeight * outWidth;
    for (int r0 = 0; r0 < rows; r0 += imagesPerChunk) {
      int nr = Math.min(imagesPerChunk, rows - r0);
      im2col(x, r0, nr);
      kern.gemm(col, 0, nr * outPixels, wb, patch + 1, cout, y, r0 * outPixels * cout, false);
    }
  }

  /**
   * The backward pass: accumulates dW and db, and writes dx.
   *
   * @param x the forward pass's inputs, not modified
   * @param dy rows images of gradients with respect to y, not modified
   * @param dx receives rows images of gradients with respect to x (overwritten), or null when not
   *     needed (the first layer); must not alias dy
   */
  public void backward(float[] x, float[] dy, int rows, float[] dx) {
    checkInput(x, rows);
    checkOutput("dy", dy, rows);
    if (dx != null && dx.length < (long) rows * inputSize()) {
      throw new IllegalArgumentException("Conv2d " + name + ": dx needs " + (long) rows * inputSize() + " values ("
          + rows + " images of " + height + "x" + width + "x" + cin + "), has " + dx.length);
    }
    grow();
    int outPixels = outHeight * outWidth;
    float[] gb = b.gradient();
    if (dx != null) {
      float[] wv = w.values();
      for (int i = 0; i < patch; i++) {
        for (int c = 0; c < cout; c++) {
          wT[c * patch + i] = wv[i * cout + c];
        }
      }
      Arrays.fill(dx, 0, rows * inputSize(), 0f);
    }
    for (int r0 = 0; r0 < rows; r0 += imagesPerChunk) {
      int nr = Math.min(imagesPerChunk, rows - r0);
      int pixels = nr * outPixels;
      int yOff = r0 * outPixels * cout;
      // The product's right operand has no offset: the chunk's dY is copied to the workspace's start.
      System.arraycopy(dy, yOff, dyChunk, 0, pixels * cout);
      for (int p = 0; p < pixels; p++) {
        int o = p * cout;
        for (int c = 0; c < cout; c++) {
          gb[c] += dyChunk[o + c];
        }
      }
      im2colTransposed(x, r0, nr);
      kern.gemm(col, 0, patch, dyChunk, pixels, cout, w.gradient(), 0, true);
      if (dx != null) {
        kern.gemm(dy, yOff, pixels, wT, cout, patch, col, 0, false);
        col2im(dx, r0, nr);
      }
    }
  }

  private void grow() {
    int n = imagesPerChunk * outHeight * outWidth;
    if (col.length < n * (patch + 1)) {
      col = new float[n * (patch + 1)];
      dyChunk = new float[n * cout];
      wT = new float[patch * cout];
      wb = new float[(patch + 1) * cout];
    }
  }

  /**
   * col[p][(kh k + kw) Cin + ci] = x[oh + kh - p][ow + kw - p][ci] for the chunk's output pixels p,
   * and col[p][k k Cin] = 1 (the bias's input): rows of {@code k k Cin + 1}.
   */
  private void im2col(float[] x, int r0, int nr) {
    // Tap by tap along each output row: a branch-free inner loop over the pixels of the row, each
    // copying Cin contiguous inputs (one float for the stem), rather than k k short copies per pixel.
    int stride = patch + 1;
    int p = 0;
    for (int r = r0; r < r0 + nr; r++) {
      int img = r * height * width * cin;
      for (int oh = 0; oh < outHeight; oh++, p += outWidth) {
        for (int kh = 0; kh < k; kh++) {
          int ih = oh + kh - pad;
          boolean rowInside = ih >= 0 && ih < height;
          for (int kw = 0; kw < k; kw++) {
            int tap = (kh * k + kw) * cin;
            // The output columns whose tap kw lands inside the image: [owLo, owHi), possibly empty
            // (padding wider than the output puts pad - kw past the last column).
            int owLo = rowInside ? Math.min(outWidth, Math.max(0, pad - kw)) : outWidth;
            int owHi = rowInside ? Math.max(owLo, Math.min(outWidth, width + pad - kw)) : outWidth;
            for (int ow = 0; ow < owLo; ow++) {
              zero(col, (p + ow) * stride + tap, cin);
            }
            int src = img + (ih * width + owLo + kw - pad) * cin;
            if (cin == 1) {
              for (int ow = owLo, dst = (p + owLo) * stride + tap; ow < owHi; ow++, dst += stride) {
                col[dst] = x[src++];
              }
            } else {
              for (int ow = owLo; ow < owHi; ow++, src += cin) {
                int dst = (p + ow) * stride + tap;
                for (int c = 0; c < cin; c++) {
                  col[dst + c] = x[src + c];
                }
              }
            }
            for (int ow = owHi; ow < outWidth; ow++) {
              zero(col, (p + ow) * stride + tap, cin);
            }
          }
        }
        for (int ow = 0; ow < outWidth; ow++) {
          col[(p + ow) * stride + patch] = 1f;
        }
      }
    }
  }

  private static void zero(float[] a, int from, int n) {
    for (int i = 0; i < n; i++) {
      a[from + i] = 0f;
    }
  }

  /**
   * dx[ih][iw][ci] += col[p][(kh k + kw) Cin + ci]: im2col's adjoint over rows of {@code k k Cin},
   * in the same tap-by-tap order as {@link #im2col}.
   */
  private void col2im(float[] dx, int r0, int nr) {
    int p = 0;
    for (int r = r0; r < r0 + nr; r++) {
      int img = r * height * width * cin;
      for (int oh = 0; oh < outHeight; oh++, p += outWidth) {
        for (int kh = 0; kh < k; kh++) {
          int ih = oh + kh - pad;
          if (ih < 0 || ih >= height) {
            continue;
          }
          for (int kw = 0; kw < k; kw++) {
            int tap = (kh * k + kw) * cin;
            int owLo = Math.max(0, pad - kw);
            int owHi = Math.min(outWidth, width + pad - kw);
            int dst = img + (ih * width + owLo + kw - pad) * cin;
            if (cin == 1) {
              for (int ow = owLo, src = (p + owLo) * patch + tap; ow < owHi; ow++, src += patch) {
                dx[dst++] += col[src];
              }
            } else {
              for (int ow = owLo; ow < owHi; ow++, dst += cin) {
                int src = (p + ow) * patch + tap;
                for (int c = 0; c < cin; c++) {
                  dx[dst + c] += col[src + c];
                }
              }
            }
          }
        }
      }
    }
  }

  /**
   * The im2col matrix transposed, {@code (k k Cin) x pixels}: each row one kernel tap of one input
   * channel over the chunk's output pixels, written directly (a contiguous store per output row).
   */
  private void im2colTransposed(float[] x, int r0, int nr) {
    int pixels = nr * outHeight * outWidth;
    for (int kh = 0; kh < k; kh++) {
      for (int kw = 0; kw < k; kw++) {
        // The output columns whose tap kw lands inside the image.
        int owLo = Math.max(0, pad - kw);
        int owHi = Math.min(outWidth, width + pad - kw);
        for (int c = 0; c < cin; c++) {
          int q = ((kh * k + kw) * cin + c) * pixels;
          for (int r = r0; r < r0 + nr; r++) {
            int img = r * height * width * cin;
            for (int oh = 0; oh < outHeight; oh++, q += outWidth) {
              int ih = oh + kh - pad;
              if (ih < 0 || ih >= height || owLo >= owHi) {
                Arrays.fill(col, q, q + outWidth, 0f);
                continue;
              }
              Arrays.fill(col, q, q + owLo, 0f);
              int src = img + (ih * width + owLo + kw - pad) * cin + c;
              for (int ow = owLo; ow < owHi; ow++, src += cin) {
                col[q + ow] = x[src];
              }
              Arrays.fill(col, q + owHi, q + outWidth, 0f);
            }
          }
        }
      }
    }
  }

  private void checkInput(float[] x, int rows) {
    if (rows < 0) {
      throw new IllegalArgumentException("Conv2d " + name + ": rows must be >= 0, got " + rows);
    }
    long need = (long) rows * inputSize();
    long out = (long) rows * outputSize();
    if (need > Integer.MAX_VALUE - 8 || out > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("Conv2d " + name + ": a batch of " + rows + " images is too large");
    }
    if (x.length < need) {
      throw new IllegalArgumentException("Conv2d " + name + ": x needs " + need + " values (" + rows + " images of "
          + height + "x" + width + "x" + cin + "), has " + x.length);
    }
  }

  private void checkOutput(String what, float[] y, int rows) {
    long need = (long) rows * outputSize();
    if (y.length < need) {
      throw new IllegalArgumentException("Conv2d " + name + ": " + what + " needs " + need + " values (" + rows
          + " images of " + outHeight + "x" + outWidth + "x" + cout + "), has " + y.length);
    }
  }
}
