package dev.auramoe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.auramoe.balance.BalanceConfig;
import dev.auramoe.cell.CellConfig;
import dev.auramoe.experts.AdaptiveExpert;
import dev.auramoe.experts.Expert;
import dev.auramoe.experts.Experts;
import dev.auramoe.experts.NlmsExpert;
import dev.auramoe.routing.RouteBuffer;
import dev.auramoe.testing.Models;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** On-line learning: specialisation on a regime-switching stream, and the exact local updates. */
class LearningTest {

  private static final String S = MixtureOfExperts.DEFAULT_STREAM;

  /**
   * Two regimes with opposite linear maps; the regime shows in x[0] (about +2 or -2), and lasts a
   * geometric number of steps (mean 40). No single linear map fits both.
   */
  static final class TwoRegimes {
    static final float[][] A = {{0f, 2f, -1f, 0.5f}, {0f, -2f, 1f, 1.5f}};
    static final float[] B = {1f, -1f};
    final Random r;
    int regime;

    TwoRegimes(long seed) {
      r = new Random(seed);
    }

    float[] next(float[] y) {
      if (r.nextDouble() < 1.0 / 40) {
        regime = 1 - regime;
      }
      float[] x = new float[4];
      x[0] = (regime == 0 ? 2f : -2f) + (float) (0.1 * r.nextGaussian());
      for (int i = 1; i < 4; i++) {
        x[i] = (float) r.nextGaussian();
      }
      double s = B[regime] + 0.05 * r.nextGaussian();
      for (int i = 0; i < 4; i++) {
        s += A[regime][i] * x[i];
      }
      y[0] = (float) s;
      return x;
    }
  }

  static final int STEPS = 6000;
  static final int TAIL = 2000;

  @ParameterizedTest(name = "{0}")
  @EnumSource(Credit.class)
  void mixtureBeatsASingleFilterAndExpertsSpecialiseOnTwoRegimes(Credit credit) {
    // k = 2: the router learns from how the chosen experts compare (with k = 1 there is nothing to compare).
    MixtureOfExperts m = MixtureOfExperts.builder(4, 1).experts(Experts.nlms("e", 4, 4, 1, 0.5)).topK(2)
        .cell(CellConfig.DEFAULT.withHidden(16)).credit(credit).seed(1).build();
    NlmsExpert single = new NlmsExpert("single", 4, 1, 0.5);
    TwoRegimes stream = new TwoRegimes(7);
    float[] y = new float[1];
    float[] yHat = new float[1];
    float[] p = new float[1];
    RouteBuffer b = m.newRouteBuffer();
    double mixTail = 0;
    double singleTail = 0;
    long[][] usage = new long[2][4]; // regime x top expert, over the tail
    for (int t = 0; t < STEPS; t++) {
      float[] x = stream.next(y);
      double se = m.learn(S, x, y, yHat, b);
      single.predict(x, p);
      double sse = Math.pow(y[0] - p[0], 2);
      single.learn(x, y, p.clone(), 1f);
      if (t >= STEPS - TAIL) {
        mixTail += se / TAIL;
        singleTail += sse / TAIL;
        usage[stream.regime][b.expert(0)]++;
      }
    }
    assertThat(singleTail).as("one linear map cannot fit both regimes").isGreaterThan(3.0);
    assertThat(mixTail).as("prequential MSE: mixture %s vs single %s; usage %s", mixTail, singleTail,
        Arrays.deepToString(usage)).isLessThan(singleTail / 10);
    // Specialisation: every expert in use serves (almost) one regime only.
    for (int e = 0; e < 4; e++) {
      long total = usage[0][e] + usage[1][e];
      if (total > TAIL / 20) {
        assertThat((double) Math.max(usage[0][e], usage[1][e]) / total)
            .as("purity of expert %d in %s", e, Arrays.deepToString(usage)).isGreaterThan(0.9);
      }
    }
  }

  private static MixtureOfExperts model(Credit credit, float routerLr) {
    return MixtureOfExperts.builder(3, 2).experts(Experts.nlms("e", 3, 3, 2, 0.6)).topK(2)
        .cell(CellConfig.DEFAULT.withHidden(8)).credit(credit).routerLearningRate(routerLr)
        .balance(BalanceConfig.DEFAULT).seed(21).build();
  }

  private static float[] x(Random r) {
    return new float[] {(float) r.nextGaussian(), (float) r.nextGaussian(), (float) r.nextGaussian()};
  }

  private static float[] y(float[] x) {
    return new float[] {x[0] - 2 * x[1] + 0.5f, 3 * x[2] - x[0]};
  }

  /** Warms a model up so that experts, router and error scale are all non-trivial. */
  private static void warmUp(MixtureOfExperts m, Random r, int n) {
    for (int t = 0; t < n; t++) {
      float[] x = x(r);
      m.learn(S, x, y(x));
    }
  }

