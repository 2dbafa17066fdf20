package dev.auramoe.seq;

import java.util.List;

/**
 * The Adam optimiser with bias correction and optional decoupled weight decay.
 *
 * <pre>
 * Kingma and Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015;
 * Loshchilov and Hutter, "Decoupled Weight Decay Regularization", ICLR 2019 (AdamW).
 *
 * t  = t + 1
 * m  = beta1 m + (1 - beta1) g
 * v  = beta2 v + (1 - beta2) g^2
 * m^ = m / (1 - beta1^t),   v^ = v / (1 - beta2^t)
 * w  = w - lr (m^ / (sqrt(v^) + eps) + weightDecay w)      (decay only where Parameter.decayed())
 * </pre>
 *
 * Knobs at their extremes: {@code beta1 = 0} is RMSProp with bias correction, a beta near 1 averages
 * over about {@code 1 / (1 - beta)} steps; {@code eps} bounds the step of a parameter whose gradient
 * has been near zero (large eps: plain SGD with rate lr / eps); {@code weightDecay = 0} turns decay
 * off, and decay is decoupled from the gradient's scaling, so a rarely updated weight still decays.
 * Decay applies to weight matrices only: vectors (biases, time-constant biases) are not decayed
 * ({@link Parameter#decayed()}).
 *
 * <p>A non-finite gradient is refused by {@link #step()} before anything changes: one NaN would
 * otherwise reach the moments and, through them, every later step of that parameter.
 *
 * <p>Usage, one mini-batch:
 * <pre>{@code
 * Adam adam = new Adam(model.parameters(), Adam.Settings.DEFAULT.withLearningRate(3e-3f));
 * model.zeroGradients();
 * ... forward, loss, backward ...
 * Gradients.clipGlobalNorm(model.parameters(), 1.0);
 * adam.step();
 * }</pre>
 *
 * The optimiser keeps two moments per parameter element, allocated once; {@link #step()} does not
 * allocate.
 */
public final class Adam {

  /**
   * Adam's hyper-parameters.
   *
   * @param learningRate step size lr, finite and &gt; 0 (default 1e-3)
   * @param beta1 decay of the first moment, in [0, 1) (default 0.9)
   * @param beta2 decay of the second moment, in [0, 1) (default 0.999)
   * @param eps added to sqrt(v^), finite and &gt; 0 (default 1e-8)
   * @param weightDecay decoupled decay per unit of learning rate, finite and &gt;= 0 (default 0)
   */
  public record Settings(float learningRate, float beta1, float beta2, float eps, float weightDecay) {

    /** lr 1e-3, betas (0.9, 0.999), eps 1e-8, no weight decay. */
    public static final Settings DEFAULT = new Settings(1e-3f, 0.9f, 0.999f, 1e-8f, 0f);

    /** Validates. */
    public Settings {
      if (!(learningRate > 0) || !Float.isFinite(learningRate)) {
        throw new IllegalArgumentException("learningRate must be finite and > 0, got " + learningRate);
      }
      if (!(beta1 >= 0 && beta1 < 1)) {
        throw new IllegalArgumentException("beta1 must lie in [0, 1), got " + beta1);
      }
      if (!(beta2 >= 0 && beta2 < 1)) {
        throw new IllegalArgumentException("beta2 must lie in [0, 1), got " + beta2);
      }
      if (!(eps > 0) || !Float.isFinite(eps)) {
        throw new IllegalArgumentException("eps must be finite and > 0, got " + eps);
      }
      if (!(weightDecay >= 0) || !Float.isFinite(weightDecay)) {
        throw new IllegalArgumentException("weightDecay must be finite and >= 0, got " + weightDecay);
      }
    }

    /** Copy with another learning rate. */
    public Settings withLearningRate(float lr) {
      return new Settings(lr, beta1, beta2, eps, weightDecay);
    }

    /** Copy with another weight decay. */
    public Settings withWeightDecay(float decay) {
      return new Settings(learningRate, beta1, beta2, eps, decay);
    }
  }

