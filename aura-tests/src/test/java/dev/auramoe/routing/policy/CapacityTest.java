package dev.auramoe.routing.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.auramoe.testing.Props;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Capacity semantics (positive fixed, zero never drops, negative dynamic with a bound, always
 * clamped to the window's real tokens) and the three overflow policies as seeded properties.
 */
class CapacityTest {

  @Test
  void capacityFollowsTheFactorAndNeverExceedsTheTokens() {
    assertThat(Capacity.of(1.0, 64, 8, 20, 32)).isEqualTo(8);
    assertThat(Capacity.of(1.25, 64, 8, 20, 32)).isEqualTo(10);
    assertThat(Capacity.of(0.0, 64, 8, 20, 32)).as("0: never drop").isEqualTo(20);
    assertThat(Capacity.of(-2.0, 64, 8, 20, 32)).as("dynamic, bounded by 2x").isEqualTo(16);
    assertThat(Capacity.of(-4.0, 64, 8, 20, 32)).as("dynamic, below the bound").isEqualTo(20);
    assertThat(Capacity.of(100.0, 6, 2, 3, 3)).as("clamped to the tokens present").isEqualTo(3);
    assertThat(Capacity.of(0.0, 0, 4, 0, 0)).isZero();
  }

  @Test
  void dropAndRerouteHonourCapacitySpillChangesNoSlot() {
    for (OverflowPolicy overflow : OverflowPolicy.values()) {
      Props.forAll(31 + overflow.ordinal(), 150, g -> {
        int experts = g.intIn(3, 9);
        int tokens = g.intIn(0, 60);
        RoutingProblem p = RoutingPolicyContractTest.window(g, tokens, experts, g.chance(0.5), g.chance(0.4));
        Assignment a = new Assignment();
        new TopKPolicy(2).route(p, a);
        long[] before = new long[experts];
        a.addLoad(before);
        int slotsBefore = a.realSlots();
        int[] logical = new int[slotsBefore];
        for (int s = 0; s < slotsBefore; s++) {
          logical[s] = a.expert(s);
        }
        double factor = g.oneOf(0.5, 1.0, 0.0, -1.5);
        int replicas = overflow == OverflowPolicy.SPILL ? g.intIn(1, 3) : 1;
        CapacityLimiter limiter = new CapacityLimiter(factor, overflow, replicas);
        limiter.apply(p, a);
        int cap = limiter.lastCapacity();
        assertThat(cap).isLessThanOrEqualTo(p.validTokens());
        long[] after = new long[experts];
        a.addLoad(after);
        if (overflow == OverflowPolicy.SPILL) {
          assertThat(a.realSlots()).isEqualTo(slotsBefore);
          for (int s = 0; s < slotsBefore; s++) {
            assertThat(a.expert(s)).as("spill keeps the logical routing").isEqualTo(logical[s]);
          }
          long[][] perReplica = new long[experts][replicas];
          for (int s = 0; s < slotsBefore; s++) {
            perReplica[a.expert(s)][limiter.replica(s)]++;
          }
          for (long[] r : perReplica) {
            long max = Arrays.stream(r).max().orElse(0);
            long min = Arrays.stream(r).min().orElse(0);
            assertThat(max - min).as("replicas share an expert's work evenly").isLessThanOrEqualTo(1);
          }
          return;
        }
        for (int e = 0; e < experts; e++) {
          assertThat(after[e]).as("%s: expert %d within capacity %d", overflow, e, cap).isLessThanOrEqualTo(cap);
        }
        assertThat(a.realSlots() + limiter.lastDropped()).isEqualTo(slotsBefore);
        if (factor == 0.0) {
          assertThat(limiter.lastDropped()).as("factor 0 never drops").isZero();
        }
        for (int t = 0; t < tokens; t++) {
          if (!p.isValid(t)) {
            assertThat(a.end(t) - a.start(t)).isZero();
            continue;
          }
          double sum = 0;
          boolean[] seen = new boolean[experts];
          for (int s = a.start(t); s < a.end(t); s++) {
            assertThat(seen[a.expert(s)]).as("no expert twice for a token").isFalse();
            seen[a.expert(s)] = true;
            sum += a.weight(s);
          }
          if (a.end(t) > a.start(t)) {
            assertThat(sum).isCloseTo(1.0, within(1e-5));
          }
        }
        if (overflow == OverflowPolicy.REROUTE) {
          // Each reroute keeps a slot and can push out at most one later slot, so rerouting never
          // keeps fewer slots than dropping (it may still lose some: greedy, in window order, and a
          // token cannot move to an expert it already has).
          Assignment same = new Assignment();
          new TopKPolicy(2).route(p, same);
          CapacityLimiter drop = new CapacityLimiter(factor, OverflowPolicy.DROP, 1);
          drop.apply(p, same);
          assertThat(limiter.lastDropped()).isLessThanOrEqualTo(drop.lastDropped());
        }
      });
    }
  }
}