  @Test
  void theRouterLearnsFromLearnButNeverFromRouting() {
    MixtureOfExperts m = model(Credit.GATE_WEIGHT, 0.5f);
    Random r = new Random(1);
    float[] readout = m.routerReadout();
    float[] bias = m.state().router().bias().clone();
    float[] proj = m.state().liquidCell().projection().clone();
    RouteBuffer b = m.newRouteBuffer();
    for (int t = 0; t < 200; t++) {
      m.route(S, x(r), b);
      m.predict(S, x(r));
    }
    assertThat(m.routerReadout()).as("routing alone never changes the readout").containsExactly(readout);
    assertThat(m.state().router().bias()).containsExactly(bias);
    assertThat(m.state().liquidCell().projection()).containsExactly(proj);
    warmUp(m, r, 20);
    assertThat(m.routerReadout()).as("learn moves the readout").isNotEqualTo(readout);
    assertThat(m.state().router().bias()).isNotEqualTo(bias);
    assertThat(m.state().liquidCell().projection()).as("and the router's input readout").isNotEqualTo(proj);
  }

  @Test
  void routerLearningRateZeroFreezesTheRouterButNotTheExperts() {
    MixtureOfExperts m = model(Credit.GATE_WEIGHT, 0f);
    float[] readout = m.routerReadout();
    float[] bias = m.state().router().bias().clone();
    float[] proj = m.state().liquidCell().projection().clone();
    float[] expert0 = ((AdaptiveExpert) m.expert(0)).state();
    warmUp(m, new Random(2), 300);
    assertThat(m.routerReadout()).containsExactly(readout);
    assertThat(m.state().router().bias()).containsExactly(bias);
    assertThat(m.state().liquidCell().projection()).containsExactly(proj);
    assertThat(m.learnSteps()).isEqualTo(300);
    boolean anyExpertMoved = false;
    for (int e = 0; e < 3; e++) {
      anyExpertMoved |= !Arrays.equals(((AdaptiveExpert) m.expert(e)).state(), e == 0 ? expert0 : new float[8]);
    }
    assertThat(anyExpertMoved).isTrue();
    // and a live model can be frozen the same way
    MixtureOfExperts live = model(Credit.GATE_WEIGHT, 0.5f);
    warmUp(live, new Random(3), 10);
    live.setRouterLearningRate(0f);
    float[] frozen = live.routerReadout();
    warmUp(live, new Random(4), 50);
    assertThat(live.routerReadout()).containsExactly(frozen);
  }

  @Test
  void learnReturnsThePredictionMadeBeforeTheUpdate() {
    MixtureOfExperts m = model(Credit.RESPONSIBILITY, 0.5f);
    Random r = new Random(5);
    warmUp(m, r, 50);
    for (int t = 0; t < 30; t++) {
      float[] x = x(r);
      float[] y = y(x);
      MixtureOfExperts before = Models.copy(m);
      MixtureOfExperts routeCopy = Models.copy(m);
      MixtureOfExperts replay = Models.copy(m);
      long steps = m.learnSteps();
      MixtureOfExperts.LearnResult res = m.learn(S, x, y);
      assertThat(res.prediction()).containsExactly(before.predict(S, x));
      RouteBuffer b = routeCopy.newRouteBuffer();
      routeCopy.route(S, x, b);
      assertThat(res.experts()).containsExactly(Arrays.copyOf(b.expertsArray(), 2));
      assertThat(res.weights()).containsExactly(Arrays.copyOf(b.weightsArray(), 2));
      double se = 0;
      for (int i = 0; i < 2; i++) {
        se += Math.pow((double) y[i] - res.prediction()[i], 2);
      }
      assertThat(res.squaredError()).isCloseTo(se, within(1e-6 * se + 1e-12));
      // The update happened after the prediction: the chosen experts moved.
      assertThat(m.learnSteps()).isEqualTo(steps + 1);
      for (int e : res.experts()) {
        assertThat(((AdaptiveExpert) m.expert(e)).state()).isNotEqualTo(((AdaptiveExpert) before.expert(e)).state());
      }
      // and learn is deterministic
      replay.learn(S, x, y);
      assertThat(replay.digest()).isEqualTo(m.digest());
    }
    // The buffer overloads return the same numbers.
    MixtureOfExperts a = Models.copy(m);
    MixtureOfExperts c = Models.copy(m);
    float[] x = {0.5f, -1f, 2f};
    MixtureOfExperts.LearnResult res = a.learn(S, x, y(x));
    float[] yHat = new float[2];
    RouteBuffer b = c.newRouteBuffer();
    double se = c.learn(S, x, y(x), yHat, b);
    assertThat(se).isEqualTo(res.squaredError());
    assertThat(yHat).containsExactly(res.prediction());
    assertThat(a.digest()).isEqualTo(c.digest());
  }

