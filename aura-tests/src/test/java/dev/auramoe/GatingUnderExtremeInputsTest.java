package dev.auramoe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.auramoe.balance.BalanceConfig;
import dev.auramoe.cell.CellConfig;
import dev.auramoe.cell.CellType;
import dev.auramoe.experts.AdaptiveExpert;
import dev.auramoe.experts.Expert;
import dev.auramoe.experts.NlmsExpert;
import dev.auramoe.experts.RlsExpert;
import dev.auramoe.routing.RouteBuffer;
import dev.auramoe.testing.Gen;
import dev.auramoe.testing.Models;
import dev.auramoe.testing.Props;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The whole model under extreme but finite inputs: the cell state stays bounded and finite, every
 * routing decision stays a valid mixture, learning never makes any weight non-finite, and the time
 * constants obey their formula and clamp.
 */
class GatingUnderExtremeInputsTest {

  private static MixtureOfExperts model(Gen g, CellType type, boolean rls) {
    int d = g.intIn(1, 6);
    int experts = g.intIn(1, 5);
    List<Expert> list = new ArrayList<>();
    for (int i = 0; i < experts; i++) {
      list.add(rls && i % 2 == 1 ? new RlsExpert("r" + i, d, 2, 0.99, 0.1) : new NlmsExpert("n" + i, d, 2, g.oneOf(0.5, 1.0, 1.9)));
    }
    return MixtureOfExperts.builder(d, 2).experts(list).topK(g.intIn(1, experts))
        .cell(CellConfig.DEFAULT.withHidden(g.intIn(1, 16)).withType(type).withUnfolds(g.intIn(1, 3))
            .withScales(g.oneOf(1f, 30f), g.oneOf(0.9f, 3f)))
        .routerUsesInput(g.chance(0.7)).balance(g.oneOf(BalanceConfig.DEFAULT, new BalanceConfig(true, 0.1, 0.5, 1, 0, false)))
        .temperature(g.oneOf(1f, 0.01f, 50f)).seed(g.intIn(0, 1000)).build();
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(CellType.class)
  void routingExtremeInputsKeepsTheStateBoundedAndEveryDecisionValid(CellType type) {
    Props.forAll(31337 + type.ordinal(), 120, g -> {
      MixtureOfExperts m = model(g, type, false);
      m.openStream("s2");
      float tauMax = m.config().cell().tauMax();
      RouteBuffer b = m.newRouteBuffer();
      float max = g.oneOf(Float.MAX_VALUE / 2, 1e30f, 1e10f);
      for (int t = 0; t < 40; t++) {
        String stream = t % 3 == 0 ? "s2" : MixtureOfExperts.DEFAULT_STREAM;
        float[] before = m.state(stream);
        m.route(stream, g.extremeVector(m.inputDim(), max), g.elapsed(m.config().cell().tauMin()), null, b);
        float[] after = m.state(stream);
        for (int i = 0; i < after.length; i++) {
          assertThat(Float.isFinite(after[i])).isTrue();
          // Per step |h'| <= max(|h|, tauMax); over the steps of one call the same bound follows.
          assertThat(Math.abs(after[i])).isLessThanOrEqualTo(Math.max(Math.abs(before[i]), tauMax));
          assertThat(Math.abs(after[i])).as("from a zero state the bound is tauMax").isLessThanOrEqualTo(tauMax);
        }
        Models.assertValid(b, m.topK(), m.expertCount());
        Models.assertWeightsAreRenormalisedProbabilities(b);
      }
    });
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(CellType.class)
  void learningFromExtremeInputsNeverMakesTheModelNonFinite(CellType type) {
    Props.forAll(4242 + type.ordinal(), 120, g -> {
      MixtureOfExperts m = model(g, type, true);
      float[] yHat = new float[2];
      for (int t = 0; t < 40; t++) {
        // Ordinary samples teach the experts non-zero weights; extreme inputs then probe overflow.
        float[] x = g.chance(0.5) ? g.gaussianVector(m.inputDim(), 2) : g.extremeVector(m.inputDim(), g.oneOf(Float.MAX_VALUE / 2, 1e30f, 1e19f));
        float[] y = g.gaussianVector(2, 3);
        m.learn(MixtureOfExperts.DEFAULT_STREAM, x, y, yHat);
      }
      assertAllFinite(m);
      // and it still predicts finite values for ordinary inputs
      float[] p = m.predict(MixtureOfExperts.DEFAULT_STREAM, g.gaussianVector(m.inputDim(), 1));
      assertThat(Float.isFinite(p[0]) && Float.isFinite(p[1])).as("prediction %s, %s", p[0], p[1]).isTrue();
    });
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(CellType.class)
  void extremeTargetsGiveFinitePredictionsErrorsAndState(CellType type) {
    // Targets and inputs anywhere in float range: a prediction may be beyond it (it saturates at
    // +-Float.MAX_VALUE), its squared error is computed in double and is finite, and no update may
    // leave a weight non-finite.
    Props.forAll(777 + type.ordinal(), 120, g -> {
      MixtureOfExperts m = model(g, type, true);
      float[] yHat = new float[2];
      RouteBuffer b = m.newRouteBuffer();
      for (int t = 0; t < 40; t++) {
        float[] x = g.chance(0.4) ? g.gaussianVector(m.inputDim(), 2)
            : g.extremeVector(m.inputDim(), g.oneOf(Float.MAX_VALUE, Float.MAX_VALUE / 2, 1e30f, 1e19f));
        float[] y = g.chance(0.3) ? g.gaussianVector(2, 3) : g.extremeVector(2, g.oneOf(Float.MAX_VALUE, 1e30f));
        double se = m.learn(MixtureOfExperts.DEFAULT_STREAM, x, y, yHat, b);
        assertFinitePrediction(yHat, "learn");
        assertThat(Double.isFinite(se)).as("squared error %s of %s for %s", se, java.util.Arrays.toString(yHat),
            java.util.Arrays.toString(y)).isTrue();
        float[] p = m.predict(MixtureOfExperts.DEFAULT_STREAM,
            g.extremeVector(m.inputDim(), g.oneOf(Float.MAX_VALUE, 1e30f)));
        assertFinitePrediction(p, "predict");
      }
      assertAllFinite(m);
    });
  }

  @Test
  void aPredictionBeyondFloatRangeSaturatesAndItsErrorIsExact() {
    MixtureOfExperts m = MixtureOfExperts.builder(3, 1).experts(dev.auramoe.experts.Experts.nlms("e", 1, 3, 1, 0.5))
        .topK(1).cell(CellConfig.DEFAULT.withHidden(4)).seed(3).build();
    String s = MixtureOfExperts.DEFAULT_STREAM;
    float[] yHat = new float[1];
    // Teach the expert w = b = 0.75 (y = 3 at x = 1), then predict at 2e38 per input: 4.5e38.
    for (int t = 0; t < 200; t++) {
      m.learn(s, new float[] {1, 1, 1}, new float[] {3}, yHat);
    }
    float[] big = {2e38f, 2e38f, 2e38f};
    float[] p = m.predict(s, big);
    assertThat(p[0]).as("w . x + b is about 4.5e38, beyond float range: it saturates").isEqualTo(Float.MAX_VALUE);
    float[] target = {-Float.MAX_VALUE};
    double se = m.learn(s, big, target, yHat);
    assertThat(yHat[0]).isEqualTo(Float.MAX_VALUE);
    double d = (double) Float.MAX_VALUE * 2;
    assertThat(se).as("(y - yHat)^2 in double, not (float) -Infinity squared").isEqualTo(d * d);
    assertAllFinite(m);
  }

  private static void assertFinitePrediction(float[] p, String what) {
    for (int i = 0; i < p.length; i++) {
      assertThat(Float.isFinite(p[i])).as("%s prediction[%d] = %s", what, i, p[i]).isTrue();
    }
  }

  static void assertAllFinite(MixtureOfExperts m) {
    for (int e = 0; e < m.expertCount(); e++) {
      if (m.expert(e) instanceof AdaptiveExpert a) {
        float[] s = a.state();
        for (int i = 0; i < s.length; i++) {
          assertThat(Float.isFinite(s[i])).as("expert %s state[%d] = %s", m.expert(e).name(), i, s[i]).isTrue();
        }
      }
    }
    for (float v : m.routerReadout()) {
      assertThat(Float.isFinite(v)).as("router readout").isTrue();
    }
    for (float v : m.state().router().bias()) {
      assertThat(Float.isFinite(v)).as("router bias").isTrue();
    }
    for (float v : m.state().liquidCell().projection()) {
      assertThat(Float.isFinite(v)).as("input projection (router's input readout)").isTrue();
    }
    assertThat(Float.isFinite(m.state().errorScale)).isTrue();
    for (String s : m.streams()) {
      for (float v : m.state(s)) {
        assertThat(Float.isFinite(v)).isTrue();
      }
    }
  }

  @Test
  void timeConstantsFollowTheFormulaAndStayInsideTheClamp() {
    MixtureOfExperts m = MixtureOfExperts.builder(4, 1).experts(dev.auramoe.experts.Experts.nlms("e", 3, 4, 1, 0.5))
        .cell(CellConfig.DEFAULT.withHidden(16)).build();
    int h = m.hidden();
    int width = m.state().liquidCell().width();
    float[] proj = m.state().liquidCell().projection();
    float[] c = m.state().liquidCell().tauBias();
    String digest = m.digest();
    long macs = m.cumulativeEnergy().totalMacs();
    Props.forAll(8, 300, g -> {
      boolean extreme = g.chance(0.4);
      float[] x = extreme ? g.extremeVector(4, Float.MAX_VALUE / 2) : g.gaussianVector(4, g.doubleIn(0.1, 20));
      float[] tau = m.timeConstants(x);
      assertThat(tau).hasSize(h);
      for (int j = 0; j < h; j++) {
        assertThat(tau[j]).as("tau[%d]", j).isBetween(0.02f, 2.0f);
        if (!extreme) {
          double pre = c[j];
          for (int i = 0; i < 4; i++) {
            pre += (double) x[i] * proj[i * width + h + j];
          }
          double expected = Math.min(2.0, Math.max(0.02, 0.02 + Math.log1p(Math.exp(pre))));
          assertThat((double) tau[j]).isCloseTo(expected, within(1e-5 * expected + 1e-6));
        }
      }
    });
    assertThat(m.digest()).as("timeConstants is pure").isEqualTo(digest);
    assertThat(m.cumulativeEnergy().totalMacs()).as("and meters nothing").isEqualTo(macs);
  }

  @Test
  void timeConstantsReachBothEndsOfTheClamp() {
    MixtureOfExperts m = MixtureOfExperts.builder(1, 1).experts(dev.auramoe.experts.Experts.nlms("e", 2, 1, 1, 0.5))
        .cell(CellConfig.DEFAULT.withHidden(4)).build();
    int width = m.state().liquidCell().width();
    float[] proj = m.state().liquidCell().projection().clone();
    // V column of unit j: +1 for even j, -1 for odd j, so a huge x pushes them to opposite ends.
    for (int j = 0; j < 4; j++) {
      proj[4 + j] = j % 2 == 0 ? 1f : -1f;
    }
    m.state().liquidCell().setWeights(proj, m.state().liquidCell().recurrent().clone(), m.state().liquidCell().driveBias().clone(), new float[4]);
    assertThat(width).isEqualTo(2 * 4 + 2);
    float[] big = m.timeConstants(new float[] {1e30f});
    assertThat(big).containsExactly(2.0f, 0.02f, 2.0f, 0.02f);
    float[] zero = m.timeConstants(new float[] {0f});
    for (float t : zero) {
      assertThat((double) t).isCloseTo(0.02 + Math.log(2), within(1e-6));
    }
    float[] huge = m.timeConstants(new float[] {-Float.MAX_VALUE / 2});
    assertThat(huge).containsExactly(0.02f, 2.0f, 0.02f, 2.0f);
  }

  @Test
  void aUsersExpertPredictingNanIsNamedAndAHugeOneSaturates() {
    dev.auramoe.experts.FunctionExpert nan = new dev.auramoe.experts.FunctionExpert("nan", 2, 1, (x, y) -> y[0] = Float.NaN, 1);
    dev.auramoe.experts.FunctionExpert huge = new dev.auramoe.experts.FunctionExpert("huge", 2, 1,
        (x, y) -> y[0] = Float.MAX_VALUE, 1);
    MixtureOfExperts both = MixtureOfExperts.builder(2, 1).experts(List.of(nan, huge)).topK(2).build();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> both.predict(MixtureOfExperts.DEFAULT_STREAM,
            new float[] {1f, 2f}))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("expert 'nan' predicted NaN at output 0");
    // Two experts at the float maximum: the float mix overflows, the double one saturates.
    MixtureOfExperts big = MixtureOfExperts.builder(2, 1)
        .experts(List.of(huge, huge.copy("huge2"))).topK(2).build();
    assertThat(big.predict(MixtureOfExperts.DEFAULT_STREAM, new float[] {1f, 2f})[0]).isEqualTo(Float.MAX_VALUE);
  }
}
