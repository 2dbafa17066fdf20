package dev.auramoe.seq;

import static dev.auramoe.seq.GradientCheckTest.check;
import static dev.auramoe.seq.GradientCheckTest.gaussian;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.auramoe.balance.BalanceConfig;
import dev.auramoe.cell.CellConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The MR-MoE's layers and the whole model against central finite differences of their
 * double-precision specification ({@link DoubleReference}), as {@link GradientCheckTest} reads that
 * check (same step, same tolerance: 1e-3 of the element plus 1e-4 of the tensor's largest
 * gradient), at sizes 1, 5, 7, 13, 17, with left padding whose inputs hold garbage.
 */
class MixtureGradientCheckTest {

  /** Left padding for a batch: sequence r starts at step (r * 3) % steps, so sequence 0 is full. */
  static int[] firstSteps(int batch, int steps) {
    int[] first = new int[batch];
    for (int r = 0; r < batch; r++) {
      first[r] = (r * 3) % steps;
    }
    return first;
  }

  /** Writes NaN into one input of every padded step: a layer must ignore it. */
  static void poisonPadding(float[] x, int[] first, int batch, int width) {
    for (int r = 0; r < batch; r++) {
      for (int t = 0; t < first[r]; t++) {
        x[(t * batch + r) * width] = Float.NaN;
      }
    }
  }

  @ParameterizedTest(name = "batch {0}, steps {1}, F {2}")
  @CsvSource({"1, 1, 1", "2, 5, 5", "3, 7, 13", "5, 4, 17", "4, 6, 2"})
  void featureAttentionMatchesDoubleFiniteDifferences(int batch, int steps, int f) {
    Random r = new Random(31 + batch * 7L + steps * 131L + f);
    FeatureAttention layer = new FeatureAttention("fa", f, r);
    Init.scaledNormal(layer.score().weights().values(), 0.8, r);
    Init.scaledNormal(layer.score().bias().values(), 0.5, r);
    int cells = batch * steps;
    int[] first = firstSteps(batch, steps);
    float[] x = gaussian(cells * f, 1.0, r);
    poisonPadding(x, first, batch, f);
    float[] out = new float[cells * f];
    layer.forward(x, first, batch, steps, out);
    float[] weights = gaussian(cells * f, 1.0, r);
    float[] dx = new float[cells * f];
    layer.zeroGradients();
    layer.backward(weights, dx);

    double[] w = DoubleReference.toDouble(layer.score().weights().values());
    double[] b = DoubleReference.toDouble(layer.score().bias().values());
    double[] xd = DoubleReference.toDouble(x);
    for (int k = 0; k < xd.length; k++) {
      xd[k] = Double.isNaN(xd[k]) ? 0 : xd[k];
    }
    double[] rd = DoubleReference.toDouble(weights);
    double[] ref = DoubleReference.featureAttention(w, b, xd, first, batch, steps, f);
    for (int k = 0; k < out.length; k++) {
      assertThat((double) out[k]).as("x~ %d", k).isCloseTo(ref[k], within(1e-5));
    }
    var loss = (java.util.function.ToDoubleFunction<Void>) v ->
        DoubleReference.dot(rd, DoubleReference.featureAttention(w, b, xd, first, batch, steps, f));
    check("fa.W", layer.score().weights().gradient(), w, loss);
    check("fa.b", layer.score().bias().gradient(), b, loss);
    check("x", dx, xd, loss);
    float[] mean = new float[f];
    long real = layer.meanWeights(mean);
    long expected = 0;
    for (int rr = 0; rr < batch; rr++) {
      expected += steps - first[rr];
      for (int t = 0; t < first[rr]; t++) {
        for (int i = 0; i < f; i++) {
          int k = (t * batch + rr) * f + i;
          assertThat(layer.weights()[k]).as("padding takes no weight").isZero();
          assertThat(dx[k]).as("padding gets no gradient").isZero();
        }
      }
    }
    assertThat(real).isEqualTo(expected);
    double sum = 0;
    for (float m : mean) {
      sum += m;
    }
    assertThat(sum).as("mean weights sum to F").isCloseTo(f, within(1e-4 * f));
  }

