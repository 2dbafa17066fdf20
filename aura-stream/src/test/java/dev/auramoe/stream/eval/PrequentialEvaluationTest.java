package dev.auramoe.stream.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.stream.data.Attribute;
import dev.auramoe.stream.data.Instance;
import dev.auramoe.stream.data.InstanceStream;
import dev.auramoe.stream.data.Schema;
import dev.auramoe.stream.learn.StreamLearner;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PrequentialEvaluationTest {

  private static final Schema S = new Schema("s", List.of(Attribute.numeric("a"), Attribute.numeric("b"),
      Attribute.nominal("c", List.of("0", "1"))), 2);

  /** a + b > 0, with every tenth target missing when asked. */
  private static InstanceStream stream(long n, boolean holes) {
    SplittableRandom r = new SplittableRandom(9);
    return new InstanceStream() {
      long i;

      @Override
      public Schema schema() {
        return S;
      }

      @Override
      public boolean next(Instance into) {
        if (i++ >= n) {
          return false;
        }
        double a = r.nextGaussian();
        double b = r.nextGaussian();
        into.set(0, a);
        into.set(1, b);
        into.set(2, holes && i % 10 == 0 ? Double.NaN : a + b > 0 ? 1 : 0);
        return true;
      }
    };
  }

  @Test
  void scoresEveryLabelledInstanceOnceAndDrawsTheCurve() throws Exception {
    PrequentialEvaluation ev = new PrequentialEvaluation(500, 1000);
    List<Long> progress = new ArrayList<>();
    PrequentialEvaluation.Result r = ev.run(stream(10_000, true), StreamLearner.builder(S).build(), Long.MAX_VALUE,
        progress::add);
    assertThat(r.instances()).isEqualTo(9_000);
    assertThat(r.unlabelled()).isEqualTo(1_000);
    assertThat(r.curve()).hasSize(10);
    assertThat(progress).containsExactly(1000L, 2000L, 3000L, 4000L, 5000L, 6000L, 7000L, 8000L, 9000L, 10000L);
    assertThat(r.windowAccuracy()).isGreaterThan(0.95);
    assertThat(r.accuracy()).isLessThan(r.windowAccuracy()).isGreaterThan(0.9);
    assertThat(r.kappa()).isGreaterThan(0.8);
    assertThat(r.mae()).isNaN();
    assertThat(r.instancesPerSecond()).isPositive();
    for (PrequentialEvaluation.Point p : r.curve()) {
      assertThat(java.util.Arrays.stream(p.expertShare()).sum()).isCloseTo(1.0, org.assertj.core.api.Assertions.within(1e-9));
    }
  }

  @Test
  void stopsAtTheLimitAndRefusesALearnerOfAnotherSchema() throws Exception {
    PrequentialEvaluation ev = new PrequentialEvaluation(100, 100);
    assertThat(ev.run(stream(10_000, false), StreamLearner.builder(S).build(), 2_500, null).instances()).isEqualTo(2_500);
    Schema other = S.withTarget(0);
    assertThatThrownBy(() -> ev.run(stream(10, false), StreamLearner.builder(other).build(), 10, null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("another schema");
    assertThatThrownBy(() -> new PrequentialEvaluation(0, 1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void anInstanceTheLearnerRefusesIsNamedByItsLine() {
    InstanceStream bad = new InstanceStream() {
      int i;

      @Override
      public Schema schema() {
        return S;
      }

      @Override
      public boolean next(Instance into) {
        i++;
        into.set(0, i);
        into.set(1, -i);
        into.set(2, i == 3 ? 5 : 0);
        into.setLine(i + 1);
        return i <= 5;
      }
    };
    assertThatThrownBy(() -> new PrequentialEvaluation(10, 10).run(bad, StreamLearner.builder(S).build(), 10, null))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("line 4: class index 5.0 outside 0..1");
  }

  @Test
  void aTwoClassTargetIsRankedWithTheScoresGivenBeforeLearningAndTheMinorityAsPositive() throws Exception {
    PrequentialEvaluation.Result r = new PrequentialEvaluation(500, 1000).run(stream(10_000, true),
        StreamLearner.builder(S).build(), Long.MAX_VALUE, null);
    BinaryRanking.Result ranking = r.ranking();
    assertThat(ranking).isNotNull();
    assertThat(ranking.positives() + ranking.negatives()).as("the labelled instances").isEqualTo(r.instances());
    assertThat(ranking.positives()).isLessThanOrEqualTo(ranking.negatives());
    assertThat(ranking.auroc()).isGreaterThan(0.95);
    assertThat(ranking.averagePrecision()).isGreaterThan(0.9);

    // The same run by hand: each score read right after testThenTrain, which predicts before it learns.
    StreamLearner learner = StreamLearner.builder(S).build();
    BinaryRanking byHand = new BinaryRanking();
    try (InstanceStream in = stream(10_000, true)) {
      Instance row = new Instance(S);
      boolean first = true;
      while (in.next(row)) {
        double y = row.value(2);
        learner.testThenTrain(row);
        if (first) {
          // Nothing was learned before the first instance: the zero-initialised experts are uniform.
          assertThat(learner.classScore(0)).isEqualTo(learner.classScore(1))
              .isCloseTo(0.5f, org.assertj.core.api.Assertions.within(1e-6f));
          first = false;
        }
        if (!Double.isNaN(y)) {
          byHand.add((int) y, learner.classScore(0), learner.classScore(1));
        }
      }
    }
    assertThat(ranking).isEqualTo(byHand.result(byHand.minorityClass()));
    PrequentialEvaluation.Result chosen = new PrequentialEvaluation(500, 1000).withPositiveClass(0)
        .run(stream(10_000, true), StreamLearner.builder(S).build(), Long.MAX_VALUE, null);
    assertThat(chosen.ranking()).isEqualTo(byHand.result(0));
    assertThatThrownBy(() -> new PrequentialEvaluation(1, 1).withPositiveClass(2))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void otherTargetsAreNotRanked() throws Exception {
    Schema three = new Schema("s", List.of(Attribute.numeric("a"), Attribute.numeric("b"),
        Attribute.nominal("c", List.of("0", "1", "2"))), 2);
    InstanceStream s3 = new InstanceStream() {
      int i;

      @Override
      public Schema schema() {
        return three;
      }

      @Override
      public boolean next(Instance into) {
        into.set(0, i);
        into.set(1, -i);
        into.set(2, i % 3);
        return i++ < 100;
      }
    };
    assertThat(new PrequentialEvaluation(10, 10).run(s3, StreamLearner.builder(three).build(), 100, null).ranking())
        .isNull();
    Schema numeric = new Schema("s", List.of(Attribute.numeric("a"), Attribute.numeric("b"),
        Attribute.numeric("y")), 2);
    InstanceStream sr = new InstanceStream() {
      int i;

      @Override
      public Schema schema() {
        return numeric;
      }

      @Override
      public boolean next(Instance into) {
        into.set(0, i);
        into.set(1, -i);
        into.set(2, 2 * i);
        return i++ < 100;
      }
    };
    assertThat(new PrequentialEvaluation(10, 10).run(sr, StreamLearner.builder(numeric).build(), 100, null).ranking())
        .isNull();
  }
}
