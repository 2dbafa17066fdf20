package dev.auramoe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.auramoe.balance.BalanceConfig;
import dev.auramoe.cell.CellConfig;
import dev.auramoe.energy.Component;
import dev.auramoe.energy.DeviceProfile;
import dev.auramoe.energy.EnergyReport;
import dev.auramoe.experts.AdaptiveExpert;
import dev.auramoe.experts.Expert;
import dev.auramoe.experts.NlmsExpert;
import dev.auramoe.experts.RlsExpert;
import dev.auramoe.routing.RouteBuffer;
import dev.auramoe.spiking.AttentionConfig;
import dev.auramoe.spiking.SpikingAttention;
import dev.auramoe.testing.Models;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Analytic MAC counts against closed-form formulas, per call and cumulatively, over several shapes.
 *
 * <pre>
 * route:   CELL      = 2 d H + steps (H^2 + 2 H)
 *          ROUTER    = (routerUsesInput ? d E : 0) + H E + (recent errors ? E : 0)
 *          ATTENTION = (live accumulators before the call) + (tokens in the call)
 * predict: route + EXPERTS = sum over chosen of predictMacs + k out      (NLMS: out (d + 1))
 * learn:   predict + LEARNING = k out + sum over chosen adaptive experts of learnMacs
 *                               + (routerLr > 0 ? H + (usesInput ? d : 0)
 *                                   + sum over chosen whose router step is non-zero of (H + 1 + (usesInput ? d : 0)) : 0)
 *                               + (recent errors ? sum over the others of (predictMacs + out) + E : 0)
 *          NLMS learnMacs = d + out (d + 1) (leak > 0 ? 2 : 1);  RLS = 2 n^2 + out n + n, n = d + 1
 * every route, predict or learn counts one token
 * </pre>
 */
class EnergyTest {

  private static final String S = MixtureOfExperts.DEFAULT_STREAM;

  record Shape(int d, int hidden, int experts, int k, int unfolds, int out, boolean usesInput, boolean attention,
      boolean rls, boolean leak, boolean recent) {

    Shape(int d, int hidden, int experts, int k, int unfolds, int out, boolean usesInput, boolean attention,
        boolean rls, boolean leak) {
      this(d, hidden, experts, k, unfolds, out, usesInput, attention, rls, leak, true);
    }

    @Override
    public String toString() {
      return "d=" + d + " H=" + hidden + " E=" + experts + " k=" + k + " unfolds=" + unfolds + " out=" + out
          + (usesInput ? " +Qx" : "") + (attention ? " +attention" : "") + (rls ? " +rls" : "") + (leak ? " +leak" : "")
          + (recent ? " +recent" : "");
    }

    MixtureOfExperts build() {
      List<Expert> list = new ArrayList<>();
      for (int i = 0; i < experts; i++) {
        list.add(rls && i % 2 == 1 ? new RlsExpert("r" + i, d, out, 0.99, 0.5)
            : new NlmsExpert("n" + i, d, out, 0.5, 1e-3, leak ? 0.01 : 0));
      }
      return MixtureOfExperts.builder(d, out).experts(list).topK(k)
          .cell(CellConfig.DEFAULT.withHidden(hidden).withUnfolds(unfolds)).routerUsesInput(usesInput)
          .attention(attention ? AttentionConfig.of(10_000) : null)
          .recentErrors(recent ? RecentErrors.DEFAULT : RecentErrors.OFF).seed(d * 31L + hidden).build();
    }
  }

  static Stream<Arguments> shapes() {
    return Stream.of(
        new Shape(4, 8, 4, 2, 1, 1, true, false, false, false),
        new Shape(4, 8, 4, 2, 1, 1, false, false, false, false),
        new Shape(4, 8, 4, 2, 1, 1, true, false, false, false, false),
        new Shape(7, 5, 6, 3, 3, 2, true, true, true, true, false),
        new Shape(1, 1, 1, 1, 1, 1, true, false, false, false),
        new Shape(7, 5, 6, 3, 3, 2, true, true, false, true),
        new Shape(3, 16, 5, 5, 2, 4, false, true, true, false),
        new Shape(13, 3, 8, 1, 1, 3, true, false, true, true),
        new Shape(2, 32, 2, 2, 4, 1, true, true, true, false)).map(Arguments::of);
  }

