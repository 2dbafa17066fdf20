package dev.auramoe.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.auramoe.MixtureOfExperts;
import dev.auramoe.Snapshots;
import dev.auramoe.experts.FunctionExpert;
import dev.auramoe.io.SnapshotException;
import dev.auramoe.routing.RouteBuffer;
import java.util.HashSet;
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