  @ParameterizedTest(name = "batch {0}, steps {1}, H {2}, D {3}")
  @CsvSource({"1, 1, 1, 1", "2, 5, 7, 5", "3, 7, 5, 13", "4, 6, 17, 7", "5, 13, 2, 1"})
  void temporalAttentionMatchesDoubleFiniteDifferences(int batch, int steps, int hd, int dim) {
    Random r = new Random(77 + batch * 7L + steps * 131L + hd * 13L + dim);
    TemporalAttention layer = new TemporalAttention("ta", hd, dim, r);
    Init.scaledNormal(layer.projection().bias().values(), 0.5, r);
    Init.scaledNormal(layer.scoreWeights().values(), 1.0, r);
    int cells = batch * steps;
    int[] first = firstSteps(batch, steps);
    float[] hs = gaussian(cells * hd, 1.0, r);
    for (int rr = 0; rr < batch; rr++) {
      for (int t = 0; t < first[rr]; t++) {
        java.util.Arrays.fill(hs, (t * batch + rr) * hd, (t * batch + rr + 1) * hd, 0f);
      }
    }
    float[] ctx = new float[batch * hd];
    layer.forward(hs, first, batch, steps, ctx);
    float[] weights = gaussian(batch * hd, 1.0, r);
    float[] dHs = new float[cells * hd];
    layer.zeroGradients();
    layer.backward(hs, weights, dHs);

    double[] a = DoubleReference.toDouble(layer.projection().weights().values());
    double[] ab = DoubleReference.toDouble(layer.projection().bias().values());
    double[] v = DoubleReference.toDouble(layer.scoreWeights().values());
    double[] hd2 = DoubleReference.toDouble(hs);
    double[] rd = DoubleReference.toDouble(weights);
    double[] ref = DoubleReference.temporalAttention(a, ab, v, hd2, first, batch, steps, hd, dim);
    for (int k = 0; k < ctx.length; k++) {
      assertThat((double) ctx[k]).as("context %d", k).isCloseTo(ref[k], within(1e-5));
    }
    var loss = (java.util.function.ToDoubleFunction<Void>) z ->
        DoubleReference.dot(rd, DoubleReference.temporalAttention(a, ab, v, hd2, first, batch, steps, hd, dim));
    check("ta.A", layer.projection().weights().gradient(), a, loss);
    check("ta.a", layer.projection().bias().gradient(), ab, loss);
    check("ta.v", layer.scoreWeights().gradient(), v, loss);
    // The padding's states are fixed zeros, not free inputs: only the real steps are checked.
    double[] fd = hd2;
    check("h", realOnly(dHs, first, batch, steps, hd), fd, zz -> {
      double[] masked = fd.clone();
      maskPadding(masked, first, batch, steps, hd);
      return DoubleReference.dot(rd, DoubleReference.temporalAttention(a, ab, v, masked, first, batch, steps, hd, dim));
    });
    for (int rr = 0; rr < batch; rr++) {
      double s = 0;
      for (int t = 0; t < steps; t++) {
        float beta = layer.weights()[t * batch + rr];
        if (t < first[rr]) {
          assertThat(beta).as("padding takes no weight").isZero();
          for (int j = 0; j < hd; j++) {
            assertThat(dHs[(t * batch + rr) * hd + j]).as("padding gets no gradient").isZero();
          }
        }
        s += beta;
      }
      assertThat(s).as("weights of sequence %d sum to 1", rr).isCloseTo(1, within(1e-5));
    }
  }

  @ParameterizedTest(name = "{0}, rows {1}, in {2}, N {3}, k {4}")
  @CsvSource({
      "SOFT, 1, 1, 1, 1", "SOFT, 3, 5, 4, 4", "SOFT, 7, 13, 5, 5",
      "TOP_K, 1, 1, 1, 1", "TOP_K, 5, 7, 5, 2", "TOP_K, 6, 17, 7, 3", "TOP_K, 4, 13, 4, 1"})
  void expertGateMatchesDoubleFiniteDifferences(ExpertGate.Mode mode, int rows, int in, int experts, int k) {
    Random r = new Random(5 + rows * 17L + in * 3L + experts);
    ExpertGate gate = new ExpertGate("g", in, experts, mode, k, BalanceConfig.DEFAULT, r);
    Init.scaledNormal(gate.router().bias().values(), 0.5, r);
    float[] s = gaussian(rows * in, 1.0, r);
    gate.forward(s, rows);
    float[] weights = gaussian(rows * experts, 1.0, r);
    float[] ds = new float[rows * in];
    gate.zeroGradients();
    gate.backward(s, weights, ds);

    double[] w = DoubleReference.toDouble(gate.router().weights().values());
    double[] b = DoubleReference.toDouble(gate.router().bias().values());
    double[] sd = DoubleReference.toDouble(s);
    double[] rd = DoubleReference.toDouble(weights);
    double[] ref = DoubleReference.gate(w, b, sd, rows, in, experts, mode, k, null);
    for (int i = 0; i < ref.length; i++) {
      assertThat((double) gate.weights()[i]).as("weight %d", i).isCloseTo(ref[i], within(1e-6));
    }
    var loss = (java.util.function.ToDoubleFunction<Void>) z ->
        DoubleReference.dot(rd, DoubleReference.gate(w, b, sd, rows, in, experts, mode, k, null));
    check("g.W", gate.router().weights().gradient(), w, loss);
    check("g.b", gate.router().bias().gradient(), b, loss);
    check("s", ds, sd, loss);
    for (int row = 0; row < rows; row++) {
      int nonZero = 0;
      for (int i = 0; i < experts; i++) {
        nonZero += gate.weights()[row * experts + i] != 0f ? 1 : 0;
      }
      assertThat(nonZero).as("experts kept in row %d", row).isEqualTo(k);
    }
  }

