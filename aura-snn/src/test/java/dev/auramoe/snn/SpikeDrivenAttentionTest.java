package dev.auramoe.snn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import dev.auramoe.internal.vector.KernelProvider;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SpikeDrivenAttentionTest {

  /**
   * With the mask's smooth twin, the backward pass is the exact gradient of the attention as a
   * function of real-valued q, k and v: checked against central finite differences of the formulas
   * in double precision.
   */
  @ParameterizedTest(name = "T {0}, B {1}, N {2}, D {3}")
  @CsvSource({"1, 1, 1, 1", "3, 2, 5, 7", "4, 1, 9, 17", "2, 3, 4, 33"})
  void gradientsMatchDoubleFiniteDifferences(int steps, int batch, int tokens, int dim) {
    LifConfig cfg = SpikeDrivenAttention.DEFAULT_MASK.withDetachReset(false);
    SpikeDrivenAttention att = new SpikeDrivenAttention(new LifNeurons(cfg, KernelProvider.get(), true));
    int size = steps * batch * tokens * dim;
    Random r = new Random(size);
    float[] q = new float[size];
    float[] k = new float[size];
    float[] v = new float[size];
    double[] coef = new double[size];
    float[] gy = new float[size];
    for (int i = 0; i < size; i++) {
      q[i] = (float) r.nextGaussian();
      k[i] = (float) (0.5 * r.nextGaussian());
      v[i] = (float) (0.5 * r.nextGaussian());
      coef[i] = r.nextGaussian();
      gy[i] = (float) coef[i];
    }
    float[] y = new float[size];
    att.forward(q, k, v, steps, batch, tokens, dim, y);
    float[] gq = new float[size];
    float[] gk = new float[size];
    float[] gv = new float[size];
    att.backward(q, k, v, gy, gq, gk, gv);

    double[][] in = {Doubles.of(q), Doubles.of(k), Doubles.of(v)};
    double[] ref = reference(cfg, in[0], in[1], in[2], steps, batch, tokens, dim);
    for (int i = 0; i < size; i++) {
      assertThat((double) y[i]).as("y[%d]", i).isCloseTo(ref[i], offset(1e-5 + 1e-5 * Math.abs(ref[i])));
    }
    float[][] analytic = {gq, gk, gv};
    String[] names = {"q", "k", "v"};
    double eps = 1e-4;
    for (int which = 0; which < 3; which++) {
      double[] x = in[which];
      for (int i = 0; i < size; i++) {
        double keep = x[i];
        x[i] = keep + eps;
        double up = Doubles.dot(reference(cfg, in[0], in[1], in[2], steps, batch, tokens, dim), coef);
        x[i] = keep - eps;
        double down = Doubles.dot(reference(cfg, in[0], in[1], in[2], steps, batch, tokens, dim), coef);
        x[i] = keep;
        double numeric = (up - down) / (2 * eps);
        assertThat((double) analytic[which][i]).as("dL/d%s[%d]", names[which], i)
            .isCloseTo(numeric, offset(2e-4 + 1e-3 * Math.abs(numeric)));
      }
    }
  }

  /**
   * On spikes: a channel lets the queries through exactly when, over the steps so far, enough tokens
   * carried a key and a value spike there; the count of those tokens is the accumulates figure.
   */
  @Test
  void spikesMaskTheQueriesByChannel() {
    int steps = 1;
    int batch = 1;
    int tokens = 3;
    int dim = 4;
    // Channel 0: token 1 has k and v. Channel 1: k and v on different tokens. Channel 2: two tokens
    // have both. Channel 3: nothing.
    float[] k = {0, 1, 1, 0, /**/ 1, 0, 1, 0, /**/ 0, 0, 0, 0};
    float[] v = {0, 0, 1, 0, /**/ 1, 1, 1, 0, /**/ 0, 1, 0, 0};
    float[] q = {1, 1, 1, 1, /**/ 0, 1, 1, 1, /**/ 1, 1, 0, 1};
    float[] y = new float[12];
    SpikeDrivenAttention att = new SpikeDrivenAttention(SpikeDrivenAttention.DEFAULT_MASK);
    att.forward(q, k, v, steps, batch, tokens, dim, y);
    assertThat(y).containsExactly(1, 0, 1, 0, /**/ 0, 0, 1, 0, /**/ 1, 0, 0, 0);
    assertThat(att.accumulates()).isEqualTo(3);
    assertThat(((LifNeurons) att.mask()).spikeCount()).isEqualTo(2);
  }

  @Test
  void refusesBadShapes() {
    SpikeDrivenAttention att = new SpikeDrivenAttention(SpikeDrivenAttention.DEFAULT_MASK);
    float[] a = new float[12];
    assertThatThrownBy(() -> att.backward(a, a, a, a, a, a, a)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> att.forward(a, a, new float[11], 1, 1, 3, 4, new float[12]))
        .hasMessageContaining("need 12 values");
    assertThatThrownBy(() -> att.forward(a, a, a, 1, 0, 3, 4, a)).hasMessageContaining("> 0");
  }

  private static double[] reference(LifConfig cfg, double[] q, double[] k, double[] v, int steps, int batch,
      int tokens, int dim) {
    double[] counts = new double[steps * batch * dim];
    for (int tb = 0; tb < steps * batch; tb++) {
      for (int n = 0; n < tokens; n++) {
        for (int c = 0; c < dim; c++) {
          int o = (tb * tokens + n) * dim + c;
          counts[tb * dim + c] += k[o] * v[o];
        }
      }
    }
    double[] m = LifNeuronsTest.smooth(cfg, counts, steps, batch * dim, null);
    double[] y = new double[q.length];
    for (int tb = 0; tb < steps * batch; tb++) {
      for (int n = 0; n < tokens; n++) {
        for (int c = 0; c < dim; c++) {
          int o = (tb * tokens + n) * dim + c;
          y[o] = q[o] * m[tb * dim + c];
        }
      }
    }
    return y;
  }
}
