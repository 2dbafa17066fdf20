package dev.auramoe.stream.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Exact AUROC and average precision: hand-computed cases, ties, one class, and a brute-force reference. */
class BinaryRankingTest {

  private static BinaryRanking.Result of(double[] scores, int... labels) {
    float[] s = new float[scores.length];
    boolean[] p = new boolean[labels.length];
    for (int i = 0; i < s.length; i++) {
      s[i] = (float) scores[i];
      p[i] = labels[i] == 1;
    }
    return BinaryRanking.of(s, p);
  }

  @Test
  void theTextbookCaseGivesThreeQuartersAndFiveSixths() {
    // scikit-learn's documented example: roc_auc_score 0.75, average_precision_score 0.8333...
    BinaryRanking.Result r = of(new double[] {0.1, 0.4, 0.35, 0.8}, 0, 0, 1, 1);
    // Pairs (positive above negative): 0.35 > 0.1, 0.8 > 0.1, 0.8 > 0.4; not 0.35 > 0.4: 3 of 4.
    assertThat(r.auroc()).isEqualTo(0.75);
    // From the top: 0.8 (positive, precision 1, recall 1/2), 0.4 (negative), 0.35 (positive, precision 2/3).
    assertThat(r.averagePrecision()).isCloseTo(0.5 * 1 + 0.5 * 2.0 / 3, within(1e-15));
    assertThat(r.positives()).isEqualTo(2);
    assertThat(r.negatives()).isEqualTo(2);
    assertThat(r.defined()).isTrue();
  }

  @Test
  void tiedScoresCountHalfAndEnterThePrecisionTogether() {
    // The positive at 0.5 ties the negative at 0.5 (one half) and beats the one at 0.1; 0.9 beats both.
    BinaryRanking.Result r = of(new double[] {0.5, 0.5, 0.9, 0.1}, 1, 0, 1, 0);
    assertThat(r.auroc()).isEqualTo(3.5 / 4);
    // Thresholds 0.9 (precision 1, recall 1/2) and 0.5 (both tied enter: precision 2/3, recall 1).
    assertThat(r.averagePrecision()).isCloseTo((1 + 2.0 / 3) / 2, within(1e-15));
    // Every score the same: a coin's AUROC, and the precision of calling everything positive.
    BinaryRanking.Result flat = of(new double[] {0.3, 0.3, 0.3, 0.3, 0.3}, 1, 0, 0, 1, 0);
    assertThat(flat.auroc()).isEqualTo(0.5);
    assertThat(flat.averagePrecision()).isCloseTo(0.4, within(1e-15));
    // -0 and +0 are the same score.
    assertThat(of(new double[] {-0.0, 0.0}, 1, 0).auroc()).isEqualTo(0.5);
  }

  @Test
  void aPerfectRankingIsOneAndAnInvertedOneIsZero() {
    BinaryRanking.Result perfect = of(new double[] {0.9, 0.8, 0.2, 0.1, -5}, 1, 1, 0, 0, 0);
    assertThat(perfect.auroc()).isEqualTo(1.0);
    assertThat(perfect.averagePrecision()).isEqualTo(1.0);
    BinaryRanking.Result inverted = of(new double[] {0.1, 0.2, 0.8, 0.9}, 1, 1, 0, 0);
    assertThat(inverted.auroc()).isEqualTo(0.0);
    // Positives found at ranks 3 and 4: precisions 1/3 and 2/4.
    assertThat(inverted.averagePrecision()).isCloseTo((1.0 / 3 + 0.5) / 2, within(1e-15));
  }

  @Test
  void withOneClassOnlyBothAreUndefined() {
    BinaryRanking.Result r = of(new double[] {0.1, 0.7, 0.4}, 0, 0, 0);
    assertThat(r.defined()).isFalse();
    assertThat(r.auroc()).isNaN();
    assertThat(r.averagePrecision()).isNaN();
    assertThat(r.positives()).isZero();
    assertThat(r.negatives()).isEqualTo(3);
    assertThat(new BinaryRanking().result(1).defined()).as("no instance at all").isFalse();
  }

  @Test
  void aNanScoreRanksBelowEveryOther() {
    assertThat(of(new double[] {Double.NaN, Double.NEGATIVE_INFINITY}, 1, 0).auroc()).isEqualTo(0.0);
    assertThat(of(new double[] {Double.NaN, -1e30}, 0, 1).auroc()).isEqualTo(1.0);
  }

