package dev.auramoe.testing;

import java.util.SplittableRandom;

/**
 * A small seeded property harness: runs a check on {@code tries} generated cases, each with its
 * own {@link Gen} derived from a fixed seed, and names the failing case (seed and try) so that it
 * can be replayed with {@link #replay}.
 *
 * <p>Used instead of jqwik: jqwik 1.10 carries an "Anti-AI Usage Clause" asking that it not be used
 * with AI coding agents, and its engine writes to stdout, which tests must not do. STYLE.md E3
 * allows seeded JUnit loops for generated inputs.
 */
public final class Props {

  private Props() {}

  /** A check over one generated case. */
  @FunctionalInterface
  public interface Check {
    void run(Gen g) throws Exception;
  }

  /** Runs {@code check} on {@code tries} cases derived from {@code seed}. */
  public static void forAll(long seed, int tries, Check check) {
    SplittableRandom master = new SplittableRandom(seed);
    for (int t = 0; t < tries; t++) {
      long caseSeed = master.nextLong();
      replayAs(caseSeed, t, check);
    }
  }

  /** Runs one case by its case seed (printed in a failure message). */
  public static void replay(long caseSeed, Check check) {
    replayAs(caseSeed, -1, check);
  }

  private static void replayAs(long caseSeed, int t, Check check) {
    Gen g = new Gen(caseSeed);
    try {
      check.run(g);
    } catch (AssertionError | Exception e) {
      throw new AssertionError("property falsified at try " + t + " (replay with Props.replay(" + caseSeed
          + "L, ...)); generated: " + g.log() + "\n" + e, e);
    }
  }
}
