package dev.auramoe.seq;

import static org.assertj.core.api.Assertions.assertThat;

import dev.auramoe.cell.CellConfig;
import dev.auramoe.cell.CellType;
import java.util.List;
import java.util.Random;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every layer's analytic gradients, with respect to its parameters and its inputs, against central
 * finite differences of the same function computed in double precision ({@link DoubleReference}).
 *
 * <p>How "checked against finite differences in double precision" is read here: the layers compute
 * in float, as they train; the finite differences are taken of the double-precision forward pass at
 * the float layer's own parameter and input values, with a step of 1e-5. In double that difference
 * quotient is accurate to about 1e-10 relative (truncation h^2 L''' plus cancellation 1e-16 |L| / h),
 * so what the comparison measures is the float backward pass: its rounding, about 1e-6 of the
 * largest gradient of a tensor after a few hundred float operations, and any error in its formulas,
 * which moves a gradient by a large fraction of itself. The tolerance, 1e-3 of the element plus 1e-4
 * of the tensor's largest gradient, lies between the two. A float finite difference could not tell
 * them apart (its own error at a usable step is about 1e-3).
 *
 * <p>The loss of a layer's check is {@code L = sum R . y} over every output with a fixed random R,
 * so every output (every state of every step, for the cell) carries a gradient.
 */
class GradientCheckTest {

  private static final double H = 1e-5;

  @ParameterizedTest(name = "rows {0}, in {1}, out {2}")
  @CsvSource({"1, 1, 1", "3, 5, 2", "7, 13, 6", "4, 17, 33"})
  void denseGradientsMatchDoubleFiniteDifferences(int rows, int in, int out) {
    Random r = new Random(11 + rows * 31L + in);
    Dense layer = new Dense("d", in, out, r);
    Init.scaledNormal(layer.bias().values(), 0.3, r);
    float[] x = gaussian(rows * in, 1.0, r);
    float[] weights = gaussian(rows * out, 1.0, r);
    float[] y = new float[rows * out];
    layer.forward(x, rows, y);
    float[] dx = new float[rows * in];
    layer.zeroGradients();
    layer.backward(x, weights, rows, dx);

    double[] w = DoubleReference.toDouble(layer.weights().values());
    double[] b = DoubleReference.toDouble(layer.bias().values());
    double[] xd = DoubleReference.toDouble(x);
    double[] rd = DoubleReference.toDouble(weights);
    assertThat(y).containsExactly(toFloat(DoubleReference.dense(w, b, xd, rows, in, out)),
        org.assertj.core.data.Offset.offset(1e-5f));
    ToDoubleFunction<Void> loss = v -> DoubleReference.dot(rd, DoubleReference.dense(w, b, xd, rows, in, out));
    check("d.W", layer.weights().gradient(), w, loss);
    check("d.b", layer.bias().gradient(), b, loss);
    check("dx", dx, xd, loss);
  }

  @Test
  void softmaxCrossEntropyGradientMatchesDoubleFiniteDifferences() {
    Random r = new Random(5);
    int rows = 6;
    int classes = 5;
    float[] z = gaussian(rows * classes, 3.0, r);
    int[] labels = {0, 4, 2, 2, 1, 3};
    float[] dz = new float[rows * classes];
    double l = Losses.softmaxCrossEntropy(z, labels, rows, classes, dz);
    double[] zd = DoubleReference.toDouble(z);
    assertThat(l).isCloseTo(DoubleReference.softmaxCrossEntropy(zd, labels, rows, classes),
        org.assertj.core.data.Offset.offset(1e-9));
    check("logits", dz, zd, v -> DoubleReference.softmaxCrossEntropy(zd, labels, rows, classes));
  }

  /**
   * The liquid cell, through every Euler unfold, over regular and irregular sampling: elapsed times
   * of 0 (no step), NaN (the default two unfolds of dt), short gaps (one to four unfolds of a shorter
   * step) and gaps beyond the cap of four unfolds (four Euler steps and a closed-form step), and one
   * unit whose time constant is clamped at tauMax (its bias's gradient must be zero); and the
   * closed-form integrator (two closed-form steps per input) over the same kinds of gaps.
   */
  @ParameterizedTest(name = "batch {0}, steps {1}, in {2}, H {3}, {4}, {5}")
  @CsvSource({
      "1, 1, 1, 1, regular, LIQUID",
      "1, 3, 2, 3, regular, LIQUID",
      "2, 3, 3, 5, irregular, LIQUID",
      "3, 4, 2, 7, irregular, LIQUID",
      "2, 6, 4, 13, irregular, LIQUID",
      "5, 2, 1, 2, irregular, LIQUID",
      "1, 2, 1, 1, regular, CLOSED_FORM",
      "2, 5, 3, 6, irregular, CLOSED_FORM",
      "3, 4, 5, 11, irregular, CLOSED_FORM"})
  void liquidCellGradientsMatchDoubleFiniteDifferences(int batch, int steps, int in, int hidden, String sampling,
      CellType type) {
    CellConfig cfg = new CellConfig(hidden, type, 0.02f, 2.0f, 0.02f, 2, 4, 1f, 0.9f);
    Random r = new Random(101 + batch * 7919L + steps * 31L + hidden);
    TrainableLiquidCell cell = new TrainableLiquidCell(cfg, in, r.nextLong());
    // Non-zero drive biases, and recurrent weights large enough that W h matters to the gradient.
    Init.scaledNormal(cell.driveBias().values(), 0.5, r);
    Init.scaledNormal(cell.recurrentWeights().values(), 2.0 / Math.sqrt(hidden), r);
    if (hidden > 1) {
      cell.tauBias().values()[0] = 6f;
    }
    int cells = batch * steps;
    float[] x = gaussian(cells * in, 1.0, r);
    float[] elapsed = new float[cells];
    for (int k = 0; k < cells; k++) {
      elapsed[k] = "regular".equals(sampling) ? Float.NaN : switch (k % 4) {
        case 0 -> (float) (0.001 + 0.07 * r.nextDouble());
        case 1 -> 0.13f + 0.5f * r.nextFloat();
        case 2 -> k % 8 == 2 ? 0f : Float.NaN;
        default -> (float) (0.001 + 0.02 * r.nextDouble());
      };
    }
    Pass pass = pass(cell, x, elapsed, null, batch, steps, 0f, r);
    assertLiquidMatchesReference(cell, cfg, x, elapsed, null, batch, steps, pass);
    if (hidden > 1) {
      assertThat(cell.tauBias().gradient()[0]).as("the clamped unit's tau bias").isZero();
    }
    assertThat(maxAbs(cell.recurrentWeights().gradient())).as("W's gradient is exercised").isGreaterThan(1e-6);
  }

  /**
   * A left-padded batch (sequences starting at steps 0, 3, 5 and 1 of 6), irregularly sampled:
   * the gradients of every parameter and input against the double-precision reference, which never
   * reads the padding. The padding holds NaN inputs and negative elapsed times, which the cell must
   * ignore; its states are zeros and its input gradients exactly zero.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource({"LIQUID", "CLOSED_FORM"})
  void leftPaddedBatchGradientsMatchDoubleFiniteDifferences(CellType type) {
    int batch = 4;
    int steps = 6;
    int in = 3;
    int hidden = 5;
    int[] first = {0, 3, 5, 1};
    CellConfig cfg = new CellConfig(hidden, type, 0.02f, 2.0f, 0.02f, 2, 4, 1f, 0.9f);
    Random r = new Random(404 + type.ordinal());
    TrainableLiquidCell cell = new TrainableLiquidCell(cfg, in, r.nextLong());
    Init.scaledNormal(cell.driveBias().values(), 0.5, r);
    Init.scaledNormal(cell.recurrentWeights().values(), 2.0 / Math.sqrt(hidden), r);
    int cells = batch * steps;
    float[] x = gaussian(cells * in, 1.0, r);
    float[] elapsed = new float[cells];
    for (int k = 0; k < cells; k++) {
      elapsed[k] = k % 3 == 0 ? Float.NaN : (float) (0.001 + 0.12 * r.nextDouble());
      if (k / batch < first[k % batch]) {
        elapsed[k] = -1f;
        for (int i = 0; i < in; i++) {
          x[k * in + i] = Float.NaN;
        }
      }
    }
    Pass pass = pass(cell, x, elapsed, first, batch, steps, 7f, r);
    float[] hs = pass.hs();
    float[] dx = pass.dx();
    assertLiquidMatchesReference(cell, cfg, x, elapsed, first, batch, steps, pass);
    for (int k = 0; k < cells; k++) {
      if (k / batch < first[k % batch]) {
        for (int j = 0; j < hidden; j++) {
          assertThat(Float.floatToRawIntBits(hs[k * hidden + j])).as("padded state %d", k).isZero();
        }
        for (int i = 0; i < in; i++) {
          assertThat(Float.floatToRawIntBits(dx[k * in + i])).as("padded input gradient %d", k).isZero();
        }
      }
    }
  }

  /** A second backward over the same tape adds the same gradients again (the tape is not consumed). */
  @Test
  void backwardAccumulatesIntoTheGradients() {
    CellConfig cfg = CellConfig.DEFAULT.withHidden(6);
    TrainableLiquidCell cell = new TrainableLiquidCell(cfg, 3, 9);
    Random r = new Random(3);
    float[] x = gaussian(2 * 4 * 3, 1.0, r);
    float[] hs = new float[2 * 4 * 6];
    cell.forward(x, null, null, 2, 4, hs);
    float[] dh = gaussian(hs.length, 1.0, r);
    cell.zeroGradients();
    cell.backward(dh, null);
    List<float[]> once = cell.parameters().stream().map(p -> p.gradient().clone()).toList();
    cell.backward(dh, null);
    for (int k = 0; k < once.size(); k++) {
      float[] twice = cell.parameters().get(k).gradient();
      for (int i = 0; i < twice.length; i++) {
        assertThat(twice[i]).isEqualTo(2 * once.get(k)[i], org.assertj.core.data.Offset.offset(1e-6f));
      }
    }
  }

  /**
   * Compares the analytic gradient of every element of {@code at} with the central difference of
   * {@code loss} when that element is moved by +-H (the array is restored after each element).
   */
  static void check(String name, float[] analytic, double[] at, ToDoubleFunction<Void> loss) {
    double[] fd = new double[at.length];
    double scale = 0;
    for (int i = 0; i < at.length; i++) {
      double orig = at[i];
      at[i] = orig + H;
      double plus = loss.applyAsDouble(null);
      at[i] = orig - H;
      double minus = loss.applyAsDouble(null);
      at[i] = orig;
      fd[i] = (plus - minus) / (2 * H);
      scale = Math.max(scale, Math.abs(fd[i]));
    }
    for (int i = 0; i < at.length; i++) {
      double tol = 1e-3 * Math.abs(fd[i]) + 1e-4 * scale + 1e-9;
      assertThat((double) analytic[i]).as("%s[%d] (finite difference %s, largest %s)", name, i, fd[i], scale)
          .isCloseTo(fd[i], org.assertj.core.data.Offset.offset(tol));
    }
  }

  static float[] gaussian(int n, double scale, Random r) {
    float[] a = new float[n];
    Init.scaledNormal(a, scale, r);
    return a;
  }

  private static float[] toFloat(double[] a) {
    float[] f = new float[a.length];
    for (int i = 0; i < a.length; i++) {
      f[i] = (float) a[i];
    }
    return f;
  }

  private static double maxAbs(float[] a) {
    double m = 0;
    for (float v : a) {
      m = Math.max(m, Math.abs(v));
    }
    return m;
  }
  /**
   * The LSTM through every step, with left padding: {@code firsts} gives each sequence's first real
   * step. The padded inputs are NaN (they must not be read), the loss weights every state including
   * the padded ones (their gradient must be ignored), and the padded states and input gradients must
   * be exactly 0.
   */
  @ParameterizedTest(name = "batch {0}, steps {1}, in {2}, H {3}, first {4}")
  @CsvSource({
      "1, 1, 1, 1, 0",
      "1, 5, 7, 5, 2",
      "2, 7, 5, 7, 0 3",
      "3, 5, 13, 17, 4 0 1",
      "5, 4, 17, 13, 0 1 2 3 0",
      "2, 3, 7, 33, 1 0"})
  void lstmGradientsMatchDoubleFiniteDifferences(int batch, int steps, int in, int hidden, String firstSteps) {
    int[] first = firsts(firstSteps, batch);
    Random r = new Random(211 + batch * 7919L + steps * 31L + hidden);
    TrainableLstm lstm = new TrainableLstm("lstm", in, hidden, r.nextLong());
    // Biases off their initial values, and recurrent weights large enough that h U matters.
    Init.scaledNormal(lstm.bias().values(), 0.5, r);
    Init.scaledNormal(lstm.recurrentWeights().values(), 1.5 / Math.sqrt(hidden), r);
    int cells = batch * steps;
    float[] x = paddedInputs(cells, in, batch, first, r);
    Pass pass = pass(lstm, x, null, first, batch, steps, Float.NaN, r);
    float[] hs = pass.hs();
    float[] weights = pass.weights();
    float[] dx = pass.dx();

    double[] w = DoubleReference.toDouble(lstm.inputWeights().values());
    double[] u = DoubleReference.toDouble(lstm.recurrentWeights().values());
    double[] b = DoubleReference.toDouble(lstm.bias().values());
    double[] xd = DoubleReference.toDouble(x);
    double[] rd = DoubleReference.toDouble(weights);
    double[] ref = DoubleReference.lstm(in, hidden, w, u, b, xd, first, batch, steps);
    assertStates(hs, ref);
    assertPadding(hs, dx, first, batch, steps, hidden, in);
    ToDoubleFunction<Void> loss = z -> DoubleReference.dot(rd,
        DoubleReference.lstm(in, hidden, w, u, b, xd, first, batch, steps));
    check("W", lstm.inputWeights().gradient(), w, loss);
    check("U", lstm.recurrentWeights().gradient(), u, loss);
    check("b", lstm.bias().gradient(), b, loss);
    check("x", dx, xd, loss);
    if (steps > first[0] + 1) {
      assertThat(maxAbs(lstm.recurrentWeights().gradient())).as("U's gradient is exercised").isGreaterThan(1e-6);
    }
  }

  /**
   * The CfC cell in both modes, with left padding as in the LSTM's check and irregular elapsed
   * times: NaN (t = 1), 0 (t = 0, still a step), short and long gaps, on a time scale other than 1.
   */
  @ParameterizedTest(name = "batch {0}, steps {1}, in {2}, H {3}, B {4}, first {5}, {6}")
  @CsvSource({
      "1, 1, 1, 1, 1, 0, DEFAULT",
      "1, 5, 7, 5, 13, 2, DEFAULT",
      "2, 7, 5, 7, 17, 0 3, DEFAULT",
      "3, 5, 13, 17, 5, 4 0 1, DEFAULT",
      "5, 4, 17, 13, 7, 0 1 2 3 0, NO_GATE",
      "2, 3, 7, 33, 33, 1 0, DEFAULT",
      "2, 6, 5, 7, 13, 0 2, NO_GATE"})
  void cfcGradientsMatchDoubleFiniteDifferences(int batch, int steps, int in, int hidden, int units,
      String firstSteps, TrainableCfcCell.Mode mode) {
    int[] first = firsts(firstSteps, batch);
    Random r = new Random(307 + batch * 7919L + steps * 31L + hidden);
    float timeScale = 0.5f;
    TrainableCfcCell cell = new TrainableCfcCell("cfc", in, hidden, units, mode, timeScale, r.nextLong());
    Init.scaledNormal(cell.backboneBias().values(), 0.5, r);
    Init.scaledNormal(cell.headBias().values(), 0.5, r);
    Init.scaledNormal(cell.backboneRecurrentWeights().values(), 1.5 / Math.sqrt(hidden), r);
    int cells = batch * steps;
    float[] x = paddedInputs(cells, in, batch, first, r);
    float[] elapsed = new float[cells];
    for (int k = 0; k < cells; k++) {
      elapsed[k] = k / batch < first[k % batch] ? -1f : switch (k % 4) {
        case 0 -> Float.NaN;
        case 1 -> (float) (0.01 + 0.2 * r.nextDouble());
        case 2 -> k % 8 == 2 ? 0f : 1.7f;
        default -> (float) (0.3 + 3 * r.nextDouble());
      };
    }
    Pass pass = pass(cell, x, elapsed, first, batch, steps, Float.NaN, r);
    float[] hs = pass.hs();
    float[] weights = pass.weights();
    float[] dx = pass.dx();

    double[] wx = DoubleReference.toDouble(cell.backboneInputWeights().values());
    double[] wh = DoubleReference.toDouble(cell.backboneRecurrentWeights().values());
    double[] bb = DoubleReference.toDouble(cell.backboneBias().values());
    double[] wo = DoubleReference.toDouble(cell.headWeights().values());
    double[] bo = DoubleReference.toDouble(cell.headBias().values());
    double[] xd = DoubleReference.toDouble(x);
    double[] rd = DoubleReference.toDouble(weights);
    boolean gated = mode == TrainableCfcCell.Mode.DEFAULT;
    ToDoubleFunction<Void> loss = z -> DoubleReference.dot(rd, DoubleReference.cfc(in, hidden, units, gated,
        timeScale, wx, wh, bb, wo, bo, xd, elapsed, first, batch, steps));
    double[] ref = DoubleReference.cfc(in, hidden, units, gated, timeScale, wx, wh, bb, wo, bo, xd, elapsed, first,
        batch, steps);
    assertStates(hs, ref);
    assertPadding(hs, dx, first, batch, steps, hidden, in);
    check("backbone.Wx", cell.backboneInputWeights().gradient(), wx, loss);
    check("backbone.Wh", cell.backboneRecurrentWeights().gradient(), wh, loss);
    check("backbone.b", cell.backboneBias().gradient(), bb, loss);
    check("heads.W", cell.headWeights().gradient(), wo, loss);
    check("heads.b", cell.headBias().gradient(), bo, loss);
    check("x", dx, xd, loss);
  }

  /** A layer's states, Gaussian weights of them (the loss's gradient) and the input gradient. */
  private record Pass(float[] hs, float[] weights, float[] dx) {}

  /**
   * One forward pass of the layer, then one backward pass from zeroed gradients for the loss
   * {@code weights . hs}, with Gaussian weights drawn from r after the forward pass; the input
   * gradient starts filled with {@code dxFill}, so that a value the layer fails to write shows.
   */
  private static Pass pass(SequenceLayer layer, float[] x, float[] elapsed, int[] first, int batch, int steps,
      float dxFill, Random r) {
    int cells = batch * steps;
    float[] hs = new float[cells * layer.hidden()];
    layer.forward(x, elapsed, first, batch, steps, hs);
    float[] weights = gaussian(cells * layer.hidden(), 1.0, r);
    float[] dx = new float[cells * layer.inputDim()];
    java.util.Arrays.fill(dx, dxFill);
    layer.zeroGradients();
    layer.backward(weights, dx);
    return new Pass(hs, weights, dx);
  }

  /**
   * The liquid cell's states and every gradient of a {@link #pass} against the double-precision
   * reference on the same weights ({@code first} null: no padding).
   */
  private static void assertLiquidMatchesReference(TrainableLiquidCell cell, CellConfig cfg, float[] x,
      float[] elapsed, int[] first, int batch, int steps, Pass pass) {
    int in = cell.inputDim();
    double[] u = DoubleReference.toDouble(cell.inputWeights().values());
    double[] v = DoubleReference.toDouble(cell.tauWeights().values());
    double[] w = DoubleReference.toDouble(cell.recurrentWeights().values());
    double[] b = DoubleReference.toDouble(cell.driveBias().values());
    double[] c = DoubleReference.toDouble(cell.tauBias().values());
    double[] xd = DoubleReference.toDouble(x);
    double[] rd = DoubleReference.toDouble(pass.weights());
    assertStates(pass.hs(), DoubleReference.liquid(cfg, in, u, v, w, b, c, xd, elapsed, first, batch, steps));
    ToDoubleFunction<Void> loss = z -> DoubleReference.dot(rd,
        DoubleReference.liquid(cfg, in, u, v, w, b, c, xd, elapsed, first, batch, steps));
    check("U", cell.inputWeights().gradient(), u, loss);
    check("V", cell.tauWeights().gradient(), v, loss);
    check("W", cell.recurrentWeights().gradient(), w, loss);
    check("b", cell.driveBias().gradient(), b, loss);
    check("c", cell.tauBias().gradient(), c, loss);
    check("x", pass.dx(), xd, loss);
  }

  /** Every state within 2e-6 of the double-precision reference's. */
  private static void assertStates(float[] hs, double[] ref) {
    for (int i = 0; i < hs.length; i++) {
      assertThat((double) hs[i]).as("state %d", i).isCloseTo(ref[i], org.assertj.core.data.Offset.offset(2e-6));
    }
  }

  /** Sequence r's first step from a space-separated list. */
  private static int[] firsts(String list, int batch) {
    int[] first = java.util.Arrays.stream(list.trim().split(" +")).mapToInt(Integer::parseInt).toArray();
    assertThat(first).hasSize(batch);
    return first;
  }

  /** Gaussian inputs at the real steps, NaN at the padding (which a layer must not read). */
  private static float[] paddedInputs(int cells, int in, int batch, int[] first, Random r) {
    float[] x = gaussian(cells * in, 1.0, r);
    for (int k = 0; k < cells; k++) {
      if (k / batch < first[k % batch]) {
        java.util.Arrays.fill(x, k * in, (k + 1) * in, Float.NaN);
      }
    }
    return x;
  }

  /** The padded states and input gradients are exactly 0. */
  private static void assertPadding(float[] hs, float[] dx, int[] first, int batch, int steps, int hidden, int in) {
    for (int t = 0; t < steps; t++) {
      for (int r = 0; r < batch; r++) {
        if (t >= first[r]) {
          continue;
        }
        int k = t * batch + r;
        for (int j = 0; j < hidden; j++) {
          assertThat(hs[k * hidden + j]).as("padded state %d of step %d, sequence %d", j, t, r).isZero();
        }
        for (int i = 0; i < in; i++) {
          assertThat(dx[k * in + i]).as("padded input gradient %d of step %d, sequence %d", i, t, r).isZero();
        }
      }
    }
  }
}
