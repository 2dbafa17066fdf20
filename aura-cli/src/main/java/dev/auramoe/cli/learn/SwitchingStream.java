package dev.auramoe.cli.learn;

import java.util.Locale;
import java.util.Random;

/**
 * A seeded stream of the family of {@code aura learn-bench}: a hidden regime switches over time and
 * each regime is its own noisy linear map, with its own input mean:
 *
 * <pre>
 * x_t = mu_r + N(0, I)                       mu_r = offset * N(0, I), drawn once per regime
 * z_t = A_r x_t / sqrt(d) + b_r + sigma * N(0, I)
 * regression:     y_t = z_t (one output)
 * classification: y_t = argmax_c z_t[c]      (one of {@link Spec#classes} classes)
 * </pre>
 *
 * <p>Dwell times are geometric with mean {@link Spec#meanDwell}: after each instance the stream
 * leaves its regime with probability {@code 1 / meanDwell}, always for another one (unlike the demo's
 * {@code RegimeStream}, which redraws and may stay, and whose input spread and regime weights are
 * fixed; its seeded output is left as it is so that the demo's figures stay reproducible).
 *
 * <p>Recurring streams switch among {@code regimes} fixed regimes, uniformly among the others. On a
 * stream without recurrence every switch brings a regime never seen before (fresh {@code A}, {@code b},
 * {@code mu}), so a learner cannot reuse anything it learned, and the regime count does not matter.
 *
 * <p>A gradual transition ({@code ramp > 0}) mixes the old and the new regime for {@code ramp}
 * instances: instance {@code i} of the ramp comes from the new one with probability
 * {@code (i + 1) / (ramp + 1)}; no switch is drawn during a ramp. Each instance still has one true
 * regime, the one that produced it, which {@link #next} returns for the oracle and which a learner
 * must never see.
 */
public final class SwitchingStream {

  /** Learning task of a stream. */
  public enum Task {
    /** A numeric target. */
    REGRESSION("reg"),
    /** A class target: the argmax of the regime's linear map. */
    CLASSIFICATION("cls");

    private final String tag;

    Task(String tag) {
      this.tag = tag;
    }

    /** Short name in a stream's name. */
    public String tag() {
      return tag;
    }
  }

  /** How far apart the regimes' input means lie: the standard deviation of each mean's coordinates. */
  public enum Offset {
    /** Same input distribution in every regime: the regime shows only in y. */
    NONE(0.0),
    /** Means overlapping the unit input spread. */
    WEAK(0.5),
    /** Means well apart. */
    STRONG(2.0);

    private final double scale;

    Offset(double scale) {
      this.scale = scale;
    }

    /** Standard deviation of a regime mean's coordinates (inputs have unit spread around it). */
    public double scale() {
      return scale;
    }
  }

  /**
   * One stream of the grid.
   *
   * @param task regression or classification
   * @param inputs input dimension, &gt;= 1
   * @param regimes regimes of a recurring stream, &gt;= 2
   * @param meanDwell mean instances per visit of a regime, &gt;= 1
   * @param offset spread of the regimes' input means
   * @param noise sigma of the noise on the linear map, &gt;= 0
   * @param ramp instances of a gradual transition, 0 for abrupt switches
   * @param recurring whether regimes come back (else every switch brings a fresh one)
   * @param classes classes of a classification stream (ignored for regression), &gt;= 2
   * @param instances instances to run, &gt; 0
   * @param seed seed of the stream
   */
  public record Spec(Task task, int inputs, int regimes, int meanDwell, Offset offset, double noise, int ramp,
      boolean recurring, int classes, long instances, long seed) {

    /** Validates. */
    public Spec {
      if (task == null || offset == null) {
        throw new IllegalArgumentException("task and offset are required");
      }
      if (inputs < 1 || regimes < 2 || meanDwell < 1 || ramp < 0 || classes < 2 || instances <= 0) {
        throw new IllegalArgumentException("need inputs >= 1, regimes >= 2, meanDwell >= 1, ramp >= 0, classes >= 2, "
            + "instances > 0; got " + inputs + ", " + regimes + ", " + meanDwell + ", " + ramp + ", " + classes + ", "
            + instances);
      }
      if (!(noise >= 0) || Double.isInfinite(noise)) {
        throw new IllegalArgumentException("noise must be finite and >= 0, got " + noise);
      }
    }

    /** Copy with another instance count. */
    public Spec withInstances(long n) {
      return new Spec(task, inputs, regimes, meanDwell, offset, noise, ramp, recurring, classes, n, seed);
    }

    /** Outputs of the linear map: 1 for regression, the classes for classification. */
    public int outputs() {
      return task == Task.REGRESSION ? 1 : classes;
    }

    /** A name that says every parameter but the seed, e.g. {@code reg-d16-r4-w250-strong-abrupt-rec-s0.1}. */
    public String name() {
      return String.format(Locale.ROOT, "%s-d%d-r%s-w%d-%s-%s-%s-s%s", task.tag(), inputs,
          recurring ? Integer.toString(regimes) : "new", meanDwell, offset.name().toLowerCase(Locale.ROOT),
          ramp == 0 ? "abrupt" : "ramp" + ramp, recurring ? "rec" : "fresh", trim(noise))
          + (task == Task.CLASSIFICATION ? "-c" + classes : "");
    }

    private static String trim(double v) {
      String s = Double.toString(v);
      return s.endsWith(".0") ? s.substring(0, s.length() - 2) : s;
    }
  }

