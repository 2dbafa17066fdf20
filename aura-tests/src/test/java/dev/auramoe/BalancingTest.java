package dev.auramoe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.auramoe.balance.BalanceConfig;
import dev.auramoe.balance.BalanceState;
import dev.auramoe.cell.CellConfig;
import dev.auramoe.experts.Experts;
import dev.auramoe.routing.RouteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Load balancing inside the model: reported modes, reconfiguration, and its effect on skewed input. */
class BalancingTest {

  private static final String S = MixtureOfExperts.DEFAULT_STREAM;

  private static MixtureOfExperts model(BalanceConfig bc) {
    return MixtureOfExperts.builder(4, 1).experts(Experts.nlms("e", 8, 4, 1, 0.5)).topK(2)
        .cell(CellConfig.DEFAULT.withHidden(16)).balance(bc).routerLearningRate(0f).seed(3).build();
  }

  /** Max over mean of how often each expert was chosen over {@code tokens} skewed inputs after a burn-in. */
  private static double skewedImbalance(MixtureOfExperts m, int burnIn, int tokens) {
    Random r = new Random(99);
    float[] mu = {1.5f, -0.5f, 0.8f, 2f};
    RouteBuffer b = m.newRouteBuffer();
    float[] x = new float[4];
    for (int t = 0; t < burnIn; t++) {
      next(r, mu, x);
      m.route(S, x, b);
    }
    long[] before = m.balanceState().counts();
    for (int t = 0; t < tokens; t++) {
      next(r, mu, x);
      m.route(S, x, b);
    }
    long[] after = m.balanceState().counts();
    double max = 0;
    double sum = 0;
    for (int e = 0; e < before.length; e++) {
      double c = after[e] - before[e];
      max = Math.max(max, c);
      sum += c;
    }
    assertThat(sum).isEqualTo(2.0 * tokens);
    return max / (sum / before.length);
  }

  private static void next(Random r, float[] mu, float[] x) {
    for (int i = 0; i < x.length; i++) {
      x[i] = mu[i] + (float) (0.2 * r.nextGaussian());
    }
  }

  @Test
  void switchingBalancingOffStopsTheLearnedBiasFromSteeringSelection() {
    MixtureOfExperts m = model(BalanceConfig.DEFAULT.withGamma(0.01));
    skewedImbalance(m, 500, 500);
    float[] bias = m.balanceState().bias();
    float maxAbs = 0;
    for (float v : bias) {
      maxAbs = Math.max(maxAbs, Math.abs(v));
    }
    assertThat(maxAbs).as("the bias has moved").isGreaterThan(0.01f);
    m.setBalance(BalanceConfig.OFF);
    assertThat(m.balanceState().mode()).isEqualTo("off");
    Random r = new Random(5);
    float[] mu = {1.5f, -0.5f, 0.8f, 2f};
    float[] x = new float[4];
    RouteBuffer b = m.newRouteBuffer();
    long biasUpdates = m.balanceState().biasUpdates();
    for (int t = 0; t < 300; t++) {
      next(r, mu, x);
      m.route(S, x, b);
      int best = 0;
      for (int e = 1; e < m.expertCount(); e++) {
        if (b.probability(e) > b.probability(best)) {
          best = e;
        }
      }
      assertThat(b.expert(0)).as("off means the most probable expert is chosen first").isEqualTo(best);
    }
    assertThat(m.balanceState().biasUpdates()).isEqualTo(biasUpdates);
    // Shrinking the cap re-clamps the kept bias.
    m.setBalance(BalanceConfig.DEFAULT.withBiasCap(0.005));
    for (float v : m.balanceState().bias()) {
      assertThat(Math.abs(v)).isLessThanOrEqualTo(0.005f);
    }
  }

  @Test
  void balancingReducesMaxOverMeanLoadOnASkewedInputDistribution() {
    double off = skewedImbalance(model(BalanceConfig.OFF), 500, 3000);
    MixtureOfExperts balanced = model(BalanceConfig.DEFAULT.withGamma(0.01));
    double on = skewedImbalance(balanced, 500, 3000);
    assertThat(off).as("without balancing the skewed input sticks to a few experts").isGreaterThan(3.0);
    assertThat(on).as("balancing spreads it (max/mean %s vs %s off)", on, off).isLessThan(1.6).isLessThan(off / 2);
    assertThat(balanced.balanceState().maxOverMeanLoad()).isLessThan(2.0);
    assertThat(balanced.balanceState().biasUpdates()).isEqualTo(3500);
  }

  @Test
  void modeIsReportedExactlyAsConfigured() {
    assertThat(model(BalanceConfig.OFF).balanceState().mode()).isEqualTo("off");
    assertThat(model(BalanceConfig.DEFAULT).balanceState().mode()).isEqualTo("active");
    assertThat(model(BalanceConfig.DEFAULT.withFrozen(true)).balanceState().mode()).isEqualTo("frozen");
    assertThat(model(BalanceConfig.OFF.withFrozen(true)).balanceState().mode()).isEqualTo("off");

    MixtureOfExperts m = model(BalanceConfig.DEFAULT.withWarmupTokens(3));
    RouteBuffer b = m.newRouteBuffer();
    for (int t = 0; t < 3; t++) {
      BalanceState s = m.balanceState();
      assertThat(s.mode()).isEqualTo("warming-up");
      assertThat(s.active()).isFalse();
      assertThat(s.tokens()).isEqualTo(t);
      m.route(S, new float[] {t, 1, 2, 3}, b);
    }
    assertThat(m.balanceState().mode()).isEqualTo("active");
    assertThat(m.balanceState().bias()).containsOnly(0f);
    m.learn(S, new float[] {1, 2, 3, 4}, new float[] {1});
    assertThat(m.balanceState().tokens()).as("learn routes one token too").isEqualTo(4);
    assertThat(m.balanceState().biasUpdates()).isEqualTo(1);
    assertThat(m.balanceState().config()).isEqualTo(BalanceConfig.DEFAULT.withWarmupTokens(3));
  }

  @Test
  void setBalanceKeepsBiasAndLoadsAndTakesEffectAtOnce() {
    MixtureOfExperts m = model(BalanceConfig.DEFAULT.withGamma(0.05));
    RouteBuffer b = m.newRouteBuffer();
    for (int t = 0; t < 20; t++) {
      m.route(S, new float[] {1, 1, 1, 1}, b);
    }
    BalanceState before = m.balanceState();
    assertThat(before.bias()).isNotEqualTo(new float[8]);
    m.setBalance(before.config().withFrozen(true));
    BalanceState frozen = m.balanceState();
    assertThat(frozen.mode()).isEqualTo("frozen");
    assertThat(frozen.bias()).containsExactly(before.bias());
    assertThat(frozen.load()).containsExactly(before.load());
    for (int t = 0; t < 20; t++) {
      m.route(S, new float[] {1, 1, 1, 1}, b);
    }
    assertThat(m.balanceState().bias()).containsExactly(before.bias());
    assertThat(m.balanceState().tokens()).isEqualTo(40);
    m.setBalance(BalanceConfig.OFF);
    assertThat(m.balanceState().mode()).isEqualTo("off");
    m.route(S, new float[] {1, 1, 1, 1}, b);
    assertThat(m.balanceState().bias()).as("off keeps the learned bias, unchanged").containsExactly(before.bias());
  }
}
