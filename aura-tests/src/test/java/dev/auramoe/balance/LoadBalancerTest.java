package dev.auramoe.balance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.auramoe.testing.Props;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The balancer's update rule, moving average, warm-up, freeze and off mode, against a reference. */
class LoadBalancerTest {

  /**
   * The documented rule, written out in float:
   * load_i = decay * load_i + (1 - decay) * chosen_i;
   * after warm-up, enabled and not frozen: b_i = clamp(b_i + gamma * sign(mean(load) - load_i), -cap, cap).
   */
  static final class Reference {
    final float[] bias;
    final float[] load;
    final long[] counts;
    long tokens;
    long updates;

    Reference(int experts) {
      bias = new float[experts];
      load = new float[experts];
      counts = new long[experts];
    }

    void record(BalanceConfig c, int[] chosen) {
      int n = bias.length;
      boolean[] picked = new boolean[n];
      for (int e : chosen) {
        picked[e] = true;
        counts[e]++;
      }
      float decay = (float) c.decay();
      float rest = (float) (1 - c.decay());
      for (int i = 0; i < n; i++) {
        load[i] = decay * load[i] + (picked[i] ? rest : 0f);
      }
      tokens++;
      boolean moves = c.enabled() && c.biasCap() > 0 && !c.frozen() && tokens > c.warmupTokens() && c.gamma() > 0;
      if (moves) {
        float mean = 0f;
        for (float l : load) {
          mean += l;
        }
        mean /= n;
        for (int i = 0; i < n; i++) {
          float sign = Math.signum(mean - load[i]);
          float b = bias[i] + (float) c.gamma() * sign;
          bias[i] = Math.min((float) c.biasCap(), Math.max((float) -c.biasCap(), b));
        }
        updates++;
      }
    }
  }

  private static void assertSame(LoadBalancer lb, Reference ref) {
    BalanceState s = lb.state();
    assertThat(s.bias()).as("bias").containsExactly(ref.bias);
    assertThat(s.load()).as("load").containsExactly(ref.load);
    assertThat(s.counts()).as("counts").containsExactly(ref.counts);
    assertThat(s.tokens()).isEqualTo(ref.tokens);
    assertThat(s.biasUpdates()).isEqualTo(ref.updates);
  }

  @Test
  void followsTheDocumentedRuleExactlyUnderRandomConfigurationsAndChoices() {
    Props.forAll(606, 200, g -> {
      int experts = g.intIn(1, 10);
      int k = g.intIn(1, experts);
      BalanceConfig c = new BalanceConfig(g.chance(0.8), g.oneOf(1e-3, 0.05, 0.3, 0.0), g.oneOf(0.0, 0.5, 0.9, 0.99),
          g.oneOf(1.0, 0.1, 0.0, 7.0), g.oneOf(0L, 1L, 5L, 40L), g.chance(0.2));
      LoadBalancer lb = new LoadBalancer(experts, c);
      Reference ref = new Reference(experts);
      for (int t = 0; t < 100; t++) {
        if (g.chance(0.05)) { // configuration changes keep bias and loads
          c = c.withFrozen(!c.frozen());
          lb.setConfig(c);
        }
        int[] chosen = new int[k];
        int[] perm = g.chance(0.6) ? skewedPermutation(experts) : shuffled(g, experts);
        System.arraycopy(perm, 0, chosen, 0, k);
        lb.record(chosen, k);
        ref.record(c, chosen);
        assertSame(lb, ref);
        for (float b : lb.state().bias()) {
          assertThat(Math.abs(b)).isLessThanOrEqualTo((float) c.biasCap());
        }
      }
    });
  }