  private static Map<Component, Long> expectedRoute(Shape s, int steps, long attention) {
    Map<Component, Long> m = new EnumMap<>(Component.class);
    for (Component c : Component.values()) {
      m.put(c, 0L);
    }
    long h = s.hidden;
    m.put(Component.CELL, 2L * s.d * h + steps * (h * h + 2 * h));
    m.put(Component.ROUTER, (s.usesInput ? (long) s.d * s.experts : 0) + h * s.experts + (s.recent ? s.experts : 0));
    m.put(Component.ATTENTION, attention);
    return m;
  }

  private static long predictMacs(Expert e, Shape s) {
    return (long) s.out * (s.d + 1);
  }

  private static long learnMacs(Expert e, Shape s) {
    int n = s.d + 1;
    return e instanceof RlsExpert ? 2L * n * n + (long) s.out * n + n
        : s.d + (long) s.out * (s.d + 1) * (s.leak ? 2 : 1);
  }

  private static void assertMacs(EnergyReport r, Map<Component, Long> expected, long tokens, String what) {
    for (Component c : Component.values()) {
      assertThat(r.macs(c)).as("%s: %s", what, c).isEqualTo(expected.get(c));
    }
    assertThat(r.tokens()).as("%s: tokens", what).isEqualTo(tokens);
    assertThat(r.totalMacs()).isEqualTo(expected.values().stream().mapToLong(Long::longValue).sum());
  }