  private final Spec spec;
  private final int d;
  private final int out;
  private final Random params;
  private final Random rng;
  private final double scale;
  /** Parameters by slot: the regimes of a recurring stream, or the current and the previous one of a fresh one. */
  private final float[][] mu;
  private final float[][] a;
  private final float[][] b;
  private final int[] slotRegime;
  private final float[] z;
  private int slot;
  private int previousSlot = -1;
  private int rampLeft;
  private int nextRegime;
  private double target;

  /** The stream of {@code spec}, at its first instance. */
  public SwitchingStream(Spec spec) {
    this.spec = spec;
    this.d = spec.inputs();
    this.out = spec.outputs();
    this.params = new Random(spec.seed());
    this.rng = new Random(spec.seed() * 0x9E3779B97F4A7C15L + 1);
    this.scale = 1.0 / Math.sqrt(d);
    int slots = spec.recurring() ? spec.regimes() : 2;
    mu = new float[slots][d];
    a = new float[slots][out * d];
    b = new float[slots][out];
    slotRegime = new int[slots];
    z = new float[out];
    for (int s = 0; s < slots; s++) {
      draw(s);
    }
    slot = spec.recurring() ? rng.nextInt(slots) : 0;
  }

  private void draw(int s) {
    slotRegime[s] = nextRegime++;
    for (int i = 0; i < d; i++) {
      mu[s][i] = (float) (params.nextGaussian() * spec.offset().scale());
    }
    for (int i = 0; i < out * d; i++) {
      a[s][i] = (float) params.nextGaussian();
    }
    for (int o = 0; o < out; o++) {
      b[s][o] = (float) params.nextGaussian();
    }
  }

  /** What this stream is. */
  public Spec spec() {
    return spec;
  }

  /**
   * Regimes drawn so far (an upper bound of the ids {@link #next} returns, plus one): {@code regimes}
   * for a recurring stream, growing with every switch for a fresh one.
   */
  public int regimesDrawn() {
    return nextRegime;
  }

  /**
   * Draws the next instance: its inputs into {@code x} (length {@code inputs}), its target into
   * {@link #target()}.
   *
   * @return the true regime that produced it (0-based, for an oracle only)
   */
  public int next(float[] x) {
    int s = slot;
    if (rampLeft > 0) {
      int i = spec.ramp() - rampLeft;
      if (rng.nextDouble() >= (i + 1.0) / (spec.ramp() + 1.0)) {
        s = previousSlot;
      }
      rampLeft--;
    }
    for (int i = 0; i < d; i++) {
      x[i] = (float) (mu[s][i] + rng.nextGaussian());
    }
    float[] as = a[s];
    for (int o = 0; o < out; o++) {
      double v = b[s][o];
      for (int i = 0; i < d; i++) {
        v += as[o * d + i] * x[i] * scale;
      }
      z[o] = (float) (v + spec.noise() * rng.nextGaussian());
    }
    if (spec.task() == Task.REGRESSION) {
      target = z[0];
    } else {
      int best = 0;
      for (int o = 1; o < out; o++) {
        if (z[o] > z[best]) {
          best = o;
        }
      }
      target = best;
    }
    int regime = slotRegime[s];
    if (rampLeft == 0 && rng.nextDouble() < 1.0 / spec.meanDwell()) {
      switchRegime();
    }
    return regime;
  }

  private void switchRegime() {
    int slots = slotRegime.length;
    previousSlot = slot;
    if (spec.recurring()) {
      int n = rng.nextInt(slots - 1);
      slot = n >= slot ? n + 1 : n;
    } else {
      slot = 1 - slot;
      draw(slot);
    }
    rampLeft = spec.ramp();
  }

  /**
   * The noise-free map of recurring regime {@code regime} at x, {@code A_r x / sqrt(d) + b_r}, into
   * {@code zOut} (length outputs): what an oracle that knows every regime's parameters would predict.
   */
  void map(int regime, float[] x, double[] zOut) {
    float[] as = a[regime];
    for (int o = 0; o < out; o++) {
      double v = b[regime][o];
      for (int i = 0; i < d; i++) {
        v += as[o * d + i] * x[i] * scale;
      }
      zOut[o] = v;
    }
  }

  /** {@code -|x - mu_r|^2 / 2}: the log density of x under recurring regime r, up to a constant. */
  double inputLogDensity(int regime, float[] x) {
    double s = 0;
    for (int i = 0; i < d; i++) {
      double v = x[i] - mu[regime][i];
      s += v * v;
    }
    return -s / 2;
  }

  /** Target of the last instance: the value (regression) or the class index (classification). */
  public double target() {
    return target;
  }
}