  @Test
  void meanSquaredErrorMatchesDoubleFiniteDifferences() {
    Random r = new Random(8);
    int rows = 5;
    int dim = 3;
    float[] y = gaussian(rows * dim, 2.0, r);
    float[] t = gaussian(rows * dim, 1.0, r);
    float[] dy = new float[rows * dim];
    double l = Losses.meanSquaredError(y, t, rows, dim, dy);
    double[] yd = DoubleReference.toDouble(y);
    double[] td = DoubleReference.toDouble(t);
    assertThat(l).isCloseTo(DoubleReference.meanSquaredError(yd, td, rows * dim), within(1e-9));
    check("y", dy, yd, z -> DoubleReference.meanSquaredError(yd, td, rows * dim));
  }

  /**
   * The whole model, every parameter, against its double-precision specification: soft and top-k
   * gates (top-k after training steps with a strong balancing bias, so that the bias takes part in
   * the selection), each attention on and off, the elapsed-time feature, classification and
   * regression, left padding and irregular sampling (elapsed times of 0, NaN, short gaps and gaps
   * that the slow experts cross in one step and the fast one in several).
   */
  @ParameterizedTest(name = "{0} k {1}, feature {2}, temporal {3}, elapsed feature {4}, {5}")
  @CsvSource({
      "SOFT, 1, true, true, true, CLASSIFICATION",
      "SOFT, 1, false, true, false, REGRESSION",
      "TOP_K, 1, true, false, false, CLASSIFICATION",
      "TOP_K, 2, true, true, true, REGRESSION",
      "TOP_K, 2, false, false, true, CLASSIFICATION"})
  void theWholeModelMatchesDoubleFiniteDifferences(ExpertGate.Mode mode, int k, boolean feature, boolean temporal,
      boolean elapsedFeature, Task.Kind kind) {
    int f = 3;
    int batch = 3;
    int steps = 5;
    Task task = kind == Task.Kind.CLASSIFICATION ? Task.classification(3) : Task.regression(2);
    MultiRateMoE.Builder b = MultiRateMoE.builder(f, task)
        .cell(new CellConfig(5, dev.auramoe.cell.CellType.LIQUID, 0.02f, 2.0f, 0.02f, 1, 4, 1f, 0.9f))
        .scales(1f, 4f, 16f).featureAttention(feature).temporalAttention(temporal).attentionDim(4)
        .elapsedFeature(elapsedFeature).balance(BalanceConfig.DEFAULT.withGamma(0.02).withBiasCap(0.3)).seed(11);
    if (mode == ExpertGate.Mode.TOP_K) {
      b.topK(k);
    }
    MultiRateMoE model = b.build();
    Random r = new Random(19 + k);
    // Weights away from their neutral starts, so that every term carries gradient.
    for (Parameter p : model.parameters()) {
      if (p.name().endsWith(".b") || p.name().endsWith(".v") || p.name().startsWith("featureAttention")) {
        Init.scaledNormal(p.values(), 0.5, r);
      }
    }
    SequenceBatch data = batch(f, task, batch, steps, r);
    if (mode == ExpertGate.Mode.TOP_K) {
      Adam adam = new Adam(model.parameters(), Adam.Settings.DEFAULT.withLearningRate(1e-3f));
      for (int i = 0; i < 4; i++) {
        model.trainStep(data, adam, 1.0);
      }
      assertThat(model.gate().balancer().biasArray()).as("the balancing bias moved").isNotEqualTo(new float[3]);
    }
    double loss = model.lossAndGradients(data);
    List<double[]> p = new ArrayList<>();
    for (Parameter q : model.parameters()) {
      p.add(DoubleReference.toDouble(q.values()));
    }
    float[] bias = model.gate().balancer().biasArray().clone();
    assertThat(loss).isCloseTo(DoubleReference.multiRate(model.config(), p, data, bias), within(1e-5));
    for (int i = 0; i < p.size(); i++) {
      Parameter q = model.parameters().get(i);
      check(q.name() + "#" + i, q.gradient(), p.get(i), z -> DoubleReference.multiRate(model.config(), p, data, bias));
    }
  }

