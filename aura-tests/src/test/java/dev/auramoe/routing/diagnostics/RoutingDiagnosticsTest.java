package dev.auramoe.routing.diagnostics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** Each diagnostic against a sequence whose value is known in closed form. */
class RoutingDiagnosticsTest {

  @Test
  void evenRoundRobinLoadIsPerfectlyBalancedAndNeverSticky() {
    RoutingDiagnostics d = new RoutingDiagnostics(4, 8, 0.9, 0);
    for (int t = 0; t < 16; t++) {
      d.record(new int[] {t % 4}, 1, null, -1);
    }
    RoutingStats s = d.stats();
    assertThat(s.windowLoad()).containsExactly(0.25, 0.25, 0.25, 0.25);
    assertThat(s.maxOverMean()).isEqualTo(1.0);
    assertThat(s.coefficientOfVariation()).isZero();
    assertThat(s.stickiness()).isZero();
    assertThat(s.meanExpertsPerToken()).isEqualTo(1.0);
    // cache of 2 experts, round robin over 4: every lookup misses
    assertThat(s.cacheHitRate()).isZero();
  }

  @Test
  void collapseOntoOneExpertIsMaximallyUnbalancedStickyAndCached() {
    RoutingDiagnostics d = new RoutingDiagnostics(5, 10, 0.5, 0);
    for (int t = 0; t < 10; t++) {
      d.record(new int[] {2}, 1, null, -1);
    }
    RoutingStats s = d.stats();
    assertThat(s.maxOverMean()).isEqualTo(5.0);
    assertThat(s.coefficientOfVariation()).isCloseTo(2.0, within(1e-12)); // sqrt(4)/1 for one-hot over 5
    assertThat(s.stickiness()).isEqualTo(1.0);
    assertThat(s.cacheHitRate()).isCloseTo(0.9, within(1e-12));
    assertThat(s.averageLoad()[2]).isCloseTo(1.0, within(1e-12));
    d.endSegment();
    d.record(new int[] {3}, 1, null, -1);
    assertThat(d.stats().stickiness()).as("a new segment does not compare with the old one").isEqualTo(1.0);
    d.record(new int[] {4}, 1, null, -1);
    assertThat(d.stats().stickiness()).isCloseTo(9.0 / 10, within(1e-12));
  }

  @Test
  void entropyAndEffectiveTemperatureOfALoadThatFollowsTheRouter() {
    RoutingDiagnostics d = new RoutingDiagnostics(3, 4, 0.9, 0);
    float[] p = {0.5f, 0.25f, 0.25f};
    for (int e : new int[] {0, 0, 1, 2}) {
      d.record(new int[] {e}, 1, p, -1);
    }
    RoutingStats s = d.stats();
    assertThat(s.routingEntropy()).isCloseTo(1.5, within(1e-6));
    assertThat(s.effectiveTemperature()).as("load equal to the mean probabilities").isCloseTo(1.0, within(1e-6));
    // A flatter load than the router needs a higher temperature.
    RoutingDiagnostics flat = new RoutingDiagnostics(3, 3, 0.9, 0);
    for (int e : new int[] {0, 1, 2}) {
      flat.record(new int[] {e}, 1, p, -1);
    }
    assertThat(flat.stats().effectiveTemperature()).isGreaterThan(100);
  }

  @Test
  void mutualInformationIsTwoBitsForPerfectSpecialisationAndZeroForIndependence() {
    RoutingDiagnostics d = new RoutingDiagnostics(4, 100, 0.9, 4);
    for (int t = 0; t < 400; t++) {
      d.record(new int[] {t % 4}, 1, null, t % 4);
    }
    assertThat(d.stats().mutualInformation()).isCloseTo(2.0, within(1e-9));
    assertThat(d.stats().specialisation()[3][3]).isEqualTo(100);
    RoutingDiagnostics ind = new RoutingDiagnostics(4, 100, 0.9, 2);
    for (int t = 0; t < 400; t++) {
      ind.record(new int[] {t % 4}, 1, null, (t / 4) % 2);
    }
    assertThat(ind.stats().mutualInformation()).isCloseTo(0.0, within(1e-9));
  }

  @Test
  void theWindowLoadIsTheLastFullWindow() {
    RoutingDiagnostics d = new RoutingDiagnostics(2, 4, 0.5, 0);
    for (int t = 0; t < 4; t++) {
      d.record(new int[] {0}, 1, null, -1);
    }
    d.record(new int[] {1}, 1, null, -1); // partial next window
    assertThat(d.stats().windowLoad()).containsExactly(1.0, 0.0);
    assertThat(d.stats().tokens()).isEqualTo(5);
    assertThat(d.stats().meanExpertsPerToken()).isEqualTo(1.0);
  }
}
