package dev.auramoe.snn;

import static dev.auramoe.snn.ConvReference.gaussian;
import static dev.auramoe.snn.ConvReference.toDouble;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.testing.Allocations;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link MaxPool2d}. */
class PoolingTest {

  /**
   * The outputs equal the double-precision reference exactly, and dx matches its central
   * differences (distinct Gaussian inputs: no step of 1e-5 crosses a tie); odd sides included,
   * whose last row or column gets a zero gradient.
   */
  @ParameterizedTest(name = "rows {0}, {1}x{2}x{3}")
  @CsvSource({"1, 2, 2, 1", "3, 5, 7, 1", "2, 4, 6, 3", "1, 7, 3, 17", "3, 6, 5, 2"})
  void matchesTheReferenceAndItsFiniteDifferences(int rows, int h, int w, int c) {
    Random r = new Random(rows * 100L + h * 10L + w + c);
    MaxPool2d pool = new MaxPool2d(h, w, c);
    float[] x = gaussian(rows * pool.inputSize(), 1.0, r);
    float[] coef = gaussian(rows * pool.outputSize(), 1.0, r);
    float[] y = new float[coef.length];
    pool.forward(x, rows, y);
    double[] xd = toDouble(x);
    double[] expected = ConvReference.maxPool(xd, rows, h, w, c);
    for (int i = 0; i < expected.length; i++) {
      assertThat((double) y[i]).as("y[%d]", i).isEqualTo(expected[i]);
    }
    float[] dx = new float[x.length];
    java.util.Arrays.fill(dx, 7f);
    pool.backward(coef, dx);
    double[] rd = toDouble(coef);
    ConvReference.check("dx", dx, xd, () -> ConvReference.dot(rd, ConvReference.maxPool(xd, rows, h, w, c)));
    // The gradient is routed, not computed: exactly dy at each window's maximum, 0 elsewhere.
    float[] routed = new float[x.length];
    for (int n = 0; n < rows; n++) {
      for (int oh = 0; oh < h / 2; oh++) {
        for (int ow = 0; ow < w / 2; ow++) {
          for (int ch = 0; ch < c; ch++) {
            int o = ((n * (h / 2) + oh) * (w / 2) + ow) * c + ch;
            for (int d = 0; d < 4; d++) {
              int i = ((n * h + 2 * oh + d / 2) * w + 2 * ow + d % 2) * c + ch;
              if (x[i] == y[o]) {
                routed[i] = coef[o];
              }
            }
          }
        }
      }
    }
    assertThat(dx).containsExactly(routed);
    for (int n = 0; n < rows; n++) {
      for (int ih = 0; ih < h; ih++) {
        for (int iw = 0; iw < w; iw++) {
          if (ih == 2 * (h / 2) || iw == 2 * (w / 2)) {
            for (int ch = 0; ch < c; ch++) {
              assertThat(dx[((n * h + ih) * w + iw) * c + ch]).as("dropped input (%d, %d)", ih, iw).isZero();
            }
          }
        }
      }
    }
  }

  /** Ties go to the first maximum in row-major order; NaN propagates. */
  @Test
  void tiesGoToTheFirstMaximumAndNanPropagates() {
    MaxPool2d pool = new MaxPool2d(2, 2, 1);
    float[] y = new float[1];
    float[] dx = new float[4];
    pool.forward(new float[] {1f, 3f, 3f, 3f}, 1, y);
    pool.backward(new float[] {5f}, dx);
    assertThat(y).containsExactly(3f);
    assertThat(dx).containsExactly(0f, 5f, 0f, 0f);
    pool.forward(new float[] {2f, 2f, 2f, 2f}, 1, y);
    pool.backward(new float[] {5f}, dx);
    assertThat(dx).containsExactly(5f, 0f, 0f, 0f);
    pool.forward(new float[] {1f, 0f, 2f, 2f}, 1, y);
    pool.backward(new float[] {5f}, dx);
    assertThat(dx).containsExactly(0f, 0f, 5f, 0f);
    pool.forward(new float[] {1f, 3f, Float.NaN, 4f}, 1, y);
    assertThat(y[0]).isNaN();
  }

  /** On binary spikes the pool is the OR of each window. */
  @Test
  void onSpikesPoolingIsAnOr() {
    int rows = 3;
    int h = 6;
    int w = 9;
    int c = 5;
    MaxPool2d pool = new MaxPool2d(h, w, c);
    float[] s = ConvReference.spikes(rows * pool.inputSize(), 0.2, new Random(3));
    float[] y = new float[rows * pool.outputSize()];
    pool.forward(s, rows, y);
    int ones = 0;
    for (int n = 0; n < rows; n++) {
      for (int oh = 0; oh < h / 2; oh++) {
        for (int ow = 0; ow < w / 2; ow++) {
          for (int ch = 0; ch < c; ch++) {
            boolean any = false;
            for (int d = 0; d < 4; d++) {
              any |= s[((n * h + 2 * oh + d / 2) * w + 2 * ow + d % 2) * c + ch] == 1f;
            }
            float out = y[((n * (h / 2) + oh) * (w / 2) + ow) * c + ch];
            assertThat(out).isEqualTo(any ? 1f : 0f);
            ones += any ? 1 : 0;
          }
        }
      }
    }
    assertThat(ones).isBetween(1, y.length - 1);
  }

  @Test
  void passesDoNotAllocate() {
    MaxPool2d pool = new MaxPool2d(28, 28, 16);
    int rows = 4;
    float[] x = gaussian(rows * pool.inputSize(), 1.0, new Random(1));
    float[] y = new float[rows * pool.outputSize()];
    float[] dx = new float[x.length];
    long allocated = Allocations.ofSteadyState(() -> {
      pool.forward(x, rows, y);
      pool.backward(y, dx);
    }, 300, 50, 20);
    assertThat(allocated).as("bytes allocated by 50 passes").isLessThan(1_024);
  }

  @Test
  void refusesBadShapes() {
    assertThatThrownBy(() -> new MaxPool2d(1, 4, 2)).hasMessageContaining("at least 2x2").hasMessageContaining("1x4x2");
    assertThatThrownBy(() -> new MaxPool2d(4, 4, 0)).hasMessageContaining("channels > 0");
    MaxPool2d pool = new MaxPool2d(5, 4, 3);
    assertThatThrownBy(() -> pool.backward(new float[12], new float[60])).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> pool.forward(new float[59], 1, new float[12]))
        .hasMessageContaining("x needs 60 values (1 images of 5x4x3), has 59");
    assertThatThrownBy(() -> pool.forward(new float[120], 2, new float[23]))
        .hasMessageContaining("y needs 24 values (2 images of 2x2x3), has 23");
    pool.forward(new float[120], 2, new float[24]);
    assertThatThrownBy(() -> pool.backward(new float[24], new float[119])).hasMessageContaining("dx needs 120");
  }
}
