package dev.auramoe.routing.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.auramoe.testing.Gen;
import dev.auramoe.testing.Props;
import java.util.Arrays;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * The contract of every routing policy, as seeded properties over random windows (sizes, peaked
 * or flat probabilities, ties, selection bias, padding): padding gets nothing and is never load,
 * weights are finite, renormalising policies sum to 1, the number of experts per token is within
 * the policy's bounds, expert choice honours its capacity exactly, Sinkhorn's plan has the
 * requested marginals, the bias never changes a weight, and token-choice load statistics do not
 * depend on how a stream of tokens is split into windows.
 */
class RoutingPolicyContractTest {

  /** A fresh policy per property case, with how many experts per token it may give. */
  record Case(String name, Supplier<RoutingPolicy> policy, int minPerToken, int maxPerToken, boolean renormalises) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Arguments> policies() {
    return Stream.of(
        new Case("top-k(1)", () -> new TopKPolicy(1), 1, 1, true),
        new Case("top-k(2)", () -> new TopKPolicy(2), 2, 2, true),
        new Case("top-k(2), top kept", () -> new TopKPolicy(2, true), 2, 2, true),
        new Case("top-p(0.7, 1..3)", () -> new TopPPolicy(0.7f, 1, 3), 1, 3, true),
        new Case("top-p controlled", () -> new TopPPolicy(0.5f, 1, 4, 2.0f, 0.05f), 1, 4, true),
        new Case("null-experts", () -> new NullExpertPolicy(2, 2, 0.2f, 1), 1, 2, true),
        new Case("expert-choice", () -> new ExpertChoicePolicy(1.0f), 0, Integer.MAX_VALUE, false),
        new Case("sinkhorn(k=2)", () -> new SinkhornPolicy(2, 100, 1e-4), 2, 2, true))
        .map(Arguments::of);
  }

