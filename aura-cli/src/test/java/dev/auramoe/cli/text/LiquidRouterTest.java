package dev.auramoe.cli.text;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The liquid router as a text-bench contestant, on generated inputs with a known answer. */
class LiquidRouterTest {

  @Test
  void learningFromLabelsFindsSeparableCategoriesWithTheAttentionOnAndOff() {
    Embedded in = LearnersTest.clusters(4, 8, 2_000, 0.3, 11);
    for (boolean attention : new boolean[] {true, false}) {
      try (LiquidRouter.Labels r = new LiquidRouter.Labels(in, attention, 1)) {
        Score s = new Score(4, in.size());
        for (int i = 0; i < in.size(); i++) {
          s.add(in.labels()[i], r.routeThenLearn(i, in.labels()[i]));
        }
        assertThat(s.accuracyLast(1_000)).as("attention %s", attention).isGreaterThan(0.9);
      }
    }
  }

  @Test
  void learningFromFeedbackAsksOnlyTheRewardsOfTheChosenExpertsAndStillLearns() {
    Embedded in = LearnersTest.clusters(4, 8, 3_000, 0.3, 12);
    try (LiquidRouter.Feedback r = new LiquidRouter.Feedback(in, true, 1)) {
      Score s = new Score(4, in.size());
      List<Integer> asked = new ArrayList<>();
      for (int i = 0; i < in.size(); i++) {
        int label = in.labels()[i];
        asked.clear();
        int routed = r.routeThenFeedback(i, c -> {
          asked.add(c);
          return c == label ? 1 : 0;
        });
        assertThat(asked).as("quote %d: one reward per chosen expert, the first the one routed to", i)
            .hasSize(r.router.topK()).doesNotHaveDuplicates().startsWith(routed);
        s.add(label, routed);
      }
      assertThat(s.accuracyLast(1_000)).isGreaterThan(0.8);
    }
  }

  @Test
  void theExpertsAreTheCategoriesInLabelOrder() {
    Embedded in = LearnersTest.clusters(3, 4, 10, 0.1, 13);
    try (LiquidRouter.Labels r = new LiquidRouter.Labels(in, true, 1)) {
      assertThat(r.router.experts()).extracting(e -> e.name()).containsExactly("c0", "c1", "c2");
      assertThat(r.router.attention()).isTrue();
    }
  }
}
