package dev.auramoe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.auramoe.cell.CellType;
import dev.auramoe.experts.AdaptiveExpert;
import dev.auramoe.routing.RouteBuffer;
import dev.auramoe.spiking.SpikingAttention;
import dev.auramoe.testing.Models;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Save then load gives the same model: the same digest, every observable field, and bit-for-bit
 * the same behaviour afterwards, for a model with every kind of state (NLMS with leak, RLS, a
 * frozen function supplied by name, several streams, spiking attention, a moved balancing bias,
 * changed knobs and energy counters).
 */
class SnapshotRoundTripTest {

  static MixtureOfExperts richModel(CellType type) {
    return Models.richModel(type, true);
  }

  static float[] gaussian(Random r, int n) {
    return Models.gaussian(r, n);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(CellType.class)
  void saveThenLoadGivesTheSameModelAndTheSameFuture(CellType type, @TempDir Path dir) throws Exception {
    MixtureOfExperts a = richModel(type);
    Path file = dir.resolve("model.aura");
    a.save(file);
    MixtureOfExperts b = Snapshots.load(file, Models.FUNCTIONS);

    assertThat(b.digest()).isEqualTo(a.digest());
    assertThat(Files.readAllBytes(file)).isEqualTo(Snapshots.toBytes(a));
    assertThat(b.streams()).containsExactly(MixtureOfExperts.DEFAULT_STREAM, "left", "right");
    assertThat(b.expertNames()).containsExactly("nlms", "rls", "sum", "plain");
    assertThat(b.temperature()).isEqualTo(0.8f);
    assertThat(b.learnSteps()).isEqualTo(a.learnSteps()).isEqualTo(90);
    assertThat(b.balanceState()).isEqualTo(a.balanceState());
    assertThat(b.balanceState().bias()).isNotEqualTo(new float[4]);
    assertThat(b.cumulativeEnergy()).isEqualTo(a.cumulativeEnergy());
    assertThat(b.cumulativeEnergy().profile().name()).isEqualTo("lab");
    assertThat(b.routerReadout()).containsExactly(a.routerReadout());
    for (int e : new int[] {0, 1, 3}) {
      assertThat(((AdaptiveExpert) b.expert(e)).state()).containsExactly(((AdaptiveExpert) a.expert(e)).state());
      assertThat(b.expert(e).hyperParameters()).containsExactly(a.expert(e).hyperParameters());
    }
    for (String s : a.streams()) {
      assertThat(b.state(s)).containsExactly(a.state(s));
      SpikingAttention x = a.attention(s);
      SpikingAttention y = b.attention(s);
      assertThat(y.activeIds()).containsExactly(x.activeIds());
      assertThat(y.activePotentials()).containsExactly(x.activePotentials());
      assertThat(y.winners()).containsExactly(x.winners());
      assertThat(y.focus()).isEqualTo(x.focus());
      assertThat(y.steps()).isEqualTo(x.steps());
    }

    // The same inputs now give bit-identical outputs on both.
    Random r = new Random(6);
    RouteBuffer ba = a.newRouteBuffer();
    RouteBuffer bb = b.newRouteBuffer();
    for (int t = 0; t < 60; t++) {
      String s = a.streams().get(t % 3);
      float[] x = gaussian(r, 4);
      switch (t % 4) {
        case 0 -> {
          int[] tokens = {r.nextInt(50), 7};
          a.route(s, x, 0.033f, tokens, ba);
          b.route(s, x, 0.033f, tokens, bb);
          assertThat(bb.toDecision()).isEqualTo(ba.toDecision());
        }
        case 1 -> assertThat(b.predict(s, x)).containsExactly(a.predict(s, x));
        case 2 -> {
          MixtureOfExperts.LearnResult la = a.learn(s, x, new float[] {x[1], x[2]});
          MixtureOfExperts.LearnResult lb = b.learn(s, x, new float[] {x[1], x[2]});
          assertThat(lb.prediction()).containsExactly(la.prediction());
          assertThat(lb.experts()).containsExactly(la.experts());
          assertThat(lb.weights()).containsExactly(la.weights());
          assertThat(lb.squaredError()).isEqualTo(la.squaredError());
        }
        default -> {
          float[] xs = gaussian(r, 12);
          int[] ea = new int[6];
          int[] eb = new int[6];
          float[] wa = new float[6];
          float[] wb = new float[6];
          a.routeBatch(s, xs, 3, ea, wa);
          b.routeBatch(s, xs, 3, eb, wb);
          assertThat(eb).containsExactly(ea);
          assertThat(wb).containsExactly(wa);
        }
      }
      assertThat(b.lastCallEnergy()).isEqualTo(a.lastCallEnergy());
    }
    assertThat(b.digest()).isEqualTo(a.digest());
    assertThat(b.digest()).isNotEqualTo(Snapshots.digest(Snapshots.load(file, Models.FUNCTIONS)));
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(CellType.class)
  void saveReplacesAnExistingSnapshotAtomically(CellType type, @TempDir Path dir) throws Exception {
    MixtureOfExperts a = richModel(type);
    Path file = dir.resolve("nested/dir/model.aura");
    a.save(file);
    a.learn("left", new float[] {1, 2, 3, 4}, new float[] {1, 1});
    a.save(file);
    assertThat(Snapshots.load(file, Models.FUNCTIONS).digest()).isEqualTo(a.digest());
    try (var files = Files.list(file.getParent())) {
      assertThat(files.map(p -> p.getFileName().toString()).toList()).containsExactly("model.aura");
    }
  }
}