  private static int[] skewedPermutation(int n) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    return p;
  }

  private static int[] shuffled(dev.auramoe.testing.Gen g, int n) {
    int[] p = skewedPermutation(n);
    for (int i = n - 1; i > 0; i--) {
      int j = g.intIn(0, i);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  @Test
  void workedExampleWithTheCap() {
    // E = 3, k = 1, decay 0.5, gamma 0.1, cap 0.15; expert 0 chosen twice.
    LoadBalancer lb = new LoadBalancer(3, new BalanceConfig(true, 0.1, 0.5, 0.15, 0, false));
    lb.record(new int[] {0}, 1);
    // load = [0.5, 0, 0], mean 1/6: expert 0 is over-used
    assertThat(lb.state().load()).containsExactly(0.5f, 0f, 0f);
    assertThat(lb.state().bias()).containsExactly(-0.1f, 0.1f, 0.1f);
    lb.record(new int[] {0}, 1);
    // load = [0.75, 0, 0]; the next step of 0.1 would pass the cap
    assertThat(lb.state().load()).containsExactly(0.75f, 0f, 0f);
    assertThat(lb.state().bias()).containsExactly(-0.15f, 0.15f, 0.15f);
    lb.record(new int[] {1}, 1);
    // load = [0.375, 0.5, 0], mean 0.2917: 0 and 1 over-used, 2 under-used
    assertThat(lb.state().load()).containsExactly(0.375f, 0.5f, 0f);
    assertThat(lb.state().bias()[0]).isCloseTo(-0.15f, within(1e-7f));
    assertThat(lb.state().bias()[1]).isCloseTo(0.05f, within(1e-7f));
    assertThat(lb.state().bias()[2]).isCloseTo(0.15f, within(1e-7f));
    assertThat(lb.state().counts()).containsExactly(2, 1, 0);
    assertThat(lb.state().tokens()).isEqualTo(3);
    assertThat(lb.state().biasUpdates()).isEqualTo(3);
  }

  @Test
  void loadIsAnExponentialMovingAverageThatDecays() {
    LoadBalancer lb = new LoadBalancer(2, BalanceConfig.OFF.withDecay(0.9));
    for (int t = 0; t < 200; t++) {
      lb.record(new int[] {0}, 1);
    }
    assertThat(lb.state().load()[0]).as("a steady choice converges to load 1").isCloseTo(1f, within(1e-6f));
    float start = lb.state().load()[0];
    for (int t = 1; t <= 30; t++) {
      lb.record(new int[] {1}, 1);
      assertThat((double) lb.state().load()[0]).as("after %d tokens without it", t)
          .isCloseTo(start * Math.pow(0.9, t), within(1e-5));
    }
    // decay 0: the load is the last token's choice only
    LoadBalancer last = new LoadBalancer(3, BalanceConfig.DEFAULT.withDecay(0));
    last.record(new int[] {0, 1}, 2);
    last.record(new int[] {2, 1}, 2);
    assertThat(last.state().load()).containsExactly(0f, 1f, 1f);
    assertThat(last.state().maxOverMeanLoad()).isCloseTo(1.5, within(1e-6));
  }

  @Test
  void warmUpHoldsTheBiasStillThenReleasesIt() {
    LoadBalancer lb = new LoadBalancer(4, BalanceConfig.DEFAULT.withGamma(0.01).withWarmupTokens(5));
    for (int t = 1; t <= 5; t++) {
      assertThat(lb.mode()).isEqualTo("warming-up");
      lb.record(new int[] {0}, 1);
      assertThat(lb.state().bias()).as("no bias movement during warm-up").containsOnly(0f);
      assertThat(lb.state().load()[0]).as("loads are tracked from the start").isPositive();
    }
    assertThat(lb.mode()).isEqualTo("active");
    assertThat(lb.state().biasUpdates()).isZero();
    lb.record(new int[] {0}, 1);
    assertThat(lb.state().bias()).containsExactly(-0.01f, 0.01f, 0.01f, 0.01f);
    assertThat(lb.state().biasUpdates()).isEqualTo(1);
    assertThat(lb.state().active()).isTrue();
  }

  @Test
  void frozenKeepsTheBiasButTracksLoadsAndUnfreezingResumes() {
    BalanceConfig c = BalanceConfig.DEFAULT.withGamma(0.05).withBiasCap(1.0);
    LoadBalancer lb = new LoadBalancer(3, c);
    lb.record(new int[] {2}, 1);
    float[] bias = lb.state().bias();
    assertThat(bias).containsExactly(0.05f, 0.05f, -0.05f);
    lb.setConfig(c.withFrozen(true));
    assertThat(lb.mode()).isEqualTo("frozen");
    assertThat(lb.state().active()).isFalse();
    for (int t = 0; t < 10; t++) {
      lb.record(new int[] {2}, 1);
    }
    assertThat(lb.state().bias()).containsExactly(bias);
    assertThat(lb.state().counts()).containsExactly(0, 0, 11);
    assertThat(lb.state().tokens()).isEqualTo(11);
    assertThat(lb.state().biasUpdates()).isEqualTo(1);
    lb.setConfig(c);
    lb.record(new int[] {2}, 1);
    assertThat(lb.state().bias()).containsExactly(0.1f, 0.1f, -0.1f);
  }

  @Test
  void offNeverMovesTheBiasButStillTracksAndReportsLoads() {
    LoadBalancer lb = new LoadBalancer(3, BalanceConfig.OFF);
    for (int t = 0; t < 50; t++) {
      lb.record(new int[] {1, 0}, 2);
    }
    BalanceState s = lb.state();
    assertThat(s.mode()).isEqualTo("off");
    assertThat(s.active()).isFalse();
    assertThat(s.bias()).containsOnly(0f);
    assertThat(s.counts()).containsExactly(50, 50, 0);
    assertThat(s.load()[2]).isZero();
    assertThat(s.load()[0]).isPositive();
    assertThat(s.maxOverMeanCounts()).isCloseTo(1.5, within(1e-9));
    // off wins over frozen and warm-up in the reported mode
    assertThat(new LoadBalancer(3, BalanceConfig.OFF.withFrozen(true).withWarmupTokens(10)).mode()).isEqualTo("off");
    assertThat(new LoadBalancer(3, BalanceConfig.DEFAULT.withFrozen(true).withWarmupTokens(10)).mode()).isEqualTo("frozen");
    assertThat(new LoadBalancer(3, BalanceConfig.DEFAULT.withWarmupTokens(10)).mode()).isEqualTo("warming-up");
    assertThat(new LoadBalancer(3, BalanceConfig.DEFAULT).mode()).isEqualTo("active");
  }

  @Test
  void zeroGammaAndZeroCapNeverMoveTheBias() {
    for (BalanceConfig c : new BalanceConfig[] {BalanceConfig.DEFAULT.withGamma(0), BalanceConfig.DEFAULT.withBiasCap(0)}) {
      LoadBalancer lb = new LoadBalancer(3, c);
      for (int t = 0; t < 20; t++) {
        lb.record(new int[] {0}, 1);
      }
      for (float b : lb.state().bias()) {
        assertThat(b == 0f).as("%s: bias %s", c, b).isTrue(); // -0 from clamping to -0 is fine
      }
      assertThat(lb.mode()).as("a bias that cannot move is not reported as active")
          .isEqualTo(c.gamma() == 0 ? "frozen" : "off");
      assertThat(lb.state().biasUpdates()).as("and is not counted as moving").isZero();
    }
  }

  @Test
  void resetAndRestore() {
    LoadBalancer lb = new LoadBalancer(2, BalanceConfig.DEFAULT);
    lb.record(new int[] {0}, 1);
    lb.reset();
    assertThat(lb.state()).isEqualTo(new LoadBalancer(2, BalanceConfig.DEFAULT).state());
    lb.restore(new float[] {0.5f, -0.5f}, new float[] {0.2f, 0.8f}, new long[] {3, 4}, 7, 2);
    BalanceState s = lb.state();
    assertThat(s.bias()).containsExactly(0.5f, -0.5f);
    assertThat(s.load()).containsExactly(0.2f, 0.8f);
    assertThat(s.counts()).containsExactly(3, 4);
    assertThat(s.tokens()).isEqualTo(7);
    assertThat(s.biasUpdates()).isEqualTo(2);
    assertThatThrownBy(() -> lb.restore(new float[3], new float[2], new long[2], 0, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("wrong number of experts");
    assertThat(lb.state()).isEqualTo(s);
  }

  @Test
  void stateIsACopy() {
    LoadBalancer lb = new LoadBalancer(2, BalanceConfig.DEFAULT);
    lb.record(new int[] {0}, 1);
    BalanceState s = lb.state();
    s.bias()[0] = 42f;
    s.load()[0] = 42f;
    s.counts()[0] = 42;
    assertThat(lb.state()).isEqualTo(s);
    assertThat(Arrays.asList(lb.state().bias()[0], lb.state().load()[0])).doesNotContain(42f);
  }

  @Test
  void configRejectsBadValues() {
    assertThatThrownBy(() -> new BalanceConfig(true, Double.NaN, 0.9, 1, 0, false)).hasMessageContaining("gamma");
    assertThatThrownBy(() -> new BalanceConfig(true, -1e-3, 0.9, 1, 0, false)).hasMessageContaining("gamma");
    assertThatThrownBy(() -> new BalanceConfig(true, 1e-3, 1.0, 1, 0, false)).hasMessageContaining("decay must lie in [0, 1)");
    assertThatThrownBy(() -> new BalanceConfig(true, 1e-3, -0.1, 1, 0, false)).hasMessageContaining("decay");
    assertThatThrownBy(() -> new BalanceConfig(true, 1e-3, 0.9, Double.POSITIVE_INFINITY, 0, false)).hasMessageContaining("biasCap");
    assertThatThrownBy(() -> new BalanceConfig(true, 1e-3, 0.9, 1, -1, false)).hasMessageContaining("warmupTokens");
    assertThatThrownBy(() -> new LoadBalancer(0, BalanceConfig.DEFAULT)).hasMessageContaining("experts must be > 0");
  }

  /**
   * A batch moves the bias once, by gamma against the sign of each expert's share of the batch's
   * selections minus the mean share; the moving averages, counts and tokens follow every token as if
   * recorded one by one.
   */
  @Test
  void aBatchMovesTheBiasOnceByItsOwnLoad() {
    BalanceConfig c = new BalanceConfig(true, 0.01, 0.9, 1.0, 0, false);
    LoadBalancer batch = new LoadBalancer(3, c);
    LoadBalancer tokens = new LoadBalancer(3, c.withEnabled(false));
    // 4 tokens, top-2: expert 0 picked 4 times, expert 1 three times, expert 2 once; mean 8/3.
    int[] chosen = {0, 1, 0, 1, 0, 2, 1, 0};
    batch.recordBatch(chosen, 4, 2);
    for (int r = 0; r < 4; r++) {
      tokens.record(new int[] {chosen[2 * r], chosen[2 * r + 1]}, 2);
    }
    BalanceState s = batch.state();
    assertThat(s.bias()).containsExactly(-0.01f, -0.01f, 0.01f);
    assertThat(s.biasUpdates()).isEqualTo(1);
    assertThat(s.load()).containsExactly(tokens.state().load());
    assertThat(s.counts()).containsExactly(4, 3, 1);
    assertThat(s.tokens()).isEqualTo(4);
    assertThatThrownBy(() -> batch.recordBatch(chosen, 5, 2)).hasMessageContaining("5 x 2");
    assertThat(batch.state()).isEqualTo(s);
  }

  /**
   * A batch naming an expert the balancer does not have is refused with the row and the index, before
   * any of its rows is recorded: the loads, counts, tokens and bias stay as they were.
   */
  @Test
  void aBatchWithAnUnknownExpertIsRefusedAndChangesNothing() {
    LoadBalancer lb = new LoadBalancer(3, new BalanceConfig(true, 0.01, 0.9, 1.0, 0, false));
    lb.recordBatch(new int[] {0, 1, 2, 0}, 2, 2);
    BalanceState before = lb.state();
    assertThatThrownBy(() -> lb.recordBatch(new int[] {0, 1, 2, 3}, 2, 2)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("row 1").hasMessageContaining("expert 3");
    assertThatThrownBy(() -> lb.recordBatch(new int[] {0, 1, -1, 2}, 2, 2)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expert -1");
    assertThat(lb.state()).isEqualTo(before);
  }

  /**
   * A router with fixed preferences that routes whole batches under one bias (as a network trained
   * on mini-batches does): with one bias update per batch the load evens out under a cap of 1; with
   * an update per token the bias swings from cap to cap between batches and the load it leaves is as
   * uneven as without balancing.
   */
  @Test
  void batchesOfChoicesBalanceWithOneUpdatePerBatch() {
    float[] p = {0.4f, 0.3f, 0.2f, 0.1f};
    BalanceConfig even = new BalanceConfig(true, 1e-3, 0.99, 1.0, 0, false);
    LoadBalancer perBatch = new LoadBalancer(4, even);
    LoadBalancer perToken = new LoadBalancer(4, even);
    java.util.Random r = new java.util.Random(3);
    int rows = 512;
    int[] chosen = new int[rows];
    for (int step = 0; step < 3000; step++) {
      for (LoadBalancer lb : new LoadBalancer[] {perBatch, perToken}) {
        choose(lb, p, rows, r, chosen);
        if (lb == perBatch) {
          lb.recordBatch(chosen, rows, 1);
        } else {
          for (int t = 0; t < rows; t++) {
            lb.record(new int[] {chosen[t]}, 1);
          }
        }
      }
    }
    // The last batch chosen by each, with the bias its balancer ended with.
    assertThat(maxOverMean(lastBatch(perBatch, p, rows, r))).as("one update per batch").isLessThan(1.2);
    assertThat(maxOverMean(lastBatch(perToken, p, rows, r))).as("one update per token").isGreaterThan(1.8);
  }

  private static int[] lastBatch(LoadBalancer lb, float[] p, int rows, java.util.Random r) {
    int[] chosen = new int[rows];
    choose(lb, p, rows, r, chosen);
    int[] picks = new int[p.length];
    for (int e : chosen) {
      picks[e]++;
    }
    return picks;
  }

  /** Top-1 of each token's probabilities (the preferences with a little noise) plus the balancer's bias. */
  private static void choose(LoadBalancer lb, float[] p, int rows, java.util.Random r, int[] chosen) {
    float[] b = lb.state().bias();
    for (int t = 0; t < rows; t++) {
      int best = 0;
      double top = Double.NEGATIVE_INFINITY;
      for (int e = 0; e < p.length; e++) {
        double score = p[e] + 0.05 * r.nextGaussian() + b[e];
        if (score > top) {
          top = score;
          best = e;
        }
      }
      chosen[t] = best;
    }
  }

  private static double maxOverMean(int[] picks) {
    double max = 0;
    double sum = 0;
    for (int v : picks) {
      max = Math.max(max, v);
      sum += v;
    }
    return max / (sum / picks.length);
  }
}
