package dev.auramoe.cell;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.auramoe.internal.vector.KernelProvider;
import dev.auramoe.internal.vector.KernelSupport;
import dev.auramoe.testing.Gen;
import dev.auramoe.testing.Props;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The gating cell on its own: the state bound after every integration step under extreme inputs,
 * the Euler and closed-form updates against hand-computed double-precision formulas, unfolds, the
 * splitting of irregular elapsed times, and the step cap.
 *
 * <p>Every check runs with the kernels selected for this JVM (the suite runs once with the Vector
 * API kernels and once with the scalar ones). A {@link StepSpy} wraps those kernels to observe each
 * integration step: the state at the start of every step, the step length, and the step count.
 */
class LiquidCellTest {

  private static final KernelSupport K = KernelProvider.get();

  /**
   * Wraps the selected kernels and records, for each integration step of {@link LiquidCell#advance},
   * the state at its start (the recurrent product, any {@code gemv*} kernel, reads h first thing in
   * every step) and the step length handed to the update kernel. A dynamic proxy, so that it keeps
   * working as the kernel SPI grows.
   */
  static final class StepSpy implements InvocationHandler {
    final List<float[]> statesAtStepStart = new ArrayList<>();
    final List<Float> stepLengths = new ArrayList<>();
    final KernelSupport kernels = (KernelSupport) Proxy.newProxyInstance(KernelSupport.class.getClassLoader(),
        new Class<?>[] {KernelSupport.class}, this);
    float[] h;

