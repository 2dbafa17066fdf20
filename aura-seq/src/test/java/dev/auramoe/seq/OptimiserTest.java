package dev.auramoe.seq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.auramoe.internal.vector.Approx;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Adam, global-norm clipping and the initialisations. */
class OptimiserTest {

  /** An ill-conditioned convex quadratic, sum_i a_i (w_i - t_i)^2 with a_i from 0.01 to 100. */
  @Test
  void adamConvergesOnAnIllConditionedQuadratic() {
    Parameter p = new Parameter("w", 8);
    float[] a = {0.01f, 0.1f, 0.5f, 1f, 2f, 10f, 50f, 100f};
    float[] target = {3f, -2f, 0.5f, 1f, -1f, 0.25f, 4f, -3f};
    Adam adam = new Adam(List.of(p), Adam.Settings.DEFAULT.withLearningRate(0.05f));
    for (int step = 0; step < 3000; step++) {
      p.zeroGradient();
      for (int i = 0; i < 8; i++) {
        p.gradient()[i] = 2 * a[i] * (p.values()[i] - target[i]);
      }
      adam.step();
      if (step == 2000) {
        adam.setSettings(adam.settings().withLearningRate(0.005f));
      }
    }
    for (int i = 0; i < 8; i++) {
      assertThat(p.values()[i]).as("w[%d]", i).isCloseTo(target[i], within(1e-2f));
    }
    assertThat(adam.steps()).isEqualTo(3000);
  }

  /**
   * With bias correction the first step moves every weight by lr * g / (|g| + eps), about lr, for
   * any gradient scale; without it the step would be lr (1 - beta1) / sqrt(1 - beta2), 3.16 lr.
   */
  @Test
  void firstStepIsBiasCorrected() {
    Parameter p = new Parameter("w", 3);
    p.gradient()[0] = 1e-3f;
    p.gradient()[1] = -20f;
    p.gradient()[2] = 0f;
    new Adam(List.of(p), Adam.Settings.DEFAULT.withLearningRate(0.1f)).step();
    assertThat(p.values()[0]).isCloseTo(-0.1f, within(1e-5f));
    assertThat(p.values()[1]).isCloseTo(0.1f, within(1e-5f));
    assertThat(p.values()[2]).isZero();
  }

  /** A schedule's rate takes effect at the next step, is what settings() reports, and is checked. */
  @Test
  void aScheduledRateIsTheNextStepsAndIsChecked() {
    Parameter p = new Parameter("w", 1);
    Adam adam = new Adam(List.of(p), Adam.Settings.DEFAULT.withLearningRate(0.1f));
    adam.setLearningRate(0.25f);
    assertThat(adam.settings().learningRate()).isEqualTo(0.25f);
    p.gradient()[0] = 2f;
    adam.step();
    // The first step is lr in the gradient's direction (bias-corrected).
    assertThat(p.values()[0]).isCloseTo(-0.25f, within(1e-6f));
    assertThatThrownBy(() -> adam.setLearningRate(0f)).hasMessageContaining("learningRate");
    assertThatThrownBy(() -> adam.setLearningRate(Float.NaN)).hasMessageContaining("learningRate");
    assertThat(adam.settings().learningRate()).isEqualTo(0.25f);
    adam.setSettings(Adam.Settings.DEFAULT);
    assertThat(adam.settings().learningRate()).isEqualTo(Adam.Settings.DEFAULT.learningRate());
  }

  /** Decoupled decay: with a zero gradient each step multiplies a weight by 1 - lr * decay. */
  @Test
  void weightDecayIsDecoupled() {
    Parameter p = new Parameter("w", 1, 1);
    p.values()[0] = 2f;
    Adam adam = new Adam(List.of(p), Adam.Settings.DEFAULT.withLearningRate(0.1f).withWeightDecay(0.5f));
    for (int i = 0; i < 10; i++) {
      adam.step();
    }
    assertThat(p.values()[0]).isCloseTo((float) (2 * Math.pow(0.95, 10)), within(1e-5f));
  }

  /**
   * Decay shrinks weight matrices towards zero; a bias (or a time-constant bias) is an offset, and
   * decaying it would pull every unit towards its zero-input operating point: vectors are left alone.
   */
  @Test
  void weightDecaySparesBiases() {
    Parameter w = new Parameter("layer.W", 1, 1);
    Parameter b = new Parameter("layer.b", 1);
    w.values()[0] = 2f;
    b.values()[0] = 2f;
    assertThat(w.decayed()).isTrue();
    assertThat(b.decayed()).isFalse();
    Adam adam = new Adam(List.of(w, b), Adam.Settings.DEFAULT.withLearningRate(0.1f).withWeightDecay(0.5f));
    for (int i = 0; i < 10; i++) {
      adam.step();
    }
    assertThat(w.values()[0]).isCloseTo((float) (2 * Math.pow(0.95, 10)), within(1e-5f));
    assertThat(b.values()[0]).isEqualTo(2f);
  }

