package dev.auramoe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.balance.BalanceConfig;
import dev.auramoe.cell.CellConfig;
import dev.auramoe.energy.Component;
import dev.auramoe.experts.Experts;
import dev.auramoe.routing.RouteBuffer;
import dev.auramoe.routing.policy.Assignment;
import dev.auramoe.routing.policy.ExpertChoicePolicy;
import dev.auramoe.routing.policy.NullExpertPolicy;
import dev.auramoe.routing.policy.SinkhornPolicy;
import dev.auramoe.routing.policy.TopKPolicy;
import dev.auramoe.routing.policy.TopPPolicy;
import dev.auramoe.testing.Models;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Routing policies inside the model: switchable at run time on the same learned state, the
 * explicit top-k policy routes exactly like the built-in one, window-only policies are refused on
 * single inputs and work through routeWindow, variable numbers of experts learn, null experts save
 * expert compute, and padding in a window neither advances the stream nor counts as load.
 */
class RoutingPolicyInModelTest {

  private static final String S = MixtureOfExperts.DEFAULT_STREAM;
  private static final int D = 6;

  private static MixtureOfExperts model(BalanceConfig bc) {
    return MixtureOfExperts.builder(D, 1).experts(Experts.nlms("e", 8, D, 1, 0.5)).topK(2)
        .cell(CellConfig.DEFAULT.withHidden(16)).balance(bc).seed(13).build();
  }

  private static float[] x(Random r) {
    float[] x = new float[D];
    int regime = r.nextInt(3);
    for (int i = 0; i < D; i++) {
      x[i] = (float) (r.nextGaussian() + (i % 3 == regime ? 2 : 0));
    }
    return x;
  }

  private static float[] y(float[] x) {
    return new float[] {x[0] - 2 * x[1] + 0.5f * x[2] * (x[3] > 1 ? 1 : -1)};
  }

  @Test
  void theExplicitTopKPolicyRoutesExactlyLikeTheBuiltInOne() {
    MixtureOfExperts builtIn = model(BalanceConfig.DEFAULT.withGamma(0.01));
    MixtureOfExperts explicit = Models.copy(builtIn);
    explicit.setRoutingPolicy(new TopKPolicy(2));
    Random r = new Random(1);
    RouteBuffer a = builtIn.newRouteBuffer();
    RouteBuffer b = explicit.newRouteBuffer();
    float[] ya = new float[1];
    float[] yb = new float[1];
    for (int t = 0; t < 400; t++) {
      float[] x = x(r);
      builtIn.learn(S, x, Float.NaN, null, y(x), ya, a);
      explicit.learn(S, x, Float.NaN, null, y(x), yb, b);
      assertThat(b.k()).isEqualTo(2);
      assertThat(Arrays.copyOf(b.expertsArray(), 2)).containsExactly(Arrays.copyOf(a.expertsArray(), 2));
      assertThat(yb[0]).isEqualTo(ya[0]);
    }
    assertThat(explicit.digest()).as("same learned state, bit for bit").isEqualTo(builtIn.digest());
  }

  @Test
  void switchingPoliciesKeepsTheLearnedStateAndWindowOnlyPoliciesAreRefusedOnSingleInputs() {
    MixtureOfExperts m = model(BalanceConfig.DEFAULT);
    Random r = new Random(2);
    for (int t = 0; t < 300; t++) {
      float[] x = x(r);
      m.learn(S, x, y(x));
    }
    String learned = m.digest();
    float[] readout = m.routerReadout();
    for (var window : new dev.auramoe.routing.policy.RoutingPolicy[] {new ExpertChoicePolicy(1f), new SinkhornPolicy(2, 50, 1e-3)}) {
      m.setRoutingPolicy(window);
      float[] x = x(r);
      assertThatThrownBy(() -> m.route(S, x)).isInstanceOf(IllegalStateException.class).hasMessageContaining("whole window");
      assertThatThrownBy(() -> m.predict(S, x)).isInstanceOf(IllegalStateException.class);
      assertThatThrownBy(() -> m.learn(S, x, y(x))).isInstanceOf(IllegalStateException.class);
      assertThatThrownBy(() -> m.routeBatch(S, x, 1, new int[2], new float[2])).isInstanceOf(IllegalStateException.class);
      assertThat(m.digest()).as("a refused call changes nothing").isEqualTo(learned);
    }
    m.setRoutingPolicy(new TopPPolicy(0.8f, 1, 4));
    m.route(S, x(r));
    m.setRoutingPolicy(null);
    assertThat(m.routerReadout()).as("routing never touches the learned readout").containsExactly(readout);
  }

  @Test
  void topPLearnsWithAVariableNumberOfExpertsAndMetersExactlyTheExpertsItUsed() {
    MixtureOfExperts m = model(BalanceConfig.DEFAULT);
    m.setRoutingPolicy(new TopPPolicy(0.75f, 1, 4));
    Random r = new Random(3);
    RouteBuffer b = m.newRouteBuffer();
    float[] yHat = new float[1];
    int[] histogram = new int[5];
    double early = 0;
    double late = 0;
    for (int t = 0; t < 6000; t++) {
      float[] x = x(r);
      double se = m.learn(S, x, Float.NaN, null, y(x), yHat, b);
      assertThat(b.k()).isBetween(1, 4);
      histogram[b.k()]++;
      float sum = 0;
      for (int j = 0; j < b.k(); j++) {
        sum += b.weight(j);
      }
      assertThat(sum).isCloseTo(1f, org.assertj.core.api.Assertions.within(1e-5f));
      // experts: k * (d + 1) predict MACs + k mixing MACs
      assertThat(m.lastCallEnergy().macs(Component.EXPERTS)).isEqualTo((long) b.k() * (D + 1) + b.k());
      if (t < 500) {
        early += se / 500;
      } else if (t >= 5500) {
        late += se / 500;
      }
    }
    assertThat(histogram[1] + histogram[3] + histogram[4]).as("the number of experts varies: %s", Arrays.toString(histogram))
        .isPositive();
    assertThat(histogram[2]).isPositive();
    assertThat(late).as("still learns: late MSE below early").isLessThan(0.5 * early);
  }

