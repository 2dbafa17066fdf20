package dev.auramoe.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.auramoe.feedback.FeedbackOutcome;
import dev.auramoe.feedback.FeedbackRules;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Routing texts to named experts with the real encoder: explanations, labels, feedback, guard-rails, cost. */
class TextRouterTest {

  private static final String[] TOPICS = {"cooking", "computers", "football"};
  private static final String[][] WORDS = {
      {"recipe", "oven", "garlic", "butter", "simmer", "bake", "onions", "sauce", "flour", "roast"},
      {"compiler", "kernel", "software", "database", "server", "laptop", "keyboard", "algorithm", "memory", "bug"},
      {"goal", "referee", "striker", "penalty", "stadium", "league", "midfielder", "coach", "match", "keeper"}};
  private static final String[] FRAMES = {
      "I keep thinking about the %s and the %s today.", "Tell me more about %s, then explain %s.",
      "Our friend said the %s was better than the %s.", "Why is the %s always next to the %s?",
      "Yesterday the %s surprised everyone, and so did the %s."};

  private static SentenceEncoder encoder;
  private static List<EncodedText> texts;
  private static List<Integer> labels;

  @BeforeAll
  static void load() {
    encoder = SentenceEncoder.allMiniLmL6V2();
    texts = new ArrayList<>();
    labels = new ArrayList<>();
    Random r = new Random(17);
    for (int i = 0; i < 240; i++) {
      int c = r.nextInt(TOPICS.length);
      String[] w = WORDS[c];
      String t = String.format(FRAMES[r.nextInt(FRAMES.length)], w[r.nextInt(w.length)], w[r.nextInt(w.length)]);
      texts.add(encoder.encodeText(t));
      labels.add(c);
    }
  }

  @AfterAll
  static void free() {
    encoder.close();
  }

  private static TextRouter router() {
    return TextRouter.builder(encoder).experts(TOPICS).build();
  }

  /** Accuracy of the best chosen expert over texts [from, to), without learning. */
  private static double accuracy(TextRouter r, int from, int to) {
    int right = 0;
    for (int i = from; i < to; i++) {
      right += r.route(texts.get(i)).chosen().getFirst().index() == labels.get(i) ? 1 : 0;
    }
    return (double) right / (to - from);
  }

  @Test
  void aRouteChoosesWeighsAndExplains() {
    TextRouter r = router();
    TextRouter.Route route = r.route("compiler compiler compiler crashed my kernel");
    assertThat(route.id()).startsWith("r");
    assertThat(route.chosen()).hasSize(2);
    assertThat(route.chosen().get(0).weight() + route.chosen().get(1).weight()).isCloseTo(1.0, within(1e-6));
    assertThat(route.chosen().get(0).probability()).isGreaterThanOrEqualTo(route.chosen().get(1).probability());
    double sum = 0;
    for (float p : route.probabilities()) {
      sum += p;
    }
    assertThat(sum).isCloseTo(1.0, within(1e-5));
    TextRouter.Explanation why = route.why();
    assertThat(why.winners()).isNotEmpty();
    assertThat(why.winners().getFirst().token()).isEqualTo("compiler");
    assertThat(why.winners().getFirst().potential()).isEqualTo(3.0);
    assertThat(why.gain()).isGreaterThan(1.0);

    TextRouter off = TextRouter.builder(encoder).experts(TOPICS).attention(false).build();
    TextRouter.Explanation none = off.route("The compiler, the compiler and again the compiler.").why();
    assertThat(none.winners()).isEmpty();
    assertThat(none.gain()).isEqualTo(1.0);
  }

  @Test
  void frequentTokensStopSpikingSoRareOnesExplainTheRoute() {
    TextRouter r = router();
    for (int i = 0; i < 60; i++) {
      r.route(texts.get(i));
    }
    TextRouter.Route route = r.route("the the the the oven, the the the.");
    assertThat(route.why().winners()).extracting(TextRouter.WinningToken::token).contains("oven")
        .doesNotContain("the");
  }

  @Test
  void theSameTextRoutesTheSameWayUntilTheRouterLearns() {
    TextRouter r = router();
    EncodedText t = texts.get(0);
    r.route(texts.get(1));
    float[] first = r.route(t).probabilities();
    r.route(texts.get(2));
    assertThat(r.route(t).probabilities()).isEqualTo(first);
    r.learn(t, TOPICS[(labels.get(0) + 1) % TOPICS.length]);
    assertThat(r.route(t).probabilities()).isNotEqualTo(first);
  }

  @Test
  void labelsTeachTheRouterTheTopics() {
    TextRouter r = router();
    double before = accuracy(r, 160, 240);
    for (int i = 0; i < 160; i++) {
      r.learn(texts.get(i), TOPICS[labels.get(i)]);
    }
    assertThat(accuracy(r, 160, 240)).isGreaterThan(0.9).isGreaterThan(before + 0.3);
  }

