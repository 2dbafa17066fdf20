package dev.auramoe.experts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** NLMS and RLS in detail: update formulas, convergence, stability ranges, leak. */
class AdaptiveFiltersTest {

  /** A stationary noisy linear system y = w . x + b + noise with d inputs. */
  static final class LinearSystem {
    final float[] w;
    final float b;
    final double noise;
    final Random r;

    LinearSystem(int d, double noise, long seed) {
      this.r = new Random(seed);
      this.w = new float[d];
      for (int i = 0; i < d; i++) {
        w[i] = (float) r.nextGaussian();
      }
      this.b = (float) r.nextGaussian();
      this.noise = noise;
    }

    float[] x() {
      float[] x = new float[w.length];
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) r.nextGaussian();
      }
      return x;
    }

    float y(float[] x) {
      double s = b;
      for (int i = 0; i < x.length; i++) {
        s += w[i] * x[i];
      }
      return (float) (s + noise * r.nextGaussian());
    }
  }

  /** Prequential MSE per window of {@code window} samples. */
  private static double[] run(AdaptiveExpert e, LinearSystem sys, int n, int window) {
    double[] mse = new double[n / window];
    float[] p = new float[1];
    for (int t = 0; t < n; t++) {
      float[] x = sys.x();
      float y = sys.y(x);
      e.predict(x, p);
      mse[t / window] += Math.pow(y - p[0], 2) / window;
      e.learn(x, new float[] {y}, p.clone(), 1f);
    }
    return mse;
  }

  @Test
  void nlmsConvergesToTheNoiseFloorOnAStationarySystem() {
    double sigma = 0.1;
    NlmsExpert e = new NlmsExpert("n", 8, 1, 0.5);
    double[] mse = run(e, new LinearSystem(8, sigma, 1), 4000, 100);
    // Until it reaches the noise floor the error falls window after window.
    for (int w = 1; w < 3; w++) {
      assertThat(mse[w]).as("window %d", w).isLessThan(mse[w - 1]);
    }
    // At the floor it fluctuates, but never grows beyond it.
    double floor = sigma * sigma;
    for (int w = 10; w < mse.length; w++) {
      assertThat(mse[w]).as("window %d", w).isLessThan(floor * 2);
    }
    assertThat(mse[0]).isGreaterThan(100 * floor);
    // NLMS misadjustment is about mu / (2 - mu) = 1/3 of the noise power for mu = 0.5
    double tail = 0;
    for (int w = 20; w < mse.length; w++) {
      tail += mse[w] / (mse.length - 20);
    }
    assertThat(tail).isLessThan(floor * 1.6).isGreaterThan(floor * 0.9);
  }

  @Test
  void nlmsSingleStepMatchesTheFormula() {
    NlmsExpert e = new NlmsExpert("n", 3, 2, 0.8, 0.01, 0.1);
    e.setState(new float[] {0.5f, -1f, 0.25f, 0.1f, /* out 2 */ 1f, 0f, -0.5f, -0.2f});
    float[] w = e.state();
    float[] x = {1.5f, -0.5f, 2f};
    float[] y = {3f, -1f};
    float[] p = new float[2];
    e.predict(x, p);
    assertThat((double) p[0]).isCloseTo(0.5 * 1.5 + 1 * 0.5 + 0.25 * 2 + 0.1, within(1e-6));
    float credit = 0.6f;
    e.learn(x, y, p, credit);
    double norm = 0.01 + (1.5 * 1.5 + 0.25 + 4) + 1;
    double keep = 1 - 0.8 * 0.1;
    float[] got = e.state();
    for (int o = 0; o < 2; o++) {
      double err = y[o] - p[o];
      for (int i = 0; i < 4; i++) {
        double xi = i < 3 ? x[i] : 1.0;
        double expected = keep * w[o * 4 + i] + 0.8 * credit * err * xi / norm;
        assertThat((double) got[o * 4 + i]).as("w[%d][%d]", o, i).isCloseTo(expected, within(1e-6));
      }
    }
    assertThat(e.learnMacs()).isEqualTo(3 + 2L * 4 * 2);
    assertThat(new NlmsExpert("n", 3, 2, 0.8).learnMacs()).isEqualTo(3 + 2L * 4);
  }

  @ParameterizedTest(name = "mu = {0}")
  @ValueSource(doubles = {0.0, 2.0, -0.5, 2.5, Double.NaN, Double.POSITIVE_INFINITY})
  void nlmsRejectsAStepOutsideTheStabilityRange(double mu) {
    assertThatThrownBy(() -> new NlmsExpert("n", 2, 1, mu))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("mu must lie in (0, 2)");
  }

  @Test
  void nlmsAcceptsStepsJustInsideTheRangeAndRejectsBadEpsAndLeak() {
    assertThat(new NlmsExpert("n", 2, 1, 1e-6).mu()).isEqualTo(1e-6f);
    assertThat(new NlmsExpert("n", 2, 1, 1.999).mu()).isEqualTo(1.999f);
    assertThatThrownBy(() -> new NlmsExpert("n", 2, 1, 0.5, 0, 0)).hasMessageContaining("eps must be finite and > 0");
    assertThatThrownBy(() -> new NlmsExpert("n", 2, 1, 0.5, 1e-3, -0.1)).hasMessageContaining("leak must lie in [0, 1/mu)");
    assertThatThrownBy(() -> new NlmsExpert("n", 2, 1, 0.5, 1e-3, 2.0)).hasMessageContaining("leak");
  }

  @Test
  void leakShrinksTheWeightsAndZeroCreditLeavesThemUnchanged() {
    float[] init = {1f, -2f, 0.5f};
    NlmsExpert leaky = new NlmsExpert("n", 2, 1, 0.5, 1e-3, 0.2);
    NlmsExpert plain = new NlmsExpert("n", 2, 1, 0.5, 1e-3, 0);
    leaky.setState(init);
    plain.setState(init);
    float[] x = {1f, 1f};
    float[] p = new float[1];
    leaky.predict(x, p);
    // a perfect prediction: no error, so only the leak acts
    leaky.learn(x, p.clone(), p.clone(), 1f);
    plain.learn(x, p.clone(), p.clone(), 1f);
    assertThat(plain.state()).containsExactly(init);
    float[] shrunk = leaky.state();
    for (int i = 0; i < 3; i++) {
      assertThat(shrunk[i]).isCloseTo(init[i] * 0.9f, within(1e-6f));
    }
    // repeated with no signal, the weights decay geometrically toward zero
    for (int t = 0; t < 100; t++) {
      leaky.predict(x, p);
      leaky.learn(x, p.clone(), p.clone(), 1f);
    }
    for (float v : leaky.state()) {
      assertThat(Math.abs(v)).isLessThan(1e-4f);
    }
    // credit 0 changes nothing, not even the leak
    leaky.setState(init);
    leaky.learn(x, new float[] {9f}, new float[] {0f}, 0f);
    assertThat(leaky.state()).containsExactly(init);
  }

  @Test
  void anOverflowingPredictionSaturatesAndLeavesTheFilterUnchanged() {
    // Regression: 0 * Infinity made every weight NaN for good. w . x + b = 2 * MAX_VALUE here.
    for (AdaptiveExpert e : new AdaptiveExpert[] {new NlmsExpert("n", 2, 1, 1.9), new RlsExpert("r", 2, 1, 0.99, 0.1)}) {
      e.setState(e instanceof NlmsExpert ? new float[] {3f, -1f, 1f} : withWeights(new float[] {3f, -1f, 1f}));
      float[] before = e.state();
      float[] x = {Float.MAX_VALUE / 2, -Float.MAX_VALUE / 2};
      float[] p = new float[1];
      e.predict(x, p);
      assertThat(p[0]).as(e.kind()).isEqualTo(Float.MAX_VALUE);
      e.learn(x, new float[] {1f}, p, 1f);
      assertThat(e.state()).as(e.kind()).containsExactly(before);
    }
  }

  @Test
  void anRlsUpdateThatWouldLeaveFloatRangeLeavesWeightsAndCorrelationUnchanged() {
    // z'Pz is small and the prediction finite, but the error times the gain would take a weight
    // past float range: the weights skip the sample, and so must P (it shrank along z before).
    RlsExpert r = new RlsExpert("r", 1, 1, 1.0, 0.1);
    float[] s = r.state();
    s[0] = 0.9f * Float.MAX_VALUE;
    s[1] = -0.9f * Float.MAX_VALUE;
    r.setState(s);
    float[] before = r.state();
    float[] x = {1f};
    float[] p = new float[1];
    r.predict(x, p);
    assertThat(p[0]).isFinite();
    r.learn(x, new float[] {0.9f * Float.MAX_VALUE}, p, 1f);
    assertThat(r.state()).as("weights and P").containsExactly(before);
    // An ordinary sample afterwards still teaches it.
    r.learn(x, new float[] {p[0] + 1f}, p, 1f);
    assertThat(r.state()).isNotEqualTo(before);
  }

  private static float[] withWeights(float[] w) {
    RlsExpert r = new RlsExpert("r", 2, 1, 0.99, 0.1);
    float[] s = r.state();
    System.arraycopy(w, 0, s, 0, w.length);
    return s;
  }

  @Test
  void rlsConvergesFasterThanNlmsOnAStationaryProblem() {
    int d = 10;
    // The same system and the same samples for both.
    double[] rls = run(new RlsExpert("r", d, 1, 1.0, 0.01), new LinearSystem(d, 0.05, 5), 600, 20);
    double[] nlms = run(new NlmsExpert("n", d, 1, 0.5), new LinearSystem(d, 0.05, 5), 600, 20);
    // Samples 20..40 (2 to 4 per weight): RLS has essentially solved it, NLMS is still far off.
    assertThat(rls[1]).isLessThan(0.05 * 0.05 * 3);
    assertThat(nlms[1]).isGreaterThan(rls[1] * 20);
    int rlsWindow = firstWindowBelow(rls, 0.01);
    int nlmsWindow = firstWindowBelow(nlms, 0.01);
    assertThat(rlsWindow).as("RLS reaches MSE 0.01 sooner").isLessThan(nlmsWindow);
    assertThat(nlmsWindow).as("NLMS does get there").isLessThan(rls.length);
  }

  private static int firstWindowBelow(double[] mse, double level) {
    for (int i = 0; i < mse.length; i++) {
      if (mse[i] < level) {
        return i;
      }
    }
    return Integer.MAX_VALUE;
  }

  @Test
  void rlsWithoutForgettingRecoversANoiselessSystemExactly() {
    LinearSystem sys = new LinearSystem(4, 0, 12);
    RlsExpert e = new RlsExpert("r", 4, 1, 1.0, 1e-4);
    run(e, sys, 40, 40);
    float[] s = e.state();
    for (int i = 0; i < 4; i++) {
      assertThat(s[i]).isCloseTo(sys.w[i], within(1e-3f));
    }
    assertThat(s[4]).isCloseTo(sys.b, within(1e-3f));
  }

  @Test
  void rlsSingleStepMatchesTheFormula() {
    RlsExpert e = new RlsExpert("r", 2, 1, 0.9, 2.0);
    float[] x = {1f, -2f};
    float[] p = new float[1];
    e.predict(x, p);
    float g = 0.7f;
    e.learn(x, new float[] {3f}, p, g);
    // P0 = I / 2, z = [1, -2, 1]: Pz = z / 2, z'Pz = 3, k = g Pz / (lambda + g z'Pz)
    double[] z = {1, -2, 1};
    double denom = 0.9 + 0.7 * 3;
    float[] s = e.state();
    for (int i = 0; i < 3; i++) {
      double k = 0.7 * z[i] / 2 / denom;
      assertThat((double) s[i]).isCloseTo(k * 3, within(1e-6));
    }
    // P1 = (P0 - k z' P0) / lambda
    for (int i = 0; i < 3; i++) {
      for (int j = 0; j < 3; j++) {
        double p0 = i == j ? 0.5 : 0;
        double expected = (p0 - 0.7 / denom * (z[i] / 2) * (z[j] / 2)) / 0.9;
        assertThat((double) s[3 + i * 3 + j]).isCloseTo(expected, within(1e-6));
      }
    }
    assertThat(e.learnMacs()).isEqualTo(2L * 9 + 3 + 3);
  }

  @Test
  void rlsRejectsBadForgettingAndRegularisation() {
    for (double lambda : new double[] {0, -0.1, 1.0001, Double.NaN}) {
      assertThatThrownBy(() -> new RlsExpert("r", 2, 1, lambda, 1)).hasMessageContaining("lambda must lie in (0, 1]");
    }
    for (double delta : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
      assertThatThrownBy(() -> new RlsExpert("r", 2, 1, 0.99, delta)).hasMessageContaining("delta must be finite and > 0");
    }
  }

  @Test
  void functionExpertsArePureAndDeclareTheirCost() {
    int[] calls = new int[1];
    FunctionExpert f = new FunctionExpert("sq", 1, 1, (x, y) -> {
      calls[0]++;
      y[0] = x[0] * x[0];
    }, 7);
    float[] out = new float[1];
    f.predict(new float[] {3f}, out);
    assertThat(out[0]).isEqualTo(9f);
    assertThat(calls[0]).isEqualTo(1);
    assertThat(f.predictMacs()).isEqualTo(7);
    assertThat(f.hyperParameters()).containsExactly(7.0);
    assertThat(f.kind()).isEqualTo("function");
    assertThatThrownBy(() -> Experts.create("function", "sq", 1, 1, new double[] {7}, name -> null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("supply its function to the loader");
    assertThatThrownBy(() -> Experts.create("nlms", "n", 1, 1, new double[] {0.5}, null))
        .hasMessageContaining("nlms expert needs 3 hyper-parameters, got 1");
  }

  @Test
  void nlmsFactoryNamesExpertsInOrder() {
    var list = Experts.nlms("x", 3, 2, 1, 0.3);
    assertThat(list).extracting(Expert::name).containsExactly("x0", "x1", "x2");
    assertThat(list).allSatisfy(e -> assertThat(((NlmsExpert) e).mu()).isEqualTo(0.3f));
  }

  @Test
  void hyperParametersAreValidatedAsTheFloatsThatAreStored() {
    // Regression: the checks ran on the doubles, but the filters store floats: 1.99999999 became
    // mu = 2 (unstable), eps 1e300 became Infinity (never learns), delta 1e-50 became 0 (P = Infinity,
    // NaN after the first update); and the snapshot of such an expert could not be loaded.
    assertThatThrownBy(() -> new NlmsExpert("n", 2, 1, 1.99999999)).hasMessageContaining("mu must lie in (0, 2)");
    assertThatThrownBy(() -> new NlmsExpert("n", 2, 1, 1e-50)).hasMessageContaining("mu must lie in (0, 2)");
    assertThatThrownBy(() -> new NlmsExpert("n", 2, 1, 0.5, 1e300, 0)).hasMessageContaining("eps must be finite and > 0");
    assertThatThrownBy(() -> new NlmsExpert("n", 2, 1, 0.5, 1e-50, 0)).hasMessageContaining("eps must be finite and > 0");
    assertThatThrownBy(() -> new RlsExpert("r", 2, 1, 0.99, 1e-50)).hasMessageContaining("delta must be finite and > 0");
    assertThatThrownBy(() -> new RlsExpert("r", 2, 1, 0.99, 1e-40)).hasMessageContaining("delta must be finite and > 0");
    assertThatThrownBy(() -> new RlsExpert("r", 2, 1, 0.99, 1e300)).hasMessageContaining("delta must be finite and > 0");
    assertThatThrownBy(() -> new RlsExpert("r", 2, 1, 1e-50, 1)).hasMessageContaining("lambda must lie in (0, 1]");
  }

  @Test
  void everyAcceptedConfigurationRebuildsFromItsRecordedHyperParametersAndLearnsFinitely() {
    dev.auramoe.testing.Props.forAll(314, 400, g -> {
      double a = Math.exp(g.doubleIn(Math.log(1e-60), Math.log(1e60)));
      double b = g.chance(0.3) ? 2 - Math.exp(g.doubleIn(Math.log(1e-12), Math.log(1))) : g.doubleIn(0, 2.1);
      double c = g.oneOf(0.0, g.doubleIn(0, 3), Math.exp(g.doubleIn(-60, 0)));
      for (int kind = 0; kind < 2; kind++) {
        AdaptiveExpert e;
        try {
          e = kind == 0 ? new NlmsExpert("n", 2, 1, b, a, c) : new RlsExpert("r", 2, 1, Math.min(1, b), a);
        } catch (IllegalArgumentException rejected) {
          continue;
        }
        Expert again = Experts.create(e.kind(), e.name(), 2, 1, e.hyperParameters(), null);
        assertThat(again.hyperParameters()).containsExactly(e.hyperParameters());
        double[] h = e.hyperParameters();
        if (e instanceof RlsExpert && (h[0] < 0.9 || h[1] < 1e-6 || h[1] > 1e6)) {
          continue; // strong forgetting with an extreme P(0) is ill-conditioned in float, by nature of RLS
        }
        float[] p = new float[1];
        for (int t = 0; t < 20; t++) {
          float[] x = {(float) g.gaussian(), (float) g.gaussian()};
          e.predict(x, p);
          e.learn(x, new float[] {x[0] - x[1]}, p.clone(), 1f);
        }
        for (float v : e.state()) {
          assertThat(Float.isFinite(v)).as("%s %s", e.kind(), java.util.Arrays.toString(e.hyperParameters())).isTrue();
        }
      }
    });
  }
}
