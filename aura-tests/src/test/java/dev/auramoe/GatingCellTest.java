package dev.auramoe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.cell.CellConfig;
import dev.auramoe.cell.GatingCell;
import dev.auramoe.cell.LiquidCell;
import dev.auramoe.experts.Experts;
import dev.auramoe.experts.NlmsExpert;
import dev.auramoe.routing.RouteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A gating cell handed to the builder: a cell of the user's own (routes, learns, trains the router's
 * input columns it holds, survives changes of the expert set, refuses snapshots clearly) and a
 * built-in cell built outside the model (saved with its own configuration and weights).
 */
class GatingCellTest {

  private static final int D = 3;
  private static final int E = 3;

  /**
   * A leaky integrator {@code h <- 0.8 h + 0.2 tanh(U x)} with one extra column per expert: what a
   * cell trained offline looks like to the model.
   */
  static final class LeakyCell implements GatingCell {
    final int hidden;
    final float[] u;
    final float[][] extra;

    LeakyCell(int hidden, int extraColumns, long seed) {
      this.hidden = hidden;
      this.u = new float[D * hidden];
      this.extra = new float[extraColumns][D];
      Random r = new Random(seed);
      for (int i = 0; i < u.length; i++) {
        u[i] = (float) r.nextGaussian();
      }
    }

    @Override
    public int inputDim() {
      return D;
    }

    @Override
    public int hidden() {
      return hidden;
    }

    @Override
    public int width() {
      return hidden + extra.length;
    }

    @Override
    public int extraColumns() {
      return extra.length;
    }

    @Override
    public void project(float[] x, int xOff, float[] out, int outOff) {
      for (int j = 0; j < width(); j++) {
        float s = 0f;
        for (int i = 0; i < D; i++) {
          s += x[xOff + i] * (j < hidden ? u[i * hidden + j] : extra[j - hidden][i]);
        }
        out[outOff + j] = s;
      }
    }

    @Override
    public void projectBatch(float[] xs, int count, float[] out) {
      for (int t = 0; t < count; t++) {
        project(xs, t * D, out, t * width());
      }
    }

    @Override
    public int advance(float[] h, float[] p, int pOff, float elapsed) {
      for (int j = 0; j < hidden; j++) {
        h[j] = 0.8f * h[j] + 0.2f * (float) Math.tanh(p[pOff + j]);
      }
      return 1;
    }

    @Override
    public long projectionMacs() {
      return (long) D * hidden;
    }

    @Override
    public long stepMacs() {
      return 2L * hidden;
    }

    @Override
    public long parameterCount() {
      return (long) D * hidden + (long) extra.length * D;
    }

    @Override
    public void addToExtraColumn(int e, float step, float[] x) {
      for (int i = 0; i < D; i++) {
        extra[e][i] += step * x[i];
      }
    }

    @Override
    public void extraColumn(int e, float[] out) {
      System.arraycopy(extra[e], 0, out, 0, D);
    }

    @Override
    public void setExtraColumn(int e, float[] column) {
      System.arraycopy(column, 0, extra[e], 0, D);
    }

    @Override
    public GatingCell withExtraColumns(int[] from) {
      LeakyCell c = new LeakyCell(hidden, from.length, 0);
      System.arraycopy(u, 0, c.u, 0, u.length);
      for (int j = 0; j < from.length; j++) {
        if (from[j] >= 0) {
          c.extra[j] = extra[from[j]].clone();
        }
      }
      return c;
    }
  }

  private static MixtureOfExperts.Builder builder() {
    return MixtureOfExperts.builder(D, 1).experts(Experts.nlms("e", E, D, 1, 0.5)).topK(2).seed(3);
  }

  private static void train(MixtureOfExperts m, int steps) {
    Random r = new Random(9);
    float[] yHat = new float[1];
    for (int t = 0; t < steps; t++) {
      float[] x = {(float) r.nextGaussian(), (float) r.nextGaussian(), (float) r.nextGaussian()};
      m.learn(MixtureOfExperts.DEFAULT_STREAM, x, new float[] {x[0] > 0 ? 2 * x[1] : -x[2]}, yHat);
    }
  }

