package dev.auramoe.seq;

import java.util.Random;

/**
 * Seeded weight initialisations. Each draws from the {@link Random} it is given, in a fixed order,
 * so a model built from one seed has the same bits on every run and every machine
 * ({@link Random#nextGaussian()} and {@link StrictMath} are specified bit for bit).
 */
public final class Init {

  private Init() {}

  /**
   * Xavier/Glorot uniform (Glorot and Bengio, "Understanding the difficulty of training deep
   * feedforward neural networks", AISTATS 2010): {@code U(-a, a)} with
   * {@code a = gain * sqrt(6 / (fanIn + fanOut))}, which keeps the activations' and gradients'
   * variances about equal across a tanh layer.
   *
   * @param w overwritten
   */
  public static void xavierUniform(float[] w, int fanIn, int fanOut, float gain, Random random) {
    if (fanIn <= 0 || fanOut <= 0) {
      throw new IllegalArgumentException("fanIn and fanOut must be > 0, got " + fanIn + ", " + fanOut);
    }
    double a = gain * Math.sqrt(6.0 / (fanIn + fanOut));
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) ((2 * random.nextDouble() - 1) * a);
    }
  }

  /**
   * Normal with standard deviation {@code scale}.
   *
   * @param w overwritten
   */
  public static void scaledNormal(float[] w, double scale, Random random) {
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (random.nextGaussian() * scale);
    }
  }

  /**
   * A random orthogonal {@code n x n} matrix times {@code gain} (Saxe, McClelland and Ganguli,
   * "Exact solutions to the nonlinear dynamics of learning in deep linear neural networks", ICLR
   * 2014): every singular value equals gain, so a recurrence through it neither explodes nor
   * vanishes at initialisation when gain is 1. Modified Gram-Schmidt in double over the rows of a
   * Gaussian matrix (a Gaussian row is linearly dependent on the others with probability 0; a
   * degenerate draw is redrawn).
   *
   * @param w n*n values, overwritten (row-major; its transpose is orthogonal as well)
   */
  public static void orthogonal(float[] w, int n, float gain, Random random) {
    if (n <= 0 || w.length != n * n) {
      throw new IllegalArgumentException("need an n x n matrix with n > 0, got n = " + n + " and " + w.length + " values");
    }
    double[] q = new double[n * n];
    for (int i = 0; i < n; i++) {
      double norm;
      do {
        for (int j = 0; j < n; j++) {
          q[i * n + j] = random.nextGaussian();
        }
        // Twice-applied Gram-Schmidt keeps the rows orthogonal to double precision.
        for (int pass = 0; pass < 2; pass++) {
          for (int k = 0; k < i; k++) {
            double d = 0;
            for (int j = 0; j < n; j++) {
              d += q[i * n + j] * q[k * n + j];
            }
            for (int j = 0; j < n; j++) {
              q[i * n + j] -= d * q[k * n + j];
            }
          }
        }
        norm = 0;
        for (int j = 0; j < n; j++) {
          norm += q[i * n + j] * q[i * n + j];
        }
        norm = Math.sqrt(norm);
      } while (!(norm > 1e-6));
      for (int j = 0; j < n; j++) {
        q[i * n + j] /= norm;
      }
    }
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (q[i] * gain);
    }
  }
}