  /**
   * The recurrent model over a liquid cell, last state or temporal attention, classification or
   * regression, left padding and irregular sampling: every parameter against the composition of the
   * cell's, the attention's and the head's specifications.
   */
  @ParameterizedTest(name = "attention {0}, {1}")
  @CsvSource({"true, CLASSIFICATION", "false, REGRESSION", "true, REGRESSION"})
  void theRecurrentModelMatchesDoubleFiniteDifferences(boolean attention, Task.Kind kind) {
    int f = 2;
    int batch = 3;
    int steps = 5;
    Task task = kind == Task.Kind.CLASSIFICATION ? Task.classification(3) : Task.regression(2);
    CellConfig cfg = new CellConfig(7, dev.auramoe.cell.CellType.LIQUID, 0.02f, 2.0f, 0.02f, 1, 4, 1f, 0.9f);
    RecurrentModel model = RecurrentModel.liquid(cfg, f, task, attention, 13);
    Random r = new Random(23);
    for (Parameter p : model.parameters()) {
      if (p.name().endsWith(".b") || p.name().endsWith(".v")) {
        Init.scaledNormal(p.values(), 0.5, r);
      }
    }
    SequenceBatch data = batch(f, task, batch, steps, r);
    double loss = model.lossAndGradients(data);
    List<double[]> p = new ArrayList<>();
    for (Parameter q : model.parameters()) {
      p.add(DoubleReference.toDouble(q.values()));
    }
    java.util.function.ToDoubleFunction<Void> ref = z -> {
      double[] x = DoubleReference.toDouble(data.x());
      for (int i = 0; i < x.length; i++) {
        x[i] = Double.isNaN(x[i]) ? 0 : x[i];
      }
      double[] hs = DoubleReference.liquidPadded(cfg, f, p.get(0), p.get(1), p.get(2), p.get(3), p.get(4), x,
          data.elapsed(), data.first(), batch, steps);
      int q = 5;
      double[] c;
      if (attention) {
        c = DoubleReference.temporalAttention(p.get(q), p.get(q + 1), p.get(q + 2), hs, data.first(), batch, steps, 7, 7);
        q += 3;
      } else {
        c = java.util.Arrays.copyOfRange(hs, (steps - 1) * batch * 7, steps * batch * 7);
      }
      double[] out = DoubleReference.dense(p.get(q), p.get(q + 1), c, batch, 7, task.outputs());
      return kind == Task.Kind.CLASSIFICATION
          ? DoubleReference.softmaxCrossEntropy(out, data.labels(), batch, task.outputs())
          : DoubleReference.meanSquaredError(out, DoubleReference.toDouble(data.targets()), batch * task.outputs());
    };
    assertThat(loss).isCloseTo(ref.applyAsDouble(null), within(1e-5));
    for (int i = 0; i < p.size(); i++) {
      check(model.parameters().get(i).name() + "#" + i, model.parameters().get(i).gradient(), p.get(i), ref);
    }
  }

  /** A batch of random sequences, left-padded and irregularly sampled, with garbage in the padding. */
  static SequenceBatch batch(int f, Task task, int batch, int steps, Random r) {
    SequenceBatch data = new SequenceBatch(f, task.kind() == Task.Kind.REGRESSION ? task.outputs() : 0);
    data.reshape(batch, steps);
    float[] x = gaussian(batch * steps * f, 1.0, r);
    System.arraycopy(x, 0, data.x(), 0, x.length);
    int[] first = firstSteps(batch, steps);
    System.arraycopy(first, 0, data.first(), 0, batch);
    for (int c = 0; c < batch * steps; c++) {
      data.elapsed()[c] = switch (c % 5) {
        case 0 -> Float.NaN;
        case 1 -> 0.01f + 0.05f * r.nextFloat();
        case 2 -> c % 10 == 2 ? 0f : 0.2f + 0.3f * r.nextFloat();
        case 3 -> 0.3f + r.nextFloat();
        default -> 0.005f;
      };
    }
    poisonPadding(data.x(), first, batch, f);
    for (int rr = 0; rr < batch; rr++) {
      if (first[rr] > 0) {
        data.elapsed()[rr] = -1f;
      }
      if (task.kind() == Task.Kind.CLASSIFICATION) {
        data.labels()[rr] = r.nextInt(task.outputs());
      }
    }
    for (int i = 0; i < batch * data.targetDim(); i++) {
      data.targets()[i] = (float) r.nextGaussian();
    }
    return data;
  }

  private static float[] realOnly(float[] g, int[] first, int batch, int steps, int width) {
    float[] out = g.clone();
    for (int r = 0; r < batch; r++) {
      for (int t = 0; t < first[r]; t++) {
        java.util.Arrays.fill(out, (t * batch + r) * width, (t * batch + r + 1) * width, 0f);
      }
    }
    return out;
  }

  private static void maskPadding(double[] a, int[] first, int batch, int steps, int width) {
    for (int r = 0; r < batch; r++) {
      for (int t = 0; t < first[r]; t++) {
        java.util.Arrays.fill(a, (t * batch + r) * width, (t * batch + r + 1) * width, 0);
      }
    }
  }
}
