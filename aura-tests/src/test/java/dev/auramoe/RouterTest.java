package dev.auramoe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.auramoe.balance.BalanceConfig;
import dev.auramoe.cell.CellConfig;
import dev.auramoe.experts.Experts;
import dev.auramoe.routing.RouteBuffer;
import dev.auramoe.routing.RoutingDecision;
import dev.auramoe.spiking.AttentionConfig;
import dev.auramoe.testing.Models;
import dev.auramoe.testing.Props;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The router: softmax(logits / T) with top-k selection on probability plus balancing bias, and
 * mixing weights that are the probabilities renormalised over the chosen set.
 */
class RouterTest {

  private static final String S = MixtureOfExperts.DEFAULT_STREAM;

  private static MixtureOfExperts model(int d, int experts, int k, BalanceConfig balance, long seed) {
    return MixtureOfExperts.builder(d, 1).experts(Experts.nlms("e", experts, d, 1, 0.5)).topK(k)
        .cell(CellConfig.DEFAULT.withHidden(8)).balance(balance).seed(seed).build();
  }

  /** Expected selection: top-k of p + b by value, ties to the lower index (the score is a float sum). */
  private static int[] expectedSelection(RouteBuffer b, float[] bias, int k) {
    float[] score = new float[bias.length];
    for (int e = 0; e < bias.length; e++) {
      score[e] = b.probability(e) + bias[e];
    }
    return IntStream.range(0, score.length).boxed()
        .sorted(Comparator.<Integer>comparingDouble(e -> -score[e]).thenComparing(e -> e)).limit(k)
        .mapToInt(Integer::intValue).toArray();
  }

  @Test
  void everyDecisionIsAValidSparseMixtureOverRandomModelsAndInputs() {
    Props.forAll(2024, 150, g -> {
      int experts = g.intIn(1, 8);
      int k = g.intIn(1, experts);
      int d = g.intIn(1, 5);
      BalanceConfig bc = g.oneOf(BalanceConfig.DEFAULT, BalanceConfig.OFF,
          new BalanceConfig(true, 0.05, 0.5, 0.3, 3, false), new BalanceConfig(true, 1.0, 0.0, 5.0, 0, false));
      MixtureOfExperts m = model(d, experts, k, bc, g.intIn(0, 99));
      m.setTemperature((float) Math.exp(g.doubleIn(Math.log(1e-3), Math.log(1e3))));
      RouteBuffer b = m.newRouteBuffer();
      for (int t = 0; t < 30; t++) {
        float[] x = g.chance(0.3) ? g.extremeVector(d, 1e30f) : g.gaussianVector(d, g.doubleIn(0.1, 10));
        float[] bias = m.balanceState().bias();
        m.route(S, x, b);
        Models.assertValid(b, k, experts);
        Models.assertWeightsAreRenormalisedProbabilities(b);
        int[] chosen = Arrays.copyOf(b.expertsArray(), k);
        assertThat(chosen).as("top-k of p + bias, ties to the lower index").containsExactly(expectedSelection(b, bias, k));
      }
    });
  }

  @Test
  void routeReturnsTheSameDecisionAsTheBufferOverload() {
    MixtureOfExperts a = model(3, 5, 2, BalanceConfig.DEFAULT, 7);
    MixtureOfExperts c = Models.copy(a);
    RouteBuffer b = c.newRouteBuffer();
    for (int t = 0; t < 20; t++) {
      float[] x = {t * 0.3f, -t * 0.1f, 1f};
      RoutingDecision d = a.route(S, x);
      c.route(S, x, b);
      assertThat(d).isEqualTo(b.toDecision());
      assertThat(d.k()).isEqualTo(2);
      assertThat(d.steps()).isEqualTo(1);
      assertThat(d.temperature()).isEqualTo(1f);
    }
    assertThat(a.digest()).isEqualTo(c.digest());
  }

