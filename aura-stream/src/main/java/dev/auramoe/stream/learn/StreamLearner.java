package dev.auramoe.stream.learn;

import dev.auramoe.MixtureOfExperts;
import dev.auramoe.cell.CellConfig;
import dev.auramoe.energy.EnergyReport;
import dev.auramoe.experts.Experts;
import dev.auramoe.routing.RouteBuffer;
import dev.auramoe.stream.data.Instance;
import dev.auramoe.stream.data.Schema;
import java.util.Objects;

/**
 * The liquid-routed mixture of experts applied to one stream, test-then-train.
 *
 * <ul>
 *   <li>Classification (nominal target): softmax-regression experts
 *       ({@link dev.auramoe.experts.SoftmaxExpert}) over the encoded features; the mixture's
 *       output is the gate-weighted mix of their class probabilities and the prediction its
 *       argmax. The target is the one-hot class.
 *   <li>Regression (numeric target): NLMS experts on the target standardised with its running
 *       mean and deviation; predictions are mapped back.
 * </ul>
 *
 * The router is the core's liquid cell over the same features, learning by its local rule; the
 * experts learn from their own error. {@link #testThenTrain} predicts with what was learned
 * before the instance, then learns from it. An instance whose target is missing is predicted and
 * not learned from. Not thread-safe; allocation-free per instance.
 */
public final class StreamLearner {

  private final Schema schema;
  private final FeatureEncoder encoder;
  private final MixtureOfExperts model;
  private final boolean classification;
  private final int classes;
  private final float[] x;
  private final float[] y;
  private final float[] yHat;
  private final RouteBuffer route;
  private long targetCount;
  private double targetMean;
  private double targetM2;

  private StreamLearner(Builder b) {
    this.schema = b.schema;
    this.encoder = new FeatureEncoder(schema);
    this.classification = schema.isClassification();
    this.classes = schema.classes();
    int d = encoder.dimension();
    int out = classification ? classes : 1;
    MixtureOfExperts.Builder mb = MixtureOfExperts.builder(d, out)
        .experts(classification ? Experts.softmax("c", b.experts, d, classes, b.mu, b.leak)
            : Experts.nlms("r", b.experts, d, 1, b.mu))
        .cell(CellConfig.DEFAULT.withHidden(b.hidden)).topK(Math.min(b.topK, b.experts))
        .routerLearningRate(b.routerLearningRate).seed(b.seed);
    this.model = mb.build();
    this.x = new float[d];
    this.y = new float[out];
    this.yHat = new float[out];
    this.route = model.newRouteBuffer();
  }

  /** A learner for streams of this schema. */
  public static Builder builder(Schema schema) {
    return new Builder(schema);
  }

  /** The schema this learner reads. */
  public Schema schema() {
    return schema;
  }

  /** Whether the target is a class. */
  public boolean isClassification() {
    return classification;
  }

  /** The mixture underneath (for energy, balance and routing diagnostics). */
  public MixtureOfExperts model() {
    return model;
  }

  /** Length of the encoded feature vector. */
  public int featureDimension() {
    return encoder.dimension();
  }

  /** The experts chosen for the last instance learned from, into {@code out}; returns how many. */
  public int lastExperts(int[] out) {
    int k = route.k();
    System.arraycopy(route.expertsArray(), 0, out, 0, k);
    return k;
  }

  /** Energy of all calls so far (estimate). */
  public EnergyReport energy() {
    return model.cumulativeEnergy();
  }

  /**
   * Predicts the instance's target with what was learned so far, then learns from it.
   *
   * @return the predicted class index (classification) or value (regression)
   * @throws IllegalArgumentException when the instance does not have this schema's columns
   */
  public double testThenTrain(Instance inst) {
    Objects.requireNonNull(inst, "instance");
    if (inst.values().length != schema.size()) {
      throw new IllegalArgumentException("instance has " + inst.values().length + " values, the schema "
          + schema.size() + " columns");
    }
    encoder.encode(inst, x);
    double target = inst.value(schema.targetIndex());
    boolean known = !Double.isNaN(target);
    double prediction;
    if (classification) {
      if (known) {
        int c = (int) target;
        if (c < 0 || c >= classes || c != target) {
          throw new IllegalArgumentException("class index " + target + " outside 0.." + (classes - 1));
        }
        java.util.Arrays.fill(y, 0f);
        y[c] = 1f;
        model.learn(MixtureOfExperts.DEFAULT_STREAM, x, Float.NaN, null, y, yHat, route);
      } else {
        model.predict(MixtureOfExperts.DEFAULT_STREAM, x, yHat);
      }
      int best = 0;
      for (int c = 1; c < classes; c++) {
        if (yHat[c] > yHat[best]) {
          best = c;
        }
      }
      prediction = best;
    } else {
      double sd = targetCount >= 2 ? Math.sqrt(targetM2 / (targetCount - 1)) : 1.0;
      if (!(sd > 1e-12)) {
        sd = 1.0;
      }
      if (known) {
        if (Double.isInfinite(target)) {
          throw new IllegalArgumentException("target is infinite");
        }
        y[0] = (float) Math.max(-1e6, Math.min(1e6, (target - targetMean) / sd));
        model.learn(MixtureOfExperts.DEFAULT_STREAM, x, Float.NaN, null, y, yHat, route);
      } else {
        model.predict(MixtureOfExperts.DEFAULT_STREAM, x, yHat);
      }
      prediction = targetMean + sd * yHat[0];
      if (known) {
        long n = ++targetCount;
        double d = target - targetMean;
        targetMean += d / n;
        targetM2 += d * (target - targetMean);
      }
    }
    encoder.update(inst);
    return prediction;
  }

  /** Hyper-parameters, with defaults tuned on the project's benchmark streams. */
  public static final class Builder {
    private final Schema schema;
    private int experts = 4;
    private int hidden = 16;
    private int topK = 2;
    private double mu = 0.5;
    private double leak = 0;
    private float routerLearningRate = 1f;
    private long seed = 42;

    private Builder(Schema schema) {
      this.schema = Objects.requireNonNull(schema, "schema");
    }

    /** Number of experts (default 4). */
    public Builder experts(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("experts must be >= 1, got " + n);
      }
      this.experts = n;
      return this;
    }

    /** Hidden units of the liquid router (default 16). */
    public Builder hidden(int h) {
      this.hidden = h;
      return this;
    }

    /** Experts per instance (default 2, at most the number of experts). */
    public Builder topK(int k) {
      this.topK = k;
      return this;
    }

    /** Expert step in (0, 2) (default 0.5). */
    public Builder mu(double m) {
      this.mu = m;
      return this;
    }

    /** Expert weight leak per step (default 0); a small leak forgets old concepts faster. */
    public Builder leak(double l) {
      this.leak = l;
      return this;
    }

    /** The router's learning rate (default 1). */
    public Builder routerLearningRate(float r) {
      this.routerLearningRate = r;
      return this;
    }

    /** Seed of the router's reservoir (default 42). */
    public Builder seed(long s) {
      this.seed = s;
      return this;
    }

    public StreamLearner build() {
      return new StreamLearner(this);
    }
  }
}