  @Test
  void nullExpertsSaveExpertComputeOnTheSameStream() {
    long[] expertMacs = new long[2];
    for (int variant = 0; variant < 2; variant++) {
      MixtureOfExperts m = model(BalanceConfig.DEFAULT);
      if (variant == 1) {
        m.setRoutingPolicy(new NullExpertPolicy(2, 2, 0.15f, 1));
      }
      Random r = new Random(4);
      m.openEnergyWindow("run");
      for (int t = 0; t < 3000; t++) {
        float[] x = x(r);
        m.learn(S, x, y(x));
      }
      expertMacs[variant] = m.closeEnergyWindow("run").macs(Component.EXPERTS);
    }
    assertThat(expertMacs[1]).as("null experts vs top-2").isLessThan(expertMacs[0]);
    assertThat(expertMacs[1]).as("but every token keeps a real expert").isGreaterThanOrEqualTo(expertMacs[0] / 2);
  }

  @Test
  void aWindowWithPaddingRoutesOnlyItsRealTokensAndExpertChoiceLoadIsEven() {
    MixtureOfExperts padded = model(BalanceConfig.DEFAULT.withFrozen(true));
    MixtureOfExperts compact = Models.copy(padded);
    ExpertChoicePolicy ec = new ExpertChoicePolicy(1f);
    padded.setRoutingPolicy(ec);
    compact.setRoutingPolicy(new ExpertChoicePolicy(1f));
    Random r = new Random(5);
    int count = 64;
    float[] xs = new float[count * D];
    boolean[] valid = new boolean[count];
    int nValid = 0;
    for (int t = 0; t < count; t++) {
      valid[t] = t % 5 != 3;
      float[] x = x(r);
      System.arraycopy(x, 0, xs, t * D, D);
      if (valid[t]) {
        nValid++;
      }
    }
    float[] onlyValid = new float[nValid * D];
    for (int t = 0, v = 0; t < count; t++) {
      if (valid[t]) {
        System.arraycopy(xs, t * D, onlyValid, v++ * D, D);
      }
    }
    Assignment a = new Assignment();
    long[] before = padded.balanceState().counts();
    padded.routeWindow(S, xs, count, valid, a);
    compact.routeWindow(S, onlyValid, nValid, null, new Assignment());
    assertThat(padded.state(S)).as("padding does not advance the stream").containsExactly(compact.state(S));
    assertThat(padded.balanceState().tokens()).isEqualTo(nValid);
    long[] after = padded.balanceState().counts();
    int cap = ec.capacity(nValid, 8);
    for (int e = 0; e < 8; e++) {
      assertThat(after[e] - before[e]).as("expert %d took its capacity", e).isEqualTo(cap);
    }
    for (int t = 0; t < count; t++) {
      if (!valid[t]) {
        assertThat(a.end(t) - a.start(t)).isZero();
      }
    }
  }

  @Test
  void learningAWindowOfOneIsExactlyALearnStep() {
    MixtureOfExperts stepwise = model(BalanceConfig.DEFAULT.withGamma(0.01));
    MixtureOfExperts windowed = Models.copy(stepwise);
    Random r = new Random(6);
    Assignment a = new Assignment();
    float[] yHat = new float[1];
    for (int t = 0; t < 300; t++) {
      float[] x = x(r);
      double se1 = stepwise.learn(S, x, y(x), new float[1]);
      double se2 = windowed.learnWindow(S, x, y(x), 1, null, a, yHat);
      assertThat(se2).isEqualTo(se1);
    }
    assertThat(windowed.digest()).isEqualTo(stepwise.digest());
  }

  @Test
  void windowPoliciesLearnThroughLearnWindowAndPaddingTeachesNothing() {
    // Expert choice with a generous factor, so that few tokens are left without an expert (those
    // predict zeros whatever the experts learned).
    for (var policy : new dev.auramoe.routing.policy.RoutingPolicy[] {new ExpertChoicePolicy(4f),
        new SinkhornPolicy(2, 50, 1e-3)}) {
      MixtureOfExperts m = model(BalanceConfig.DEFAULT);
      m.setRoutingPolicy(policy);
      Random r = new Random(7);
      int count = 64;
      float[] xs = new float[count * D];
      float[] ys = new float[count];
      float[] yHats = new float[count];
      boolean[] valid = new boolean[count];
      Assignment a = new Assignment();
      double early = 0;
      double late = 0;
      int windows = 120;
      for (int w = 0; w < windows; w++) {
        int n = 0;
        for (int t = 0; t < count; t++) {
          float[] x = x(r);
          System.arraycopy(x, 0, xs, t * D, D);
          ys[t] = y(x)[0];
          valid[t] = t % 8 != 7;
          n += valid[t] ? 1 : 0;
        }
        long tokensBefore = m.balanceState().tokens();
        double se = m.learnWindow(S, xs, ys, count, valid, a, yHats) / n;
        assertThat(m.balanceState().tokens() - tokensBefore).isEqualTo(n);
        for (int t = 0; t < count; t++) {
          if (!valid[t]) {
            assertThat(yHats[t]).isZero();
          }
        }
        if (w < 10) {
          early += se / 10;
        } else if (w >= windows - 10) {
          late += se / 10;
        }
      }
      assertThat(late).as("%s learns", policy.name()).isLessThan(0.5 * early);
    }
  }
}
