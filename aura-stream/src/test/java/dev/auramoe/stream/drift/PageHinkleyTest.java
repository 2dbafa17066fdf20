package dev.auramoe.stream.drift;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Page-Hinkley: detects increases of the error rate, ignores decreases, restarts after a detection. */
class PageHinkleyTest {

  private static final int SEGMENT = 10_000;

  @Test
  void detectsEveryIncreaseOfTheErrorRateWithin1000Instances() {
    double[][] changes = {{0.1, 0.4}, {0.2, 0.3}};
    double[] worstMean = new double[2];
    for (int c = 0; c < changes.length; c++) {
      for (long seed = 1; seed <= 20; seed++) {
        double[] values = Streams.bernoulli(seed, SEGMENT, changes[c]);
        DriftReport report = DriftEvaluation.evaluate(new PageHinkley(), values, new long[] {SEGMENT}, 1_000);
        assertThat(report.missed()).as("%s -> %s seed %d: %s", changes[c][0], changes[c][1], seed, report).isZero();
        worstMean[c] = Math.max(worstMean[c], report.meanDelay());
      }
    }
    // lambda / (shift - delta) is the expected delay: 50 / 0.295 = 170 and 50 / 0.095 = 526. Measured over
    // these seeds: mean 145, max 201 and mean 427, max 889 (over 50 seeds one 0.2 -> 0.3 change takes 1,000+).
    assertThat(worstMean[0]).isLessThan(300);
    assertThat(worstMean[1]).isLessThan(1_000).isGreaterThan(worstMean[0]);
  }

  @Test
  void doesNotFireWhenTheErrorRateDecreases() {
    for (long seed = 1; seed <= 10; seed++) {
      double[] values = Streams.bernoulli(seed, SEGMENT, 0.4, 0.1);
      PageHinkley ph = new PageHinkley();
      for (int i = 0; i < values.length; i++) {
        boolean detected = ph.update(values[i]);
        if (i >= SEGMENT) {
          assertThat(detected).as("seed %d instance %d", seed, i).isFalse();
        }
      }
    }
    PageHinkley ph = new PageHinkley();
    for (int i = 0; i < 101_000; i++) {
      assertThat(ph.update(i < 1_000 ? 1 : 0)).isFalse();
    }
    assertThat(ph.statistic()).isZero();
  }

  @Test
  void aStepFromZeroToOneIsDetectedAfterAboutLambdaInstancesThenTheTestRestarts() {
    PageHinkley ph = new PageHinkley();
    long firstDetection = -1;
    for (int i = 0; i < 100_000; i++) {
      if (ph.update(i < 1_000 ? 0 : 1) && firstDetection < 0) {
        firstDetection = i;
        assertThat(ph.count()).isZero();
        assertThat(ph.statistic()).isZero();
        assertThat(ph.mean()).isZero();
      }
    }
    // x - mean - delta is about 0.995 - k / 1000 at the k-th one: the sum passes 50 at k = 52.
    assertThat(firstDetection - 1_000).isBetween(50L, 56L);
    // After the restart the ones are the new normal.
    assertThat(ph.detections()).isEqualTo(1);
    assertThat(ph.mean()).isEqualTo(1.0);
  }

  @Test
  void noDetectionBeforeMinInstances() {
    PageHinkley eager = new PageHinkley(1, 0, 0.1, 1);
    PageHinkley patient = new PageHinkley(30, 0, 0.1, 1);
    assertThat(eager.update(0)).isFalse();
    assertThat(patient.update(0)).isFalse();
    assertThat(eager.update(1)).as("0.5 above the mean of 0 and 1").isTrue();
    for (int i = 2; i < 30; i++) {
      assertThat(patient.update(1)).as("instance %d", i).isFalse();
    }
    assertThat(patient.statistic()).isGreaterThan(0.1);
    assertThat(patient.update(1)).as("the 30th value").isTrue();
  }

  @Test
  void theFadingFactorBoundsTheStatistic() {
    PageHinkley classic = new PageHinkley(30, 0.005, 50, 1);
    PageHinkley fading = new PageHinkley(30, 0.005, 50, 0.9);
    for (int i = 0; i < 20_000; i++) {
      double v = i < 10_000 ? 0 : 1;
      classic.update(v);
      assertThat(fading.update(v)).as("m stays below 1 / (1 - 0.9) = 10 < lambda").isFalse();
    }
    assertThat(classic.detections()).isEqualTo(1);
  }

  @Test
  void aStationaryStreamGivesFewFalseAlarms() {
    for (long seed = 1; seed <= 5; seed++) {
      DriftReport report = DriftEvaluation.evaluate(new PageHinkley(), Streams.bernoulli(seed, 200_000, 0.2),
          new long[0], 1_000);
      // Measured 0-1.5 per 100,000 (7 in 1,000,000 instances); fading m_t under a running minimum
      // instead of the statistic gave 3-6.
      assertThat(report.falseAlarmsPer100k()).as("seed %d: %s", seed, report).isLessThanOrEqualTo(3);
    }
  }

  @Test
  void badParametersAreRefusedWithTheirName() {
    assertThatThrownBy(() -> new PageHinkley(0, 0.005, 50, 1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("minInstances must be >= 1, got 0");
    assertThatThrownBy(() -> new PageHinkley(30, -1, 50, 1)).hasMessageContaining("delta must be finite and >= 0");
    assertThatThrownBy(() -> new PageHinkley(30, Double.NaN, 50, 1)).hasMessageContaining("delta");
    assertThatThrownBy(() -> new PageHinkley(30, 0.005, 0, 1)).hasMessageContaining("lambda must be finite and > 0");
    assertThatThrownBy(() -> new PageHinkley(30, 0.005, Double.POSITIVE_INFINITY, 1)).hasMessageContaining("lambda");
    assertThatThrownBy(() -> new PageHinkley(30, 0.005, 50, 0)).hasMessageContaining("alpha must be in (0, 1]");
    assertThatThrownBy(() -> new PageHinkley(30, 0.005, 50, 1.01)).hasMessageContaining("alpha");
    assertThatThrownBy(() -> new PageHinkley(30, 0.005, 50, Double.NaN)).hasMessageContaining("alpha");
  }

  @Test
  void nonFiniteValuesAreRefusedAndLeaveTheTestUnchanged() {
    PageHinkley ph = new PageHinkley();
    double[] values = Streams.bernoulli(5, 500, 0.2);
    for (double v : values) {
      ph.update(v);
    }
    double statistic = ph.statistic();
    double mean = ph.mean();
    long count = ph.count();
    for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
      assertThatThrownBy(() -> ph.update(bad)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("must be finite, got " + bad);
    }
    assertThat(ph.statistic()).isEqualTo(statistic);
    assertThat(ph.mean()).isEqualTo(mean);
    assertThat(ph.count()).isEqualTo(count);
  }
}