    void watch(float[] state) {
      this.h = state;
      statesAtStepStart.clear();
      stepLengths.clear();
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
      String name = method.getName();
      if (name.startsWith("gemv") && args[3] == h) {
        statesAtStepStart.add(h.clone());
      } else if (name.equals("liquidEuler") || name.equals("closedForm")) {
        stepLengths.add((Float) args[3]);
      }
      try {
        return method.invoke(K, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
    }
  }

  /** One advance through the spy; returns the steps taken and checks the bound after every step. */
  private static int advanceChecked(LiquidCell cell, StepSpy spy, float[] h, float[] x, float elapsed) {
    float[] p = new float[cell.width()];
    cell.project(spy.kernels, x, 0, p, 0);
    spy.watch(h);
    int steps = cell.advance(spy.kernels, h, p, 0, elapsed, new float[cell.hidden()], new float[cell.hidden()]);
    List<float[]> states = new ArrayList<>(spy.statesAtStepStart);
    states.add(h.clone());
    assertThat(states).as("one recorded state per step plus the final one").hasSize(steps + 1);
    float tauMax = cell.config().tauMax();
    for (int s = 0; s < steps; s++) {
      float[] before = states.get(s);
      float[] after = states.get(s + 1);
      for (int i = 0; i < h.length; i++) {
        assertThat(Float.isFinite(after[i])).as("h[%d] finite after step %d: %s", i, s, after[i]).isTrue();
        float bound = Math.max(Math.abs(before[i]), tauMax);
        // bit-for-bit: no tolerance
        assertThat(Math.abs(after[i])).as("|h[%d]| after step %d of %d (before %s, tauMax %s)", i, s, steps,
            before[i], tauMax).isLessThanOrEqualTo(bound);
      }
    }
    return steps;
  }

  private static CellConfig randomConfig(Gen g, CellType type) {
    float tauMin = g.oneOf(0.02f, 0.005f, (float) g.doubleIn(1e-3, 0.5));
    float tauMax = g.oneOf(2.0f, tauMin, (float) (tauMin + g.doubleIn(0, 5)), 0.2461634f, 3.0121999f);
    tauMax = Math.max(tauMax, tauMin);
    float dt = g.chance(0.5) ? tauMin : (float) (tauMin * g.doubleIn(0.01, 1));
    return new CellConfig(g.intIn(1, 12), type, tauMin, tauMax, dt, g.intIn(1, 4), g.intIn(1, 300),
        g.oneOf(1f, 100f, 0f, 1e20f), g.oneOf(0.9f, 5f, 0f, 50f));
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(CellType.class)
  void stateStaysBoundedBitForBitAfterEveryStepUnderExtremeInputs(CellType type) {
    Props.forAll(0xA11CE + type.ordinal(), 300, g -> {
      CellConfig cfg = randomConfig(g, type);
      int d = g.intIn(1, 6);
      LiquidCell cell = new LiquidCell(cfg, d, g.intIn(0, 3), g.intIn(0, 1000));
      StepSpy spy = new StepSpy();
      float[] h = new float[cfg.hidden()];
      float max = g.oneOf(Float.MAX_VALUE / 2, 1e30f, 1e6f);
      for (int t = 0; t < 25; t++) {
        float[] x = g.extremeVector(d, max);
        float elapsed = g.elapsed(cfg.tauMin());
        int steps = advanceChecked(cell, spy, h, x, elapsed);
        // + 1: the closed-form step over the rest of a gap longer than maxStepsPerInput Euler steps
        assertThat(steps).isBetween(0, Math.max(cfg.maxStepsPerInput() + 1, cfg.unfolds()));
      }
    });
  }

  @Test
  void stateStaysBoundedWhenItStartsAboveTauMax() {
    // A state above tauMax (as a snapshot may hold) must decay without growing, step by step.
    for (CellType type : CellType.values()) {
      Props.forAll(77 + type.ordinal(), 100, g -> {
        CellConfig cfg = randomConfig(g, type);
        LiquidCell cell = new LiquidCell(cfg, 2, 0, 5);
        StepSpy spy = new StepSpy();
        float[] h = new float[cfg.hidden()];
        for (int i = 0; i < h.length; i++) {
          h[i] = g.oneOf(1e30f, -1e30f, 1e4f, -cfg.tauMax() * 1.5f, Float.MAX_VALUE / 4);
        }
        for (int t = 0; t < 10; t++) {
          advanceChecked(cell, spy, h, g.extremeVector(2, 1e30f), g.elapsed(cfg.tauMin()));
        }
      });
    }
  }

  @Test
  void eulerKernelHonoursItsBoundBitForBit() {
    // The kernel contract of liquidEuler: |h'| <= max(|h|, bound), finite, NaN drive counts as 0.
    Props.forAll(99, 2000, g -> {
      int n = g.intIn(1, 40);
      float bound = (float) g.doubleIn(0.01, 10);
      float tauMin = (float) g.doubleIn(0.001, bound);
      float dt = (float) (tauMin * g.doubleIn(0, 1));
      float[] h = new float[n];
      float[] drive = new float[n];
      float[] invTau = new float[n];
      for (int i = 0; i < n; i++) {
        h[i] = g.chance(0.5) ? (float) (g.gaussian() * bound) : g.extremeFloat(bound * 4);
        drive[i] = g.chance(0.1) ? Float.NaN : g.extremeFloat(Float.MAX_VALUE);
        invTau[i] = 1f / (float) g.doubleIn(tauMin, bound);
      }
      float[] before = h.clone();
      K.liquidEuler(h, drive, invTau, dt, bound, n);
      for (int i = 0; i < n; i++) {
        assertThat(Float.isFinite(h[i])).isTrue();
        assertThat(Math.abs(h[i])).isLessThanOrEqualTo(Math.max(Math.abs(before[i]), bound));
        if (Float.isNaN(drive[i])) {
          float expected = before[i] + dt * (0f - before[i] * invTau[i]);
          assertThat(h[i]).as("NaN drive counts as 0").isCloseTo(expected, within(1e-5f * Math.max(1, Math.abs(expected))));
        }
      }
    });
  }

  // ------------------------------------------------------------ hand-computed formulas, H = 2, d = 1

  private static final float[] U = {0.7f, -1.3f};
  private static final float[] V = {0.4f, -0.9f};
  /** Input-major W^T: wt[i * H + j] is the weight from h_i to unit j. */
  private static final float[] WT = {0.5f, -0.25f, 0.8f, 0.1f};
  private static final float[] B = {0.05f, -0.2f};
  private static final float[] C = {-1.0f, 0.3f};

  private static LiquidCell tinyCell(CellType type, int unfolds) {
    CellConfig cfg = new CellConfig(2, type, 0.02f, 2.0f, 0.02f, unfolds, 256, 1f, 0.9f);
    LiquidCell cell = new LiquidCell(cfg, 1, 0, 1);
    cell.setWeights(new float[] {U[0], U[1], V[0], V[1]}, WT.clone(), B.clone(), C.clone());
    return cell;
  }

  private static double softplus(double v) {
    return Math.log1p(Math.exp(v));
  }

  /** tau_j for input x, in double. */
  private static double tau(double x, int j, double tauMin, double tauMax) {
    return Math.min(tauMax, Math.max(tauMin, tauMin + softplus(x * V[j] + C[j])));
  }

  /** One step in double: liquid Euler or the closed form, with step length dt. */
  private static double[] referenceStep(CellType type, double[] h, double x, double dt) {
    double[] next = new double[2];
    for (int j = 0; j < 2; j++) {
      double drive = x * U[j] + B[j] + h[0] * WT[j] + h[1] * WT[2 + j];
      double s = Math.tanh(drive);
      double tau = tau(x, j, 0.02, 2.0);
      if (type == CellType.LIQUID) {
        next[j] = h[j] + dt * (-h[j] / tau + s);
      } else {
        double gDecay = Math.exp(-dt / tau);
        next[j] = gDecay * h[j] + (1 - gDecay) * s * tau;
      }
    }
    return next;
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(CellType.class)
  void stepMatchesTheHandComputedFormulaForATinyCell(CellType type) {
    LiquidCell cell = tinyCell(type, 1);
    float[] h = new float[2];
    double[] ref = new double[2];
    float[] xs = {0.3f, -1.7f, 2.5f, 0f, 10f, -0.01f, 4f, -8f};
    for (float x : xs) {
      float[] p = new float[cell.width()];
      cell.project(K, new float[] {x}, 0, p, 0);
      int steps = cell.advance(K, h, p, 0, Float.NaN, new float[2], new float[2]);
      assertThat(steps).isEqualTo(1);
      ref = referenceStep(type, ref, x, 0.02);
      assertThat((double) h[0]).as("h0 after x=%s", x).isCloseTo(ref[0], within(2e-6));
      assertThat((double) h[1]).as("h1 after x=%s", x).isCloseTo(ref[1], within(2e-6));
    }
    // The formula is not trivially satisfied: the state has moved well away from zero.
    assertThat(Math.abs(ref[0]) + Math.abs(ref[1])).isGreaterThan(0.01);
  }

  @Test
  void explicitEulerStepWorkedByHand() {
    // x = 1, h = 0: drive_j = U_j + B_j; tau_j = 0.02 + softplus(V_j + C_j); h_j = 0.02 * tanh(drive_j)
    LiquidCell cell = tinyCell(CellType.LIQUID, 1);
    float[] h = new float[2];
    float[] p = new float[4];
    cell.project(K, new float[] {1f}, 0, p, 0);
    cell.advance(K, h, p, 0, Float.NaN, new float[2], new float[2]);
    assertThat((double) h[0]).isCloseTo(0.02 * Math.tanh(0.75), within(1e-8));
    assertThat((double) h[1]).isCloseTo(0.02 * Math.tanh(-1.5), within(1e-8));
    // second step with x = 1 again: the decay term now uses tau
    double h0 = 0.02 * Math.tanh(0.75);
    double h1 = 0.02 * Math.tanh(-1.5);
    double tau0 = 0.02 + Math.log1p(Math.exp(0.4 - 1.0));
    double tau1 = 0.02 + Math.log1p(Math.exp(-0.9 + 0.3));
    double e0 = h0 + 0.02 * (-h0 / tau0 + Math.tanh(0.75 + h0 * 0.5 + h1 * 0.8));
    double e1 = h1 + 0.02 * (-h1 / tau1 + Math.tanh(-1.5 + h0 * -0.25 + h1 * 0.1));
    cell.project(K, new float[] {1f}, 0, p, 0);
    cell.advance(K, h, p, 0, Float.NaN, new float[2], new float[2]);
    assertThat((double) h[0]).isCloseTo(e0, within(1e-7));
    assertThat((double) h[1]).isCloseTo(e1, within(1e-7));
  }

  @ParameterizedTest(name = "unfolds = {0}")
  @ValueSource(ints = {1, 2, 3, 7, 16})
  void unfoldsNEqualsNSingleSteps(int n) {
    for (CellType type : CellType.values()) {
      CellConfig base = new CellConfig(6, type, 0.02f, 2.0f, 0.02f, 1, 256, 1f, 0.9f);
      LiquidCell one = new LiquidCell(base, 3, 2, 11);
      LiquidCell many = new LiquidCell(base.withUnfolds(n), 3, 2, 11);
      float[] hOne = new float[6];
      float[] hMany = new float[6];
      float[][] xs = {{0.5f, -1f, 2f}, {3f, 0.1f, -0.2f}, {-4f, 4f, 1f}};
      for (float[] x : xs) {
        float[] p = new float[many.width()];
        many.project(K, x, 0, p, 0);
        assertThat(many.advance(K, hMany, p, 0, Float.NaN, new float[6], new float[6])).isEqualTo(n);
        for (int s = 0; s < n; s++) {
          one.project(K, x, 0, p, 0);
          assertThat(one.advance(K, hOne, p, 0, Float.NaN, new float[6], new float[6])).isEqualTo(1);
        }
        assertThat(hMany).as("%s, unfolds %d", type, n).containsExactly(hOne);
      }
    }
  }

  @Test
  void elapsedTimeSplitsIntoCeilElapsedOverTauMinStepsOfAtMostTauMin() {
    CellConfig cfg = new CellConfig(5, CellType.LIQUID, 0.02f, 2.0f, 0.01f, 3, 64, 1f, 0.9f);
    LiquidCell cell = new LiquidCell(cfg, 2, 0, 3);
    StepSpy spy = new StepSpy();
    float[] elapsed = {1e-9f, 0.005f, 0.0199f, 0.02f, 0.0201f, 0.05f, 0.1f, 0.333f, 1.0f, 1.27f, 1.28f, 1.2801f};
    for (float e : elapsed) {
      float[] h = new float[5];
      int steps = advanceChecked(cell, spy, h, new float[] {1f, -2f}, e);
      // The documented count, ceil(elapsed / tauMin) in the cell's float arithmetic, capped at 64
      // Euler steps; beyond the cap one closed-form step covers the rest.
      double ceil = Math.ceil(e / cfg.tauMin());
      int expected = ceil <= 64 ? (int) ceil : 65;
      assertThat(steps).as("steps for elapsed %s", e).isEqualTo(expected);
      assertThat(spy.stepLengths).hasSize(steps);
      double total = 0;
      for (int i = 0; i < steps; i++) {
        float dt = spy.stepLengths.get(i);
        if (i < 64) {
          assertThat(dt).as("each Euler step is at most tauMin").isLessThanOrEqualTo(cfg.tauMin()).isPositive();
        }
        total += dt;
      }
      assertThat(total).as("the steps cover the elapsed time %s", e).isCloseTo(e, within(1e-6 * e + 1e-12));
      if (e <= 64 * cfg.tauMin()) {
        // Fewer steps could not cover it with steps of at most tauMin.
        assertThat((steps - 1) * (double) cfg.tauMin()).isLessThan(e);
      }
    }
  }

  @Test
  void longGapsAreCappedAtMaxStepsPerInputStepsOfTauMin() {
    CellConfig cfg = new CellConfig(4, CellType.LIQUID, 0.02f, 2.0f, 0.02f, 1, 10, 1f, 0.9f);
    LiquidCell cell = new LiquidCell(cfg, 1, 0, 3);
    StepSpy spy = new StepSpy();
    for (float e : new float[] {0.2001f, 0.5f, 3600f, 1e30f, Float.MAX_VALUE}) {
      int steps = advanceChecked(cell, spy, new float[4], new float[] {1f}, e);
      assertThat(steps).as("10 Euler steps and one closed-form step over the rest").isEqualTo(11);
      assertThat(spy.stepLengths.subList(0, 10)).containsOnly(cfg.tauMin());
      assertThat(spy.stepLengths.get(10)).isEqualTo((float) (e - 10.0 * cfg.tauMin()));
    }
    // exactly at the cap: 10 steps of tauMin
    int steps = advanceChecked(cell, spy, new float[4], new float[] {1f}, 0.2f);
    assertThat(steps).isEqualTo(10);
  }

  @Test
  void capedGapEqualsTheSameNumberOfDefaultSteps() {
    // A gap beyond the cap: maxSteps Euler steps of tauMin (the same as maxSteps unfolds of dt =
    // tauMin), then one closed-form step over the rest of the gap.
    CellConfig capped = new CellConfig(4, CellType.LIQUID, 0.02f, 2.0f, 0.02f, 1, 10, 1f, 0.9f);
    CellConfig unfolded = capped.withUnfolds(10);
    LiquidCell a = new LiquidCell(capped, 2, 0, 9);
    LiquidCell b = new LiquidCell(unfolded, 2, 0, 9);
    LiquidCell c = new LiquidCell(capped.withType(CellType.CLOSED_FORM), 2, 0, 9);
    float[] ha = {0.3f, -0.1f, 0.9f, 0f};
    float[] hb = ha.clone();
    float[] x = {0.4f, -2f};
    float[] p = new float[a.width()];
    a.project(K, x, 0, p, 0);
    a.advance(K, ha, p, 0, 1e4f, new float[4], new float[4]);
    b.project(K, x, 0, p, 0);
    b.advance(K, hb, p, 0, Float.NaN, new float[4], new float[4]);
    c.project(K, x, 0, p, 0);
    c.advance(K, hb, p, 0, (float) (1e4f - 10.0 * 0.02f), new float[4], new float[4]);
    assertThat(ha).containsExactly(hb);
  }

  @Test
  void zeroElapsedTakesNoStepAndLeavesTheStateAlone() {
    for (CellType type : CellType.values()) {
      LiquidCell cell = new LiquidCell(CellConfig.DEFAULT.withHidden(3).withType(type), 2, 0, 1);
      float[] h = {0.5f, -0.25f, 1f};
      float[] p = new float[cell.width()];
      cell.project(K, new float[] {3f, 4f}, 0, p, 0);
      assertThat(cell.advance(K, h, p, 0, 0f, new float[3], new float[3])).isZero();
      assertThat(h).containsExactly(0.5f, -0.25f, 1f);
    }
  }

  @Test
  void closedFormUsesUnfoldsEqualSubstepsOfAnyLength() {
    CellConfig cfg = new CellConfig(2, CellType.CLOSED_FORM, 0.02f, 2.0f, 0.02f, 3, 4, 1f, 0.9f);
    LiquidCell cell = new LiquidCell(cfg, 1, 0, 1);
    cell.setWeights(new float[] {U[0], U[1], V[0], V[1]}, WT.clone(), B.clone(), C.clone());
    StepSpy spy = new StepSpy();
    float[] h = new float[2];
    // 5 seconds is far beyond maxSteps * tauMin, but the closed form is exact for any step length
    int steps = advanceChecked(cell, spy, h, new float[] {0.8f}, 5f);
    assertThat(steps).isEqualTo(3);
    assertThat(spy.stepLengths).containsOnly(5f / 3);
    double[] ref = new double[2];
    for (int s = 0; s < 3; s++) {
      ref = referenceStep(CellType.CLOSED_FORM, ref, 0.8, 5.0 / 3);
    }
    assertThat((double) h[0]).isCloseTo(ref[0], within(2e-6));
    assertThat((double) h[1]).isCloseTo(ref[1], within(2e-6));
  }

  @Test
  void saturatedClosedFormStateReachesButNeverExceedsTau() {
    // With a huge step the closed form settles at s * tau: tanh(huge drive) = 1 and tau = tauMax.
    for (float tauMax : new float[] {2.0f, 0.2461634f, 0.43884143f, 3.0121999f, 1.1f}) {
      CellConfig cfg = new CellConfig(1, CellType.CLOSED_FORM, 0.02f, tauMax, 0.02f, 1, 256, 1f, 0.9f);
      LiquidCell cell = new LiquidCell(cfg, 1, 0, 1);
      cell.setWeights(new float[] {1f, 1f}, new float[] {0f}, new float[] {0f}, new float[] {0f});
      float[] h = new float[1];
      float[] p = new float[2];
      cell.project(K, new float[] {1e30f}, 0, p, 0);
      cell.advance(K, h, p, 0, 1e6f, new float[1], new float[1]);
      assertThat(h[0]).as("tauMax %s", tauMax).isLessThanOrEqualTo(tauMax).isCloseTo(tauMax, within(tauMax * 1e-6f));
    }
  }

  @Test
  void setWeightsRejectsWrongShapesAndKeepsTheOldWeights() {
    LiquidCell cell = tinyCell(CellType.LIQUID, 1);
    float[] proj = cell.projection().clone();
    assertThatThrownBy(() -> cell.setWeights(new float[3], WT.clone(), B.clone(), C.clone()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("wrong shape");
    assertThatThrownBy(() -> cell.setWeights(proj, new float[5], B.clone(), C.clone()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(cell.projection()).containsExactly(proj);
    assertThat(cell.recurrent()).containsExactly(WT);
  }

  @Test
  void configRejectsAnUnboundedStepAndOtherNonsense() {
    assertThatThrownBy(() -> new CellConfig(4, CellType.LIQUID, 0.02f, 2f, 0.03f, 1, 256, 1f, 0.9f))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dt must lie in (0, tauMin]");
    assertThatThrownBy(() -> new CellConfig(0, CellType.LIQUID, 0.02f, 2f, 0.02f, 1, 256, 1f, 0.9f))
        .hasMessageContaining("hidden must be > 0");
    assertThatThrownBy(() -> new CellConfig(4, CellType.LIQUID, 0f, 2f, 0.02f, 1, 256, 1f, 0.9f))
        .hasMessageContaining("tauMin");
    assertThatThrownBy(() -> new CellConfig(4, CellType.LIQUID, 0.02f, 0.01f, 0.02f, 1, 256, 1f, 0.9f))
        .hasMessageContaining("tauMin <= tauMax");
    assertThatThrownBy(() -> new CellConfig(4, CellType.LIQUID, 0.02f, Float.POSITIVE_INFINITY, 0.02f, 1, 256, 1f, 0.9f))
        .hasMessageContaining("tauMax < inf");
    assertThatThrownBy(() -> new CellConfig(4, CellType.LIQUID, 0.02f, 2f, 0.02f, 0, 256, 1f, 0.9f))
        .hasMessageContaining("unfolds must be > 0");
    assertThatThrownBy(() -> new CellConfig(4, CellType.LIQUID, 0.02f, 2f, 0.02f, 1, 0, 1f, 0.9f))
        .hasMessageContaining("maxStepsPerInput must be > 0");
    assertThatThrownBy(() -> new CellConfig(4, CellType.LIQUID, 0.02f, 2f, 0.02f, 1, 256, Float.NaN, 0.9f))
        .hasMessageContaining("weight scales");
    assertThatThrownBy(() -> new CellConfig(4, CellType.LIQUID, 0.02f, 2f, Float.NaN, 1, 256, 1f, 0.9f))
        .hasMessageContaining("dt must lie");
    assertThatThrownBy(() -> new CellConfig(4, null, 0.02f, 2f, 0.02f, 1, 256, 1f, 0.9f))
        .isInstanceOf(NullPointerException.class).hasMessageContaining("type");
    assertThat(Arrays.asList(CellConfig.DEFAULT.hidden(), CellConfig.DEFAULT.unfolds(), CellConfig.DEFAULT.maxStepsPerInput()))
        .containsExactly(64, 1, 256);
  }
}
