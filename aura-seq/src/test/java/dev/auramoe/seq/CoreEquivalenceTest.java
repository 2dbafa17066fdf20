package dev.auramoe.seq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.auramoe.cell.CellConfig;
import dev.auramoe.cell.CellType;
import dev.auramoe.cell.LiquidCell;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The trainable cell's forward pass is the core's {@link LiquidCell} on the same weights (the cell
 * {@link TrainableLiquidCell#toGatingCell} hands to an on-line mixture): the same schedule, the same
 * formulas and the same float tanh, exp and softplus ({@code Approx}); the products are summed in
 * another order (matrix products over the batch against the core's one input at a time), so the
 * states agree to about 1e-6 and not bit for bit.
 */
class CoreEquivalenceTest {

  @ParameterizedTest(name = "in {0}, H {1}, unfolds {2}, {3}, {4}")
  @CsvSource({
      "1, 1, 1, regular, LIQUID",
      "3, 7, 1, regular, LIQUID",
      "5, 64, 1, irregular, LIQUID",
      "13, 33, 3, irregular, LIQUID",
      "2, 16, 2, irregular, LIQUID",
      "3, 7, 1, regular, CLOSED_FORM",
      "13, 33, 3, irregular, CLOSED_FORM"})
  void forwardEqualsTheCoresLiquidCell(int in, int hidden, int unfolds, String sampling, CellType type) {
    CellConfig cfg = new CellConfig(hidden, type, 0.02f, 2.0f, 0.02f, unfolds, 8, 1f, 0.9f);
    Random r = new Random(hidden * 31L + in);
    TrainableLiquidCell cell = new TrainableLiquidCell(cfg, in, 17);
    Init.scaledNormal(cell.driveBias().values(), 0.5, r);
    Init.scaledNormal(cell.recurrentWeights().values(), 1.5 / Math.sqrt(hidden), r);
    int batch = 3;
    int steps = 25;
    float[] x = GradientCheckTest.gaussian(batch * steps * in, 1.0, r);
    float[] elapsed = new float[batch * steps];
    for (int k = 0; k < elapsed.length; k++) {
      elapsed[k] = "regular".equals(sampling) ? Float.NaN
          : k % 7 == 3 ? 0f : k % 5 == 1 ? 0.2f + r.nextFloat() : (float) (0.3 * r.nextDouble());
    }
    float[] hs = new float[batch * steps * hidden];
    cell.forward(x, elapsed, null, batch, steps, hs);

    LiquidCell core = cell.toGatingCell(3);
    assertThat(core.extraColumns()).isEqualTo(3);
    double worst = 0;
    for (int s = 0; s < batch; s++) {
      float[] h = new float[hidden];
      float[] p = new float[2 * hidden + 3];
      for (int t = 0; t < steps; t++) {
        int k = t * batch + s;
        core.project(x, k * in, p, 0);
        core.advance(h, p, 0, elapsed[k]);
        for (int j = 0; j < hidden; j++) {
          assertThat(hs[k * hidden + j]).as("sequence %d, step %d, unit %d", s, t, j)
              .isCloseTo(h[j], within(2e-5f));
          worst = Math.max(worst, Math.abs(h[j]));
        }
      }
    }
    assertThat(worst).as("the states move").isGreaterThan(0.01);
  }
}
