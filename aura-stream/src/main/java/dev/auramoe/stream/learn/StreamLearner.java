package dev.auramoe.stream.learn;

import dev.auramoe.Defaults;
import dev.auramoe.MixtureOfExperts;
import dev.auramoe.TextEmbedder;
import dev.auramoe.cell.CellConfig;
import dev.auramoe.energy.EnergyReport;
import dev.auramoe.experts.Experts;
import dev.auramoe.routing.RouteBuffer;
import dev.auramoe.stream.data.Instance;
import dev.auramoe.stream.data.Schema;
import dev.auramoe.stream.drift.DriftDetector;
import dev.auramoe.stream.io.Printable;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

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
 * before the instance, then learns from it. Text columns reach the mixture through the {@link
 * TextEmbedder} the builder is given ({@link FeatureEncoder}). An instance whose target is missing is predicted and
 * not learned from. Not thread-safe; allocation-free per instance.
 *
 * <p><b>Drift.</b> With a {@link DriftDetector}, every labelled instance's error goes to it (1 for a
 * wrong class, 0 for a right one; for regression the absolute error over three running standard
 * deviations of the target, capped at 1). By default two detectors run: one on the mixture's
 * errors and one on those of a <em>sentinel</em>, one linear model beside the mixture that learns
 * from the first {@value #SENTINEL_LEARNING} instances (and again after each detection), averaging
 * its weights, and is frozen in between: the mixture often adapts within a few hundred instances, so its error
 * hardly shows a change of concept, while the frozen sentinel's error shows it in full
 * ({@link DriftSignal}). After a
 * detection both detectors start afresh and no detection is reported for
 * {@value #QUIET_INSTANCES} instances. When the detector signals a change, the learner answers as its
 * {@link DriftResponse} says: by default it replaces the expert that served the fewest recent
 * instances with a fresh one (a place for the new concept, the others keep theirs) and raises
 * the router's learning rate for a while so that routing re-forms quickly.
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
  private final DriftDetector detector;
  private final DriftDetector sentinelDetector;
  private final DriftResponse response;
  private final Sentinel sentinel;
  private final float[] sentinelOut;
  private final List<Long> detections = new ArrayList<>();
  private final double[] recentUse;
  private final float routerRate;
  private long boostLeft;
  private long quietLeft;
  private long seen;
  private long targetCount;
  private double targetMean;
  private double targetM2;

  private StreamLearner(Builder b) {
    this.schema = b.schema;
    this.encoder = new FeatureEncoder(schema, b.textEmbedder);
    this.classification = schema.isClassification();
    this.classes = schema.classes();
    if (classification && classes < 2) {
      throw new IllegalArgumentException("the target " + Printable.quoted(schema.target().name()) + " has "
          + (classes == 1 ? "1 class (" + Printable.quoted(schema.target().values().get(0)) + ")" : "no class")
          + ": a classifier needs at least 2");
    }
    int topK = b.topK == 0 ? Math.min(Defaults.TOP_K, b.experts) : b.topK;
    if (topK > b.experts) {
      throw new IllegalArgumentException("top-k " + topK + " is more than the " + b.experts + " experts");
    }
    int d = encoder.dimension();
    int out = classification ? classes : 1;
    MixtureOfExperts.Builder mb = MixtureOfExperts.builder(d, out)
        .experts(classification ? Experts.softmax("c", b.experts, d, classes, b.mu, b.leak)
            : Experts.nlms("r", b.experts, d, 1, b.mu))
        .cell(CellConfig.DEFAULT.withHidden(b.hidden)).topK(topK)
        .routerLearningRate(b.routerLearningRate).balance(b.balance).seed(b.seed)
        .temperature(b.temperature).credit(b.credit).recentErrors(b.recentErrors != null ? b.recentErrors : Defaults.recentErrors(classification));
    this.model = mb.build();
    this.x = new float[d];
    this.y = new float[out];
    this.yHat = new float[out];
    this.route = model.newRouteBuffer();
    this.detector = b.detector == null || b.signal == DriftSignal.SENTINEL ? null : b.detector.get();
    this.sentinelDetector = b.detector == null || b.signal == DriftSignal.LEARNER ? null : b.detector.get();
    this.response = b.response;
    this.sentinel = sentinelDetector == null ? null
        : new Sentinel(d, out, classification, SENTINEL_MU, SENTINEL_LEARNING);
    this.sentinelOut = new float[out];
    this.recentUse = new double[b.experts];
    this.routerRate = b.routerLearningRate;
  }

  /** Instances after a detection during which no new detection is reported. */
  public static final long QUIET_INSTANCES = 1_000;

  /** Step of the sentinel expert whose errors the drift detector watches by default. */
  public static final double SENTINEL_MU = 0.1;

  /**
   * Instances the sentinel learns from after the start and after each detection; then it is frozen,
   * so that a change of concept shows in its errors in full instead of being learned away.
   */
  public static final long SENTINEL_LEARNING = 5_000;

  /** Whose errors the drift detector watches. */
  public enum DriftSignal {
    /** The mixture's own errors. */
    LEARNER,
    /** The errors of the sentinel: a linear expert frozen after a short learning period. */
    SENTINEL,
    /**
     * Both, each with its own detector; either one's detection counts (the default). A change that
     * the fast mixture absorbs still shows in the sentinel's errors, and a change the linear
     * sentinel cannot see (or that makes its task easier) often shows in the mixture's.
     */
    BOTH
  }

  /** What the learner does when its drift detector signals a change. */
  public enum DriftResponse {
    /** Only record the detection. */
    NONE,
    /**
     * Raise the router's learning rate ({@value #BOOST} times, at most {@value #MAX_ROUTER_RATE}: the
     * normalised rule is stable below 2) for {@value #BOOST_INSTANCES} instances.
     */
    BOOST_ROUTER,
    /** Replace the least-used expert of late with a fresh one, and boost the router as above. */
    FRESH_EXPERT;

    /** Router learning-rate factor after a detection. */
    public static final float BOOST = 4f;
    /** The highest router learning rate a boost sets. */
    public static final float MAX_ROUTER_RATE = 1.9f;
    /** Instances the boost lasts. */
    public static final long BOOST_INSTANCES = 500;
  }

  /** The instances (1-based, counting every instance seen) at which drift was detected. */
  public List<Long> detections() {
    return List.copyOf(detections);
  }

  /** Whether drift was detected at the last instance. */
  public boolean driftAtLastInstance() {
    return !detections.isEmpty() && detections.get(detections.size() - 1) == seen;
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

  /**
   * The mixture's score for class {@code c} at the last {@link #testThenTrain}: its probability, from
   * what was learned before that instance (the prediction is the class with the highest). For a
   * classification target only.
   */
  public float classScore(int c) {
    if (!classification) {
      throw new IllegalStateException("a regression learner has no class scores");
    }
    return yHat[Objects.checkIndex(c, classes)];
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
    if (schema.hasText() && inst.texts() == null) {
      throw new IllegalArgumentException("the schema has text columns and the instance none: make it with new "
          + "Instance(schema)");
    }
    double target = inst.value(schema.targetIndex());
    boolean known = !Double.isNaN(target);
    // Refuse a bad target before anything moves: a refused instance changes nothing, counters included.
    if (known && classification && (target < 0 || target >= classes || (int) target != target)) {
      throw new IllegalArgumentException("class index " + target + " outside 0.." + (classes - 1));
    }
    if (known && !classification && !(Math.abs(target) <= Instance.MAX_MAGNITUDE)) {
      throw new IllegalArgumentException("target " + target + " is beyond " + Instance.MAX_MAGNITUDE
          + " in magnitude, the float range the model computes in");
    }
    encoder.encode(inst, x);
    seen++;
    double prediction;
    if (classification) {
      if (known) {
        int c = (int) target;
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
      if (known) {
        double error = best == (int) target ? 0.0 : 1.0;
        double sentinelError = 0;
        if (sentinel != null) {
          sentinel.predict(x, sentinelOut);
          int s = 0;
          for (int c = 1; c < classes; c++) {
            if (sentinelOut[c] > sentinelOut[s]) {
              s = c;
            }
          }
          sentinelError = s == (int) target ? 0.0 : 1.0;
          sentinel.learn(x, y, sentinelOut);
        }
        afterLearning(error, sentinelError);
      }
    } else {
      double sd = targetCount >= 2 ? Math.sqrt(targetM2 / (targetCount - 1)) : 1.0;
      if (!(sd > 1e-12)) {
        sd = 1.0;
      }
      if (known) {
        y[0] = (float) Math.max(-1e6, Math.min(1e6, (target - targetMean) / sd));
        model.learn(MixtureOfExperts.DEFAULT_STREAM, x, Float.NaN, null, y, yHat, route);
      } else {
        model.predict(MixtureOfExperts.DEFAULT_STREAM, x, yHat);
      }
      prediction = targetMean + sd * yHat[0];
      if (known) {
        double sentinelError = 0;
        if (sentinel != null) {
          sentinel.predict(x, sentinelOut);
          sentinelError = Math.abs(target - (targetMean + sd * sentinelOut[0])) / (3 * sd);
          sentinel.learn(x, y, sentinelOut);
        }
        afterLearning(bounded(Math.abs(target - prediction) / (3 * sd)), bounded(sentinelError));
        long n = ++targetCount;
        double d = target - targetMean;
        targetMean += d / n;
        targetM2 += d * (target - targetMean);
      }
    }
    encoder.update(inst);
    return prediction;
  }

  /**
   * A regression error for the detectors, in [0, 1]: past 1 (or NaN, should a prediction ever not be
   * finite) it is 1, the worst, so that a detector never sees a value it must refuse.
   */
  private static double bounded(double error) {
    return error >= 0 && error <= 1 ? error : 1.0;
  }

  /** Usage bookkeeping, the drift detector and its response, after a labelled instance. */
  private void afterLearning(double error, double sentinelError) {
    int k = route.k();
    int[] chosen = route.expertsArray();
    for (int e = 0; e < recentUse.length; e++) {
      recentUse[e] *= 0.999;
    }
    for (int j = 0; j < k; j++) {
      recentUse[chosen[j]] += 1.0;
    }
    if (boostLeft > 0 && --boostLeft == 0) {
      model.setRouterLearningRate(routerRate);
    }
    // Both detectors see every instance (no short circuit), so each keeps its own window.
    boolean drift = detector != null && detector.update(error);
    drift |= sentinelDetector != null && sentinelDetector.update(sentinelError);
    if (quietLeft > 0) {
      quietLeft--;
      return;
    }
    if (!drift) {
      return;
    }
    detections.add(seen);
    // Both detectors start again from the new concept, and for a while nothing counts: the
    // adaptation that follows (and the fresh expert's first errors) is not a new drift.
    if (detector != null) {
      detector.reset();
    }
    if (sentinelDetector != null) {
      sentinelDetector.reset();
      sentinel.reset();
    }
    quietLeft = QUIET_INSTANCES;
    if (response == DriftResponse.NONE) {
      return;
    }
    if (response == DriftResponse.FRESH_EXPERT) {
      int least = 0;
      for (int e = 1; e < recentUse.length; e++) {
        if (recentUse[e] < recentUse[least]) {
          least = e;
        }
      }
      model.resetExpert(least);
      recentUse[least] = 0;
    }
    model.setRouterLearningRate(Math.max(routerRate, Math.min(DriftResponse.MAX_ROUTER_RATE,
        routerRate * DriftResponse.BOOST)));
    boostLeft = DriftResponse.BOOST_INSTANCES;
  }

  /** Hyper-parameters, with defaults tuned on the project's benchmark streams. */
  public static final class Builder {
    /** The softmax experts' weight leak per step unless set. */
    public static final double DEFAULT_LEAK = 0;

    private final Schema schema;
    private int experts = Defaults.EXPERTS;
    private int hidden = Defaults.HIDDEN;
    /** 0: not set, {@link Defaults#TOP_K} capped at the experts. */
    private int topK;
    private double mu = Defaults.MU;
    private double leak = DEFAULT_LEAK;
    private float routerLearningRate = Defaults.ROUTER_LEARNING_RATE;
    private float temperature = Defaults.TEMPERATURE;
    private dev.auramoe.Credit credit = Defaults.CREDIT;
    /** Null: {@link Defaults#recentErrors} for the target's kind. */
    private dev.auramoe.RecentErrors recentErrors;
    private long seed = Defaults.SEED;
    private dev.auramoe.balance.BalanceConfig balance = dev.auramoe.balance.BalanceConfig.DEFAULT;
    private Supplier<? extends DriftDetector> detector;
    private DriftResponse response = DriftResponse.FRESH_EXPERT;
    private DriftSignal signal = DriftSignal.BOTH;
    private TextEmbedder textEmbedder;

    private Builder(Schema schema) {
      this.schema = Objects.requireNonNull(schema, "schema");
    }

    /** Number of experts (default {@link Defaults#EXPERTS}). */
    public Builder experts(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("experts must be >= 1, got " + n);
      }
      this.experts = n;
      return this;
    }

    /** Hidden units of the liquid router (default {@link Defaults#HIDDEN}). */
    public Builder hidden(int h) {
      this.hidden = h;
      return this;
    }

    /**
     * Experts per instance (default {@link Defaults#TOP_K}, or 1 with a single expert); {@link #build} refuses more than
     * the experts.
     */
    public Builder topK(int k) {
      if (k < 1) {
        throw new IllegalArgumentException("top-k must be >= 1, got " + k);
      }
      this.topK = k;
      return this;
    }

    /** Expert step in (0, 2) (default {@link Defaults#MU}). */
    public Builder mu(double m) {
      this.mu = m;
      return this;
    }

    /** Expert weight leak per step (default 0); a small leak forgets old concepts faster. */
    public Builder leak(double l) {
      this.leak = l;
      return this;
    }

    /** The router's learning rate (default {@link Defaults#ROUTER_LEARNING_RATE}). */
    public Builder routerLearningRate(float r) {
      this.routerLearningRate = r;
      return this;
    }

    /** The router's softmax temperature (default {@link Defaults#TEMPERATURE}). */
    public Builder temperature(float t) {
      this.temperature = t;
      return this;
    }

    /** The weight of each chosen expert's update (default {@link Defaults#CREDIT}). */
    public Builder credit(dev.auramoe.Credit c) {
      this.credit = Objects.requireNonNull(c, "credit");
      return this;
    }

    /**
     * The experts' recent errors as an input of the router (default {@link Defaults#recentErrors}: on for a
     * numeric target, off for a class target).
     */
    public Builder recentErrors(dev.auramoe.RecentErrors r) {
      this.recentErrors = Objects.requireNonNull(r, "recentErrors");
      return this;
    }

    /** Load balancing (default {@link dev.auramoe.balance.BalanceConfig#DEFAULT}). */
    public Builder balance(dev.auramoe.balance.BalanceConfig b) {
      this.balance = Objects.requireNonNull(b, "balance");
      return this;
    }

    /** Seed of the router's reservoir (default {@link Defaults#SEED}). */
    public Builder seed(long s) {
      this.seed = s;
      return this;
    }

    /** A drift detector on the learner's errors (null: none, the default), made once per learner. */
    public Builder driftDetector(Supplier<? extends DriftDetector> d) {
      this.detector = d;
      return this;
    }

    /** Whose errors the detector watches (default {@link DriftSignal#BOTH}). */
    public Builder driftSignal(DriftSignal s) {
      this.signal = Objects.requireNonNull(s, "signal");
      return this;
    }

    /** What to do on a detected drift (default {@link DriftResponse#FRESH_EXPERT}). */
    public Builder driftResponse(DriftResponse r) {
      this.response = Objects.requireNonNull(r, "response");
      return this;
    }

    /** The embedder of the schema's text columns (required when it has any; default none). */
    public Builder textEmbedder(TextEmbedder e) {
      this.textEmbedder = e;
      return this;
    }

    /**
     * The learner.
     *
     * @throws IllegalArgumentException when top-k exceeds the experts, a class target has fewer than
     *     2 classes, an expert parameter is out of range, or the schema has text columns and no
     *     {@link #textEmbedder} was given
     */
    public StreamLearner build() {
      return new StreamLearner(this);
    }
  }
}
