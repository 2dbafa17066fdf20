package dev.auramoe.cli.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.auramoe.cli.text.TextBench.Entry;
import dev.auramoe.cli.text.TextBench.Result;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TextBenchTest {

  @Test
  void eachContestantIsScoredOnAFreshCopyAfterAWarmUpOnAnother() {
    Embedded in = LearnersTest.clusters(3, 4, 1_200, 0.2, 1);
    List<List<Integer>> seen = new ArrayList<>();
    Entry e = new Entry("recorder", "labels", "", x -> {
      List<Integer> mine = new ArrayList<>();
      seen.add(mine);
      return (Contestant.Supervised) (i, label) -> {
        mine.add(i);
        return label; // a perfect router
      };
    });
    AtomicLong progress = new AtomicLong();
    Result r = TextBench.run(e, in, progress::addAndGet);
    assertThat(seen).hasSize(2);
    assertThat(seen.get(0)).hasSize(Math.min(TextBench.WARM_UP, 1_200));
    assertThat(seen.get(1)).hasSize(1_200);
    assertThat(seen.get(1).getFirst()).isZero();
    assertThat(progress.get()).as("the warm-up is not counted").isEqualTo(1_200);
    assertThat(r.score().count()).isEqualTo(1_200);
    assertThat(r.score().accuracy()).isEqualTo(1.0);
    assertThat(r.score().macroF1()).isEqualTo(1.0);
  }

  @Test
  void aBanditContestantLearnsOnlyTheRewardOfWhatItAsks() {
    Embedded in = LearnersTest.clusters(4, 4, 600, 0.2, 2);
    List<double[]> rewards = new ArrayList<>();
    Entry e = new Entry("asker", "feedback", "", x -> (Contestant.Bandit) (i, reward) -> {
      rewards.add(new double[] {reward.of(0), reward.of(1), reward.of(0)});
      return 0;
    });
    Result r = TextBench.run(e, in, k -> { });
    List<double[]> scored = rewards.subList(Math.min(TextBench.WARM_UP, in.size()), rewards.size());
    for (int i = 0; i < in.size(); i++) {
      int label = in.labels()[i];
      double[] expected = {label == 0 ? 1 : 0, label == 1 ? 1 : 0, label == 0 ? 1 : 0};
      assertThat(scored.get(i)).as("quote %d", i).containsExactly(expected);
    }
    assertThat(r.bandit()).isTrue();
    assertThat(r.score().regret()).as("every quote not of category 0 is a miss")
        .isEqualTo(java.util.Arrays.stream(in.labels()).filter(l -> l != 0).count());
  }

  @Test
  void aBanditContestantMayNotReadTheLabelByAskingEveryCategory() {
    Embedded in = LearnersTest.clusters(4, 4, 60, 0.2, 2);
    Entry greedy = new Entry("greedy", "feedback", "", x -> (Contestant.Bandit) (i, reward) -> {
      for (int c = 0; c < 4; c++) {
        if (reward.of(c) == 1) {
          return c;
        }
      }
      return 0;
    });
    assertThatThrownBy(() -> TextBench.run(greedy, in, k -> { })).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("more than " + TextBench.MAX_ASKS + " categories");
    Entry blind = new Entry("blind", "feedback", "", x -> (Contestant.Bandit) (i, reward) -> {
      reward.of(1);
      return 2;
    });
    assertThatThrownBy(() -> TextBench.run(blind, in, k -> { })).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("without asking its reward");
  }

  @Test
  void throughputAndShareAddTheRoutersTimeToTheEmbeddings() {
    Score s = new Score(2, 1_000);
    for (int i = 0; i < 1_000; i++) {
      s.add(0, 0);
    }
    Entry e = new Entry("x", "labels", "", x -> null);
    // 2 ms per text embedding, 20 us per text routing.
    Result r = new Result(e, s, 20_000_000L, 2_000_000_000L);
    assertThat(r.routerShareOfTime()).isCloseTo(0.02 / 2.02, within(1e-12));
    assertThat(r.textsPerSecond()).isCloseTo(1_000 / 2.02, within(1e-9));
    assertThat(r.routerMicrosPerText()).isCloseTo(20, within(1e-9));
    assertThat(r.bandit()).isFalse();
    assertThat(r.toJson().get("regret")).as("labels learners have no regret").isNull();
    assertThat(r.routerShareOfCpuTime()).as("not measured").isNaN();
    // CPU time: 1.5 ms per text embedding, 10 us routing.
    Result cpu = new Result(e, s, 20_000_000L, 2_000_000_000L, 10_000_000L, 1_500_000_000L);
    assertThat(cpu.routerShareOfCpuTime()).isCloseTo(0.01 / 1.51, within(1e-12));
    assertThat(cpu.routerShareOfTime()).as("wall-clock as before").isCloseTo(0.02 / 2.02, within(1e-12));
  }

  @Test
  void theBaselinesRunAndBeatRandomOnSeparableInputs() {
    Embedded in = LearnersTest.clusters(4, 6, 1_500, 0.3, 3);
    double randomAccuracy = Double.NaN;
    for (Entry e : TextBench.baselines(1, OnlineLogistic.DEFAULT_RATE)) {
      Result r = TextBench.run(e, in, k -> { });
      if (e.name().equals("random")) {
        randomAccuracy = r.score().accuracy();
        assertThat(r.score().regret()).isEqualTo(Math.round(1_500 * (1 - randomAccuracy)));
      } else {
        assertThat(r.score().accuracy()).as(e.name()).isGreaterThan(0.9);
      }
    }
    assertThat(randomAccuracy).isBetween(0.15, 0.35);
  }

  /** A result whose first {@code n - last} quotes are right with {@code early} accuracy and the last with {@code late}. */
  private static Result result(String name, String learnsFrom, int n, int last, double early, double late,
      long routerNanos) {
    Score s = new Score(2, n);
    for (int i = 0; i < n - last; i++) {
      s.add(0, i < Math.round(early * (n - last)) ? 0 : 1);
    }
    for (int i = 0; i < last; i++) {
      s.add(0, i < Math.round(late * last) ? 0 : 1);
    }
    return new Result(new Entry(name, learnsFrom, "", x -> null), s, routerNanos, 1_000_000_000L);
  }

  private static java.util.Map<String, String> checks(double labels, double feedbackEarly, double feedbackLate,
      long feedbackNanos) {
    return TextBench.checks(List.of(
        result(TextBench.LIQUID_LABELS, "labels", 10_000, 2_000, labels, labels, 1_000_000L),
        result(TextBench.LIQUID_FEEDBACK, "feedback", 10_000, 2_000, feedbackEarly, feedbackLate, feedbackNanos),
        // The reference: 0.6 over the last 2,000 quotes, 0.475 before them, 0.5 overall.
        result(TextBench.LOGISTIC, "labels", 10_000, 2_000, 0.475, 0.6, 0)));
  }

  @Test
  void theLabelsTargetAllowsTwoPointsBelowTheReference() {
    assertThat(checks(0.481, 0.6, 0.6, 0).get("labelsWithin2PointsOfLogistic")).startsWith("PASS");
    assertThat(checks(0.479, 0.6, 0.6, 0).get("labelsWithin2PointsOfLogistic")).startsWith("FAIL");
    assertThat(checks(0.7, 0.6, 0.6, 0).get("labelsWithin2PointsOfLogistic")).as("above it").startsWith("PASS");
  }

  @Test
  void theFeedbackTargetComparesTheLast2000QuotesOfBoth() {
    // The reference's last 2,000: 0.6, so 85% is 0.51. The overall accuracies point the other way.
    assertThat(checks(0.5, 0.1, 0.52, 0).get("feedbackAtLeast85PercentOfLogistic")).startsWith("PASS");
    assertThat(checks(0.5, 0.9, 0.50, 0).get("feedbackAtLeast85PercentOfLogistic")).startsWith("FAIL");
  }

  @Test
  void theShareTargetReadsTheDefaultsOnly() {
    // With the attention off (not the default), 25 ms of routing per second of embedding is not counted.
    java.util.Map<String, String> c = TextBench.checks(List.of(
        result(TextBench.LIQUID_LABELS, "labels", 100, 50, 0.5, 0.5, 1_000_000L),
        result(TextBench.LIQUID_LABELS + TextBench.NO_ATTENTION, "labels", 100, 50, 0.5, 0.5, 25_000_000L)));
    assertThat(c.get("routerShareUnder2Percent")).startsWith("PASS").contains(TextBench.LIQUID_LABELS + ",");
  }

  @Test
  void theShareTargetTakesTheSlowestLiquidContestant() {
    // Embedding 1 s in all; 1 ms of routing is 0.1%, 25 ms 2.4%.
    assertThat(checks(0.5, 0.6, 0.6, 1_000_000L).get("routerShareUnder2Percent")).startsWith("PASS");
    assertThat(checks(0.5, 0.6, 0.6, 25_000_000L).get("routerShareUnder2Percent")).startsWith("FAIL")
        .contains(TextBench.LIQUID_FEEDBACK);
  }

  @Test
  void targetsWhoseContestantsAreMissingAreLeftOut() {
    assertThat(TextBench.checks(List.of(result(TextBench.LOGISTIC, "labels", 100, 50, 0.5, 0.5, 0)))).isEmpty();
  }
}