  /**
   * A non-finite gradient (an exploded backward pass, or a caller that skipped clipping) is refused
   * by the step itself, naming the parameter and element: no value, no moment and no step count
   * changes, so the step after a fixed gradient is the same as a fresh optimiser's first step.
   */
  @Test
  void aStepRefusesANonFiniteGradientAndChangesNothing() {
    Parameter a = new Parameter("a.W", 2, 2);
    Parameter b = new Parameter("b.W", 3, 1);
    Adam adam = new Adam(List.of(a, b), Adam.Settings.DEFAULT.withLearningRate(0.1f).withWeightDecay(0.1f));
    Parameter a2 = new Parameter("a.W", 2, 2);
    Parameter b2 = new Parameter("b.W", 3, 1);
    Adam fresh = new Adam(List.of(a2, b2), Adam.Settings.DEFAULT.withLearningRate(0.1f).withWeightDecay(0.1f));
    for (Parameter p : List.of(a, b, a2, b2)) {
      Init.scaledNormal(p.values(), 1.0, new Random(p.size()));
      Init.scaledNormal(p.gradient(), 1.0, new Random(p.size() + 7));
    }
    float[] kept = a.values().clone();
    b.gradient()[2] = Float.POSITIVE_INFINITY;
    assertThatThrownBy(adam::step).isInstanceOf(IllegalStateException.class).hasMessageContaining("b.W[2]");
    b.gradient()[2] = Float.NaN;
    assertThatThrownBy(adam::step).isInstanceOf(IllegalStateException.class).hasMessageContaining("b.W[2]");
    assertThat(a.values()).containsExactly(kept);
    assertThat(adam.steps()).isZero();
    b.gradient()[2] = b2.gradient()[2];
    adam.step();
    fresh.step();
    assertThat(a.values()).containsExactly(a2.values());
    assertThat(b.values()).containsExactly(b2.values());
  }

  /** A parameter listed twice would take two steps per step, on moments shared between its two slots. */
  @Test
  void aParameterListedTwiceIsRefused() {
    Parameter p = new Parameter("head.W", 2);
    Parameter q = new Parameter("head.b", 1);
    assertThatThrownBy(() -> new Adam(List.of(p, q, p), Adam.Settings.DEFAULT))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("head.W");
  }

  @Test
  void settingsRejectBadValues() {
    assertThatThrownBy(() -> new Adam.Settings(0f, 0.9f, 0.999f, 1e-8f, 0f)).hasMessageContaining("learningRate");
    assertThatThrownBy(() -> new Adam.Settings(1e-3f, 1f, 0.999f, 1e-8f, 0f)).hasMessageContaining("beta1");
    assertThatThrownBy(() -> new Adam.Settings(1e-3f, 0.9f, -0.1f, 1e-8f, 0f)).hasMessageContaining("beta2");
    assertThatThrownBy(() -> new Adam.Settings(1e-3f, 0.9f, 0.999f, 0f, 0f)).hasMessageContaining("eps");
    assertThatThrownBy(() -> new Adam.Settings(1e-3f, 0.9f, 0.999f, 1e-8f, Float.NaN)).hasMessageContaining("weightDecay");
  }

  @Test
  void clippingBoundsTheGlobalNormAndKeepsTheDirection() {
    Random r = new Random(2);
    Parameter a = new Parameter("a", 4, 5);
    Parameter b = new Parameter("b", 7);
    Init.scaledNormal(a.gradient(), 3.0, r);
    Init.scaledNormal(b.gradient(), 3.0, r);
    List<Parameter> ps = List.of(a, b);
    float[] before = a.gradient().clone();
    double norm = Gradients.clipGlobalNorm(ps, 1.0);
    assertThat(norm).isGreaterThan(5.0);
    assertThat(Gradients.globalNorm(ps)).isCloseTo(1.0, within(1e-6)).isLessThanOrEqualTo(1.0 + 1e-6);
    for (int i = 0; i < before.length; i++) {
      assertThat(a.gradient()[i]).isCloseTo((float) (before[i] / norm), within(1e-6f));
    }
    // Below the bound nothing changes, bit for bit.
    float[] kept = b.gradient().clone();
    assertThat(Gradients.clipGlobalNorm(ps, 2.0)).isCloseTo(1.0, within(1e-6));
    assertThat(b.gradient()).containsExactly(kept);
  }

  @Test
  void clippingRefusesANonFiniteGradientAndChangesNothing() {
    Parameter a = new Parameter("layer.W", 3);
    a.gradient()[0] = 5f;
    a.gradient()[1] = Float.NaN;
    assertThatThrownBy(() -> Gradients.clipGlobalNorm(List.of(a), 1.0)).hasMessageContaining("layer.W");
    assertThat(a.gradient()[0]).isEqualTo(5f);
    assertThatThrownBy(() -> Gradients.clipGlobalNorm(List.of(a), 0)).hasMessageContaining("maxNorm");
  }

  @Test
  void orthogonalInitialisationIsOrthogonal() {
    for (int n : new int[] {1, 2, 7, 64}) {
      float[] w = new float[n * n];
      Init.orthogonal(w, n, 0.9f, new Random(n));
      for (int i = 0; i < n; i++) {
        for (int k = 0; k < n; k++) {
          double d = 0;
          for (int j = 0; j < n; j++) {
            d += (double) w[i * n + j] * w[k * n + j];
          }
          assertThat(d).as("n %d, rows %d and %d", n, i, k).isCloseTo(i == k ? 0.81 : 0.0, within(1e-5));
        }
      }
    }
  }

  @Test
  void xavierStaysInItsBoundsAndSpreadsOverThem() {
    float[] w = new float[4000];
    Init.xavierUniform(w, 30, 10, 1f, new Random(4));
    double a = Math.sqrt(6.0 / 40);
    double max = 0;
    for (float v : w) {
      assertThat(Math.abs(v)).isLessThanOrEqualTo((float) a);
      max = Math.max(max, Math.abs(v));
    }
    assertThat(max).isGreaterThan(0.99 * a);
  }

  @Test
  void tauBiasSpreadsTheTimeConstants() {
    float[] c = new float[5];
    dev.auramoe.cell.LiquidCell.restingTimeConstantBiases(c, 0.02f, 2.0f);
    assertThat(Approx.softplus(c[0]) + 0.02f).isCloseTo(0.05f, within(1e-5f));
    assertThat(Approx.softplus(c[4]) + 0.02f).isCloseTo(1.5f, within(1e-4f));
  }
}