  private final Parameter[] params;
  private final float[][] m;
  private final float[][] v;
  private Settings settings;
  /** The learning rate of the next step: the settings', or a schedule's ({@link #setLearningRate}). */
  private float learningRate;
  private long t;

  /**
   * An optimiser over {@code parameters} (the list is copied; the parameters are live).
   *
   * @throws IllegalArgumentException when a parameter is listed twice (it would be stepped twice per
   *     step)
   */
  public Adam(List<Parameter> parameters, Settings settings) {
    this.params = parameters.toArray(new Parameter[0]);
    java.util.Set<Parameter> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    for (Parameter p : params) {
      if (!seen.add(java.util.Objects.requireNonNull(p, "parameter"))) {
        throw new IllegalArgumentException("parameter " + p.name() + " is listed twice");
      }
    }
    this.settings = java.util.Objects.requireNonNull(settings, "settings");
    this.learningRate = settings.learningRate();
    this.m = new float[params.length][];
    this.v = new float[params.length][];
    for (int i = 0; i < params.length; i++) {
      m[i] = new float[params[i].size()];
      v[i] = new float[params[i].size()];
    }
  }

  /** The settings, with the learning rate of the next step. */
  public Settings settings() {
    return settings.learningRate() == learningRate ? settings : settings.withLearningRate(learningRate);
  }

  /** Replaces the settings; the moments are kept. */
  public void setSettings(Settings s) {
    this.settings = java.util.Objects.requireNonNull(s, "settings");
    this.learningRate = s.learningRate();
  }

  /**
   * Sets the learning rate of the next steps (a schedule's, once per mini-batch), without allocating;
   * the moments are kept.
   *
   * @throws IllegalArgumentException unless finite and &gt; 0
   */
  public void setLearningRate(float lr) {
    if (!(lr > 0) || !Float.isFinite(lr)) {
      throw new IllegalArgumentException("learningRate must be finite and > 0, got " + lr);
    }
    this.learningRate = lr;
  }

  /** Steps taken so far. */
  public long steps() {
    return t;
  }

  /**
   * One update of every parameter from its current gradient (the gradients are not modified).
   *
   * @throws IllegalStateException when a gradient element is not finite, naming the parameter and
   *     element; no value, moment or step count has changed
   */
  public void step() {
    for (Parameter p : params) {
      float[] g = p.gradient();
      for (int i = 0; i < g.length; i++) {
        if (!Float.isFinite(g[i])) {
          throw new IllegalStateException("Adam: the gradient " + p.name() + "[" + i + "] is not finite (" + g[i]
              + "); nothing was updated");
        }
      }
    }
    t++;
    Settings s = settings;
    double c1 = 1 - Math.pow(s.beta1(), t);
    double c2 = 1 - Math.pow(s.beta2(), t);
    // lr / (1 - beta1^t) and 1 / sqrt(1 - beta2^t) folded once per step instead of per element.
    float lrHat = (float) (learningRate / c1);
    float invSqrtC2 = (float) (1 / Math.sqrt(c2));
    float b1 = s.beta1();
    float b2 = s.beta2();
    float eps = s.eps();
    float rate = learningRate * s.weightDecay();
    for (int k = 0; k < params.length; k++) {
      float decay = params[k].decayed() ? rate : 0f;
      float[] w = params[k].values();
      float[] g = params[k].gradient();
      float[] mk = m[k];
      float[] vk = v[k];
      for (int i = 0; i < w.length; i++) {
        float gi = g[i];
        float mi = b1 * mk[i] + (1 - b1) * gi;
        float vi = b2 * vk[i] + (1 - b2) * gi * gi;
        mk[i] = mi;
        vk[i] = vi;
        w[i] = w[i] - lrHat * mi / ((float) Math.sqrt(vi) * invSqrtC2 + eps) - decay * w[i];
      }
    }
  }
}
