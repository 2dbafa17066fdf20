package dev.auramoe.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.auramoe.Credit;
import dev.auramoe.MixtureOfExperts;
import dev.auramoe.RecentErrors;
import dev.auramoe.Snapshots;
import dev.auramoe.balance.BalanceConfig;
import dev.auramoe.cell.CellConfig;
import dev.auramoe.cell.CellType;
import dev.auramoe.energy.DeviceProfile;
import dev.auramoe.experts.FunctionExpert;
import dev.auramoe.experts.NlmsExpert;
import dev.auramoe.experts.RlsExpert;
import dev.auramoe.io.SnapshotException;
import dev.auramoe.routing.RouteBuffer;
import dev.auramoe.spiking.AttentionConfig;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;

/** Shared helpers: bit-exact model copies and the invariants of one routing decision. */
public final class Models {

  private Models() {}

  /** The frozen functions that test models use, by expert name. */
  public static final Function<String, FunctionExpert.VectorFunction> FUNCTIONS = name -> switch (name) {
    case "sum" -> (x, y) -> {
      float s = 0f;
      for (float v : x) {
        s += v;
      }
      for (int i = 0; i < y.length; i++) {
        y[i] = s;
      }
    };
    case "zero" -> (x, y) -> java.util.Arrays.fill(y, 0f);
    case "first" -> (x, y) -> {
      for (int i = 0; i < y.length; i++) {
        y[i] = x[0];
      }
    };
    default -> null;
  };

  /** A frozen expert with one of the {@link #FUNCTIONS}. */
  public static FunctionExpert function(String name, int in, int out) {
    return new FunctionExpert(name, in, out, FUNCTIONS.apply(name), in);
  }

  /**
   * A trained model with every kind of state: NLMS with leak, RLS, a frozen function, plain NLMS,
   * three streams with recent errors, spiking attention, a moved balancing bias, changed live settings and energy
   * counters; with the router reading the input or not.
   */
  public static MixtureOfExperts richModel(CellType type, boolean routerUsesInput) {
    MixtureOfExperts m = MixtureOfExperts.builder(4, 2)
        .expert(new NlmsExpert("nlms", 4, 2, 0.6, 1e-2, 0.02))
        .expert(new RlsExpert("rls", 4, 2, 0.97, 0.3))
        .expert(function("sum", 4, 2))
        .expert(new NlmsExpert("plain", 4, 2, 1.2))
        .topK(2).routerUsesInput(routerUsesInput).cell(CellConfig.DEFAULT.withHidden(12).withType(type).withUnfolds(2))
        .credit(Credit.RESPONSIBILITY).recentErrors(new RecentErrors(2f, 0.4f))
        .balance(BalanceConfig.DEFAULT.withGamma(0.02)).attention(new AttentionConfig(5000, 3, 0.6f, 2f, 1e-2f))
        .deviceProfile(DeviceProfile.custom("lab", 1.7)).seed(99).build();
    m.openStream("left");
    m.openStream("right");
    Random r = new Random(5);
    RouteBuffer b = m.newRouteBuffer();
    String[] ids = {MixtureOfExperts.DEFAULT_STREAM, "left", "right"};
    for (int t = 0; t < 120; t++) {
      String s = ids[t % 3];
      float[] x = gaussian(r, 4);
      if (t % 4 == 0) {
        m.route(s, x, 0.01f * (1 + t % 7), new int[] {r.nextInt(20), r.nextInt(20), 4999}, b);
      } else {
        m.learn(s, x, new float[] {x[0] - x[1], 2 * x[2] + x[3]});
      }
    }
    m.setTemperature(0.8f);
    m.setRouterLearningRate(0.3f);
    m.setBalance(m.balanceState().config().withWarmupTokens(7));
    return m;
  }

  /** {@code n} standard normal values. */
  public static float[] gaussian(Random r, int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) r.nextGaussian();
    }
    return x;
  }

  /** A bit-identical, independent copy through the snapshot bytes. */
  public static MixtureOfExperts copy(MixtureOfExperts m) {
    try {
      return Snapshots.fromBytes(Snapshots.toBytes(m), FUNCTIONS);
    } catch (SnapshotException e) {
      throw new AssertionError("a model's own snapshot must load", e);
    }
  }

  /**
   * The invariants of every routing decision: k distinct experts in range, finite weights in [0, 1]
   * summing to 1, finite probabilities in [0, 1] summing to 1.
   */
  public static void assertValid(RouteBuffer b, int k, int experts) {
    assertThat(b.k()).isEqualTo(k);
    Set<Integer> seen = new HashSet<>();
    double ws = 0;
    for (int j = 0; j < k; j++) {
      assertThat(b.expert(j)).isBetween(0, experts - 1);
      assertThat(seen.add(b.expert(j))).as("expert %d chosen twice", b.expert(j)).isTrue();
      float w = b.weight(j);
      assertThat(Float.isFinite(w)).as("weight %d finite: %s", j, w).isTrue();
      assertThat(w).isBetween(0f, 1f);
      ws += w;
    }
    assertThat(ws).as("weights sum to 1").isCloseTo(1.0, within(1e-5));
    double ps = 0;
    for (int e = 0; e < experts; e++) {
      float p = b.probability(e);
      assertThat(Float.isFinite(p)).as("probability %d finite: %s", e, p).isTrue();
      assertThat(p).isBetween(0f, 1f);
      ps += p;
    }
    assertThat(ps).as("probabilities sum to 1").isCloseTo(1.0, within(1e-5));
  }

  /** Weights are the router probabilities renormalised over the chosen set (uniform if that mass is 0). */
  public static void assertWeightsAreRenormalisedProbabilities(RouteBuffer b) {
    int k = b.k();
    double mass = 0;
    for (int j = 0; j < k; j++) {
      mass += b.probability(b.expert(j));
    }
    for (int j = 0; j < k; j++) {
      double expected = mass > 0 ? b.probability(b.expert(j)) / mass : 1.0 / k;
      assertThat((double) b.weight(j)).as("weight of chosen expert %d", b.expert(j))
          .isCloseTo(expected, within(2e-6 * Math.max(1, expected)));
    }
  }
}
