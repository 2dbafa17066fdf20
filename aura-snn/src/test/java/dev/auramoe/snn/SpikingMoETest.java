package dev.auramoe.snn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.balance.BalanceConfig;
import dev.auramoe.seq.Adam;
import dev.auramoe.seq.Parameter;
import dev.auramoe.seq.SequenceBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SpikingMoETest {

  private static SpikingMoE.Config small(boolean spiking) {
    SpikingMoE.Config c = new SpikingMoE.Config(2, 8, 8, 3, 3, 3, 4, 3, 2, 5, LifConfig.DEFAULT.withDetachReset(false),
        BalanceConfig.OFF, true, 7);
    return spiking ? c : c.twin();
  }

  /** The model of a variant: "twin", "direct" (spiking, direct current) or "rate" (spiking, rate coded). */
  private static SpikingMoE.Config small(String variant) {
    return switch (variant) {
      case "twin" -> small(false);
      case "direct" -> small(true);
      case "rate" -> small(true).withEncoding(Encoding.RATE);
      default -> throw new IllegalArgumentException(variant);
    };
  }

  private static SequenceBatch batch(int size, int features, Random r, int classes) {
    return batch(size, features, r, classes, false);
  }

  /** Standard normal pixels, or uniform intensities in [0, 1] for a rate-coded model. */
  static SequenceBatch batch(int size, int features, Random r, int classes, boolean intensities) {
    SequenceBatch b = new SequenceBatch(features, 0);
    b.reshape(size, 1);
    for (int i = 0; i < size * features; i++) {
      b.x()[i] = intensities ? r.nextFloat() : (float) r.nextGaussian();
    }
    for (int i = 0; i < size; i++) {
      b.labels()[i] = r.nextInt(classes);
      b.elapsed()[i] = Float.NaN;
      b.first()[i] = 0;
    }
    return b;
  }

  /**
   * The model's wiring: its backward pass against finite differences of its own loss, the spiking
   * neurons replaced by their smooth twins (every layer's gradient is checked exactly, in double
   * precision, in its own test; this one checks that the layers are chained right: each layer's
   * gradient reaches the right buffer, the residual streams add, the steps of the encoder's current
   * sum, or, rate coded, each step's convolution of its own spikes). In float, so per-element agreement is loose: the check is, for each parameter whose loss
   * moves measurably, the cosine between the two gradients over a sample of its elements and the
   * ratio of their norms (a single cosine over all parameters is dominated by the head and the
   * experts, and would not see a layer upstream of them lose a branch's gradient). Biases followed by
   * batch normalisation have no gradient and are left out by the threshold. The spiking model's router
   * is left out: its straight-through gradient is not the derivative of its forward pass
   * (MoeLayerTest checks it against the function it is the derivative of).
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"twin", "direct", "rate"})
  void backwardMatchesFiniteDifferencesOfTheLoss(String variant) {
    SpikingMoE model = new SpikingMoE(small(variant), true);
    boolean spiking = model.config().spiking();
    Random r = new Random(11);
    SequenceBatch b = batch(3, model.inputDim(), r, 3, variant.equals("rate"));
    model.lossAndGradients(b);
    float eps = 1e-2f;
    List<String> checked = new ArrayList<>();
    for (Parameter p : model.parameters()) {
      if (spiking && p.name().startsWith("moe.router")) {
        continue;
      }
      float[] v = p.values();
      float[] g = p.gradient().clone();
      double dot = 0;
      double na = 0;
      double nn = 0;
      for (int s = 0; s < Math.min(6, v.length); s++) {
        int i = (s * 7919) % v.length;
        float keep = v[i];
        v[i] = keep + eps;
        double up = model.lossAndGradients(b);
        v[i] = keep - eps;
        double down = model.lossAndGradients(b);
        v[i] = keep;
        double numeric = (up - down) / (2 * eps);
        dot += g[i] * numeric;
        na += (double) g[i] * g[i];
        nn += numeric * numeric;
      }
      if (Math.sqrt(nn) < 1e-3) {
        continue;
      }
      checked.add(p.name());
      assertThat(dot / Math.sqrt(na * nn)).as("cosine of analytic and numeric gradients of %s", p.name())
          .isGreaterThan(0.95);
      assertThat(Math.sqrt(na / nn)).as("norm of analytic over numeric gradient of %s", p.name())
          .isBetween(0.8, 1.25);
    }
    assertThat(checked).as("the loss moves with every layer").contains("conv1.W", "conv2.W", "attention.q.W",
        "attention.k.W", "attention.v.W", "attention.o.W", "moe.expert0.up.W", "head.W");
  }

  /**
   * The spiking model (direct current or rate coded) and its twin learn a small task: which quarter
   * of the image is lit.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"twin", "direct", "rate"})
  void learnsWhichQuarterIsLit(String variant) {
    SpikingMoE.Config cfg = new SpikingMoE.Config(1, 8, 8, 4, 2, 4, 8, 3, 2, 8, LifConfig.DEFAULT,
        BalanceConfig.DEFAULT, true, 3);
    boolean spiking = !variant.equals("twin");
    boolean rate = variant.equals("rate");
    SpikingMoE model = new SpikingMoE(!spiking ? cfg.twin() : rate ? cfg.withSteps(8).withEncoding(Encoding.RATE)
        : cfg);
    Random r = new Random(5);
    Adam adam = new Adam(model.parameters(), new Adam.Settings(5e-3f, 0.9f, 0.999f, 1e-8f, 0f));
    for (int step = 0; step < 150; step++) {
      model.trainStep(quarters(32, r, rate), adam, 1.0);
    }
    SequenceBatch test = quarters(200, r, rate);
    float[] out = new float[200 * 4];
    model.predict(test, out);
    int right = 0;
    for (int i = 0; i < 200; i++) {
      int best = 0;
      for (int c = 1; c < 4; c++) {
        best = out[i * 4 + c] > out[i * 4 + best] ? c : best;
      }
      right += best == test.labels()[i] ? 1 : 0;
    }
    assertThat(right).as("test accuracy out of 200").isGreaterThan(180);
    Operations ops = model.operations();
    Operations router = model.routerOperations();
    long tokens = 4;
    if (spiking) {
      // Past the encoder everything accumulates: the MACs are the first convolution's (none when it reads
      // rate-coded spikes) and the router's softmax.
      assertThat(ops.macs()).isEqualTo((rate ? 0 : 8 * 8 * 9 * 4) + tokens * 3);
      assertThat(ops.accumulates()).isGreaterThan(0);
      assertThat(router.macs()).isEqualTo(tokens * 3);
      assertThat(model.firingRates()).containsKeys("encoder", "attention.q", "attention.mask", "moe.experts",
          "head.input");
      assertThat(model.firingRates().containsKey("input")).as("the input spikes' rate").isEqualTo(rate);
      assertThat(model.firingRates().values()).allSatisfy(f -> assertThat(f).isBetween(0.0, 1.0));
    } else {
      assertThat(router.accumulates()).as("the bias, an add per logit").isEqualTo(tokens * 3);
      assertThat(router.macs()).isEqualTo(tokens * 8 * 3 + tokens * 3);
      assertThat(model.firingRates()).isEmpty();
    }
    long[][] usage = model.expertUsage();
    long total = 0;
    for (long[] row : usage) {
      for (long u : row) {
        total += u;
      }
    }
    assertThat(total).as("each token of each image reaches k experts").isEqualTo(200 * tokens * 2);
    model.resetCounts();
    assertThat(model.operations()).isEqualTo(Operations.NONE);
  }

  private static SequenceBatch quarters(int size, Random r) {
    return quarters(size, r, false);
  }

  /** Lit quarter 1.5 and noise, or, as intensities for rate coding, lit 0.8 and dark 0.1 with noise, clipped to [0, 1]. */
  private static SequenceBatch quarters(int size, Random r, boolean intensities) {
    SequenceBatch b = new SequenceBatch(64, 0);
    b.reshape(size, 1);
    for (int i = 0; i < size; i++) {
      int q = r.nextInt(4);
      b.labels()[i] = q;
      b.elapsed()[i] = Float.NaN;
      b.first()[i] = 0;
      for (int y = 0; y < 8; y++) {
        for (int x = 0; x < 8; x++) {
          boolean lit = (y < 4 ? 0 : 2) + (x < 4 ? 0 : 1) == q;
          double v = intensities ? (lit ? 0.8 : 0.1) + 0.1 * r.nextGaussian() : (lit ? 1.5 : 0) + 0.5 * r.nextGaussian();
          b.x()[i * 64 + y * 8 + x] = (float) (intensities ? Math.clamp(v, 0, 1) : v);
        }
      }
    }
    return b;
  }

  /**
   * A batch holding a NaN or an infinite pixel is refused, in training and in prediction, before it
   * changes anything: not the weights, not batch normalisation's running estimates (which a training
   * forward pass moves before any gradient exists), not the inference counts.
   */
  @ParameterizedTest(name = "pixel {0}")
  @ValueSource(floats = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY})
  void refusesNonFinitePixelsAndChangesNothing(float pixel) {
    SpikingMoE model = new SpikingMoE(small(true));
    Random r = new Random(3);
    Adam adam = new Adam(model.parameters(), new Adam.Settings(1e-3f, 0.9f, 0.999f, 1e-8f, 0f));
    for (int step = 0; step < 3; step++) {
      model.trainStep(batch(4, model.inputDim(), r, 3), adam, 1.0);
    }
    SequenceBatch clean = batch(5, model.inputDim(), r, 3);
    float[] before = new float[5 * 3];
    model.predict(clean, before);
    Operations opsBefore = model.operations();
    List<float[]> weights = new ArrayList<>();
    for (Parameter p : model.parameters()) {
      weights.add(p.values().clone());
    }
    SequenceBatch bad = batch(4, model.inputDim(), r, 3);
    bad.x()[2 * model.inputDim() + 17] = pixel;
    assertThatThrownBy(() -> model.trainStep(bad, adam, 1.0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("image 2").hasMessageContaining("finite");
    assertThatThrownBy(() -> model.predict(bad, new float[4 * 3])).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("finite");
    for (int i = 0; i < weights.size(); i++) {
      assertThat(model.parameters().get(i).values()).as(model.parameters().get(i).name()).containsExactly(weights.get(i));
    }
    assertThat(model.operations()).isEqualTo(opsBefore);
    float[] after = new float[5 * 3];
    model.predict(clean, after);
    assertThat(after).containsExactly(before);
  }

  /**
   * The running estimates of batch normalisation move only with a step that is taken: not with a
   * gradient computed without a step, and not with a step refused for a non-finite gradient (finite
   * but huge pixels overflow the activations), which leaves every prediction as it was.
   */
  @Test
  void runningEstimatesMoveOnlyWithATakenStep() {
    SpikingMoE model = new SpikingMoE(small(true));
    Random r = new Random(4);
    Adam adam = new Adam(model.parameters(), new Adam.Settings(1e-3f, 0.9f, 0.999f, 1e-8f, 0f));
    model.trainStep(batch(4, model.inputDim(), r, 3), adam, 1.0);
    float[] mean = model.norms().getFirst().runningMean().clone();
    float[] variance = model.norms().getLast().runningVariance().clone();
    model.lossAndGradients(batch(4, model.inputDim(), r, 3));
    assertThat(model.norms().getFirst().runningMean()).as("a gradient without a step").containsExactly(mean);
    SequenceBatch huge = batch(4, model.inputDim(), r, 3);
    for (int i = 0; i < 4 * model.inputDim(); i++) {
      huge.x()[i] = i % 2 == 0 ? 3e38f : -3e38f;
    }
    SequenceBatch clean = batch(5, model.inputDim(), r, 3);
    float[] before = new float[15];
    model.predict(clean, before);
    assertThatThrownBy(() -> model.trainStep(huge, adam, 1.0)).as("the step is refused")
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("finite");
    assertThat(model.norms().getFirst().runningMean()).as("a refused step").containsExactly(mean);
    assertThat(model.norms().getLast().runningVariance()).containsExactly(variance);
    float[] after = new float[15];
    model.predict(clean, after);
    assertThat(after).containsExactly(before);
    model.trainStep(batch(4, model.inputDim(), r, 3), adam, 1.0);
    assertThat(model.norms().getFirst().runningMean()).as("a step taken").isNotEqualTo(mean);
  }

  /**
   * Once warm, a prediction with its operation counts allocates nothing: every workspace has grown
   * to the batch and the counts are summed in place. (Training steps reach the same state only after
   * thousands of steps on a busy machine, while C2 compiles the Vector API kernels' callers, too slow
   * for a unit test.)
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"twin", "direct", "rate"})
  void predictionDoesNotAllocateOnceWarm(String variant) {
    SpikingMoE.Config cfg = new SpikingMoE.Config(1, 8, 8, 4, 2, 4, 8, 3, 2, 8, LifConfig.DEFAULT,
        BalanceConfig.DEFAULT, true, 3);
    boolean rate = variant.equals("rate");
    SpikingMoE model = new SpikingMoE(variant.equals("twin") ? cfg.twin() : rate ? cfg.withEncoding(Encoding.RATE)
        : cfg);
    SequenceBatch b = quarters(16, new Random(4), rate);
    float[] out = new float[16 * 4];
    long allocated = dev.auramoe.testing.Allocations.ofSteadyState(() -> model.predict(b, out), 5000, 50, 40);
    assertThat(allocated).as("bytes allocated by 50 predictions").isLessThan(1_024);
  }

  @Test
  void refusesBadConfigurationsAndBatches() {
    assertThatThrownBy(() -> SpikingMoE.Config.defaults(1, 3, 8, 10)).hasMessageContaining("sides >= 4");
    assertThatThrownBy(() -> SpikingMoE.Config.defaults(1, 8, 8, 1)).hasMessageContaining("2 classes");
    assertThatThrownBy(() -> SpikingMoE.Config.defaults(1, 8, 8, 3).withSteps(0)).hasMessageContaining("[1, 64]");
    assertThatThrownBy(() -> SpikingMoE.Config.defaults(1, 8, 8, 3).twin().withSteps(4))
        .hasMessageContaining("one time step");
    assertThatThrownBy(() -> new SpikingMoE.Config(1, 8, 8, 3, 4, 16, 64, 4, 5, 128, LifConfig.DEFAULT,
        BalanceConfig.DEFAULT, true, 1)).hasMessageContaining("top-k must be in [1, 4]");
    SpikingMoE model = new SpikingMoE(SpikingMoE.Config.defaults(1, 8, 8, 3));
    SequenceBatch wrong = new SequenceBatch(63, 0);
    wrong.reshape(2, 1);
    assertThatThrownBy(() -> model.predict(wrong, new float[6])).hasMessageContaining("images of 64 values");
    SequenceBatch twoSteps = new SequenceBatch(64, 0);
    twoSteps.reshape(2, 2);
    assertThatThrownBy(() -> model.predict(twoSteps, new float[6])).hasMessageContaining("one step of pixels");
  }
}