  @Test
  void biasChangesTheSelectionButNeverTheMixingWeights() {
    // Frozen: the injected bias is applied and stays put (OFF would not apply it at all).
    MixtureOfExperts m = model(4, 6, 2, BalanceConfig.DEFAULT.withFrozen(true), 3);
    MixtureOfExperts unbiased = Models.copy(m);
    // A bias that strongly prefers the experts the router likes least.
    float[] bias = {0.9f, -0.9f, 0.5f, -0.2f, 0.7f, -0.5f};
    m.state().balancer().restore(bias, new float[6], new long[6], 0, 0);
    RouteBuffer b = m.newRouteBuffer();
    RouteBuffer u = unbiased.newRouteBuffer();
    int selectionsChanged = 0;
    for (int t = 0; t < 40; t++) {
      float[] x = {(float) Math.sin(t), (float) Math.cos(0.7 * t), t % 3 - 1f, 0.5f};
      m.route(S, x, b);
      unbiased.route(S, x, u);
      assertThat(b.probabilitiesArray()).as("the bias never touches the probabilities").containsExactly(u.probabilitiesArray());
      Models.assertWeightsAreRenormalisedProbabilities(b);
      Models.assertWeightsAreRenormalisedProbabilities(u);
      assertThat(Arrays.copyOf(b.expertsArray(), 2)).containsExactly(expectedSelection(b, bias, 2));
      if (!Arrays.equals(Arrays.copyOf(b.expertsArray(), 2), Arrays.copyOf(u.expertsArray(), 2))) {
        selectionsChanged++;
      }
    }
    assertThat(selectionsChanged).as("the bias changed which experts were chosen").isGreaterThan(10);
  }

  @Test
  void weightsStayFiniteWhenTheBiasSelectsAnExpertWithTinyProbability() {
    // Regression: the weights were p * (1 / sum); with a subnormal sum the reciprocal overflowed and
    // the weight became Infinity (then NaN predictions and a corrupted expert after learn).
    MixtureOfExperts m = model(2, 2, 1, BalanceConfig.DEFAULT.withFrozen(true), 1);
    RouteBuffer b = m.newRouteBuffer();
    Models.copy(m).route(S, new float[] {1f, -1f}, b);
    int weaker = b.probability(0) < b.probability(1) ? 0 : 1;
    float[] bias = new float[2];
    bias[weaker] = 1f;
    bias[1 - weaker] = -1f;
    m.state().balancer().restore(bias, new float[2], new long[2], 0, 0);
    int subnormalChosen = 0;
    float subnormalT = Float.NaN;
    for (double lt = -6; lt < 0; lt += 0.001) {
      m.setTemperature((float) Math.pow(10, lt));
      m.resetAllStreams();
      m.route(S, new float[] {1f, -1f}, b);
      Models.assertValid(b, 1, 2);
      assertThat(b.weight(0)).as("a single chosen expert has weight exactly 1").isEqualTo(1f);
      float p = b.probability(b.expert(0));
      // Approx.exp clamps its argument at -87, so probabilities bottom out near 1e-38 instead of
      // going subnormal; "tiny" is what this regression needs.
      if (p > 0 && p < 1e-30f) {
        subnormalChosen++;
        subnormalT = m.temperature();
      }
    }
    assertThat(subnormalChosen).as("the sweep reached probabilities below 1e-30").isGreaterThan(20);
    // Learning through such a route must keep the model finite.
    m.setTemperature(subnormalT);
    m.resetAllStreams();
    float[] yHat = new float[1];
    for (int t = 0; t < 5; t++) {
      m.learn(S, new float[] {1f, -1f}, new float[] {2f}, yHat);
      assertThat(Float.isFinite(yHat[0])).isTrue();
    }
    for (int e = 0; e < 2; e++) {
      for (float w : ((dev.auramoe.experts.AdaptiveExpert) m.expert(e)).state()) {
        assertThat(Float.isFinite(w)).isTrue();
      }
    }
  }

  private static float[] probabilitiesAt(MixtureOfExperts base, float temperature, float[] x) {
    MixtureOfExperts c = Models.copy(base);
    c.setTemperature(temperature);
    RouteBuffer b = c.newRouteBuffer();
    c.route(S, x, b);
    assertThat(b.temperature()).isEqualTo(temperature);
    return b.probabilitiesArray().clone();
  }