  @Test
  void feedbackAloneTeachesTheRouterTheTopics() {
    TextRouter r = router();
    for (int pass = 0; pass < 2; pass++) {
      for (int i = 0; i < 160; i++) {
        TextRouter.Route route = r.route(texts.get(i));
        for (TextRouter.Choice c : route.chosen()) {
          r.feedback(route.id(), c.expert(), c.index() == labels.get(i) ? 1 : 0);
        }
      }
    }
    assertThat(accuracy(r, 160, 240)).isGreaterThan(0.85);
  }

  @Test
  void targetVectorsTeachTheExpertsAndTheRouter() {
    TextRouter r = TextRouter.builder(encoder).experts(TOPICS).outputDim(1).build();
    double late = 0;
    for (int pass = 0; pass < 4; pass++) {
      for (int i = 0; i < 160; i++) {
        float y = labels.get(i) == 1 ? 1f : -1f;
        r.learn(texts.get(i), new float[] {y});
      }
    }
    for (int i = 160; i < 240; i++) {
      float[] x = texts.get(i).embedding();
      r.model().resetStream(dev.auramoe.MixtureOfExperts.DEFAULT_STREAM);
      float yHat = r.model().predict(dev.auramoe.MixtureOfExperts.DEFAULT_STREAM, x)[0];
      late += Math.signum(yHat) == (labels.get(i) == 1 ? 1 : -1) ? 1 : 0;
    }
    assertThat(late / 80).isGreaterThan(0.9);
  }

  @Test
  void adversarialFeedbackStaysWithinTheDriftCapAndRollbackRestoresBitForBit() {
    TextRouter r = TextRouter.builder(encoder).experts(TOPICS)
        .feedbackRules(FeedbackRules.DEFAULT.withMaxStep(0.05).withMaxDrift(0.3)).build();
    for (int i = 0; i < 60; i++) {
      r.learn(texts.get(i), TOPICS[labels.get(i)]);
    }
    r.anchor();
    float[] anchored = r.model().routerParameters();
    double accuracy = accuracy(r, 160, 240);
    for (int i = 0; i < 160; i++) {
      TextRouter.Route route = r.route(texts.get(i));
      for (TextRouter.Choice c : route.chosen()) {
        FeedbackOutcome o = r.feedback(route.id(), c.expert(), c.index() == labels.get(i) ? 0 : 1);
        assertThat(o.change()).isLessThanOrEqualTo(0.05);
        assertThat(o.drift()).isLessThanOrEqualTo(0.3 * (1 + 1e-5));
      }
    }
    assertThat(r.drift()).isGreaterThan(0.29).isLessThanOrEqualTo(0.3 * (1 + 1e-5));
    r.rollback();
    assertThat(r.model().routerParameters()).isEqualTo(anchored);
    assertThat(accuracy(r, 160, 240)).isEqualTo(accuracy);
  }

  @Test
  void frozenRoutersLearnFromNothing() {
    TextRouter r = router();
    float[] before = r.model().routerParameters();
    r.freeze();
    r.learn(texts.get(0), TOPICS[labels.get(0)]);
    TextRouter.Route route = r.route(texts.get(1));
    assertThat(r.feedback(route.id(), route.best(), 1).frozen()).isTrue();
    assertThat(r.model().routerParameters()).isEqualTo(before);
    r.unfreeze();
    r.learn(texts.get(0), TOPICS[labels.get(0)]);
    assertThat(r.model().routerParameters()).isNotEqualTo(before);
  }

