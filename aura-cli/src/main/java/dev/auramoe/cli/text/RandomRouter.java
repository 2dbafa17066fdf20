package dev.auramoe.cli.text;

import java.util.SplittableRandom;

/**
 * Routes each quote to a category drawn uniformly at random (seeded) and learns nothing: the floor
 * every router must clear, whose expected accuracy is {@code 1 / classes}.
 */
public final class RandomRouter implements Contestant.Bandit {

  private final int classes;
  private final SplittableRandom random;

  /**
   * @param classes the number of categories
   * @param seed the seed of its draws
   */
  public RandomRouter(int classes, long seed) {
    if (classes < 1) {
      throw new IllegalArgumentException("classes must be at least 1, got " + classes);
    }
    this.classes = classes;
    this.random = new SplittableRandom(seed);
  }

  /** A category drawn at random; the reward is not read: it learns nothing. */
  @Override
  public int routeThenFeedback(int i, Reward reward) {
    return random.nextInt(classes);
  }
}
