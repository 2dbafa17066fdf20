package dev.auramoe.snn;

import static dev.auramoe.snn.ConvReference.assertClose;
import static dev.auramoe.snn.ConvReference.gaussian;
import static dev.auramoe.snn.ConvReference.toDouble;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.auramoe.internal.vector.KernelProvider;
import dev.auramoe.internal.vector.KernelSupport;
import dev.auramoe.seq.Init;
import dev.auramoe.testing.Allocations;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class Conv2dTest {

  /**
   * dW, db and dx against central differences of the double-precision convolution, at awkward
   * sizes: odd sides, Cin 1 and 3, Cout not a multiple of 16, batches of 1 and 3, "same", "valid"
   * and wider-than-same padding, kernels of 1, 3 and 5, and a one-pixel-wide image whose padding
   * is wider than its output (a tap that reaches the image from no output column).
   */
  @ParameterizedTest(name = "rows {0}, {1}x{2}x{3} -> {4}, k {5}, p {6}")
  @CsvSource({
      "1, 5, 7, 1, 5, 3, 1",
      "3, 5, 4, 3, 17, 3, 1",
      "3, 7, 5, 1, 2, 3, 0",
      "2, 4, 3, 2, 3, 1, 0",
      "1, 6, 5, 3, 4, 5, 2",
      "2, 3, 3, 2, 3, 3, 2",
      "2, 3, 1, 2, 3, 5, 2"})
  void gradientsMatchDoubleFiniteDifferences(int rows, int h, int w, int cin, int cout, int k, int p) {
    Random r = new Random(rows * 1000L + h * 100L + cin * 10L + k);
    Conv2d conv = new Conv2d("c", cin, cout, k, p, h, w, r);
    Init.scaledNormal(conv.bias().values(), 0.3, r);
    float[] x = gaussian(rows * conv.inputSize(), 1.0, r);
    float[] coef = gaussian(rows * conv.outputSize(), 1.0, r);
    float[] y = new float[rows * conv.outputSize()];
    conv.forward(x, rows, y);
    float[] dx = new float[x.length];
    conv.backward(x, coef, rows, dx);

    double[] wd = toDouble(conv.weights().values());
    double[] bd = toDouble(conv.bias().values());
    double[] xd = toDouble(x);
    double[] rd = toDouble(coef);
    assertClose("y", y, ConvReference.conv(xd, rows, h, w, cin, wd, bd, cout, k, p), 1e-6);
    java.util.function.DoubleSupplier loss =
        () -> ConvReference.dot(rd, ConvReference.conv(xd, rows, h, w, cin, wd, bd, cout, k, p));
    ConvReference.check("dW", conv.weights().gradient(), wd, loss);
    ConvReference.check("db", conv.bias().gradient(), bd, loss);
    ConvReference.check("dx", dx, xd, loss);
  }

  /**
   * Over batches split into several chunks of images (a full and a partial chunk of 9 images of
   * 28 x 28 x 1; three chunks of one image of 28 x 28 x 8), the forward pass against the plain loop
   * and the backward pass against the Javadoc's gradient formulas, summed directly in double; and a
   * second backward pass accumulates dW and db.
   */
  @ParameterizedTest(name = "rows {0}, 28x28x{1} -> {2}")
  @CsvSource({"20, 1, 16", "3, 8, 20"})
  void chunkedPassesMatchTheFormulas(int rows, int cin, int cout) {
    int h = 28;
    int w = 28;
    int k = 3;
    int p = 1;
    Random r = new Random(rows + cin);
    Conv2d conv = new Conv2d("c", cin, cout, k, p, h, w, r);
    Init.scaledNormal(conv.bias().values(), 0.3, r);
    float[] x = gaussian(rows * conv.inputSize(), 1.0, r);
    float[] dy = gaussian(rows * conv.outputSize(), 1.0, r);
    float[] y = new float[dy.length];
    conv.forward(x, rows, y);
    double[] xd = toDouble(x);
    double[] wd = toDouble(conv.weights().values());
    assertClose("y", y, ConvReference.conv(xd, rows, h, w, cin, wd, toDouble(conv.bias().values()), cout, k, p),
        1e-6);
    float[] dx = new float[x.length];
    conv.backward(x, dy, rows, dx);
    conv.backward(x, dy, rows, null);

    double[] dW = new double[wd.length];
    double[] db = new double[cout];
    double[] dxd = new double[x.length];
    for (int n = 0; n < rows; n++) {
      for (int oh = 0; oh < h; oh++) {
        for (int ow = 0; ow < w; ow++) {
          int yo = ((n * h + oh) * w + ow) * cout;
          for (int co = 0; co < cout; co++) {
            db[co] += 2 * dy[yo + co];
          }
          for (int kh = 0; kh < k; kh++) {
            for (int kw = 0; kw < k; kw++) {
              int ih = oh + kh - p;
              int iw = ow + kw - p;
              if (ih < 0 || ih >= h || iw < 0 || iw >= w) {
                continue;
              }
              for (int ci = 0; ci < cin; ci++) {
                int xi = ((n * h + ih) * w + iw) * cin + ci;
                int wi = ((kh * k + kw) * cin + ci) * cout;
                for (int co = 0; co < cout; co++) {
                  dW[wi + co] += 2 * xd[xi] * dy[yo + co];
                  dxd[xi] += wd[wi + co] * dy[yo + co];
                }
              }
            }
          }
        }
      }
    }
    assertClose("dW (two passes)", conv.weights().gradient(), dW, 1e-5);
    assertClose("db (two passes)", conv.bias().gradient(), db, 1e-5);
    assertClose("dx", dx, dxd, 1e-5);
  }

  /**
   * Narrow images (3 x 1, k 5, p 2: padding wider than the output) in a batch of full chunks: the
   * forward and backward passes against the formulas.
   */
  @Test
  void narrowImagesInFullChunks() {
    int rows = 1000;
    Random r = new Random(8);
    Conv2d conv = new Conv2d("c", 2, 3, 5, 2, 3, 1, r);
    Init.scaledNormal(conv.bias().values(), 0.3, r);
    float[] x = gaussian(rows * conv.inputSize(), 1.0, r);
    float[] y = new float[rows * conv.outputSize()];
    conv.forward(x, rows, y);
    double[] xd = toDouble(x);
    double[] wd = toDouble(conv.weights().values());
    double[] bd = toDouble(conv.bias().values());
    assertClose("y", y, ConvReference.conv(xd, rows, 3, 1, 2, wd, bd, 3, 5, 2), 1e-6);
    float[] dx = new float[x.length];
    conv.backward(x, y, rows, dx);
    // With dy = y, dx = d(|y|^2 / 2)/dx: checked on a few inputs by central differences in double.
    double[] yd = ConvReference.conv(xd, rows, 3, 1, 2, wd, bd, 3, 5, 2);
    for (int i : new int[] {0, 1, 5, x.length / 2, x.length - 1}) {
      double keep = xd[i];
      xd[i] = keep + ConvReference.H;
      double up = ConvReference.dot(ConvReference.conv(xd, rows, 3, 1, 2, wd, bd, 3, 5, 2), yd);
      xd[i] = keep - ConvReference.H;
      double down = ConvReference.dot(ConvReference.conv(xd, rows, 3, 1, 2, wd, bd, 3, 5, 2), yd);
      xd[i] = keep;
      assertThat((double) dx[i]).as("dx[%d]", i)
          .isCloseTo((up - down) / (2 * ConvReference.H), org.assertj.core.data.Offset.offset(1e-4));
    }
  }

  /**
   * The Vector API and the scalar kernels give the same layer, to 1e-5 of each tensor's largest
   * value as aura-seq's twin tests (their sums differ in order; dW sums up to 5,488 products).
   */
  @ParameterizedTest(name = "rows {0}, {1}x{2}x{3} -> {4}")
  @CsvSource({"1, 5, 7, 1, 1", "3, 9, 7, 1, 17", "2, 14, 14, 8, 33", "7, 28, 28, 1, 32", "2, 11, 6, 3, 64"})
  void vectorAndScalarKernelsAgree(int rows, int h, int w, int cin, int cout) {
    KernelSupport panama = KernelProvider.panamaOrNull();
    assumeThat(panama).as("Vector API kernels (needs --add-modules jdk.incubator.vector)").isNotNull();
    Conv2d scalar = new Conv2d("c", cin, cout, 3, 1, h, w, new Random(4), KernelProvider.scalar());
    Conv2d vector = new Conv2d("c", cin, cout, 3, 1, h, w, new Random(4), panama);
    Random r = new Random(rows * 7L + cout);
    float[] x = gaussian(rows * scalar.inputSize(), 1.0, r);
    float[] dy = gaussian(rows * scalar.outputSize(), 1.0, r);
    float[] ys = new float[dy.length];
    float[] yv = new float[dy.length];
    scalar.forward(x, rows, ys);
    vector.forward(x, rows, yv);
    float[] dxs = new float[x.length];
    float[] dxv = new float[x.length];
    scalar.backward(x, dy, rows, dxs);
    vector.backward(x, dy, rows, dxv);
    assertClose("y", yv, toDouble(ys), 1e-5);
    assertClose("dx", dxv, toDouble(dxs), 1e-5);
    assertClose("dW", vector.weights().gradient(), toDouble(scalar.weights().gradient()), 1e-5);
    assertClose("db", vector.bias().gradient(), toDouble(scalar.bias().gradient()), 1e-5);
  }

  /**
   * The spike-driven accumulates against brute force: for each output pixel, each kernel tap and
   * input channel, one accumulate per output channel when the input it reads is a nonzero (a
   * spike); padding reads nothing. All-ones inputs without padding do every dense MAC.
   */
  @ParameterizedTest(name = "rows {0}, {1}x{2}x{3} -> {4}, k {5}, p {6}")
  @CsvSource({"2, 5, 7, 1, 3, 3, 1", "3, 6, 5, 2, 5, 3, 0", "1, 7, 4, 3, 2, 5, 2", "2, 4, 4, 1, 4, 1, 0",
      "1, 28, 28, 1, 32, 3, 1"})
  void synapticOperationsMatchBruteForce(int rows, int h, int w, int cin, int cout, int k, int p) {
    Conv2d conv = new Conv2d("c", cin, cout, k, p, h, w, new Random(1));
    float[] s = ConvReference.spikes(rows * conv.inputSize(), 0.3, new Random(rows + h + w));
    long brute = 0;
    for (int n = 0; n < rows; n++) {
      for (int oh = 0; oh < conv.outHeight(); oh++) {
        for (int ow = 0; ow < conv.outWidth(); ow++) {
          for (int kh = 0; kh < k; kh++) {
            for (int kw = 0; kw < k; kw++) {
              int ih = oh + kh - p;
              int iw = ow + kw - p;
              for (int ci = 0; ci < cin; ci++) {
                if (ih >= 0 && ih < h && iw >= 0 && iw < w && s[((n * h + ih) * w + iw) * cin + ci] != 0f) {
                  brute += cout;
                }
              }
            }
          }
        }
      }
    }
    assertThat(brute).isPositive();
    assertThat(conv.synapticOperations(s, rows)).isEqualTo(brute);
    assertThat(conv.macsPerImage()).isEqualTo((long) k * k * cin * cout * conv.outHeight() * conv.outWidth());
    if (p == 0) {
      float[] ones = new float[rows * conv.inputSize()];
      java.util.Arrays.fill(ones, 1f);
      assertThat(conv.synapticOperations(ones, rows)).isEqualTo(rows * conv.macsPerImage());
    }
  }

  @Test
  void theStemConvolutionCountsItsMacs() {
    Conv2d stem = new Conv2d("stem", 1, 32, 3, 1, 28, 28, new Random(1));
    assertThat(stem.outHeight()).isEqualTo(28);
    assertThat(stem.outWidth()).isEqualTo(28);
    assertThat(stem.macsPerImage()).isEqualTo(3L * 3 * 1 * 32 * 28 * 28);
  }

  /**
   * Once the workspaces have grown, a forward and backward pass allocate nothing (on the Vector API
   * kernels, once C2 has compiled them: until then their vectors are boxed, hence the long warm-up).
   */
  @Test
  void passesDoNotAllocate() {
    Conv2d conv = new Conv2d("c", 3, 17, 3, 1, 9, 11, new Random(2));
    Random r = new Random(3);
    int rows = 4;
    float[] x = gaussian(rows * conv.inputSize(), 1.0, r);
    float[] dy = gaussian(rows * conv.outputSize(), 1.0, r);
    float[] y = new float[dy.length];
    float[] dx = new float[x.length];
    long allocated = Allocations.ofSteadyState(() -> {
      conv.forward(x, rows, y);
      conv.backward(x, dy, rows, dx);
      conv.synapticOperations(x, rows);
    }, 3000, 50, 20);
    assertThat(allocated).as("bytes allocated by 50 passes").isLessThan(1_024);
  }

  @Test
  void refusesBadShapesAndChangesNothing() {
    Random r = new Random(1);
    assertThatThrownBy(() -> new Conv2d("c", 0, 4, 3, 1, 5, 5, r)).hasMessageContaining("Cin 0");
    assertThatThrownBy(() -> new Conv2d("c", 1, 4, 3, -1, 5, 5, r)).hasMessageContaining("padding >= 0");
    assertThatThrownBy(() -> new Conv2d("c", 1, 4, 3, 3, 5, 5, r)).hasMessageContaining("padding 3 must be < kernel 3");
    assertThatThrownBy(() -> new Conv2d("c", 1, 4, 7, 0, 5, 9, r)).hasMessageContaining("leaves no output of a 5x9");
    assertThatThrownBy(() -> new Conv2d("c", 1 << 12, 1 << 12, 3, 1, 1 << 10, 1 << 10, r))
        .hasMessageContaining("too large");
    Conv2d conv = new Conv2d("c", 2, 3, 3, 1, 5, 4, r);
    assertThatThrownBy(() -> conv.forward(new float[79], 2, new float[120]))
        .hasMessageContaining("c: x needs 80 values (2 images of 5x4x2), has 79");
    assertThatThrownBy(() -> conv.forward(new float[80], 2, new float[119]))
        .hasMessageContaining("y needs 120 values (2 images of 5x4x3), has 119");
    assertThatThrownBy(() -> conv.forward(new float[80], -1, new float[120])).hasMessageContaining("rows must be >= 0");
    assertThatThrownBy(() -> conv.forward(new float[80], 1 << 30, new float[120])).hasMessageContaining("too large");
    float[] x = gaussian(80, 1, r);
    float[] dy = gaussian(120, 1, r);
    assertThatThrownBy(() -> conv.backward(x, dy, 2, new float[79])).hasMessageContaining("dx needs 80 values");
    assertThatThrownBy(() -> conv.backward(x, new float[100], 2, null)).hasMessageContaining("dy needs 120 values");
    assertThat(conv.weights().gradient()).containsOnly(0f);
    assertThat(conv.bias().gradient()).containsOnly(0f);
    assertThatThrownBy(() -> conv.synapticOperations(new float[10], 2)).hasMessageContaining("x needs 80 values");
  }
}