  /** A random window: peaked or flat softmax rows, sometimes exact ties, sometimes padding. */
  static RoutingProblem window(Gen g, int tokens, int experts, boolean withBias, boolean withPadding) {
    float[] probs = new float[tokens * experts];
    double temp = g.oneOf(0.1, 1.0, 5.0);
    for (int t = 0; t < tokens; t++) {
      double sum = 0;
      double[] z = new double[experts];
      boolean tie = g.chance(0.1);
      for (int e = 0; e < experts; e++) {
        z[e] = tie ? 1.0 : Math.exp(g.gaussian() / temp);
        sum += z[e];
      }
      for (int e = 0; e < experts; e++) {
        probs[t * experts + e] = (float) (z[e] / sum);
      }
    }
    float[] bias = null;
    if (withBias) {
      bias = new float[experts];
      for (int e = 0; e < experts; e++) {
        bias[e] = (float) g.doubleIn(-0.3, 0.3);
      }
    }
    boolean[] valid = null;
    if (withPadding) {
      valid = new boolean[tokens];
      for (int t = 0; t < tokens; t++) {
        valid[t] = !g.chance(0.25);
      }
    }
    return new RoutingProblem().set(tokens, experts, probs, bias, valid);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("policies")
  void everyAssignmentKeepsTheContract(Case c) {
    Props.forAll(0x5EED + c.name().hashCode(), 150, g -> {
      int experts = g.intIn(4, 12);
      int tokens = g.intIn(0, 70);
      RoutingProblem p = window(g, tokens, experts, g.chance(0.5), g.chance(0.5));
      RoutingPolicy policy = c.policy().get();
      Assignment a = new Assignment();
      policy.route(p, a);
      assertThat(a.tokens()).isEqualTo(tokens);
      long[] load = new long[experts];
      a.addLoad(load);
      for (int t = 0; t < tokens; t++) {
        int n = a.end(t) - a.start(t);
        if (!p.isValid(t)) {
          assertThat(n).as("padding token %d gets no slot", t).isZero();
          continue;
        }
        int real = a.realExperts(t);
        assertThat(real).as("real experts of token %d", t).isBetween(c.minPerToken(), Math.min(c.maxPerToken(), experts));
        double sum = 0;
        boolean[] seen = new boolean[experts];
        for (int s = a.start(t); s < a.end(t); s++) {
          assertThat(Float.isFinite(a.weight(s))).isTrue();
          assertThat(a.weight(s)).isGreaterThanOrEqualTo(0f);
          if (a.expert(s) != Assignment.NULL_EXPERT) {
            assertThat(seen[a.expert(s)]).as("an expert appears once per token").isFalse();
            seen[a.expert(s)] = true;
            sum += a.weight(s);
          } else {
            assertThat(a.weight(s)).as("null slots weigh nothing").isZero();
          }
        }
        if (c.renormalises() && real > 0) {
          assertThat(sum).as("weights of token %d", t).isCloseTo(1.0, within(1e-5));
        }
      }
      assertThat(Arrays.stream(load).sum()).as("load counts exactly the real slots of valid tokens")
          .isEqualTo(a.realSlots());
    });
  }

  @Test
  void expertChoiceTakesExactlyItsCapacityPerExpertAndCapacityNeverExceedsTheTokens() {
    Props.forAll(77, 200, g -> {
      int experts = g.intIn(2, 10);
      int tokens = g.intIn(0, 60);
      float cf = g.oneOf(0.25f, 1.0f, 2.0f, 100.0f);
      RoutingProblem p = window(g, tokens, experts, g.chance(0.5), g.chance(0.5));
      ExpertChoicePolicy ec = new ExpertChoicePolicy(cf);
      Assignment a = new Assignment();
      ec.route(p, a);
      int valid = p.validTokens();
      int cap = ec.capacity(valid, experts);
      assertThat(cap).isLessThanOrEqualTo(valid);
      long[] load = new long[experts];
      a.addLoad(load);
      for (long l : load) {
        assertThat(l).isEqualTo(cap);
      }
    });
  }

  @Test
  void sinkhornPlanHasTheRequestedMarginals() {
    Props.forAll(99, 100, g -> {
      int experts = g.intIn(2, 10);
      int tokens = g.intIn(experts, 80);
      RoutingProblem p = window(g, tokens, experts, false, g.chance(0.3));
      SinkhornPolicy s = new SinkhornPolicy(1, 500, 1e-4);
      s.route(p, new Assignment());
      int valid = p.validTokens();
      if (valid == 0) {
        return;
      }
      double target = (double) valid / experts;
      for (int e = 0; e < experts; e++) {
        double col = 0;
        for (int t = 0; t < tokens; t++) {
          if (p.isValid(t)) {
            col += s.plan(p, t, e);
          }
        }
        assertThat(col).as("column %d", e).isCloseTo(target, within(1e-4 * target + 1e-9));
      }
      for (int t = 0; t < tokens; t++) {
        if (p.isValid(t)) {
          double row = 0;
          for (int e = 0; e < experts; e++) {
            row += s.plan(p, t, e);
          }
          assertThat(row).isCloseTo(1.0, within(1e-3));
        }
      }
      assertThat(s.lastMarginalError()).isLessThanOrEqualTo(1e-4);
    });
  }

  /** The router's most likely expert of token t (ties to the lower index). */
  static int routerTop(RoutingProblem p, int t) {
    int top = 0;
    for (int e = 1; e < p.experts(); e++) {
      if (p.probability(t, e) > p.probability(t, top)) {
        top = e;
      }
    }
    return top;
  }

  static boolean routedTo(Assignment a, int t, int e) {
    for (int s = a.start(t); s < a.end(t); s++) {
      if (a.expert(s) == e) {
        return true;
      }
    }
    return false;
  }

  @Test
  void keepingTheRouterTopHoldsAgainstAnyBiasAndOtherwiseChangesNothing() {
    Props.forAll(11, 200, g -> {
      int experts = g.intIn(3, 10);
      int tokens = 40;
      RoutingProblem p = window(g, tokens, experts, false, g.chance(0.5));
      // A bias strong enough to push confident tokens off their best expert.
      float[] bias = new float[experts];
      for (int e = 0; e < experts; e++) {
        bias[e] = (float) g.doubleIn(-1.0, 1.0);
      }
      RoutingProblem biased = new RoutingProblem().set(tokens, experts, p.probs, bias, p.valid);
      Assignment plain = new Assignment();
      Assignment kept = new Assignment();
      Assignment nulls = new Assignment();
      new TopKPolicy(2).route(biased, plain);
      new TopKPolicy(2, true).route(biased, kept);
      new NullExpertPolicy(2, 1, 0.3f, 1).route(biased, nulls);
      for (int t = 0; t < tokens; t++) {
        if (!biased.isValid(t)) {
          continue;
        }
        int top = routerTop(biased, t);
        assertThat(routedTo(kept, t, top)).as("top-k kept, token %d", t).isTrue();
        assertThat(routedTo(nulls, t, top)).as("null experts, token %d", t).isTrue();
        if (routedTo(plain, t, top)) {
          // Nothing to protect: the same experts as plain top-k.
          assertThat(routedTo(kept, t, plain.expert(plain.start(t)))).isTrue();
          assertThat(routedTo(kept, t, plain.expert(plain.start(t) + 1))).isTrue();
        }
      }
    });
  }

  @Test
  void plainTopKLetsAStrongBiasEvictTheRouterTop() {
    // The case keepRouterTop exists for: expert 0 is the router's clear first choice, but the
    // balancer penalises it so far that plain top-k leaves it out.
    float[] probs = {0.9f, 0.05f, 0.03f, 0.02f};
    float[] bias = {-1f, 0.2f, 0.1f, 0f};
    RoutingProblem p = new RoutingProblem().set(1, 4, probs, bias, null);
    Assignment a = new Assignment();
    new TopKPolicy(2).route(p, a);
    assertThat(routedTo(a, 0, 0)).isFalse();
    new TopKPolicy(2, true).route(p, a);
    assertThat(routedTo(a, 0, 0)).isTrue();
    assertThat(routedTo(a, 0, 1)).as("the bias still picks the second slot").isTrue();
    new NullExpertPolicy(2, 1, 0.1f, 1).route(p, a);
    assertThat(routedTo(a, 0, 0)).isTrue();
    assertThat(a.end(0) - a.start(0)).isEqualTo(2);
    assertThat(a.expert(a.start(0) + 1)).as("expert 1 is below the null score").isEqualTo(Assignment.NULL_EXPERT);
    assertThat(a.weight(a.start(0))).isEqualTo(1f);
  }

  @Test
  void theBiasChangesSelectionButNeverAWeight() {
    Props.forAll(5, 100, g -> {
      int experts = g.intIn(4, 10);
      RoutingProblem p = window(g, 30, experts, true, false);
      Assignment a = new Assignment();
      new TopKPolicy(2).route(p, a);
      for (int t = 0; t < 30; t++) {
        double mass = 0;
        for (int s = a.start(t); s < a.end(t); s++) {
          mass += p.probability(t, a.expert(s));
        }
        for (int s = a.start(t); s < a.end(t); s++) {
          assertThat((double) a.weight(s)).isCloseTo(p.probability(t, a.expert(s)) / mass, within(1e-6));
        }
      }
    });
  }

  @Test
  void tokenChoiceLoadIsTheSameWhetherRoutedInOneWindowOrSixtyFourOfSixtyFour() {
    Gen g = Gen.seeded(3);
    int experts = 8;
    RoutingProblem all = window(g, 4096, experts, true, true);
    for (Supplier<RoutingPolicy> s : java.util.List.<Supplier<RoutingPolicy>>of(() -> new TopKPolicy(2),
        () -> new TopPPolicy(0.6f, 1, 3), () -> new NullExpertPolicy(2, 1, 0.15f, 1))) {
      long[] whole = new long[experts];
      Assignment a = new Assignment();
      s.get().route(all, a);
      a.addLoad(whole);
      long[] split = new long[experts];
      RoutingPolicy pol = s.get();
      for (int w = 0; w < 64; w++) {
        float[] probs = Arrays.copyOfRange(all.probs, w * 64 * experts, (w + 1) * 64 * experts);
        boolean[] valid = Arrays.copyOfRange(all.valid, w * 64, (w + 1) * 64);
        pol.route(new RoutingProblem().set(64, experts, probs, all.bias, valid), a);
        a.addLoad(split);
      }
      assertThat(split).as(pol.name()).containsExactly(whole);
    }
  }

  @Test
  void theTopPControllerHoldsItsTargetMeanExpertsPerToken() {
    Gen g = Gen.seeded(8);
    TopPPolicy tp = new TopPPolicy(0.5f, 1, 6, 2.5f, 0.02f);
    Assignment a = new Assignment();
    double sum = 0;
    int windows = 0;
    for (int w = 0; w < 400; w++) {
      tp.route(window(g, 256, 8, false, false), a);
      if (w >= 100) {
        sum += tp.lastMeanExperts();
        windows++;
      }
    }
    assertThat(sum / windows).as("mean experts per token after settling").isCloseTo(2.5, within(0.05 * 2.5));
  }
}