  @Test
  void agreesWithABruteForceReferenceOnRandomScoresWithManyTies() {
    SplittableRandom rnd = new SplittableRandom(5);
    for (int trial = 0; trial < 40; trial++) {
      int n = 1 + rnd.nextInt(300);
      float[] s = new float[n];
      boolean[] p = new boolean[n];
      for (int i = 0; i < n; i++) {
        p[i] = rnd.nextDouble() < 0.3;
        // coarse scores (many ties), shifted up for positives so the ranking is informative
        s[i] = (float) (Math.floor((rnd.nextDouble() + (p[i] ? 0.4 : 0)) * 8) / 8);
      }
      BinaryRanking.Result r = BinaryRanking.of(s, p);
      double[] reference = reference(s, p);
      if (Double.isNaN(reference[0])) {
        assertThat(r.defined()).isFalse();
        continue;
      }
      assertThat(r.auroc()).as("trial %d", trial).isCloseTo(reference[0], within(1e-12));
      assertThat(r.averagePrecision()).as("trial %d", trial).isCloseTo(reference[1], within(1e-12));
    }
  }

  /** AUROC by comparing every pair, average precision by sweeping every distinct threshold. */
  private static double[] reference(float[] s, boolean[] p) {
    double pairs = 0;
    double wins = 0;
    int positives = 0;
    for (int i = 0; i < s.length; i++) {
      if (!p[i]) {
        continue;
      }
      positives++;
      for (int j = 0; j < s.length; j++) {
        if (!p[j]) {
          pairs++;
          wins += s[i] > s[j] ? 1 : s[i] == s[j] ? 0.5 : 0;
        }
      }
    }
    if (pairs == 0) {
      return new double[] {Double.NaN, Double.NaN};
    }
    TreeSet<Float> thresholds = new TreeSet<>();
    for (float x : s) {
      thresholds.add(x);
    }
    double ap = 0;
    double lastRecall = 0;
    for (float t : thresholds.descendingSet()) {
      int tp = 0;
      int called = 0;
      for (int i = 0; i < s.length; i++) {
        if (s[i] >= t) {
          called++;
          tp += p[i] ? 1 : 0;
        }
      }
      double recall = (double) tp / positives;
      ap += (recall - lastRecall) * tp / called;
      lastRecall = recall;
    }
    return new double[] {wins / pairs, ap};
  }

  @Test
  void theAccumulatorKeepsBothScoresAndPicksTheMinorityClass() {
    BinaryRanking acc = new BinaryRanking();
    SplittableRandom rnd = new SplittableRandom(8);
    int n = 5_000;
    float[] s1 = new float[n];
    boolean[] y1 = new boolean[n];
    for (int i = 0; i < n; i++) {
      int y = rnd.nextDouble() < 0.2 ? 1 : 0;
      float p1 = (float) Math.min(1, Math.max(0, 0.3 * y + rnd.nextDouble() * 0.7));
      acc.add(y, 1 - p1, p1);
      s1[i] = p1;
      y1[i] = y == 1;
    }
    assertThat(acc.instances()).isEqualTo(n);
    assertThat(acc.count(0) + acc.count(1)).isEqualTo(n);
    assertThat(acc.minorityClass()).isEqualTo(1);
    BinaryRanking.Result r = acc.result(1);
    assertThat(r).isEqualTo(BinaryRanking.of(s1, y1));
    assertThat(r.auroc()).isGreaterThan(0.6);
    // Class 0 as positive ranked by its own score, 1 - p1: the same AUROC (but for the few neighbouring
    // scores that 1 - p1 in float makes equal), another average precision.
    BinaryRanking.Result other = acc.result(0);
    assertThat(other.positiveClass()).isZero();
    assertThat(other.positives()).isEqualTo(r.negatives());
    assertThat(other.auroc()).isCloseTo(r.auroc(), within(1e-5));
    assertThat(other.averagePrecision()).isNotCloseTo(r.averagePrecision(), within(0.05));
  }

  @Test
  void asManyOfEachMakesTheSecondClassPositive() {
    BinaryRanking acc = new BinaryRanking();
    acc.add(0, 0.9f, 0.1f);
    acc.add(1, 0.2f, 0.8f);
    assertThat(acc.minorityClass()).isEqualTo(1);
    acc.add(1, 0.2f, 0.8f);
    assertThat(acc.minorityClass()).isZero();
  }

  @Test
  void refusesAClassOtherThanZeroOrOne() {
    BinaryRanking acc = new BinaryRanking();
    assertThatThrownBy(() -> acc.add(2, 0, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> acc.result(-1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> BinaryRanking.of(new float[2], new boolean[3]))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void pastItsCapacityARankingRefusesClearlyAndKeepsWhatItHas() {
    // An odd capacity: the arrays cannot double exactly onto it (the full-size ranking's case).
    BinaryRanking acc = new BinaryRanking(1_500);
    for (int i = 0; i < 1_500; i++) {
      acc.add(i % 2, 0.5f, i % 2 == 1 ? 0.9f : 0.1f);
    }
    assertThatThrownBy(() -> acc.add(1, 0.1f, 0.9f)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("at most 1500 instances");
    assertThat(acc.instances()).isEqualTo(1_500);
    assertThat(acc.result(1).auroc()).isEqualTo(1.0);
    assertThatThrownBy(() -> new BinaryRanking(0)).isInstanceOf(IllegalArgumentException.class);
  }
}
