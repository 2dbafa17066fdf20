package dev.auramoe.stream.learn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.auramoe.RecentErrors;
import dev.auramoe.stream.data.Attribute;
import dev.auramoe.stream.data.Instance;
import dev.auramoe.stream.data.Schema;
import dev.auramoe.stream.eval.ClassificationMetrics;
import dev.auramoe.stream.eval.RegressionMetrics;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class StreamLearnerTest {

  private static final Schema MIXED = new Schema("mixed", List.of(Attribute.numeric("a"),
      Attribute.nominal("colour", List.of("red", "green", "blue")), Attribute.numeric("b"),
      Attribute.nominal("class", List.of("no", "yes"))), 3);

  @Test
  void theEncoderStandardisesOneHotsAndZeroesMissingValues() {
    FeatureEncoder enc = new FeatureEncoder(MIXED);
    assertThat(enc.dimension()).isEqualTo(1 + 3 + 1);
    Instance in = new Instance(MIXED);
    SplittableRandom r = new SplittableRandom(1);
    for (int i = 0; i < 20_000; i++) {
      in.set(0, 100 + 5 * r.nextGaussian());
      in.set(1, r.nextInt(3));
      in.set(2, -3);
      enc.update(in);
    }
    float[] f = new float[5];
    in.set(0, 110);
    in.set(1, 2);
    in.set(2, Double.NaN);
    enc.encode(in, f);
    assertThat((double) f[0]).as("(110 - 100) / 5").isCloseTo(2.0, within(0.1));
    assertThat(f).containsSubsequence(0f, 0f, 1f);
    assertThat(f[4]).as("missing numeric is the mean").isZero();
    in.set(1, Double.NaN);
    in.set(0, 1e9);
    enc.encode(in, f);
    assertThat(f[0]).as("clipped").isEqualTo(FeatureEncoder.CLIP);
    assertThat(new float[] {f[1], f[2], f[3]}).containsOnly(0f);
  }

  /** Two classes separated by a line in (a, b), with the nominal column carrying a little signal. */
  private static void sample(SplittableRandom r, Instance in) {
    double a = r.nextGaussian();
    double b = r.nextGaussian();
    int colour = r.nextInt(3);
    in.set(0, a * 10 + 50);
    in.set(1, colour);
    in.set(2, b);
    in.set(3, a + b + (colour == 2 ? 0.3 : 0) > 0 ? 1 : 0);
  }

  @Test
  void itLearnsASeparableClassificationStreamPrequentially() {
    StreamLearner l = StreamLearner.builder(MIXED).build();
    assertThat(l.isClassification()).isTrue();
    ClassificationMetrics m = new ClassificationMetrics(2, 1000);
    SplittableRandom r = new SplittableRandom(2);
    Instance in = new Instance(MIXED);
    for (int i = 0; i < 20_000; i++) {
      sample(r, in);
      int p = (int) l.testThenTrain(in);
      m.add((int) in.value(3), p);
    }
    assertThat(m.windowAccuracy()).isGreaterThan(0.95);
    assertThat(m.kappa()).isGreaterThan(0.85);
    int[] experts = new int[4];
    assertThat(l.lastExperts(experts)).isEqualTo(2);
  }

  @Test
  void itsDefaultsAreTheLibrarysAndTheRecentErrorsFollowTheTarget() {
    Schema reg = new Schema("reg", List.of(Attribute.numeric("x1"), Attribute.numeric("y")), 1);
    for (Schema s : List.of(MIXED, reg)) {
      dev.auramoe.MixtureOfExperts m = StreamLearner.builder(s).build().model();
      assertThat(m.expertCount()).isEqualTo(dev.auramoe.Defaults.EXPERTS);
      assertThat(m.topK()).isEqualTo(dev.auramoe.Defaults.TOP_K);
      assertThat(m.hidden()).isEqualTo(dev.auramoe.Defaults.HIDDEN);
      assertThat(m.config().routerLearningRate()).isEqualTo(dev.auramoe.Defaults.ROUTER_LEARNING_RATE);
      assertThat(m.config().credit()).isEqualTo(dev.auramoe.Defaults.CREDIT);
      assertThat(m.config().balance()).isEqualTo(dev.auramoe.balance.BalanceConfig.DEFAULT);
      assertThat(m.config().seed()).isEqualTo(dev.auramoe.Defaults.SEED);
    }
    assertThat(StreamLearner.builder(MIXED).build().model().config().recentErrors()).isEqualTo(RecentErrors.OFF);
    assertThat(StreamLearner.builder(reg).build().model().config().recentErrors()).isEqualTo(RecentErrors.DEFAULT);
    assertThat(StreamLearner.builder(MIXED).recentErrors(RecentErrors.DEFAULT).build().model().config()
        .recentErrors()).isEqualTo(RecentErrors.DEFAULT);
  }

  @Test
  void itLearnsARegressionStreamOnAnyScale() {
    Schema s = new Schema("reg", List.of(Attribute.numeric("x1"), Attribute.numeric("x2"), Attribute.numeric("y")), 2);
    StreamLearner l = StreamLearner.builder(s).build();
    assertThat(l.isClassification()).isFalse();
    RegressionMetrics m = new RegressionMetrics(2000);
    SplittableRandom r = new SplittableRandom(3);
    Instance in = new Instance(s);
    for (int i = 0; i < 30_000; i++) {
      double x1 = r.nextGaussian();
      double x2 = r.nextGaussian() * 100;
      in.set(0, x1);
      in.set(1, x2);
      in.set(2, 1000 + 300 * x1 - 2 * x2 + 10 * r.nextGaussian());
      m.add(in.value(2), l.testThenTrain(in));
    }
    // The target's deviation is about 360; noise 10.
    assertThat(m.windowRmse()).isLessThan(40);
  }

  @Test
  void aMissingTargetIsPredictedButNotLearnedAndBadInstancesAreRefused() {
    StreamLearner l = StreamLearner.builder(MIXED).build();
    Instance in = new Instance(MIXED);
    in.set(3, Double.NaN);
    String before = java.util.Arrays.toString(l.model().expert(0) instanceof dev.auramoe.experts.AdaptiveExpert a
        ? a.state() : new float[0]);
    for (int i = 0; i < 50; i++) {
      in.set(0, i);
      assertThat(l.testThenTrain(in)).isBetween(0.0, 1.0);
    }
    String after = java.util.Arrays.toString(((dev.auramoe.experts.AdaptiveExpert) l.model().expert(0)).state());
    assertThat(after).isEqualTo(before);
    assertThatThrownBy(() -> l.testThenTrain(new Instance(3))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("schema");
    Instance bad = new Instance(MIXED);
    bad.set(3, 7);
    assertThatThrownBy(() -> l.testThenTrain(bad)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("class index");
  }

  @Test
  void aTargetBeyondTheFloatRangeIsRefusedBeforeAnythingMovesAndTheDetectorNeverSeesNaN() {
    Schema s = new Schema("reg", List.of(Attribute.numeric("x"), Attribute.numeric("y")), 1);
    StreamLearner l = StreamLearner.builder(s)
        .driftDetector(() -> dev.auramoe.stream.drift.Adwin.increasesOnly(0.002)).build();
    Instance in = new Instance(s);
    SplittableRandom r = new SplittableRandom(4);
    for (int i = 0; i < 200; i++) {
      in.set(0, r.nextGaussian());
      in.set(1, 3 * in.value(0));
      l.testThenTrain(in);
    }
    String before = java.util.Arrays.toString(((dev.auramoe.experts.AdaptiveExpert) l.model().expert(0)).state());
    in.set(1, 1e300);
    assertThatThrownBy(() -> l.testThenTrain(in)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("target 1.0E300 is beyond 3.4028234663852886E38 in magnitude, the float range the model "
            + "computes in");
    assertThat(java.util.Arrays.toString(((dev.auramoe.experts.AdaptiveExpert) l.model().expert(0)).state()))
        .isEqualTo(before);
    // The float range's ends are accepted, and the errors stay finite for the detectors.
    for (int i = 0; i < 200; i++) {
      in.set(0, r.nextGaussian());
      in.set(1, i % 2 == 0 ? 3.4e38 : -3.4e38);
      assertThat(l.testThenTrain(in)).isFinite();
    }
  }

  @Test
  void aFeatureBeyondTheFloatRangeIsMissingAndKeepsTheStatisticsFinite() {
    Schema s = new Schema("reg", List.of(Attribute.numeric("x"), Attribute.numeric("y")), 1);
    FeatureEncoder enc = new FeatureEncoder(s);
    Instance in = new Instance(s);
    float[] f = new float[1];
    for (int i = 0; i < 10; i++) {
      in.set(0, i % 2 == 0 ? 1e308 : -1e308);
      enc.encode(in, f);
      enc.update(in);
      assertThat(f[0]).isZero();
      in.set(0, i);
      enc.encode(in, f);
      enc.update(in);
      assertThat(f[0]).isFinite();
    }
  }

  @Test
  void aClassTargetNeedsTwoClassesAndTopKIsAtMostTheExperts() {
    Schema one = new Schema("one", List.of(Attribute.numeric("x"), Attribute.nominal("y", List.of("a"))), 1);
    assertThatThrownBy(() -> StreamLearner.builder(one).build()).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the target 'y' has 1 class ('a'): a classifier needs at least 2");
    assertThatThrownBy(() -> StreamLearner.builder(MIXED).experts(4).topK(9).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessage("top-k 9 is more than the 4 experts");
    assertThatThrownBy(() -> StreamLearner.builder(MIXED).topK(0)).isInstanceOf(IllegalArgumentException.class);
    StreamLearner single = StreamLearner.builder(MIXED).experts(1).build();
    Instance in = new Instance(MIXED);
    in.set(3, 1);
    single.testThenTrain(in);
    assertThat(single.lastExperts(new int[1])).as("the default top-k fits one expert").isEqualTo(1);
  }
}
