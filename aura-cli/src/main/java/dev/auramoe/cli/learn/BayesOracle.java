package dev.auramoe.cli.learn;

import dev.auramoe.cli.learn.SwitchingStream.Task;

/**
 * The best any learner could do on a recurring stream: a forecaster that knows every regime's true
 * parameters and the switching law, but not the regime. It keeps the exact posterior over the regime
 * (a hidden Markov model's forward filter: stay with probability {@code 1 - 1/dwell}, else move to one
 * of the others uniformly) and predicts the posterior mean given the past and the current input:
 *
 * <pre>
 *   prior_r    = post_r (1 - h) + (1 - post_r) h / (R - 1)              h = 1 / meanDwell
 *   given x    p_r  ∝ prior_r exp(-|x - mu_r|^2 / 2)
 *   regression y_hat = sum_r p_r (A_r x / sqrt(d) + b_r)               (the MSE-optimal forecast)
 *   after y    post_r ∝ p_r exp(-(y - A_r x / sqrt(d) - b_r)^2 / 2 sigma^2)
 * </pre>
 *
 * <p>Classification predicts the class most probable under p, each regime giving its noise-free argmax
 * probability {@code 1 - eps} and the others {@code eps / (C - 1)} (eps = 0.02, which stands for the noise
 * that can flip a close argmax); the same probabilities weigh the posterior after the label. A gradual
 * transition is outside this model (it treats each instance as drawn by the Markov chain), so there the
 * forecaster is close to, not exactly, optimal.
 *
 * <p>Its error over the single learner's is the floor of mixture/single on that stream: where the
 * regime shows only in y and dwells are short, even this forecaster pays for the first instance of
 * every visit.
 */
final class BayesOracle {

  /** Probability that a classification label differs from the noise-free argmax, spread over the other classes. */
  static final double CLASS_FLIP = 0.02;

  private final SwitchingStream stream;
  private final boolean cls;
  private final int regimes;
  private final int out;
  private final double hazard;
  private final double twoSigma2;
  private final double[] post;
  private final double[] p;
  private final double[][] maps;
  private final double[] mix;

  /** A forecaster for a recurring stream. */
  BayesOracle(SwitchingStream stream) {
    var spec = stream.spec();
    if (!spec.recurring()) {
      throw new IllegalArgumentException("a Bayes oracle needs recurring regimes: " + spec.name());
    }
    this.stream = stream;
    this.cls = spec.task() == Task.CLASSIFICATION;
    this.regimes = spec.regimes();
    this.out = spec.outputs();
    this.hazard = 1.0 / spec.meanDwell();
    double sigma = Math.max(spec.noise(), 1e-3);
    this.twoSigma2 = 2 * sigma * sigma;
    this.post = new double[regimes];
    java.util.Arrays.fill(post, 1.0 / regimes);
    this.p = new double[regimes];
    this.maps = new double[regimes][out];
    this.mix = new double[out];
  }

  /**
   * Forecasts x's target, then conditions on it.
   *
   * @param y the target: the value, or the class index
   * @return the squared error (regression) or 0/1 error (classification) of the forecast
   */
  double step(float[] x, double y) {
    double maxLog = Double.NEGATIVE_INFINITY;
    for (int r = 0; r < regimes; r++) {
      double prior = post[r] * (1 - hazard) + (1 - post[r]) * hazard / (regimes - 1);
      p[r] = Math.log(Math.max(prior, Double.MIN_NORMAL)) + stream.inputLogDensity(r, x);
      maxLog = Math.max(maxLog, p[r]);
    }
    normalise(maxLog);
    java.util.Arrays.fill(mix, 0);
    for (int r = 0; r < regimes; r++) {
      stream.map(r, x, maps[r]);
      if (cls) {
        int c = argmax(maps[r]);
        for (int o = 0; o < out; o++) {
          mix[o] += p[r] * classProbability(o == c);
        }
      } else {
        mix[0] += p[r] * maps[r][0];
      }
    }
    double error;
    if (cls) {
      error = argmax(mix) == (int) y ? 0 : 1;
    } else {
      error = (y - mix[0]) * (y - mix[0]);
    }
    maxLog = Double.NEGATIVE_INFINITY;
    for (int r = 0; r < regimes; r++) {
      double like;
      if (cls) {
        like = Math.log(classProbability(argmax(maps[r]) == (int) y));
      } else {
        double e = y - maps[r][0];
        like = -e * e / twoSigma2;
      }
      p[r] = Math.log(Math.max(p[r], Double.MIN_NORMAL)) + like;
      maxLog = Math.max(maxLog, p[r]);
    }
    normalise(maxLog);
    System.arraycopy(p, 0, post, 0, regimes);
    return error;
  }

  private double classProbability(boolean isArgmax) {
    return isArgmax ? 1 - CLASS_FLIP : CLASS_FLIP / (out - 1);
  }

  /** p holds log weights with maximum {@code maxLog}: makes them probabilities. */
  private void normalise(double maxLog) {
    double s = 0;
    for (int r = 0; r < regimes; r++) {
      p[r] = Math.exp(p[r] - maxLog);
      s += p[r];
    }
    for (int r = 0; r < regimes; r++) {
      p[r] /= s;
    }
  }

  private static int argmax(double[] v) {
    int best = 0;
    for (int i = 1; i < v.length; i++) {
      if (v[i] > v[best]) {
        best = i;
      }
    }
    return best;
  }
}
