package dev.auramoe.cli.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The baselines of text-bench on inputs built to have a known answer. */
class LearnersTest {

  /**
   * {@code n} unit vectors of {@code dim} values in {@code classes} linearly separable clusters:
   * class k's vectors lean towards axis k, with noise on the other axes; and token ids as
   * {@link #tokenQuotes} draws them.
   */
  static Embedded clusters(int classes, int dim, int n, double noise, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[][] x = new float[n][dim];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      int k = r.nextInt(classes);
      labels[i] = k;
      double norm = 0;
      for (int j = 0; j < dim; j++) {
        double v = (j == k ? 1 : 0) + noise * (r.nextDouble() * 2 - 1);
        x[i][j] = (float) v;
        norm += v * v;
      }
      for (int j = 0; j < dim; j++) {
        x[i][j] /= (float) Math.sqrt(norm);
      }
    }
    return Embedded.of(names(classes), x, tokens(labels, classes, r), labels, vocabulary(classes));
  }

  static List<String> names(int classes) {
    return java.util.stream.IntStream.range(0, classes).mapToObj(k -> "c" + k).toList();
  }

  private static Score run(Contestant.Supervised c, Embedded in) {
    Score s = new Score(in.classes(), in.size());
    for (int i = 0; i < in.size(); i++) {
      s.add(in.labels()[i], c.routeThenLearn(i, in.labels()[i]));
    }
    return s;
  }

  @Test
  void logisticRegressionSeparatesALinearlySeparableSet() {
    // Noise 0.3 on 8 axes never moves a vector's largest value off its class axis: separable.
    Embedded in = clusters(4, 8, 3_000, 0.3, 1);
    Score s = run(new OnlineLogistic(in, OnlineLogistic.DEFAULT_RATE), in);
    assertThat(s.accuracyLast(1_000)).isGreaterThan(0.99);
  }

  @Test
  void adaGradSeparatesItTooAndItsStepsShrinkWhereSgdsDoNot() {
    Embedded in = clusters(4, 8, 3_000, 0.3, 1);
    assertThat(run(OnlineLogistic.adaGrad(in, OnlineLogistic.ADAGRAD_RATE), in).accuracyLast(1_000))
        .isGreaterThan(0.99);
    // The same quote learned again and again: AdaGrad's change of its probability shrinks each time, as
    // the coordinate's summed squared gradient grows; plain SGD's (far from saturation) does not shrink as fast.
    Embedded one = clusters(3, 5, 10, 0.1, 2);
    OnlineLogistic ada = OnlineLogistic.adaGrad(one, 0.01);
    int label = one.labels()[0];
    double[] moves = new double[4];
    double before = ada.probabilities(0)[label];
    for (int t = 0; t < moves.length; t++) {
      ada.routeThenLearn(0, label);
      double after = ada.probabilities(0)[label];
      moves[t] = after - before;
      before = after;
    }
    assertThat(moves[0]).isPositive();
    assertThat(moves[3]).isLessThan(moves[0] * 0.6);
  }

  @Test
  void logisticRegressionsProbabilitiesSumToOneAndMoveTowardsTheLabel() {
    Embedded in = clusters(3, 5, 10, 0.1, 2);
    OnlineLogistic l = new OnlineLogistic(in, 0.5);
    double[] before = l.probabilities(0);
    assertThat(before).containsOnly(1.0 / 3);
    l.routeThenLearn(0, in.labels()[0]);
    double[] after = l.probabilities(0);
    assertThat(after[0] + after[1] + after[2]).isCloseTo(1, within(1e-12));
    assertThat(after[in.labels()[0]]).isGreaterThan(1.0 / 3);
  }

  @Test
  void aTooLargeRateLearnsWorseThanTheDefaultOnNoisyData() {
    // Heavier noise: the classes overlap, and a rate far above the default overshoots.
    Embedded in = clusters(4, 8, 4_000, 1.5, 3);
    double good = run(new OnlineLogistic(in, OnlineLogistic.DEFAULT_RATE), in).accuracyLast(2_000);
    double wild = run(new OnlineLogistic(in, 1_000), in).accuracyLast(2_000);
    assertThat(good).isGreaterThan(wild);
  }

  @Test
  void nearestCentroidFindsTheClusters() {
    Embedded in = clusters(5, 10, 2_000, 0.5, 4);
    Score s = run(new NearestCentroid(in), in);
    assertThat(s.accuracyLast(1_000)).isGreaterThan(0.97);
  }

  @Test
  void nearestCentroidNeverChoosesACategoryItHasNotSeen() {
    Embedded in = clusters(3, 4, 20, 0.1, 5);
    NearestCentroid c = new NearestCentroid(in);
    assertThat(c.predict(0)).as("nothing seen: category 0").isZero();
    int seen = in.labels()[0];
    c.learn(0, seen);
    for (int i = 1; i < 20; i++) {
      assertThat(c.predict(i)).isEqualTo(seen);
    }
  }

  /**
   * Quotes of {@code classes} categories, each of tokens from its own 20 ids plus ids every category
   * shares; embeddings of one value, all equal.
   */
  static Embedded tokenQuotes(int classes, int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = r.nextInt(classes);
    }
    float[][] x = new float[n][1];
    for (float[] v : x) {
      v[0] = 1;
    }
    return Embedded.of(names(classes), x, tokens(labels, classes, r), labels, vocabulary(classes));
  }

  /** 5 to 14 tokens per quote: half shared words (ids 0-9), half its category's own (20 ids from 10 + 20k). */
  private static int[][] tokens(int[] labels, int classes, SplittableRandom r) {
    int[][] tokens = new int[labels.length][];
    for (int i = 0; i < labels.length; i++) {
      int len = 5 + r.nextInt(10);
      tokens[i] = new int[len];
      for (int t = 0; t < len; t++) {
        tokens[i][t] = t % 2 == 0 ? r.nextInt(10) : 10 + 20 * labels[i] + r.nextInt(20);
      }
    }
    return tokens;
  }

  private static int vocabulary(int classes) {
    return 10 + 20 * classes;
  }

  @Test
  void tfIdfRoutesByTheCategoriesOwnWords() {
    Embedded in = tokenQuotes(6, 3_000, 6);
    Score s = run(new TfIdfRouter(in), in);
    assertThat(s.accuracyLast(1_000)).isGreaterThan(0.97);
  }

  @Test
  void tfIdfWeighsATokenInEveryQuoteLeast() {
    int[][] tokens = {{1, 2}, {1, 3}, {1, 2}, {1}};
    Embedded in = Embedded.of(names(2), new float[4][1], tokens, new int[] {0, 1, 0, 1}, 4);
    TfIdfRouter t = new TfIdfRouter(in);
    for (int i = 0; i < 4; i++) {
      t.routeThenLearn(i, in.labels()[i]);
    }
    // Token 1 is in all 4 quotes: ln(5/5) + 1 = 1; token 2 in 2 of them: ln(5/3) + 1.
    assertThat(t.idf(1)).isCloseTo(1.0, within(1e-12));
    assertThat(t.idf(2)).isCloseTo(Math.log(5.0 / 3) + 1, within(1e-12));
    assertThat(t.idf(0)).as("never seen").isCloseTo(Math.log(5.0) + 1, within(1e-12));
    // Quote {1, 2} goes to category 0, where token 2 was seen; {1, 3} to category 1.
    assertThat(t.predict(0)).isZero();
    assertThat(t.predict(1)).isOne();
  }

  @Test
  void tfIdfCategoryNormsStayTheNormsOfTheirVectors() {
    Embedded in = tokenQuotes(3, 500, 7);
    TfIdfRouter t = new TfIdfRouter(in);
    for (int i = 0; i < in.size(); i++) {
      t.routeThenLearn(i, in.labels()[i]);
    }
    for (int c = 0; c < 3; c++) {
      double sum = 0;
      for (float v : t.categoryVector(c)) {
        sum += (double) v * v;
      }
      assertThat(t.squaredNorm(c)).isCloseTo(sum, within(1e-6 * sum));
    }
  }
}
