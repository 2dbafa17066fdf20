package dev.auramoe.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import dev.auramoe.internal.vector.KernelProvider;
import dev.auramoe.internal.vector.KernelSupport;
import dev.auramoe.routing.TopK;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The kernels' token choice is {@link TopK#selectByScore}'s, index for index and in order: at expert
 * counts of one vector on 4, 8 and 16 lanes (where the Vector API kernel selects in vector
 * instructions) and around them, for every k, with and without a bias, with ties, -0 beside +0,
 * infinities and NaN scores, and an offset into the probabilities.
 */
class SelectTopKTest {

  static Stream<Arguments> cases() {
    KernelSupport p = KernelProvider.panamaOrNull();
    List<KernelSupport> ks = p == null ? List.of(KernelProvider.scalar()) : List.of(KernelProvider.scalar(), p);
    List<Arguments> out = new ArrayList<>();
    for (KernelSupport k : ks) {
      for (int n : new int[] {1, 3, 4, 5, 8, 9, 15, 16, 17, 32}) {
        for (String kind : new String[] {"random", "ties", "zeros", "infinities", "nan"}) {
          out.add(Arguments.of(k.name(), k, n, kind));
        }
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0}: {2} experts, {3}")
  @MethodSource("cases")
  void choosesAsTopKDoes(String name, KernelSupport k, int n, String kind) {
    SplittableRandom r = new SplittableRandom(n * 977L + kind.hashCode());
    for (int trial = 0; trial < 40; trial++) {
      int off = r.nextInt(3);
      float[] probs = new float[off + n + 2];
      float[] bias = new float[n];
      for (int i = 0; i < probs.length; i++) {
        probs[i] = value(r, kind);
      }
      for (int i = 0; i < n; i++) {
        bias[i] = r.nextInt(3) == 0 ? 0f : value(r, kind) * 0.5f;
      }
      for (int kk = 1; kk <= n; kk++) {
        for (float[] b : new float[][] {null, bias}) {
          int[] expected = new int[kk];
          TopK.selectByScore(probs, off, b, n, kk, new float[n], expected, new float[kk]);
          int[] actual = new int[kk + 1];
          actual[kk] = -5;
          float[] before = probs.clone();
          k.selectTopK(probs, off, b, n, kk, new float[n], actual, new float[kk]);
          assertThat(java.util.Arrays.copyOf(actual, kk)).as("%d of %d, bias %b, trial %d", kk, n, b != null, trial)
              .containsExactly(expected);
          assertThat(actual[kk]).as("nothing written past k").isEqualTo(-5);
          assertThat(probs).containsExactly(before);
        }
      }
    }
  }

  private static float value(SplittableRandom r, String kind) {
    return switch (kind) {
      // Few distinct values: many ties among the best.
      case "ties" -> r.nextInt(4) * 0.25f;
      case "zeros" -> r.nextBoolean() ? 0f : r.nextBoolean() ? -0f : (float) r.nextDouble();
      case "infinities" -> switch (r.nextInt(4)) {
        case 0 -> Float.NEGATIVE_INFINITY;
        case 1 -> Float.POSITIVE_INFINITY;
        default -> (float) r.nextGaussian();
      };
      case "nan" -> r.nextInt(5) == 0 ? Float.NaN : (float) r.nextGaussian();
      default -> (float) r.nextDouble();
    };
  }
}