  @Test
  void probabilitiesAreSoftmaxOfLogitsOverTemperatureAndSharpenAsTFalls() {
    MixtureOfExperts m = model(3, 5, 2, BalanceConfig.OFF, 11);
    float[] x = {0.8f, -1.2f, 0.4f};
    float[] temps = {100f, 10f, 3f, 1f, 0.5f, 0.2f, 0.1f, 0.05f};
    float[][] p = new float[temps.length][];
    for (int i = 0; i < temps.length; i++) {
      p[i] = probabilitiesAt(m, temps[i], x);
    }
    // The same state and logits for every T: T * log(p_i / p_0) is the logit difference, whatever T.
    double[] logitDiff = new double[5];
    for (int e = 0; e < 5; e++) {
      logitDiff[e] = temps[3] * Math.log((double) p[3][e] / p[3][0]);
    }
    assertThat(Arrays.stream(logitDiff).map(Math::abs).max().orElse(0)).as("logits differ").isGreaterThan(0.01);
    for (int i = 0; i < 6; i++) { // leave out the sharpest, where small probabilities lose relative precision
      for (int e = 0; e < 5; e++) {
        assertThat(temps[i] * Math.log((double) p[i][e] / p[i][0])).as("T=%s, expert %d", temps[i], e)
            .isCloseTo(logitDiff[e], within(2e-3 * Math.max(1, temps[i])));
      }
    }
    int argmax = 0;
    for (int e = 1; e < 5; e++) {
      if (logitDiff[e] > logitDiff[argmax]) {
        argmax = e;
      }
    }
    double prevMax = 0;
    double prevEntropy = Double.MAX_VALUE;
    for (int i = 0; i < temps.length; i++) {
      double entropy = 0;
      for (float q : p[i]) {
        entropy -= q > 0 ? q * Math.log(q) : 0;
      }
      assertThat((double) p[i][argmax]).as("max probability at T=%s", temps[i]).isGreaterThan(prevMax);
      assertThat(entropy).as("entropy at T=%s", temps[i]).isLessThan(prevEntropy);
      prevMax = p[i][argmax];
      prevEntropy = entropy;
    }
    // Each distribution is the softmax of the recovered logits at its temperature.
    for (int i = 0; i < temps.length; i++) {
      double z = 0;
      for (int e = 0; e < 5; e++) {
        z += Math.exp((logitDiff[e] - logitDiff[argmax]) / temps[i]);
      }
      for (int e = 0; e < 5; e++) {
        assertThat((double) p[i][e]).as("softmax at T=%s, expert %d", temps[i], e)
            .isCloseTo(Math.exp((logitDiff[e] - logitDiff[argmax]) / temps[i]) / z, within(1e-4));
      }
    }
    assertThat(p[0][argmax]).as("T=100 is near uniform").isCloseTo(0.2f, within(0.02f));
  }

  @Test
  void extremeTemperaturesStillGiveAProbabilityDistribution() {
    // Regression: below ~3e-39 the inverse temperature overflowed to Infinity and 0 * Infinity made
    // every probability NaN (and selection ignored both router and bias).
    MixtureOfExperts m = model(3, 4, 2, BalanceConfig.OFF, 5);
    float[] x = {0.3f, 1f, -2f};
    float[] sharp = probabilitiesAt(m, 1e-6f, x);
    for (float t : new float[] {Float.MIN_VALUE, 1e-40f, Float.MIN_NORMAL, 1e-30f, 1e-6f}) {
      MixtureOfExperts c = Models.copy(m);
      c.setTemperature(t);
      RouteBuffer b = c.newRouteBuffer();
      c.route(S, x, b);
      Models.assertValid(b, 2, 4);
      assertThat(b.probabilitiesArray()).as("T=%s is hard routing", t).containsExactly(sharp);
    }
    for (float t : new float[] {1e30f, Float.MAX_VALUE}) {
      MixtureOfExperts c = Models.copy(m);
      c.setTemperature(t);
      RouteBuffer b = c.newRouteBuffer();
      c.route(S, x, b);
      Models.assertValid(b, 2, 4);
      for (int e = 0; e < 4; e++) {
        assertThat(b.probability(e)).as("T=%s is uniform", t).isCloseTo(0.25f, within(1e-6f));
      }
    }
  }

  @Test
  void attentionGainDividesTheTemperature() {
    AttentionConfig ac = new AttentionConfig(1000, 2, 0.7f, 3f, 1e-3f);
    MixtureOfExperts m = MixtureOfExperts.builder(3, 1).experts(Experts.nlms("e", 4, 3, 1, 0.5)).topK(2)
        .cell(CellConfig.DEFAULT.withHidden(8)).balance(BalanceConfig.OFF).attention(ac).temperature(0.8f).build();
    float[] x = {1f, 0.5f, -0.5f};
    RouteBuffer b = m.newRouteBuffer();
    int[][] calls = {{7, 7, 7}, {7, 9}, {7}, {}, {3, 3, 3, 3, 3}};
    for (int[] tokens : calls) {
      MixtureOfExperts without = Models.copy(m);
      m.route(S, x, Float.NaN, tokens, b);
      float gain = m.attention(S).gain();
      float focus = m.attention(S).focus();
      assertThat(gain).isEqualTo(1f + 3f * focus);
      assertThat(b.temperature()).as("effective temperature for %s", Arrays.toString(tokens)).isEqualTo(0.8f / gain);
      // The same routing as a model without tokens at temperature T / gain.
      without.setTemperature(0.8f / gain);
      RouteBuffer w = without.newRouteBuffer();
      without.route(S, x, w);
      assertThat(b.probabilitiesArray()).containsExactly(w.probabilitiesArray());
    }
    assertThat(b.temperature()).as("repeated tokens raise focus and sharpen routing").isLessThan(0.8f / 1.5f);
  }
}
