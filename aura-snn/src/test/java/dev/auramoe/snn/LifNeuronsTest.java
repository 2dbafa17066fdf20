package dev.auramoe.snn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.auramoe.internal.vector.KernelProvider;
import dev.auramoe.internal.vector.KernelSupport;
import dev.auramoe.snn.LifConfig.Reset;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class LifNeuronsTest {

  /**
   * The smooth twin's backward pass is the exact gradient of the twin: checked against central
   * finite differences of the formulas, written again in double precision. With the reset detached,
   * the function differentiated is the twin whose reset values are frozen at the point of the check
   * (the reset is a constant to the gradient, which is what detaching means).
   */
  @ParameterizedTest(name = "{0} x {1}, {2}, {3}, detached {4}")
  @CsvSource({
      "1, 1, HARD, ARCTAN, false", "4, 7, HARD, ARCTAN, false", "8, 19, HARD, SIGMOID, false",
      "5, 33, SOFT, ARCTAN, false", "6, 17, SOFT, SIGMOID, false",
      "6, 17, HARD, ARCTAN, true", "7, 9, SOFT, SIGMOID, true", "3, 40, HARD, SIGMOID, true"})
  void smoothTwinGradientMatchesDoubleFiniteDifferences(int steps, int n, Reset reset, Surrogate surrogate,
      boolean detach) {
    LifConfig cfg = LifConfig.DEFAULT.withReset(reset).withSurrogate(surrogate).withDetachReset(detach)
        .withTau(reset == Reset.HARD ? 2f : 3f).withThreshold(reset == Reset.HARD ? 1f : 0.7f);
    Random r = new Random(steps * 100L + n);
    float[] x = new float[steps * n];
    double[] coef = new double[steps * n];
    for (int k = 0; k < x.length; k++) {
      x[k] = (float) (1.6 + 1.5 * r.nextGaussian());
      coef[k] = r.nextGaussian();
    }
    LifNeurons twin = new LifNeurons(cfg, KernelProvider.get(), true);
    float[] out = new float[steps * n];
    twin.forward(x, steps, n, out);
    float[] g = new float[steps * n];
    for (int k = 0; k < g.length; k++) {
      g[k] = (float) coef[k];
    }
    float[] dx = new float[steps * n];
    twin.backward(g, dx);

    double[] xd = new double[x.length];
    for (int k = 0; k < x.length; k++) {
      xd[k] = x[k];
    }
    double[] frozen = detach ? smoothResetValues(cfg, xd, steps, n) : null;
    // The twin's outputs are the reference's to float precision.
    double[] ref = smooth(cfg, xd, steps, n, frozen);
    for (int k = 0; k < out.length; k++) {
      assertThat((double) out[k]).as("output %d", k).isCloseTo(ref[k], org.assertj.core.data.Offset.offset(2e-5));
    }
    double eps = 1e-4;
    for (int k = 0; k < x.length; k++) {
      double keep = xd[k];
      xd[k] = keep + eps;
      double up = Doubles.dot(smooth(cfg, xd, steps, n, frozen), coef);
      xd[k] = keep - eps;
      double down = Doubles.dot(smooth(cfg, xd, steps, n, frozen), coef);
      xd[k] = keep;
      double numeric = (up - down) / (2 * eps);
      assertThat((double) dx[k]).as("dL/dx[%d] (step %d, neuron %d)", k, k / n, k % n)
          .isCloseTo(numeric, org.assertj.core.data.Offset.offset(1e-4 + 1e-3 * Math.abs(numeric)));
    }
  }

  /** Spikes are the step function of the membrane: the forward pass matches the formulas in double precision. */
  @ParameterizedTest(name = "{0}")
  @CsvSource({"HARD", "SOFT"})
  void spikesFollowTheMembraneFormula(Reset reset) {
    LifConfig cfg = LifConfig.DEFAULT.withReset(reset);
    int steps = 12;
    int n = 37;
    Random r = new Random(5);
    float[] x = new float[steps * n];
    for (int k = 0; k < x.length; k++) {
      x[k] = (float) (1.2 + r.nextGaussian());
    }
    float[] s = new float[steps * n];
    LifNeurons lif = new LifNeurons(cfg);
    lif.forward(x, steps, n, s);
    long fired = 0;
    for (int i = 0; i < n; i++) {
      double v = 0;
      for (int t = 0; t < steps; t++) {
        double h = v + (x[t * n + i] - v) / cfg.tau();
        double spike = h >= cfg.threshold() ? 1 : 0;
        if (Math.abs(h - cfg.threshold()) > 1e-5) {
          assertThat((double) s[t * n + i]).as("spike of neuron %d at step %d (h %f)", i, t, h).isEqualTo(spike);
        }
        v = reset == Reset.HARD ? h * (1 - spike) : h - cfg.threshold() * spike;
        fired += (long) spike;
      }
    }
    assertThat(fired).isBetween(1L, (long) steps * n - 1);
    assertThat(lif.spikeCount()).isEqualTo(fired);
    assertThat(lif.firingRate()).isEqualTo((double) fired / (steps * n));
  }

  /** A membrane exactly at the threshold fires (h &gt;= threshold), on both kernels. */
  @Test
  void aMembraneAtTheThresholdFires() {
    for (KernelSupport k : kernels()) {
      LifNeurons lif = new LifNeurons(LifConfig.DEFAULT, k, false);
      float[] s = new float[2];
      lif.forward(new float[] {2f, 1.9999999f}, 1, 2, s);
      assertThat(s).as(k.name()).containsExactly(1f, 0f);
    }
  }

  /** The Vector API kernels and their scalar twins give the same bits, at awkward sizes and ties (x = 1.6: h = 0.8). */
  @ParameterizedTest(name = "n {0}")
  @CsvSource({"1", "3", "15", "16", "17", "31", "33", "64", "100"})
  void vectorAndScalarKernelsAgreeBitForBit(int n) {
    KernelSupport panama = KernelProvider.panamaOrNull();
    assumeThat(panama).as("Vector API kernels (needs --add-modules jdk.incubator.vector)").isNotNull();
    int steps = 6;
    Random r = new Random(n);
    float[] x = new float[steps * n];
    float[] g = new float[steps * n];
    for (int k = 0; k < x.length; k++) {
      x[k] = k % 11 == 3 ? 1.6f : (float) (1.5 + 1.5 * r.nextGaussian());
      g[k] = (float) r.nextGaussian();
    }
    for (Reset reset : Reset.values()) {
      for (Surrogate sur : Surrogate.values()) {
        for (boolean detach : new boolean[] {false, true}) {
          // Threshold 0.8: a kernel that dropped the threshold from a product would still agree at 1.
          LifConfig cfg = LifConfig.DEFAULT.withReset(reset).withSurrogate(sur).withDetachReset(detach)
              .withThreshold(0.8f);
          LifNeurons a = new LifNeurons(cfg, KernelProvider.scalar(), false);
          LifNeurons b = new LifNeurons(cfg, panama, false);
          float[] sa = new float[steps * n];
          float[] sb = new float[steps * n];
          a.forward(x, steps, n, sa);
          b.forward(x, steps, n, sb);
          assertThat(sb).as("spikes, %s", cfg).containsExactly(sa);
          float[] da = new float[steps * n];
          float[] db = new float[steps * n];
          a.backward(g, da);
          b.backward(g, db);
          for (int k = 0; k < da.length; k++) {
            assertThat(Float.floatToIntBits(db[k])).as("dx[%d], %s", k, cfg).isEqualTo(Float.floatToIntBits(da[k]));
          }
        }
      }
    }
  }

  /** The backward pass may write the input gradients over the spikes' gradients (one buffer). */
  @Test
  void backwardMayOverwriteItsInput() {
    LifNeurons lif = new LifNeurons(LifConfig.DEFAULT);
    Random r = new Random(9);
    int steps = 5;
    int n = 21;
    float[] x = new float[steps * n];
    float[] g = new float[steps * n];
    for (int k = 0; k < x.length; k++) {
      x[k] = (float) (1.5 + r.nextGaussian());
      g[k] = (float) r.nextGaussian();
    }
    float[] s = new float[steps * n];
    lif.forward(x, steps, n, s);
    float[] separate = new float[steps * n];
    lif.backward(g, separate);
    lif.backward(g, g);
    assertThat(g).containsExactly(separate);
  }

  @Test
  void refusesBadSettingsAndShapes() {
    assertThatThrownBy(() -> LifConfig.DEFAULT.withTau(1f)).hasMessageContaining("tau");
    assertThatThrownBy(() -> LifConfig.DEFAULT.withTau(Float.NaN)).hasMessageContaining("tau");
    assertThatThrownBy(() -> LifConfig.DEFAULT.withThreshold(0f)).hasMessageContaining("threshold");
    assertThatThrownBy(() -> LifConfig.DEFAULT.withThreshold(Float.POSITIVE_INFINITY)).hasMessageContaining("threshold");
    assertThatThrownBy(() -> LifConfig.DEFAULT.withAlpha(-1f)).hasMessageContaining("alpha");
    LifNeurons lif = new LifNeurons(LifConfig.DEFAULT);
    assertThatThrownBy(() -> lif.backward(new float[4], new float[4])).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> lif.forward(new float[5], 2, 3, new float[6])).hasMessageContaining("current needs 6");
    assertThatThrownBy(() -> lif.forward(new float[6], 2, 3, new float[5])).hasMessageContaining("spikes needs 6");
    assertThatThrownBy(() -> lif.forward(new float[6], 0, 3, new float[6])).hasMessageContaining("steps > 0");
    assertThatThrownBy(() -> lif.forward(new float[6], 1 << 16, 1 << 16, new float[6])).hasMessageContaining("too large");
    lif.forward(new float[6], 2, 3, new float[6]);
    assertThatThrownBy(() -> lif.backward(new float[6], new float[5])).hasMessageContaining("dCurrent needs 6");
  }

  private static KernelSupport[] kernels() {
    KernelSupport panama = KernelProvider.panamaOrNull();
    return panama == null ? new KernelSupport[] {KernelProvider.scalar()}
        : new KernelSupport[] {KernelProvider.scalar(), panama};
  }

  /** The smooth twin in double precision; with {@code frozen}, the reset uses those values instead. */
  static double[] smooth(LifConfig c, double[] x, int steps, int n, double[] frozen) {
    double[] out = new double[steps * n];
    for (int i = 0; i < n; i++) {
      double v = 0;
      for (int t = 0; t < steps; t++) {
        int k = t * n + i;
        double h = v + (x[k] - v) / c.tau();
        double s = c.surrogate().primitive(h - c.threshold(), c.alpha());
        out[k] = s;
        double rs = frozen == null ? s : frozen[k];
        v = c.reset() == Reset.HARD ? h * (1 - rs) : h - c.threshold() * rs;
      }
    }
    return out;
  }

  private static double[] smoothResetValues(LifConfig c, double[] x, int steps, int n) {
    return smooth(c, x, steps, n, null);
  }
}
