package dev.auramoe.snn;

import static dev.auramoe.snn.ConvReference.assertClose;
import static dev.auramoe.snn.ConvReference.gaussian;
import static dev.auramoe.snn.ConvReference.toDouble;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.seq.Dense;
import dev.auramoe.seq.Init;
import dev.auramoe.seq.Parameter;
import dev.auramoe.testing.Allocations;
import java.util.Random;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BatchNormTest {

  /**
   * Training mode: y, dgamma, dbeta and the full dx (through the batch's mean and variance)
   * against the double-precision reference and its central differences; token tensors (m = rows)
   * and image tensors (m = rows x H x W), inputs off zero mean and unit scale.
   */
  @ParameterizedTest(name = "m {0}, C {1}")
  @CsvSource({"3, 1", "4, 5", "7, 17", "45, 3", "70, 2"})
  void trainingGradientsMatchDoubleFiniteDifferences(int m, int c) {
    Random r = new Random(m * 31L + c);
    BatchNorm bn = new BatchNorm("bn", c);
    Init.scaledNormal(bn.gamma().values(), 1.0, r);
    Init.scaledNormal(bn.beta().values(), 0.5, r);
    float[] x = gaussian(m * c, 2.0, r);
    for (int i = 0; i < x.length; i++) {
      x[i] += 1.5f + i % c;
    }
    float[] coef = gaussian(m * c, 1.0, r);
    float[] y = new float[m * c];
    bn.forward(x, m, y);
    float[] dx = new float[m * c];
    bn.backward(x, coef, dx);

    double[] xd = toDouble(x);
    double[] gd = toDouble(bn.gamma().values());
    double[] bd = toDouble(bn.beta().values());
    double[] rd = toDouble(coef);
    assertClose("y", y, ConvReference.batchNormTrain(xd, m, c, gd, bd), 2e-6);
    DoubleSupplier loss = () -> ConvReference.dot(rd, ConvReference.batchNormTrain(xd, m, c, gd, bd));
    ConvReference.check("dgamma", bn.gamma().gradient(), gd, loss);
    ConvReference.check("dbeta", bn.beta().gradient(), bd, loss);
    ConvReference.check("dx", dx, xd, loss);
  }

  /** Evaluation mode: the running estimates are constants; y and every gradient against the reference. */
  @ParameterizedTest(name = "m {0}, C {1}")
  @CsvSource({"1, 1", "5, 3", "9, 17"})
  void evaluationGradientsMatchDoubleFiniteDifferences(int m, int c) {
    Random r = new Random(m + 7L * c);
    BatchNorm bn = trained(c, r);
    bn.setTraining(false);
    float[] mean = bn.runningMean().clone();
    float[] var = bn.runningVariance().clone();
    float[] x = gaussian(m * c, 2.0, r);
    float[] coef = gaussian(m * c, 1.0, r);
    float[] y = new float[m * c];
    bn.forward(x, m, y);
    bn.zeroGradients();
    float[] dx = new float[m * c];
    bn.backward(x, coef, dx);
    assertThat(bn.runningMean()).containsExactly(mean);
    assertThat(bn.runningVariance()).containsExactly(var);

    double[] xd = toDouble(x);
    double[] gd = toDouble(bn.gamma().values());
    double[] bd = toDouble(bn.beta().values());
    double[] rd = toDouble(coef);
    double[] md = toDouble(mean);
    double[] vd = toDouble(var);
    assertClose("y", y, ConvReference.batchNormEval(xd, m, c, gd, bd, md, vd), 2e-6);
    DoubleSupplier loss = () -> ConvReference.dot(rd, ConvReference.batchNormEval(xd, m, c, gd, bd, md, vd));
    ConvReference.check("dgamma", bn.gamma().gradient(), gd, loss);
    ConvReference.check("dbeta", bn.beta().gradient(), bd, loss);
    ConvReference.check("dx", dx, xd, loss);
  }

  /**
   * The running estimates follow PyTorch's rule: momentum 0.1 on the batch mean and the unbiased
   * batch variance, from mean 0 and variance 1.
   */
  @Test
  void runningEstimatesUseMomentumAndTheUnbiasedVariance() {
    int m = 6;
    int c = 2;
    BatchNorm bn = new BatchNorm("bn", c);
    assertThat(bn.runningMean()).containsExactly(0f, 0f);
    assertThat(bn.runningVariance()).containsExactly(1f, 1f);
    // Channel 0: 1..6 (mean 3.5, unbiased variance 3.5); channel 1: all 4 (variance 0).
    float[] x = {1, 4, 2, 4, 3, 4, 4, 4, 5, 4, 6, 4};
    float[] y = new float[m * c];
    bn.forward(x, m, y);
    assertThat(bn.runningMean()).as("nothing moves before the commit").containsExactly(0f, 0f);
    bn.commitRunningEstimates();
    assertThat(bn.runningMean()).containsExactly(0.35f, 0.4f);
    assertThat(bn.runningVariance()[0]).isCloseTo(0.9f * 1f + 0.1f * 3.5f, org.assertj.core.data.Offset.offset(1e-6f));
    assertThat(bn.runningVariance()[1]).isCloseTo(0.9f, org.assertj.core.data.Offset.offset(1e-6f));
    bn.forward(x, m, y);
    bn.commitRunningEstimates();
    bn.commitRunningEstimates();
    assertThat(bn.runningMean()[0]).as("committed once").isCloseTo(0.9f * 0.35f + 0.35f,
        org.assertj.core.data.Offset.offset(1e-6f));
    // A constant channel normalises to beta (0), not NaN: eps keeps 1/sqrt finite.
    for (int i = 0; i < m; i++) {
      assertThat(y[i * c + 1]).isZero();
    }
  }

  /**
   * Folding evaluation mode into the convolution before it: the folded convolution alone gives the
   * convolution followed by the normalisation, and likewise for a Dense layer over tokens.
   */
  @Test
  void foldedLayersEqualTheLayerThenTheNormalisation() {
    Random r = new Random(12);
    int rows = 3;
    Conv2d conv = new Conv2d("c", 3, 17, 3, 1, 7, 5, r);
    Init.scaledNormal(conv.bias().values(), 0.5, r);
    BatchNorm bn = trained(17, r);
    bn.setTraining(false);
    float[] x = gaussian(rows * conv.inputSize(), 1.0, r);
    float[] z = new float[rows * conv.outputSize()];
    float[] expected = new float[z.length];
    conv.forward(x, rows, z);
    int m = rows * conv.outHeight() * conv.outWidth();
    bn.forward(z, m, expected);
    bn.foldInto(conv.weights(), conv.bias());
    float[] folded = new float[z.length];
    conv.forward(x, rows, folded);
    assertClose("folded conv", folded, toDouble(expected), 1e-5);

    Dense dense = new Dense("d", 6, 17, r);
    Init.scaledNormal(dense.bias().values(), 0.5, r);
    float[] t = gaussian(4 * 6, 1.0, r);
    float[] u = new float[4 * 17];
    float[] expectedTokens = new float[u.length];
    dense.forward(t, 4, u);
    bn.forward(u, 4, expectedTokens);
    bn.foldInto(dense.weights(), dense.bias());
    float[] foldedTokens = new float[u.length];
    dense.forward(t, 4, foldedTokens);
    assertClose("folded dense", foldedTokens, toDouble(expectedTokens), 1e-5);
  }

  /** dx may overwrite dy, and y may overwrite x when no backward pass follows. */
  @Test
  void buffersMayBeShared() {
    Random r = new Random(4);
    BatchNorm bn = new BatchNorm("bn", 5);
    float[] x = gaussian(40, 1.0, r);
    float[] dy = gaussian(40, 1.0, r);
    float[] y = new float[40];
    bn.forward(x, 8, y);
    float[] dx = new float[40];
    bn.backward(x, dy, dx);
    bn.backward(x, dy, dy);
    assertThat(dy).containsExactly(dx);
    bn.setTraining(false);
    float[] separate = new float[40];
    bn.forward(x, 8, separate);
    bn.forward(x, 8, x);
    assertThat(x).containsExactly(separate);
  }

  @Test
  void passesDoNotAllocate() {
    BatchNorm bn = new BatchNorm("bn", 32);
    Random r = new Random(5);
    int m = 4 * 196;
    float[] x = gaussian(m * 32, 1.0, r);
    float[] dy = gaussian(m * 32, 1.0, r);
    float[] y = new float[m * 32];
    float[] dx = new float[m * 32];
    long allocated = Allocations.ofSteadyState(() -> {
      bn.forward(x, m, y);
      bn.backward(x, dy, dx);
    }, 300, 50, 20);
    assertThat(allocated).as("bytes allocated by 50 passes").isLessThan(1_024);
  }

  @Test
  void refusesBadShapesAndChangesNothing() {
    assertThatThrownBy(() -> new BatchNorm("bn", 0)).hasMessageContaining("channels > 0");
    BatchNorm bn = new BatchNorm("bn", 3);
    assertThatThrownBy(() -> bn.backward(new float[3], new float[3], new float[3]))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> bn.forward(new float[3], 1, new float[3]))
        .hasMessageContaining("at least 2 values per channel in training mode, got 1");
    assertThat(bn.runningMean()).containsOnly(0f);
    assertThatThrownBy(() -> bn.forward(new float[5], 2, new float[6])).hasMessageContaining("x needs 6 values");
    assertThatThrownBy(() -> bn.forward(new float[6], 2, new float[5])).hasMessageContaining("y needs 6 values");
    assertThatThrownBy(() -> bn.forward(new float[6], -2, new float[6])).hasMessageContaining(">= 0");
    assertThat(bn.runningMean()).containsOnly(0f);
    bn.forward(new float[] {1, 2, 3, 4, 5, 6}, 2, new float[6]);
    assertThatThrownBy(() -> bn.backward(new float[6], new float[6], new float[5])).hasMessageContaining("dx needs 6");
    assertThat(bn.gamma().gradient()).containsOnly(0f);
    Parameter w = new Parameter("w", 4, 2);
    Parameter b = new Parameter("b", 3);
    assertThatThrownBy(() -> bn.foldInto(w, b)).hasMessageContaining("cannot fold into w[4, 2]");
    assertThat(b.values()).containsOnly(0f);
  }

  /** A normalisation after a few training batches: running estimates off their start, gamma and beta off 1 and 0. */
  private static BatchNorm trained(int c, Random r) {
    BatchNorm bn = new BatchNorm("bn", c);
    Init.scaledNormal(bn.gamma().values(), 1.0, r);
    Init.scaledNormal(bn.beta().values(), 0.5, r);
    float[] y = new float[8 * c];
    for (int k = 0; k < 5; k++) {
      float[] x = gaussian(8 * c, 3.0, r);
      for (int i = 0; i < x.length; i++) {
        x[i] += 2f - i % c;
      }
      bn.forward(x, 8, y);
    }
    return bn;
  }
}
