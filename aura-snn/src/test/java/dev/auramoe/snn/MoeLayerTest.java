package dev.auramoe.snn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import dev.auramoe.balance.BalanceConfig;
import dev.auramoe.internal.vector.KernelProvider;
import dev.auramoe.seq.Parameter;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MoeLayerTest {

  private static final LifConfig SMOOTH = LifConfig.DEFAULT.withThreshold(0.4f).withDetachReset(false);

  /**
   * Every gradient (the input, the router's and each expert's parameters) against central finite
   * differences of the layer's formulas in double precision, the routing held at the forward pass's
   * choice. WEIGHTED is the exact gradient; SPIKE_DRIVEN's straight-through gradient is the exact
   * gradient of {@code y = sum_{e in S} (1 + w_e - w_e0) O_e}, w_e0 the weights of the point of the
   * check, which has the same value there. The spiking experts are the LIF neurons' smooth twin.
   */
  @ParameterizedTest(name = "{0}, {1} activation, T {2}, tokens {3}, k {4}")
  @CsvSource({"WEIGHTED, relu, 1, 5, 2", "WEIGHTED, lif, 3, 4, 2", "SPIKE_DRIVEN, lif, 3, 6, 2",
      "SPIKE_DRIVEN, relu, 2, 3, 3"})
  void gradientsMatchDoubleFiniteDifferences(MoeLayer.Combination comb, String activation, int steps, int tokens,
      int k) {
    int dim = 5;
    int hidden = 6;
    int experts = 3;
    Supplier<Activation> act = activation.equals("relu") ? Relu::new
        : () -> new LifNeurons(SMOOTH, KernelProvider.get(), true);
    MoeLayer layer = new MoeLayer("moe", dim, hidden, experts, k, comb, act, BalanceConfig.OFF, new Random(3));
    Random r = new Random(steps * 31L + tokens);
    List<Parameter> ps = layer.parameters();
    for (Parameter p : ps) {
      float[] v = p.values();
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) (0.6 * r.nextGaussian());
      }
    }
    int size = steps * tokens * dim;
    float[] x = new float[size];
    float[] gy = new float[size];
    double[] coef = new double[size];
    for (int i = 0; i < size; i++) {
      x[i] = (float) (comb == MoeLayer.Combination.SPIKE_DRIVEN ? r.nextInt(2) : r.nextGaussian());
      coef[i] = r.nextGaussian();
      gy[i] = (float) coef[i];
    }
    float[] y = new float[size];
    layer.zeroGradients();
    layer.forward(x, steps, tokens, y);
    float[] dx = new float[size];
    layer.backward(x, gy, dx);

    int[] chosen = layer.gate().chosen().clone();
    Reference ref = new Reference(comb, activation, steps, tokens, dim, hidden, experts, k, chosen);
    double[][] params = new double[ps.size()][];
    for (int i = 0; i < ps.size(); i++) {
      params[i] = Doubles.of(ps.get(i).values());
    }
    double[] xd = Doubles.of(x);
    ref.frozen = comb == MoeLayer.Combination.SPIKE_DRIVEN ? ref.weights(params, xd) : null;
    double[] yRef = ref.forward(params, xd);
    for (int i = 0; i < size; i++) {
      assertThat((double) y[i]).as("y[%d]", i).isCloseTo(yRef[i], offset(1e-4 + 1e-4 * Math.abs(yRef[i])));
    }
    double eps = 1e-4;
    for (int i = 0; i < size; i++) {
      double keep = xd[i];
      xd[i] = keep + eps;
      double up = Doubles.dot(ref.forward(params, xd), coef);
      xd[i] = keep - eps;
      double down = Doubles.dot(ref.forward(params, xd), coef);
      xd[i] = keep;
      double numeric = (up - down) / (2 * eps);
      assertThat((double) dx[i]).as("dL/dx[%d]", i).isCloseTo(numeric, offset(5e-4 + 2e-3 * Math.abs(numeric)));
    }
    for (int p = 0; p < ps.size(); p++) {
      float[] g = ps.get(p).gradient();
      for (int i = 0; i < params[p].length; i++) {
        double keep = params[p][i];
        params[p][i] = keep + eps;
        double up = Doubles.dot(ref.forward(params, xd), coef);
        params[p][i] = keep - eps;
        double down = Doubles.dot(ref.forward(params, xd), coef);
        params[p][i] = keep;
        double numeric = (up - down) / (2 * eps);
        assertThat((double) g[i]).as("dL/d%s[%d]", ps.get(p).name(), i)
            .isCloseTo(numeric, offset(5e-4 + 2e-3 * Math.abs(numeric)));
      }
    }
  }

  /** Each token reaches exactly k experts; the spike-driven counts follow from the spikes routed. */
  @Test
  void routesEveryTokenToKExpertsAndCountsItsOperations() {
    int dim = 8;
    int hidden = 16;
    int experts = 4;
    int steps = 2;
    int tokens = 50;
    MoeLayer layer = new MoeLayer("moe", dim, hidden, experts, 2, MoeLayer.Combination.SPIKE_DRIVEN,
        () -> new LifNeurons(LifConfig.DEFAULT), BalanceConfig.OFF, new Random(1));
    Random r = new Random(2);
    float[] x = new float[steps * tokens * dim];
    long spikes = 0;
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextInt(3) == 0 ? 1f : 0f;
      spikes += (long) x[i];
    }
    float[] y = new float[x.length];
    layer.forward(x, steps, tokens, y);
    int total = 0;
    for (int e = 0; e < experts; e++) {
      total += layer.routedTokens(e);
    }
    assertThat(total).isEqualTo(2 * tokens);
    assertThat(layer.routerAccumulates()).as("a row per spike, and the bias per token")
        .isEqualTo(spikes * experts + (long) tokens * experts);
    assertThat(layer.routerMacs()).isZero();
    assertThat(layer.expertMacs()).isZero();
    // Each token's spikes feed the up projection of its two experts (hidden accumulates each), plus
    // the hidden spikes, the combination's adds and both projections' bias adds.
    long upper = 2 * spikes * hidden;
    long combine = 2L * steps * tokens * dim;
    long hiddenSpikes = 0;
    for (int e = 0; e < experts; e++) {
      hiddenSpikes += ((LifNeurons) layer.activation(e)).spikeCount();
    }
    long biases = 2L * steps * tokens * (hidden + dim);
    assertThat(layer.expertAccumulates()).isEqualTo(upper + hiddenSpikes * dim + combine + biases);
  }

  @Test
  void refusesBadShapes() {
    assertThatThrownBy(() -> new MoeLayer("m", 4, 4, 1, 1, MoeLayer.Combination.WEIGHTED, Relu::new,
        BalanceConfig.OFF, new Random(1))).hasMessageContaining("at least 2 experts");
    assertThatThrownBy(() -> new MoeLayer("m", 4, 4, 3, 4, MoeLayer.Combination.WEIGHTED, Relu::new,
        BalanceConfig.OFF, new Random(1))).hasMessageContaining("k in [1, 3]");
    MoeLayer layer = new MoeLayer("m", 4, 4, 3, 2, MoeLayer.Combination.WEIGHTED, Relu::new, BalanceConfig.OFF,
        new Random(1));
    assertThatThrownBy(() -> layer.backward(new float[8], new float[8], new float[8]))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> layer.forward(new float[7], 1, 2, new float[8])).hasMessageContaining("needs 8 inputs");
    assertThatThrownBy(() -> layer.forward(new float[8], 0, 2, new float[8])).hasMessageContaining("steps > 0");
  }

  /** The layer written again in double precision, its routing given. */
  private static final class Reference {
    final MoeLayer.Combination comb;
    final String activation;
    final int steps;
    final int tokens;
    final int dim;
    final int hidden;
    final int experts;
    final int k;
    final int[] chosen;
    double[] frozen;

    Reference(MoeLayer.Combination comb, String activation, int steps, int tokens, int dim, int hidden, int experts,
        int k, int[] chosen) {
      this.comb = comb;
      this.activation = activation;
      this.steps = steps;
      this.tokens = tokens;
      this.dim = dim;
      this.hidden = hidden;
      this.experts = experts;
      this.k = k;
      this.chosen = chosen;
    }

    /** The renormalised weights of the chosen experts, tokens x experts. */
    double[] weights(double[][] p, double[] x) {
      double[] w = new double[tokens * experts];
      for (int tok = 0; tok < tokens; tok++) {
        double[] l = new double[experts];
        double max = Double.NEGATIVE_INFINITY;
        for (int e = 0; e < experts; e++) {
          double s = p[1][e];
          for (int d = 0; d < dim; d++) {
            double r = 0;
            for (int t = 0; t < steps; t++) {
              r += x[(t * tokens + tok) * dim + d];
            }
            s += r * p[0][d * experts + e];
          }
          l[e] = s;
          max = Math.max(max, s);
        }
        double kept = 0;
        for (int j = 0; j < k; j++) {
          kept += Math.exp(l[chosen[tok * k + j]] - max);
        }
        for (int j = 0; j < k; j++) {
          int e = chosen[tok * k + j];
          w[tok * experts + e] = Math.exp(l[e] - max) / kept;
        }
      }
      return w;
    }

    double[] forward(double[][] p, double[] x) {
      double[] w = weights(p, x);
      double[] y = new double[steps * tokens * dim];
      for (int tok = 0; tok < tokens; tok++) {
        for (int j = 0; j < k; j++) {
          int e = chosen[tok * k + j];
          double[] upW = p[2 + 4 * e];
          double[] upB = p[3 + 4 * e];
          double[] downW = p[4 + 4 * e];
          double[] downB = p[5 + 4 * e];
          double[] cur = new double[steps * hidden];
          for (int t = 0; t < steps; t++) {
            for (int h = 0; h < hidden; h++) {
              double s = upB[h];
              for (int d = 0; d < dim; d++) {
                s += x[(t * tokens + tok) * dim + d] * upW[d * hidden + h];
              }
              cur[t * hidden + h] = s;
            }
          }
          double[] a = new double[cur.length];
          if (activation.equals("relu")) {
            for (int i = 0; i < cur.length; i++) {
              a[i] = Math.max(cur[i], 0);
            }
          } else {
            a = LifNeuronsTest.smooth(SMOOTH, cur, steps, hidden, null);
          }
          double c = comb == MoeLayer.Combination.WEIGHTED ? w[tok * experts + e]
              : 1 + w[tok * experts + e] - frozen[tok * experts + e];
          for (int t = 0; t < steps; t++) {
            for (int d = 0; d < dim; d++) {
              double s = downB[d];
              for (int h = 0; h < hidden; h++) {
                s += a[t * hidden + h] * downW[h * dim + d];
              }
              y[(t * tokens + tok) * dim + d] += c * s;
            }
          }
        }
      }
      return y;
    }
  }
}