  private static void addInto(Map<Component, Long> total, Map<Component, Long> call) {
    call.forEach((c, v) -> total.merge(c, v, Long::sum));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("shapes")
  void macCountsMatchTheClosedFormsPerCallAndCumulatively(Shape s) {
    MixtureOfExperts m = s.build();
    Random r = new Random(s.d);
    Map<Component, Long> total = new EnumMap<>(Component.class);
    for (Component c : Component.values()) {
      total.put(c, 0L);
    }
    long tokens = 0;
    RouteBuffer b = m.newRouteBuffer();
    float tauMin = m.config().cell().tauMin();
    for (int t = 0; t < 60; t++) {
      float[] x = new float[s.d];
      for (int i = 0; i < s.d; i++) {
        x[i] = (float) r.nextGaussian();
      }
      int[] tokensIn = s.attention ? new int[] {r.nextInt(30), r.nextInt(30), 5} : null;
      SpikingAttention before = m.attention(S);
      long attention = before == null ? 0 : before.activeCount() + 3;
      Map<Component, Long> call;
      switch (t % 3) {
        case 0 -> {
          float elapsed = t % 6 == 0 ? Float.NaN : tauMin * (1 + r.nextInt(5)) * 0.9f;
          m.route(S, x, elapsed, tokensIn, b);
          call = expectedRoute(s, b.steps(), s.attention ? attention : 0);
          assertThat(b.steps()).isEqualTo(Float.isNaN(elapsed) ? s.unfolds : (int) Math.ceil(elapsed / tauMin));
        }
        case 1 -> {
          MixtureOfExperts probe = Models.copy(m);
          probe.route(S, x, b);
          m.predict(S, x);
          call = expectedRoute(s, s.unfolds, 0);
          long experts = 0;
          for (int j = 0; j < s.k; j++) {
            experts += predictMacs(m.expert(b.expert(j)), s);
          }
          call.put(Component.EXPERTS, experts + (long) s.k * s.out);
        }
        default -> {
          float[] y = new float[s.out];
          for (int i = 0; i < s.out; i++) {
            y[i] = x[i % s.d] * 2 - 1;
          }
          float[] bias0 = m.state().router().bias().clone();
          m.learn(S, x, y, new float[s.out], b);
          call = expectedRoute(s, s.unfolds, 0);
          long experts = 0;
          long learning = (long) s.k * s.out;
          for (int j = 0; j < s.k; j++) {
            Expert e = m.expert(b.expert(j));
            experts += predictMacs(e, s);
            if (e instanceof AdaptiveExpert) {
              learning += learnMacs(e, s);
            }
          }
          learning += s.hidden + (s.usesInput ? s.d : 0);
          for (int j = 0; j < s.k; j++) {
            // the router step of expert e was non-zero exactly when its bias moved
            if (m.state().router().bias()[b.expert(j)] != bias0[b.expert(j)]) {
              learning += s.hidden + 1 + (s.usesInput ? s.d : 0);
            }
          }
          if (s.recent) {
            // Every expert's error on y: the others predict here.
            learning += (long) (s.experts - s.k) * (predictMacs(null, s) + s.out) + s.experts;
          }
          call.put(Component.EXPERTS, experts + (long) s.k * s.out);
          call.put(Component.LEARNING, learning);
        }
      }
      assertMacs(m.lastCallEnergy(), call, 1, "call " + t);
      addInto(total, call);
      tokens++;
      assertMacs(m.cumulativeEnergy(), total, tokens, "cumulative after call " + t);
    }
    if (s.experts == 1) {
      // k = E = 1: the only chosen expert has probability 1 and responsibility 1, so its router step is 0.
      assertThat(m.state().router().bias()[0]).isZero();
    }
  }

  @Test
  void aBatchCostsExactlyWhatItsSingleCallsCost() {
    Shape s = new Shape(5, 12, 6, 2, 2, 1, true, false, false, false);
    MixtureOfExperts batch = s.build();
    MixtureOfExperts single = s.build();
    int count = 17;
    float[] xs = new float[count * 5];
    Random r = new Random(3);
    for (int i = 0; i < xs.length; i++) {
      xs[i] = (float) r.nextGaussian();
    }
    batch.routeBatch(S, xs, count, new int[count * 2], new float[count * 2]);
    RouteBuffer b = single.newRouteBuffer();
    for (int t = 0; t < count; t++) {
      single.route(S, java.util.Arrays.copyOfRange(xs, t * 5, t * 5 + 5), b);
    }
    assertThat(batch.lastCallEnergy().macs()).containsExactly(single.cumulativeEnergy().macs());
    assertThat(batch.lastCallEnergy().tokens()).isEqualTo(count);
    assertThat(batch.cumulativeEnergy().macs(Component.CELL)).isEqualTo(count * (2L * 5 * 12 + 2 * (144 + 24)));
  }

  @Test
  void namedWindowsMeasureWhatHappenedWhileTheyWereOpen() {
    MixtureOfExperts m = new Shape(3, 4, 3, 2, 1, 1, true, false, false, false).build();
    RouteBuffer b = m.newRouteBuffer();
    long perRoute = 2 * 3 * 4 + (16 + 8) + 3 * 3 + 4 * 3 + 3; // the last 3: the recent-error term
    m.route(S, new float[] {1, 2, 3}, b);
    m.openEnergyWindow("a");
    m.route(S, new float[] {1, 2, 3}, b);
    m.openEnergyWindow("b");
    m.route(S, new float[] {1, 2, 3}, b);
    m.route(S, new float[] {1, 2, 3}, b);
    EnergyReport b1 = m.closeEnergyWindow("b");
    assertThat(b1.label()).isEqualTo("b");
    assertThat(b1.totalMacs()).isEqualTo(2 * perRoute);
    assertThat(b1.tokens()).isEqualTo(2);
    m.openEnergyWindow("a"); // reopening restarts
    m.route(S, new float[] {1, 2, 3}, b);
    EnergyReport a = m.closeEnergyWindow("a");
    assertThat(a.totalMacs()).isEqualTo(perRoute);
    assertThat(a.tokens()).isEqualTo(1);
    assertThat(m.cumulativeEnergy().totalMacs()).isEqualTo(5 * perRoute);
    assertThat(m.cumulativeEnergy().label()).isEqualTo("cumulative");
    assertThat(m.lastCallEnergy().label()).isEqualTo("last-call");
    assertThatThrownBy(() -> m.closeEnergyWindow("a")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no open energy window named 'a'");
    assertThatThrownBy(() -> m.openEnergyWindow(" ")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("window name must not be blank");
  }

  @Test
  void energyFollowsTheDeviceProfileAndSaysItIsAnEstimate() {
    MixtureOfExperts m = new Shape(3, 4, 3, 2, 1, 1, true, false, false, false).build();
    RouteBuffer b = m.newRouteBuffer();
    for (int t = 0; t < 4; t++) {
      m.route(S, new float[] {1, 2, 3}, b);
    }
    EnergyReport r = m.cumulativeEnergy();
    long macs = r.totalMacs();
    assertThat(r.profile()).isEqualTo(DeviceProfile.DEFAULT);
    assertThat(r.joules()).isCloseTo(macs * 3e-12, within(1e-20));
    assertThat(r.picojoulesPerToken()).isCloseTo(macs * 3.0 / 4, within(1e-9));
    assertThat(r.picojoulesPerToken(Component.CELL)).isCloseTo(r.macs(Component.CELL) * 3.0 / 4, within(1e-9));
    assertThat(r.joules(Component.ROUTER)).isCloseTo(r.macs(Component.ROUTER) * 3e-12, within(1e-20));
    assertThat(r.basis()).startsWith("estimate").contains("3.0 pJ/MAC").contains("memory traffic not included");
    m.setDeviceProfile(DeviceProfile.INT8_MAC);
    EnergyReport int8 = m.cumulativeEnergy();
    assertThat(int8.macs()).as("counts are kept").containsExactly(r.macs());
    assertThat(int8.picojoulesPerToken()).isCloseTo(macs * 0.23 / 4, within(1e-9));
    assertThat(int8.basis()).startsWith("estimate").contains("Horowitz");
    assertThat(r.withProfile(DeviceProfile.FP32_MAC).joules()).isCloseTo(macs * 4.6e-12, within(1e-20));
    assertThat(new EnergyReport("x", new long[5], 0, DeviceProfile.DEFAULT).picojoulesPerToken()).isZero();
    assertThat(r.byComponent().keySet()).containsExactly(Component.values());
    long[] raw = r.macs();
    raw[0] = -1;
    assertThat(r.macs()[0]).as("reports are immutable").isNotEqualTo(-1);
  }

  @Test
  void readingAndPureCallsMeterNothing() {
    MixtureOfExperts m = new Shape(3, 4, 3, 2, 1, 1, true, false, false, false).build();
    m.route(S, new float[] {1, 2, 3});
    EnergyReport before = m.cumulativeEnergy();
    m.timeConstants(new float[] {1, 2, 3});
    m.digest();
    m.balanceState();
    m.state(S);
    m.routerReadout();
    assertThat(m.cumulativeEnergy()).isEqualTo(before);
  }

  @Test
  void balancingDoesNotChangeTheCost() {
    Shape s = new Shape(4, 8, 4, 2, 1, 1, true, false, false, false);
    MixtureOfExperts on = s.build();
    MixtureOfExperts off = MixtureOfExperts.builder(4, 1).experts(dev.auramoe.experts.Experts.nlms("n", 4, 4, 1, 0.5))
        .cell(CellConfig.DEFAULT.withHidden(8)).balance(BalanceConfig.OFF).build();
    for (int t = 0; t < 10; t++) {
      on.route(S, new float[] {t, 1, 2, 3});
      off.route(S, new float[] {t, 1, 2, 3});
    }
    assertThat(on.cumulativeEnergy().macs()).containsExactly(off.cumulativeEnergy().macs());
  }
}