  @Test
  void aCellOfTheUsersOwnRoutesAndLearnsAndTrainsTheRoutersInputColumnsItHolds() {
    LeakyCell cell = new LeakyCell(5, E, 1);
    MixtureOfExperts m = builder().gatingCell(cell).build();
    assertThat(m.hidden()).isEqualTo(5);
    assertThat(m.config().cell().hidden()).isEqualTo(5);
    float[][] columnsBefore = Arrays.stream(cell.extra).map(float[]::clone).toArray(float[][]::new);
    train(m, 500);
    assertThat(m.learnSteps()).isEqualTo(500);
    assertThat(m.state(MixtureOfExperts.DEFAULT_STREAM)).as("the cell advanced the state").isNotEqualTo(new float[5]);
    assertThat(cell.extra).as("the router trained its input columns in the cell").isNotEqualTo(columnsBefore);
    RouteBuffer b = m.newRouteBuffer();
    m.route(MixtureOfExperts.DEFAULT_STREAM, new float[] {1, 2, 3}, b);
    assertThat(b.k()).isEqualTo(2);
    assertThat(m.lastCallEnergy().macs()[dev.auramoe.energy.Component.CELL.ordinal()])
        .as("the cell's own MAC counts are metered").isEqualTo(D * 5 + 2 * 5);
    assertThat(m.parameterCount()).as("the cell's own count, the router's readout and bias, the experts")
        .isEqualTo(cell.parameterCount() + 5L * E + E + E * (D + 1L));
  }

  @Test
  void aCustomCellCarriesItsColumnsAcrossAnExpertSetChangeAndRefusesSnapshotsByName(@TempDir Path dir) {
    MixtureOfExperts m = builder().gatingCell(new LeakyCell(4, E, 2)).build();
    train(m, 200);
    MixtureOfExperts added = m.withExpert(new NlmsExpert("fresh", D, 1, 0.3));
    LeakyCell old = (LeakyCell) m.state().cell();
    LeakyCell carried = (LeakyCell) added.state().cell();
    assertThat(carried).isNotSameAs(old);
    assertThat(carried.extra).hasDimensions(E + 1, D);
    for (int e = 0; e < E; e++) {
      assertThat(carried.extra[e]).containsExactly(old.extra[e]);
    }
    assertThat(carried.extra[E]).as("a fresh expert's input column").containsOnly(0f);
    assertThat(added.state(MixtureOfExperts.DEFAULT_STREAM)).containsExactly(m.state(MixtureOfExperts.DEFAULT_STREAM));
    Path f = dir.resolve("m.aura");
    assertThatThrownBy(() -> m.save(f)).isInstanceOf(UnsupportedOperationException.class)
        .hasMessageContaining(LeakyCell.class.getName()).hasMessageContaining("cannot be saved");
    assertThatThrownBy(m::digest).isInstanceOf(UnsupportedOperationException.class);
    assertThat(Files.exists(f)).as("nothing written").isFalse();
  }

  @Test
  void aCellThatDoesNotFitTheMixtureIsRefusedAtBuild() {
    assertThatThrownBy(() -> builder().gatingCell(new LeakyCell(4, E - 1, 1)).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has " + (E - 1) + " extra columns")
        .hasMessageContaining("the router needs " + E);
    assertThatThrownBy(() -> builder().routerUsesInput(false).gatingCell(new LeakyCell(4, E, 1)).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("the router needs 0");
    assertThat(builder().routerUsesInput(false).gatingCell(new LeakyCell(4, 0, 1)).build().hidden()).isEqualTo(4);
  }

  @Test
  void aLiquidCellBuiltOutsideTheModelIsSavedWithItsOwnConfigurationAndWeights(@TempDir Path dir) throws Exception {
    CellConfig cfg = CellConfig.DEFAULT.withHidden(6).withType(dev.auramoe.cell.CellType.CLOSED_FORM).withUnfolds(2);
    LiquidCell cell = new LiquidCell(cfg, D, E, 77);
    MixtureOfExperts m = builder().gatingCell(cell).build();
    assertThat(m.config().cell()).isEqualTo(cfg);
    train(m, 300);
    Path f = dir.resolve("m.aura");
    m.save(f);
    MixtureOfExperts loaded = MixtureOfExperts.load(f);
    assertThat(loaded.config().cell()).isEqualTo(cfg);
    assertThat(loaded.digest()).isEqualTo(m.digest());
    assertThat(loaded.state().liquidCell().projection()).containsExactly(cell.projection());
    float[] x = {0.5f, -1f, 2f};
    assertThat(loaded.predict(MixtureOfExperts.DEFAULT_STREAM, x)).containsExactly(m.predict(MixtureOfExperts.DEFAULT_STREAM, x));
  }
}
