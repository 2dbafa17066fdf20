package dev.auramoe.seq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.auramoe.cell.CellConfig;
import dev.auramoe.cell.CellType;
import dev.auramoe.internal.vector.KernelProvider;
import dev.auramoe.internal.vector.KernelSupport;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The liquid cell, the LSTM, the CfC cell and the dense layer on the Vector API kernels against the
 * same layers on the scalar kernels, at sizes that hit the kernels' unrolled loops, vector tails and
 * scalar tails: the states and every gradient agree up to summation order (the kernels themselves
 * are pinned by the core's KernelEquivalenceTest). Skipped without the Vector API module.
 */
class KernelTwinTest {

  @ParameterizedTest(name = "in {0}, H {1}")
  @CsvSource({"1, 1", "5, 7", "28, 13", "17, 33", "28, 64", "3, 100", "13, 129"})
  void vectorAndScalarKernelsTrainTheSameCell(int in, int hidden) {
    KernelSupport panama = KernelProvider.panamaOrNull();
    assumeThat(panama).as("Vector API kernels (needs --add-modules jdk.incubator.vector)").isNotNull();
    CellConfig cfg = new CellConfig(hidden, CellType.LIQUID, 0.02f, 2.0f, 0.02f, 1, 6, 1f, 0.9f);
    TrainableLiquidCell scalar = new TrainableLiquidCell(cfg, in, 77, KernelProvider.scalar());
    TrainableLiquidCell vector = new TrainableLiquidCell(cfg, in, 77, panama);
    int batch = 3;
    int steps = 9;
    Random r = new Random(in * 1000L + hidden);
    float[] x = GradientCheckTest.gaussian(batch * steps * in, 1.0, r);
    float[] elapsed = new float[batch * steps];
    for (int k = 0; k < elapsed.length; k++) {
      elapsed[k] = k % 4 == 0 ? Float.NaN : k % 7 == 2 ? 0.3f : (float) (0.1 * r.nextDouble());
    }
    float[] dh = GradientCheckTest.gaussian(batch * steps * hidden, 1.0, r);
    agree(scalar, vector, x, elapsed, null, batch, steps, dh);
  }

  /**
   * Irregular, left-padded batches of 7 and 13 sequences (whole 6-row blocks of the products and
   * their tails, a different number of unfolds per row, so the rows are re-ordered at every step),
   * for both integrators: the states and every gradient agree, and the padding's states and input
   * gradients are zeros on both.
   */
  @ParameterizedTest(name = "batch {0}, in {1}, H {2}, {3}")
  @CsvSource({"7, 5, 7, LIQUID", "13, 28, 64, LIQUID", "13, 17, 33, LIQUID", "7, 3, 17, CLOSED_FORM",
      "13, 28, 64, CLOSED_FORM"})
  void vectorAndScalarKernelsTrainTheSameCellOnIrregularPaddedBatches(int batch, int in, int hidden, CellType type) {
    KernelSupport panama = KernelProvider.panamaOrNull();
    assumeThat(panama).as("Vector API kernels (needs --add-modules jdk.incubator.vector)").isNotNull();
    CellConfig cfg = new CellConfig(hidden, type, 0.02f, 2.0f, 0.02f, 2, 6, 1f, 0.9f);
    TrainableLiquidCell scalar = new TrainableLiquidCell(cfg, in, 78, KernelProvider.scalar());
    TrainableLiquidCell vector = new TrainableLiquidCell(cfg, in, 78, panama);
    int steps = 8;
    Random r = new Random(batch * 1000L + hidden);
    int[] first = new int[batch];
    for (int s = 0; s < batch; s++) {
      first[s] = s % 3 == 0 ? 0 : r.nextInt(steps);
    }
    float[] x = GradientCheckTest.gaussian(batch * steps * in, 1.0, r);
    float[] elapsed = new float[batch * steps];
    for (int k = 0; k < elapsed.length; k++) {
      elapsed[k] = k % 5 == 0 ? Float.NaN : k % 11 == 3 ? 0f : k % 7 == 2 ? 0.3f : (float) (0.12 * r.nextDouble());
    }
    float[] dh = GradientCheckTest.gaussian(batch * steps * hidden, 1.0, r);
    Twins twins = agree(scalar, vector, x, elapsed, first, batch, steps, dh);
    float[] hs = twins.hs();
    float[] hv = twins.hv();
    float[] dxs = twins.dxs();
    float[] dxv = twins.dxv();
    for (int k = 0; k < batch * steps; k++) {
      if (k / batch < first[k % batch]) {
        for (int j = 0; j < hidden; j++) {
          assertThat(hs[k * hidden + j]).isZero();
          assertThat(hv[k * hidden + j]).isZero();
        }
        for (int i = 0; i < in; i++) {
          assertThat(dxs[k * in + i]).isZero();
          assertThat(dxv[k * in + i]).isZero();
        }
      }
    }
  }

  @ParameterizedTest(name = "rows {0}, in {1}, out {2}")
  @CsvSource({"1, 1, 1", "3, 13, 7", "5, 64, 10", "2, 100, 33", "4, 129, 17"})
  void vectorAndScalarKernelsGiveTheSameDenseLayer(int rows, int in, int out) {
    KernelSupport panama = KernelProvider.panamaOrNull();
    assumeThat(panama).as("Vector API kernels (needs --add-modules jdk.incubator.vector)").isNotNull();
    Dense scalar = new Dense("d", in, out, new Random(5), KernelProvider.scalar());
    Dense vector = new Dense("d", in, out, new Random(5), panama);
    Random r = new Random(rows * 31L + in);
    float[] x = GradientCheckTest.gaussian(rows * in, 1.0, r);
    float[] dy = GradientCheckTest.gaussian(rows * out, 1.0, r);
    float[] ys = new float[rows * out];
    float[] yv = new float[rows * out];
    float[] dxs = new float[rows * in];
    float[] dxv = new float[rows * in];
    scalar.forward(x, rows, ys);
    vector.forward(x, rows, yv);
    scalar.backward(x, dy, rows, dxs);
    vector.backward(x, dy, rows, dxv);
    assertClose("y", yv, ys);
    assertClose("dx", dxv, dxs);
    assertClose("dW", vector.weights().gradient(), scalar.weights().gradient());
    assertClose("db", vector.bias().gradient(), scalar.bias().gradient());
  }

  /**
   * The LSTM at sizes that hit the gemm's loop tails (4H columns of 4, 20, 52, 132, 512, 516), with
   * left padding.
   */
  @ParameterizedTest(name = "in {0}, H {1}")
  @CsvSource({"1, 1", "5, 5", "28, 13", "17, 33", "28, 128", "3, 129"})
  void vectorAndScalarKernelsTrainTheSameLstm(int in, int hidden) {
    KernelSupport panama = KernelProvider.panamaOrNull();
    assumeThat(panama).as("Vector API kernels (needs --add-modules jdk.incubator.vector)").isNotNull();
    TrainableLstm scalar = new TrainableLstm("lstm", in, hidden, 77, KernelProvider.scalar());
    TrainableLstm vector = new TrainableLstm("lstm", in, hidden, 77, panama);
    compare(scalar, vector, null, in, hidden);
  }

  /** The CfC cell likewise, with irregular elapsed times. */
  @ParameterizedTest(name = "in {0}, H {1}, B {2}")
  @CsvSource({"1, 1, 1", "5, 7, 13", "28, 13, 17", "17, 33, 64", "28, 64, 128", "3, 129, 33"})
  void vectorAndScalarKernelsTrainTheSameCfcCell(int in, int hidden, int units) {
    KernelSupport panama = KernelProvider.panamaOrNull();
    assumeThat(panama).as("Vector API kernels (needs --add-modules jdk.incubator.vector)").isNotNull();
    TrainableCfcCell scalar = new TrainableCfcCell("cfc", in, hidden, units, TrainableCfcCell.Mode.DEFAULT, 1f, 77,
        KernelProvider.scalar());
    TrainableCfcCell vector = new TrainableCfcCell("cfc", in, hidden, units, TrainableCfcCell.Mode.DEFAULT, 1f, 77,
        panama);
    Random r = new Random(in * 7L + hidden);
    float[] elapsed = new float[3 * 9];
    for (int k = 0; k < elapsed.length; k++) {
      elapsed[k] = k % 4 == 0 ? Float.NaN : k % 7 == 2 ? 0f : (float) (3 * r.nextDouble());
    }
    compare(scalar, vector, elapsed, in, hidden);
  }

  /** 3 sequences of 9 steps, the second left-padded by 4 steps; states, input and parameter gradients. */
  private static void compare(SequenceLayer scalar, SequenceLayer vector, float[] elapsed, int in, int hidden) {
    int batch = 3;
    int steps = 9;
    int[] first = {0, 4, 1};
    Random r = new Random(in * 1000L + hidden);
    float[] x = GradientCheckTest.gaussian(batch * steps * in, 1.0, r);
    float[] dh = GradientCheckTest.gaussian(batch * steps * hidden, 1.0, r);
    agree(scalar, vector, x, elapsed, first, batch, steps, dh);
  }

  /** The states and input gradients of the two layers of {@link #agree}. */
  private record Twins(float[] hs, float[] hv, float[] dxs, float[] dxv) {}

  /**
   * One forward and one backward pass of each layer on the same batch: the states, the input
   * gradients and every parameter's gradient agree ({@link #assertClose}).
   */
  private static Twins agree(SequenceLayer scalar, SequenceLayer vector, float[] x, float[] elapsed, int[] first,
      int batch, int steps, float[] dh) {
    float[] hs = new float[dh.length];
    float[] hv = new float[dh.length];
    float[] dxs = new float[x.length];
    float[] dxv = new float[x.length];
    scalar.forward(x, elapsed, first, batch, steps, hs);
    vector.forward(x, elapsed, first, batch, steps, hv);
    scalar.backward(dh, dxs);
    vector.backward(dh, dxv);
    assertClose("states", hv, hs);
    assertClose("dx", dxv, dxs);
    for (int p = 0; p < scalar.parameters().size(); p++) {
      assertClose(scalar.parameters().get(p).name(), vector.parameters().get(p).gradient(),
          scalar.parameters().get(p).gradient());
    }
    return new Twins(hs, hv, dxs, dxv);
  }

  /** Summation order only: within 1e-5 of the largest magnitude of the tensor. */
  private static void assertClose(String what, float[] actual, float[] expected) {
    float scale = 1e-30f;
    for (float v : expected) {
      scale = Math.max(scale, Math.abs(v));
    }
    for (int i = 0; i < expected.length; i++) {
      assertThat(actual[i]).as("%s[%d]", what, i).isCloseTo(expected[i], within(1e-5f * scale));
    }
  }
}
