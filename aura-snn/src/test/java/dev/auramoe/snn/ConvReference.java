package dev.auramoe.snn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.function.DoubleSupplier;

/**
 * The stem layers' forward passes written again, plainly, in double precision from the formulas of
 * their Javadoc (no im2col, no workspaces, no chunks), and the central finite-difference check that
 * the float layers' analytic gradients are held to.
 *
 * <p>As aura-seq's gradient checks: the loss is {@code L = sum R . y} with a fixed random R, the
 * difference quotient is taken of the double reference at the float layer's own values with a step
 * of 1e-5 (accurate to about 1e-10 relative in double), and the tolerance, 1e-3 of the element plus
 * 1e-4 of the tensor's largest gradient, lies between float rounding and a wrong formula.
 */
final class ConvReference {

  static final double H = 1e-5;

  private ConvReference() {}

  /** Channels-last convolution, weights [k][k][Cin][Cout], zero padding p, stride 1. */
  static double[] conv(double[] x, int rows, int h, int w, int cin, double[] wt, double[] b, int cout, int k, int p) {
    int ho = h + 2 * p - k + 1;
    int wo = w + 2 * p - k + 1;
    double[] y = new double[rows * ho * wo * cout];
    for (int r = 0; r < rows; r++) {
      for (int oh = 0; oh < ho; oh++) {
        for (int ow = 0; ow < wo; ow++) {
          for (int co = 0; co < cout; co++) {
            double s = b[co];
            for (int kh = 0; kh < k; kh++) {
              for (int kw = 0; kw < k; kw++) {
                int ih = oh + kh - p;
                int iw = ow + kw - p;
                if (ih < 0 || ih >= h || iw < 0 || iw >= w) {
                  continue;
                }
                for (int ci = 0; ci < cin; ci++) {
                  s += x[((r * h + ih) * w + iw) * cin + ci] * wt[((kh * k + kw) * cin + ci) * cout + co];
                }
              }
            }
            y[((r * ho + oh) * wo + ow) * cout + co] = s;
          }
        }
      }
    }
    return y;
  }

  /** 2 x 2 stride-2 max pooling, channels-last, floor. */
  static double[] maxPool(double[] x, int rows, int h, int w, int c) {
    int ho = h / 2;
    int wo = w / 2;
    double[] y = new double[rows * ho * wo * c];
    for (int r = 0; r < rows; r++) {
      for (int oh = 0; oh < ho; oh++) {
        for (int ow = 0; ow < wo; ow++) {
          for (int ch = 0; ch < c; ch++) {
            double m = Double.NEGATIVE_INFINITY;
            for (int dh = 0; dh < 2; dh++) {
              for (int dw = 0; dw < 2; dw++) {
                m = Math.max(m, x[((r * h + 2 * oh + dh) * w + 2 * ow + dw) * c + ch]);
              }
            }
            y[((r * ho + oh) * wo + ow) * c + ch] = m;
          }
        }
      }
    }
    return y;
  }

  /** Batch normalisation in training mode: the batch's mean and biased variance, per channel. */
  static double[] batchNormTrain(double[] x, int m, int c, double[] gamma, double[] beta) {
    double[] y = new double[m * c];
    for (int j = 0; j < c; j++) {
      double mu = 0;
      for (int i = 0; i < m; i++) {
        mu += x[i * c + j];
      }
      mu /= m;
      double var = 0;
      for (int i = 0; i < m; i++) {
        var += (x[i * c + j] - mu) * (x[i * c + j] - mu);
      }
      var /= m;
      for (int i = 0; i < m; i++) {
        y[i * c + j] = gamma[j] * (x[i * c + j] - mu) / Math.sqrt(var + 1e-5) + beta[j];
      }
    }
    return y;
  }

  /** Batch normalisation in evaluation mode, with given running estimates. */
  static double[] batchNormEval(double[] x, int m, int c, double[] gamma, double[] beta, double[] mean,
      double[] var) {
    double[] y = new double[m * c];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < c; j++) {
        y[i * c + j] = gamma[j] * (x[i * c + j] - mean[j]) / Math.sqrt(var[j] + 1e-5) + beta[j];
      }
    }
    return y;
  }

  /**
   * Checks an analytic gradient against central differences of {@code loss}, moving each element
   * of {@code at} (which {@code loss} reads) by +-H and restoring it.
   */
  static void check(String what, float[] analytic, double[] at, DoubleSupplier loss) {
    double largest = 0;
    for (int i = 0; i < at.length; i++) {
      largest = Math.max(largest, Math.abs(analytic[i]));
    }
    for (int i = 0; i < at.length; i++) {
      double keep = at[i];
      at[i] = keep + H;
      double up = loss.getAsDouble();
      at[i] = keep - H;
      double down = loss.getAsDouble();
      at[i] = keep;
      double numeric = (up - down) / (2 * H);
      assertThat((double) analytic[i]).as("%s[%d]", what, i)
          .isCloseTo(numeric, org.assertj.core.data.Offset.offset(1e-3 * Math.abs(numeric) + 1e-4 * largest + 1e-9));
    }
  }

  /** Asserts a float tensor equals a double one to {@code tol} of the latter's largest magnitude. */
  static void assertClose(String what, float[] actual, double[] expected, double tol) {
    double scale = 1e-30;
    for (double e : expected) {
      scale = Math.max(scale, Math.abs(e));
    }
    for (int i = 0; i < expected.length; i++) {
      assertThat((double) actual[i]).as("%s[%d]", what, i)
          .isCloseTo(expected[i], org.assertj.core.data.Offset.offset(tol * scale));
    }
  }

  static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  static double[] toDouble(float[] a) {
    double[] d = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      d[i] = a[i];
    }
    return d;
  }

  static float[] gaussian(int n, double scale, Random r) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (r.nextGaussian() * scale);
    }
    return a;
  }

  /** Binary spikes, each 1 with probability {@code rate}. */
  static float[] spikes(int n, double rate, Random r) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = r.nextDouble() < rate ? 1f : 0f;
    }
    return a;
  }
}
