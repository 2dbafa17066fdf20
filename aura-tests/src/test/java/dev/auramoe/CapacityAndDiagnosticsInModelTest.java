package dev.auramoe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.cell.CellConfig;
import dev.auramoe.energy.Component;
import dev.auramoe.experts.Experts;
import dev.auramoe.routing.RouteBuffer;
import dev.auramoe.routing.diagnostics.RoutingDiagnostics;
import dev.auramoe.routing.diagnostics.RoutingDiagnostics.WindowSummary;
import dev.auramoe.routing.diagnostics.RoutingStats;
import dev.auramoe.routing.policy.Assignment;
import dev.auramoe.routing.policy.CapacityLimiter;
import dev.auramoe.routing.policy.OverflowPolicy;
import dev.auramoe.routing.policy.TopKPolicy;
import dev.auramoe.testing.Models;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Capacity inside the model's window calls (drop, reroute, spill) and routing diagnostics kept by
 * the model itself over every routing path.
 */
class CapacityAndDiagnosticsInModelTest {

  private static final String S = MixtureOfExperts.DEFAULT_STREAM;
  private static final int D = 5;
  private static final int E = 6;
  private static final int N = 48;

  private static MixtureOfExperts model() {
    return MixtureOfExperts.builder(D, 1).experts(Experts.nlms("e", E, D, 1, 0.5)).topK(2)
        .cell(CellConfig.DEFAULT.withHidden(12)).seed(5).build();
  }

  /** A window where most inputs look alike, so the router piles them onto the same experts. */
  private static float[] window(Random r) {
    float[] xs = new float[N * D];
    for (int i = 0; i < xs.length; i++) {
      xs[i] = (float) (0.1 * r.nextGaussian() + (i % D == 0 ? 3 : 0));
    }
    return xs;
  }

  private static long[] load(Assignment a) {
    long[] l = new long[E];
    a.addLoad(l);
    return l;
  }

  @Test
  void dropKeepsEveryExpertWithinCapacityAndATokenWithNoExpertPredictsZerosAndTeachesNothing() {
    MixtureOfExperts free = model();
    MixtureOfExperts capped = Models.copy(free);
    CapacityLimiter limiter = new CapacityLimiter(0.5, OverflowPolicy.DROP, 1);
    capped.setCapacity(limiter);
    float[] xs = window(new Random(1));
    float[] ys = new float[N];
    Assignment a = new Assignment();
    Assignment b = new Assignment();
    free.routeWindow(S, xs, N, null, a);
    capped.routeWindow(S, xs, N, null, b);
    int cap = limiter.lastCapacity();
    assertThat(cap).isEqualTo((int) Math.ceil(0.5 * 2 * N / E));
    assertThat(java.util.Arrays.stream(load(b)).max().orElse(0)).isLessThanOrEqualTo(cap);
    assertThat(limiter.lastDropped()).as("the uncapped window overflows").isPositive()
        .isEqualTo(a.realSlots() - b.realSlots());
    // Learning a window: tokens that lost every slot predict zeros and change no expert.
    MixtureOfExperts learner = model();
    learner.setCapacity(new CapacityLimiter(0.25, OverflowPolicy.DROP, 1));
    float[] yHats = new float[N];
    java.util.Arrays.fill(ys, 1f);
    Assignment c = new Assignment();
    learner.learnWindow(S, xs, ys, N, null, c, yHats);
    int empty = 0;
    for (int t = 0; t < N; t++) {
      if (c.end(t) == c.start(t)) {
        empty++;
        assertThat(yHats[t]).isZero();
      }
    }
    assertThat(empty).as("capacity 0.25 leaves some tokens with no expert").isPositive();
  }

  @Test
  void rerouteMovesOverflowToTheNextBestExpertWithRoomAndSpillChangesNoRouting() {
    MixtureOfExperts base = model();
    MixtureOfExperts reroute = Models.copy(base);
    MixtureOfExperts spill = Models.copy(base);
    CapacityLimiter rerouter = new CapacityLimiter(1.25, OverflowPolicy.REROUTE, 1);
    reroute.setCapacity(rerouter);
    CapacityLimiter spiller = new CapacityLimiter(1.0, OverflowPolicy.SPILL, 3);
    spill.setCapacity(spiller);
    float[] xs = window(new Random(2));
    Assignment a = new Assignment();
    Assignment r = new Assignment();
    Assignment s = new Assignment();
    base.routeWindow(S, xs, N, null, a);
    reroute.routeWindow(S, xs, N, null, r);
    spill.routeWindow(S, xs, N, null, s);
    int cap = (int) Math.ceil(1.25 * 2 * N / E);
    assertThat(java.util.Arrays.stream(load(a)).max().orElse(0)).as("the window overflows").isGreaterThan(cap);
    assertThat(java.util.Arrays.stream(load(r)).max().orElse(0)).isLessThanOrEqualTo(cap);
    assertThat(rerouter.lastRerouted()).isPositive();
    assertThat(r.realSlots()).as("rerouting keeps every slot while there is room").isEqualTo(a.realSlots());
    for (int t = 0; t < N; t++) {
      assertThat(s.end(t) - s.start(t)).isEqualTo(a.end(t) - a.start(t));
      for (int sl = s.start(t); sl < s.end(t); sl++) {
        assertThat(s.expert(sl)).isEqualTo(a.expert(sl));
        assertThat(s.weight(sl)).isEqualTo(a.weight(sl));
        assertThat(spiller.replica(sl)).isBetween(0, 2);
      }
    }
    assertThat(spill.digest()).as("spilling changes where work runs, not the model").isEqualTo(base.digest());
  }