  @Test
  void badInputIsRefusedClearlyAndChangesNothing() {
    TextRouter r = TextRouter.builder(encoder).experts(TOPICS)
        .feedbackRules(FeedbackRules.DEFAULT.withRoutes(2, java.time.Duration.ofHours(1))).build();
    TextRouter.Route route = r.route(texts.get(0));
    float[] params = r.model().routerParameters();
    int pending = r.pendingRoutes();
    String notChosen = TOPICS[3 - route.chosen().get(0).index() - route.chosen().get(1).index()];

    assertThatThrownBy(() -> r.route("")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
    assertThatThrownBy(() -> r.route("   ")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> r.route("a".repeat(Texts.MAX_CHARS + 1))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(String.valueOf(Texts.MAX_CHARS));
    assertThatThrownBy(() -> r.route("bad \uD800 surrogate")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("surrogate");
    assertThatThrownBy(() -> r.learn(texts.get(1), "gardening")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown expert 'gardening'");
    assertThatThrownBy(() -> r.feedback(route.id(), "gardening", 1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown expert 'gardening'");
    assertThatThrownBy(() -> r.feedback(route.id(), notChosen, 1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not chosen");
    assertThatThrownBy(() -> r.feedback(route.id(), route.best(), Double.NaN))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reward");
    assertThatThrownBy(() -> r.feedback(route.id(), route.best(), 1e9)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> r.feedback("r12345", route.best(), 1)).isInstanceOf(NoSuchElementException.class)
        .hasMessageContaining("never issued");
    assertThatThrownBy(() -> r.learn(EncodedText.of("x", new float[3], new int[] {1}), TOPICS[0]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("384");
    float[] nan = texts.get(1).embedding();
    nan[7] = Float.NaN;
    assertThatThrownBy(() -> r.route(new EncodedText("x", nan, new int[] {1}, new String[] {"x"})))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("non-finite");
    assertThatThrownBy(() -> r.route(EncodedText.of("x", texts.get(1).embedding(), new int[] {99_999})))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("vocabulary");
    assertThat(r.model().routerParameters()).isEqualTo(params);
    assertThat(r.pendingRoutes()).isEqualTo(pending);

    r.route(texts.get(1));
    r.route(texts.get(2));
    assertThatThrownBy(() -> r.feedback(route.id(), route.best(), 1)).isInstanceOf(NoSuchElementException.class)
        .hasMessageContaining("expired");
    assertThat(r.model().routerParameters()).isEqualTo(params);
  }

  @Test
  void theCostWeightIsCalibratedToATargetShareOfTraffic() {
    TextRouter r = TextRouter.builder(encoder).expert(new ExpertDescriptor("large-model", 10, 900, 5))
        .expert(new ExpertDescriptor("small-model", 1, 120, 0.4)).expert(new ExpertDescriptor("search", 0.5, 300, 0.2))
        .topK(1).build();
    for (int i = 0; i < 160; i++) {
      r.learn(texts.get(i), r.experts().get(labels.get(i)).name());
    }
    assertThatThrownBy(() -> r.calibrateCostWeight("small-model", 0.2, texts)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("most expensive");
    double lambda = r.calibrateCostWeight("large-model", 0.1, texts);
    assertThat(lambda).isPositive();
    assertThat(r.costWeight()).isEqualTo(lambda);
    int large = 0;
    double cost = 0;
    for (int i = 0; i < 240; i++) {
      TextRouter.Route route = r.route(texts.get(i));
      large += route.best().equals("large-model") ? 1 : 0;
      cost += route.costPerCall();
      assertThat(route.why().costWeight()).isEqualTo(lambda);
    }
    assertThat(large / 240.0).isCloseTo(0.1, within(0.06));
    r.setCostWeight(0);
    int largeAtZero = 0;
    double costAtZero = 0;
    for (int i = 0; i < 240; i++) {
      TextRouter.Route route = r.route(texts.get(i));
      largeAtZero += route.best().equals("large-model") ? 1 : 0;
      costAtZero += route.costPerCall();
    }
    assertThat(largeAtZero / 240.0).isGreaterThan(0.25);
    assertThat(cost).isLessThan(costAtZero);
    assertThatThrownBy(() -> r.setCostWeight(-1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theRecentTrafficCalibratesTheCostWeightToo() {
    TextRouter r = TextRouter.builder(encoder).expert(new ExpertDescriptor("large-model", 10, 900, 5))
        .expert(ExpertDescriptor.named("small-model")).expert(ExpertDescriptor.named("search")).topK(1).build();
    for (int i = 0; i < 30; i++) {
      r.route(texts.get(i));
    }
    assertThatThrownBy(() -> r.calibrateCostWeight("large-model", 0.2)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("50 needed");
    for (int i = 30; i < 200; i++) {
      r.route(texts.get(i));
    }
    int atZero = 0;
    for (int i = 0; i < 200; i++) {
      atZero += r.route(texts.get(i)).best().equals("large-model") ? 1 : 0;
    }
    double target = atZero / 400.0;
    assertThat(r.calibrateCostWeight("large-model", target)).isPositive();
    int large = 0;
    for (int i = 0; i < 200; i++) {
      large += r.route(texts.get(i)).best().equals("large-model") ? 1 : 0;
    }
    assertThat(large / 200.0).isCloseTo(target, within(0.03));
    assertThatThrownBy(() -> r.calibrateCostWeight("large-model", 1.5)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void buildersRefuseBadExperts() {
    assertThatThrownBy(() -> TextRouter.builder(encoder).experts("a").build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("two experts");
    assertThatThrownBy(() -> TextRouter.builder(encoder).experts("a", "a"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("duplicate");
    assertThatThrownBy(() -> new ExpertDescriptor("a", -1, 0, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ExpertDescriptor("a\nb", 0, 0, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> TextRouter.builder(encoder).experts("a", "b").topK(3).build())
        .isInstanceOf(IllegalArgumentException.class);
  }
}
