package dev.auramoe.cli.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class ScoreTest {

  @Test
  void aPerfectPredictorHasAccuracyAndMacroF1OfOneAndNoRegret() {
    Score s = new Score(3, 30);
    for (int i = 0; i < 30; i++) {
      s.add(i % 3, i % 3);
    }
    assertThat(s.accuracy()).isEqualTo(1.0);
    assertThat(s.macroF1()).isEqualTo(1.0);
    assertThat(s.regret()).isZero();
  }

  @Test
  void macroF1IsTheMeanOfThePerClassF1s() {
    // Class 0: 2 right, 1 sent to 1. Class 1: 1 right. Class 2: 1 sent to 0.
    Score s = new Score(3, 5);
    s.add(0, 0);
    s.add(0, 0);
    s.add(0, 1);
    s.add(1, 1);
    s.add(2, 0);
    // F1(0) = 2*2 / (2*2 + 1 + 1) = 4/6; F1(1) = 2 / (2 + 1 + 0) = 2/3; F1(2) = 0 / (0 + 0 + 1) = 0
    assertThat(s.macroF1()).isCloseTo((4.0 / 6 + 2.0 / 3 + 0) / 3, within(1e-12));
    assertThat(s.accuracy()).isEqualTo(3.0 / 5);
    assertThat(s.confusion()).isEqualTo(new long[][] {{2, 1, 0}, {0, 1, 0}, {1, 0, 0}});
  }

  @Test
  void aCategoryNeitherSeenNorPredictedHasNoF1() {
    Score s = new Score(4, 4);
    s.add(0, 0);
    s.add(1, 1);
    s.add(0, 0);
    s.add(1, 1);
    assertThat(s.macroF1()).as("classes 2 and 3 never occur: not counted as zeros").isEqualTo(1.0);
  }

  @Test
  void regretCountsTheMissesOfTheFirstChoiceAndItsCurveIsCumulative() {
    Score s = new Score(2, 6);
    int[][] steps = {{0, 0}, {0, 1}, {1, 1}, {1, 0}, {1, 0}, {0, 0}};
    for (int[] st : steps) {
      s.add(st[0], st[1]);
    }
    assertThat(s.regret()).isEqualTo(3);
    assertThat(s.regretAfter(2)).isEqualTo(1);
    double[][] curve = s.regretCurve(6);
    assertThat(curve[0]).containsExactly(1, 2, 3, 4, 5, 6);
    assertThat(curve[1]).containsExactly(0, 1, 1, 2, 3, 3);
  }

  @Test
  void accuracyOverTheLastQuotesReadsOnlyThose() {
    Score s = new Score(2, 10);
    for (int i = 0; i < 10; i++) {
      s.add(0, i < 6 ? 1 : 0);
    }
    assertThat(s.accuracyLast(4)).isEqualTo(1.0);
    assertThat(s.accuracyLast(5)).isEqualTo(0.8);
    assertThat(s.accuracyLast(100)).as("all of them when fewer").isEqualTo(0.4);
  }

  @Test
  void theLearningCurveIsTheAccuracyOverAMovingWindow() {
    Score s = new Score(2, 100);
    for (int i = 0; i < 100; i++) {
      s.add(0, i < 50 ? 1 : 0);
    }
    double[][] c = s.curve(10, 91);
    assertThat(c[0][0]).isEqualTo(10);
    assertThat(c[0][90]).isEqualTo(100);
    assertThat(c[1][0]).isZero();
    assertThat(c[1][90]).isEqualTo(1.0);
    // The window ending at quote 55 holds quotes 45..54: five misses, five hits.
    assertThat(c[1][45]).isEqualTo(0.5);
  }

  @Test
  void randomRoutingIsRightOnceInCAsTheQuotesGrow() {
    int classes = 5;
    int n = 50_000;
    RandomRouter r = new RandomRouter(classes, 7);
    Score s = new Score(classes, n);
    for (int i = 0; i < n; i++) {
      s.add(i % classes, r.routeThenFeedback(i, c -> 0));
    }
    // Binomial: the standard deviation of the accuracy is sqrt(0.2 * 0.8 / 50,000) = 0.0018.
    assertThat(s.accuracy()).isCloseTo(1.0 / classes, within(0.01));
    assertThat(s.macroF1()).isCloseTo(1.0 / classes, within(0.01));
  }

  @Test
  void aPredictionOutsideTheCategoriesIsRefused() {
    Score s = new Score(3, 1);
    assertThatThrownBy(() -> s.add(0, 3)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3");
  }
}