  @Test
  void diagnosticsAreRefusedUntilEnabledAndThenSeeEveryRoutingPath() {
    MixtureOfExperts m = model();
    assertThatThrownBy(m::routingStats).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("enableDiagnostics");
    m.enableDiagnostics(16, 0.9);
    // The same decisions fed to a diagnostics object of our own must give the same figures.
    RoutingDiagnostics mine = new RoutingDiagnostics(E, 16, 0.9, 0);
    Random r = new Random(3);
    RouteBuffer b = m.newRouteBuffer();
    float[] y = new float[1];
    float[] yHat = new float[1];
    int[] chosen = new int[E];
    for (int t = 0; t < 40; t++) {
      float[] x = new float[D];
      for (int i = 0; i < D; i++) {
        x[i] = (float) r.nextGaussian();
      }
      if (t % 2 == 0) {
        m.route(S, x, b);
      } else {
        y[0] = x[0];
        m.learn(S, x, Float.NaN, null, y, yHat, b);
      }
      mine.record(b.expertsArray(), b.k(), b.probabilitiesArray(), -1);
    }
    m.setRoutingPolicy(new TopKPolicy(1));
    float[] xs = window(new Random(4));
    Assignment a = new Assignment();
    m.routeWindow(S, xs, N, null, a);
    RoutingStats st = m.routingStats();
    assertThat(st.tokens()).isEqualTo(40 + N);
    // 40 tokens with 2 experts, then N with 1.
    assertThat(st.meanExpertsPerToken()).isCloseTo((40 * 2.0 + N) / (40 + N), org.assertj.core.api.Assertions.within(1e-12));
    List<WindowSummary> h = m.routingHistory();
    assertThat(h).hasSize((40 + N) / 16);
    assertThat(h.get(0).expertsPerToken()).isEqualTo(2.0);
    assertThat(h.get(h.size() - 1).expertsPerToken()).isEqualTo(1.0);
    assertThat(h.get(0).maxOverMean()).isEqualTo(mine.history().get(0).maxOverMean());
    assertThat(h.get(0).routingEntropy()).isEqualTo(mine.history().get(0).routingEntropy());
    assertThat(h).extracting(WindowSummary::index).containsExactly(0L, 1L, 2L, 3L, 4L);
    m.disableDiagnostics();
    assertThatThrownBy(m::routingHistory).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void theHistoryKeepsTheLastWindowsOldestFirst() {
    RoutingDiagnostics d = new RoutingDiagnostics(3, 2, 0.5, 0, 3);
    int[] one = {0};
    int[] two = {1, 2};
    for (int w = 0; w < 5; w++) {
      // window w: experts per token 1 then (w even ? 1 : 2)
      d.record(one, 1, null, -1);
      d.record(w % 2 == 0 ? one : two, w % 2 == 0 ? 1 : 2, null, -1);
    }
    List<WindowSummary> h = d.history();
    assertThat(h).extracting(WindowSummary::index).containsExactly(2L, 3L, 4L);
    assertThat(h).extracting(WindowSummary::expertsPerToken).containsExactly(1.0, 1.5, 1.0);
    assertThat(h.get(0).maxOverMean()).as("both slots on expert 0 of 3").isEqualTo(3.0);
    assertThat(h.get(1).maxOverMean()).as("one slot each").isEqualTo(1.0);
    assertThat(h.get(0).routingEntropy()).isNaN();
    assertThat(new RoutingDiagnostics(3, 2, 0.5, 0, 0).history()).isEmpty();
  }

  @Test
  void meteredExpertMacsFollowTheSlotsCapacityLeft() {
    MixtureOfExperts free = model();
    MixtureOfExperts capped = Models.copy(free);
    capped.setCapacity(new CapacityLimiter(0.5, OverflowPolicy.DROP, 1));
    float[] xs = window(new Random(6));
    float[] ys = new float[N];
    float[] yHats = new float[N];
    Assignment a = new Assignment();
    Assignment b = new Assignment();
    free.learnWindow(S, xs, ys, N, null, a, yHats);
    long freeMacs = free.lastCallEnergy().macs(Component.EXPERTS);
    capped.learnWindow(S, xs, ys, N, null, b, yHats);
    long cappedMacs = capped.lastCallEnergy().macs(Component.EXPERTS);
    assertThat(cappedMacs * a.realSlots()).isEqualTo(freeMacs * b.realSlots());
  }
}
