package dev.auramoe.cli.text;

import dev.auramoe.text.EncodedText;
import dev.auramoe.text.TextRouter;
import dev.auramoe.text.TextRouter.Choice;
import dev.auramoe.text.TextRouter.Route;
import java.util.List;

/**
 * The liquid router as a contestant: a {@link TextRouter} with one expert per category (named after
 * it, in label order) and every other setting its default but the spiking attention, which is on or
 * off, and the seed. The route's first choice is the category it names.
 *
 * <ul>
 *   <li>{@link Labels}: {@link TextRouter#learn(EncodedText, String)} with the quote's category,
 *       which routes the quote, learns, and returns the route made before learning;
 *   <li>{@link Feedback}: {@link TextRouter#route(EncodedText)}, then
 *       {@link TextRouter#feedback} for each chosen expert: reward 1 when it is the quote's category,
 *       else 0.
 * </ul>
 */
public abstract sealed class LiquidRouter {

  /** The router. */
  final TextRouter router;

  private final List<EncodedText> texts;

  LiquidRouter(Embedded in, boolean attention, long seed) {
    this.router = TextRouter.builder(in.dimension(), in.vocabulary())
        .experts(in.categories().toArray(String[]::new)).attention(attention).seed(seed).build();
    this.texts = in.texts();
  }

  /** The router, as it has learned so far. */
  public TextRouter router() {
    return router;
  }

  EncodedText text(int i) {
    return texts.get(i);
  }

  /** Ends the router's learning thread. */
  public void close() {
    router.close();
  }

  /** Learning from the categories. */
  public static final class Labels extends LiquidRouter implements Contestant.Supervised {

    /**
     * @param attention whether the spiking attention is on
     * @param seed the router's seed
     */
    public Labels(Embedded in, boolean attention, long seed) {
      super(in, attention, seed);
    }

    @Override
    public int routeThenLearn(int i, int label) {
      Route r = router.learn(text(i), router.experts().get(label).name());
      return r.chosen().getFirst().index();
    }
  }

  /** Learning from the rewards of its chosen experts only. */
  public static final class Feedback extends LiquidRouter implements Contestant.Bandit {

    /**
     * @param attention whether the spiking attention is on
     * @param seed the router's seed
     */
    public Feedback(Embedded in, boolean attention, long seed) {
      super(in, attention, seed);
    }

    @Override
    public int routeThenFeedback(int i, Reward reward) {
      Route r = router.route(text(i));
      List<Choice> chosen = r.chosen();
      for (int c = 0; c < chosen.size(); c++) {
        Choice choice = chosen.get(c);
        router.feedback(r.id(), choice.expert(), reward.of(choice.index()));
      }
      return chosen.getFirst().index();
    }
  }
}