  @Test
  void chosenExpertsLearnFromTheirOwnErrorWeightedByTheirGateWeight() {
    MixtureOfExperts m = model(Credit.GATE_WEIGHT, 0.5f);
    Random r = new Random(6);
    warmUp(m, r, 40);
    for (int t = 0; t < 20; t++) {
      float[] x = x(r);
      float[] y = y(x);
      MixtureOfExperts probe = Models.copy(m);
      RouteBuffer b = probe.newRouteBuffer();
      probe.route(S, x, b);
      Expert[] expected = new Expert[3];
      for (int e = 0; e < 3; e++) {
        expected[e] = m.expert(e).copy();
      }
      for (int j = 0; j < 2; j++) {
        AdaptiveExpert ex = (AdaptiveExpert) expected[b.expert(j)];
        float[] own = new float[2];
        ex.predict(x, own);
        ex.learn(x, y, own, b.weight(j));
      }
      m.learn(S, x, y);
      for (int e = 0; e < 3; e++) {
        assertThat(((AdaptiveExpert) m.expert(e)).state()).as("expert %d (chosen: %s)", e, b.toDecision())
            .containsExactly(((AdaptiveExpert) expected[e]).state());
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Credit.class)
  void routerUpdateIsTheNormalisedDeltaRuleTowardTheResponsibilities(Credit credit) {
    MixtureOfExperts m = model(credit, 0.7f);
    Random r = new Random(8);
    warmUp(m, r, 30);
    int hidden = m.hidden();
    int width = m.state().liquidCell().width();
    int experts = m.expertCount();
    int improvedBest = 0;
    int discriminating = 0;
    for (int t = 0; t < 25; t++) {
      float[] x = x(r);
      float[] y = y(x);
      float[] readout0 = m.routerReadout();
      float[] bias0 = m.state().router().bias().clone();
      float[] proj0 = m.state().liquidCell().projection().clone();
      float scale0 = m.state().errorScale;
      MixtureOfExperts probe = Models.copy(m);
      RouteBuffer b = probe.newRouteBuffer();
      probe.route(S, x, b);
      float[] h = probe.state(S);
      // Each chosen expert's own error, the error scale and the responsibilities, in double.
      double[] err = new double[2];
      double minErr = Double.MAX_VALUE;
      double meanErr = 0;
      for (int j = 0; j < 2; j++) {
        float[] v = new float[2];
        probe.expert(b.expert(j)).predict(x, v);
        for (int i = 0; i < 2; i++) {
          err[j] += Math.pow(y[i] - v[i], 2);
        }
        minErr = Math.min(minErr, err[j]);
        meanErr += err[j] / 2;
      }
      double scale = scale0 == 0 ? Math.max(meanErr, 1e-12) : Math.max(0.99 * scale0 + 0.01 * meanErr, 1e-12);
      double[] resp = new double[2];
      double rsum = 0;
      double mass = 0;
      for (int j = 0; j < 2; j++) {
        double p = b.probability(b.expert(j));
        mass += p;
        resp[j] = p * Math.exp(-(err[j] - minErr) / (2 * scale));
        rsum += resp[j];
      }
      double norm = 1;
      for (float v : h) {
        norm += (double) v * v;
      }
      for (float v : x) {
        norm += (double) v * v;
      }
      m.learn(S, x, y);
      assertThat((double) m.state().errorScale).isCloseTo(scale, within(1e-5 * scale));
      float[] readout = m.routerReadout();
      float[] proj = m.state().liquidCell().projection();
      boolean[] chosen = new boolean[experts];
      for (int j = 0; j < 2; j++) {
        int e = b.expert(j);
        chosen[e] = true;
        double step = 0.7 * (mass * resp[j] / rsum - b.probability(e)) / norm;
        // Tolerance: the core works in float, and mass * resp - p cancels, so its rounding is
        // relative to the operands (mass + p), not to the difference; plus one ulp of the weight.
        double opnd = 0.7 * 2e-5 * (mass + b.probability(e)) / norm;
        assertThat((double) m.state().router().bias()[e] - bias0[e]).as("bias step of expert %d", e)
            .isCloseTo(step, within(opnd + Math.ulp(bias0[e])));
        for (int i = 0; i < hidden; i++) {
          int at = i * experts + e;
          assertThat((double) readout[at] - readout0[at]).isCloseTo(step * h[i],
              within(opnd * Math.abs(h[i]) + Math.ulp(readout0[at])));
        }
        for (int i = 0; i < 3; i++) {
          int at = i * width + 2 * hidden + e;
          assertThat((double) proj[at] - proj0[at]).isCloseTo(step * x[i],
              within(opnd * Math.abs(x[i]) + Math.ulp(proj0[at])));
        }
        if (Math.abs(step) > 20 * opnd) {
          discriminating++;
        }
        if (err[j] == minErr && err[0] != err[1]) {
          assertThat(step).as("the better expert gains").isPositive();
          improvedBest++;
        }
      }
      for (int e = 0; e < experts; e++) {
        if (!chosen[e]) {
          assertThat(m.state().router().bias()[e]).isEqualTo(bias0[e]);
          for (int i = 0; i < hidden; i++) {
            assertThat(readout[i * experts + e]).isEqualTo(readout0[i * experts + e]);
          }
        }
      }
      for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 2 * hidden; j++) {
          assertThat(proj[i * width + j]).as("the reservoir (U, V) never learns").isEqualTo(proj0[i * width + j]);
        }
      }
    }
    assertThat(improvedBest).isEqualTo(25);
    assertThat(discriminating).as("most steps are far larger than the tolerance").isGreaterThan(30);
  }
}
