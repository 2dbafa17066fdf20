package dev.auramoe.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.auramoe.testing.Props;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Partial top-k selection against a sort-based reference, with ties, infinities and NaN. */
class TopKTest {

  /** Reference: indices by score descending, NaN after every number (even -Infinity), ties by index. */
  private static int[] reference(float[] score, int k) {
    Comparator<Integer> byScore = (a, b) -> {
      float x = score[a];
      float y = score[b];
      boolean xn = Float.isNaN(x);
      boolean yn = Float.isNaN(y);
      if (xn || yn) {
        return xn == yn ? 0 : (xn ? 1 : -1);
      }
      return Float.compare(y, x) != 0 && x != y ? (x > y ? -1 : 1) : 0;
    };
    return IntStream.range(0, score.length).boxed().sorted(byScore.thenComparing(i -> i)).limit(k)
        .mapToInt(Integer::intValue).toArray();
  }

  private static int[] select(float[] score, int k) {
    int[] out = new int[k];
    TopK.select(score, score.length, k, out, new float[k]);
    return out;
  }

  @Test
  void matchesTheSortReferenceOnScoresFullOfTiesInfinitiesAndNaN() {
    Props.forAll(5150, 3000, g -> {
      int n = g.intIn(1, 20);
      int k = g.intIn(1, n);
      float[] score = new float[n];
      for (int i = 0; i < n; i++) {
        score[i] = g.oneOf(0f, -0f, 0.25f, 0.5f, 1f, -1f, Float.NaN, Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY, Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE, (float) g.gaussian());
      }
      float[] copy = score.clone();
      int[] got = select(score, k);
      assertThat(got).as("top-%d of %s", k, Arrays.toString(score)).containsExactly(reference(score, k));
      assertThat(score).as("scores are not modified").isEqualTo(copy);
    });
  }

  @Test
  void tiesGoToTheLowerIndex() {
    assertThat(select(new float[] {1f, 1f, 1f, 1f}, 2)).containsExactly(0, 1);
    assertThat(select(new float[] {0f, 2f, 2f, 1f, 2f}, 3)).containsExactly(1, 2, 4);
    assertThat(select(new float[] {0.5f, 0.5f}, 1)).containsExactly(0);
    // -0 and +0 compare equal: a tie, lower index first
    assertThat(select(new float[] {-0f, 0f}, 1)).containsExactly(0);
    assertThat(select(new float[] {0f, -0f}, 1)).containsExactly(0);
  }

  @Test
  void nanRanksBelowEveryNumberIncludingNegativeInfinity() {
    assertThat(select(new float[] {Float.NaN, 0f, Float.NaN}, 1)).containsExactly(1);
    assertThat(select(new float[] {Float.NaN, Float.NEGATIVE_INFINITY}, 1)).containsExactly(1);
    assertThat(select(new float[] {Float.NaN, -Float.MAX_VALUE, Float.NaN, 3f}, 3)).containsExactly(3, 1, 0);
    assertThat(select(new float[] {Float.NaN, Float.NaN, Float.NaN}, 2)).containsExactly(0, 1);
  }

  @Test
  void selectsEveryIndexWhenKEqualsN() {
    int[] got = select(new float[] {3f, 1f, 2f, 5f, 4f}, 5);
    assertThat(got).containsExactly(3, 4, 0, 2, 1);
  }
}
