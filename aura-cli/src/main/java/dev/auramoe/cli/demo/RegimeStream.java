package dev.auramoe.cli.demo;

import java.util.Random;

/**
 * A seeded stream whose hidden regime switches over time. Each regime is its own noisy linear
 * input-output system with its own input distribution:
 *
 * <pre>
 * x_t = mu_r + sigma_x * N(0, I)
 * y_t = A_r x_t / sqrt(d) + b_r + sigma_y * N(0, I)
 * </pre>
 *
 * At every step the regime is redrawn with probability {@code 1 / meanDwell} from
 * {@code regimeWeights} (possibly the same regime again, so a regime lasts somewhat longer than
 * {@code meanDwell} on average); a skewed weighting makes one regime dominant.
 */
public final class RegimeStream {

  private final int d;
  private final int out;
  private final int regimes;
  private final float[][] mu;
  private final float[][] a;
  private final float[][] b;
  private final double[] cumWeights;
  private final double sigmaX;
  private final double sigmaY;
  private final double switchProb;
  private final Random rng;
  private int regime;

  /**
   * @param regimeWeights relative frequency of each regime (length = regimes)
   */
  public RegimeStream(int inputDim, int outputDim, double[] regimeWeights, double meanDwell, double sigmaX,
      double sigmaY, double separation, long seed) {
    this.d = inputDim;
    this.out = outputDim;
    this.regimes = regimeWeights.length;
    this.sigmaX = sigmaX;
    this.sigmaY = sigmaY;
    this.switchProb = 1.0 / meanDwell;
    Random r = new Random(seed);
    mu = new float[regimes][d];
    a = new float[regimes][out * d];
    b = new float[regimes][out];
    for (int k = 0; k < regimes; k++) {
      for (int i = 0; i < d; i++) {
        mu[k][i] = (float) (r.nextGaussian() * separation);
      }
      for (int i = 0; i < out * d; i++) {
        a[k][i] = (float) r.nextGaussian();
      }
      for (int o = 0; o < out; o++) {
        b[k][o] = (float) r.nextGaussian();
      }
    }
    cumWeights = new double[regimes];
    double s = 0;
    for (int k = 0; k < regimes; k++) {
      s += regimeWeights[k];
      cumWeights[k] = s;
    }
    for (int k = 0; k < regimes; k++) {
      cumWeights[k] /= s;
    }
    this.rng = new Random(seed * 31 + 7);
    this.regime = draw();
  }

  /** Regime weights of the uniform stream. */
  public static final double[] UNIFORM_WEIGHTS = {1, 1, 1, 1};

  /** Regime weights of the skewed stream: regime 0 takes 70% of the time. */
  public static final double[] SKEWED_WEIGHTS = {7, 1, 1, 1};

  /**
   * The stream of {@code aura demo}: 16 inputs, 1 output, 4 regimes redrawn with probability 1/50
   * per step (so about 67 steps per regime on the uniform stream), sigma_x 1, sigma_y 0.1,
   * separation 1.
   *
   * @param skewed true for the weights (7, 1, 1, 1), false for equally frequent regimes
   */
  public static RegimeStream cliDemo(long seed, boolean skewed) {
    return new RegimeStream(16, 1, skewed ? SKEWED_WEIGHTS : UNIFORM_WEIGHTS, 50, 1.0, 0.1, 1.0, seed);
  }

  /** The noise level sigma_y of the targets: the MSE floor of a learner that knows every regime. */
  public double noiseSigma() {
    return sigmaY;
  }

  private int draw() {
    double u = rng.nextDouble();
    for (int k = 0; k < regimes; k++) {
      if (u < cumWeights[k]) {
        return k;
      }
    }
    return regimes - 1;
  }

  /** Input dimension. */
  public int inputDim() {
    return d;
  }

  /** Output dimension. */
  public int outputDim() {
    return out;
  }

  /** Number of regimes. */
  public int regimes() {
    return regimes;
  }

  /**
   * Draws the next sample into x and y.
   *
   * @return the regime that produced it
   */
  public int next(float[] x, float[] y) {
    if (rng.nextDouble() < switchProb) {
      regime = draw();
    }
    int k = regime;
    for (int i = 0; i < d; i++) {
      x[i] = (float) (mu[k][i] + sigmaX * rng.nextGaussian());
    }
    double scale = 1.0 / Math.sqrt(d);
    for (int o = 0; o < out; o++) {
      double s = b[k][o];
      for (int i = 0; i < d; i++) {
        s += a[k][o * d + i] * x[i] * scale;
      }
      y[o] = (float) (s + sigmaY * rng.nextGaussian());
    }
    return k;
  }
}
