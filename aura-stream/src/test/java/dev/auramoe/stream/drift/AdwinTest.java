package dev.auramoe.stream.drift;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

/** ADWIN: detection of abrupt changes, quiet stationary windows, exact statistics, logarithmic memory. */
class AdwinTest {

  private static final int SEGMENT = 10_000;

  @Test
  void detectsEveryChangeBetween10And40PercentErrorWithin1000Instances() {
    double worstMean = 0;
    for (long seed = 1; seed <= 10; seed++) {
      double[] values = Streams.bernoulli(seed, SEGMENT, 0.1, 0.4, 0.1, 0.4);
      DriftReport report = DriftEvaluation.evaluate(new Adwin(), values, Streams.driftPoints(SEGMENT, 4), 1_000);
      assertThat(report.missed()).as("seed %d: %s", seed, report).isZero();
      worstMean = Math.max(worstMean, report.meanDelay());
    }
    // Measured: mean delay 84 over the 30 drifts, max 159; a 3x slower detector is broken.
    assertThat(worstMean).isLessThan(300);
  }

  @Test
  void detectsEveryChangeBetween20And30PercentErrorMostlyWithin1000Instances() {
    int drifts = 0;
    int within1000 = 0;
    long delaySum = 0;
    for (long seed = 1; seed <= 20; seed++) {
      double[] values = Streams.bernoulli(seed, SEGMENT, 0.2, 0.3, 0.2, 0.3);
      DriftReport report = DriftEvaluation.evaluate(new Adwin(), values, Streams.driftPoints(SEGMENT, 4), 1_500);
      assertThat(report.missed()).as("seed %d: %s", seed, report).isZero();
      for (long delay : report.delays()) {
        drifts++;
        delaySum += delay;
        within1000 += delay <= 1_000 ? 1 : 0;
      }
    }
    // A 0.1 shift needs ~400 instances for the delta = 0.002 bound. Measured: 57 of 60 drifts within
    // 1,000, mean 505, max 1,215 (the default ADWIN does not always meet 1,000 on so small a change).
    assertThat(within1000).as("drifts detected within 1,000 of %d", drifts).isGreaterThanOrEqualTo(drifts * 9 / 10);
    assertThat((double) delaySum / drifts).isLessThan(700);
  }

  @Test
  void aStationaryStreamGivesAtMostOneFalseAlarmPer100000Instances() {
    for (long seed = 1; seed <= 5; seed++) {
      double[] values = Streams.bernoulli(seed, 200_000, 0.2);
      DriftReport report = DriftEvaluation.evaluate(new Adwin(), values, new long[0], 1_000);
      assertThat(report.falseAlarmsPer100k()).as("seed %d: %s", seed, report).isLessThanOrEqualTo(1.0);
    }
  }

  @Test
  void theWindowGrowsToTheWholeStationaryStreamWithExactMeanAndVariance() {
    double[] values = Streams.bernoulli(42, 100_000, 0.2);
    Adwin adwin = new Adwin();
    for (double v : values) {
      assertThat(adwin.update(v)).isFalse();
    }
    double mean = 0;
    for (double v : values) {
      mean += v;
    }
    mean /= values.length;
    double variance = 0;
    for (double v : values) {
      variance += (v - mean) * (v - mean);
    }
    variance /= values.length;
    assertThat(adwin.width()).isEqualTo(values.length);
    assertThat(adwin.detections()).isZero();
    assertThat(adwin.mean()).isCloseTo(mean, within(1e-12));
    assertThat(adwin.variance()).isCloseTo(variance, within(1e-9));
  }

  @Test
  void aDetectionDropsTheOldWindowAndTheMeanTracksTheNewRate() {
    double[] values = Streams.bernoulli(7, 20_000, 0.1, 0.4);
    Adwin adwin = new Adwin();
    long widthBefore = -1;
    long widthAfter = -1;
    for (int i = 0; i < values.length; i++) {
      long width = adwin.width();
      if (adwin.update(values[i]) && widthBefore < 0) {
        assertThat(i).as("first detection").isGreaterThanOrEqualTo(20_000).isLessThan(21_000);
        widthBefore = width + 1;
        widthAfter = adwin.width();
      }
    }
    assertThat(widthAfter).isLessThan(widthBefore - 10_000);
    // By the end at most one last small bucket of the 0.1 segment is left (measured: 32 values).
    assertThat(adwin.width()).isLessThanOrEqualTo(20_000 + 200).isGreaterThan(10_000);
    assertThat(adwin.mean()).isCloseTo(0.4, within(0.02));
    assertThat(adwin.variance()).isCloseTo(0.4 * 0.6, within(0.02));
    // Dropping buckets keeps the statistics exact: they are those of the last width() values.
    int from = values.length - (int) adwin.width();
    double mean = 0;
    for (int i = from; i < values.length; i++) {
      mean += values[i];
    }
    mean /= adwin.width();
    double variance = 0;
    for (int i = from; i < values.length; i++) {
      variance += (values[i] - mean) * (values[i] - mean);
    }
    variance /= adwin.width();
    assertThat(adwin.mean()).isCloseTo(mean, within(1e-12));
    assertThat(adwin.variance()).isCloseTo(variance, within(1e-9));
  }

  @Test
  void theHistogramHoldsAtMostMBucketsPerRowAndLog2WPlusOneRows() {
    for (int m : new int[] {2, 5, 9}) {
      Adwin adwin = new Adwin(Adwin.DEFAULT_DELTA, m, 32, 10, 5);
      double[] values = Streams.bernoulli(m, 1 << 20, 0.2);
      for (int i = 0; i < values.length; i++) {
        adwin.update(values[i]);
        long w = adwin.width();
        int log2 = 63 - Long.numberOfLeadingZeros(w);
        if (adwin.rowCount() > log2 + 1 || adwin.bucketCount() > m * (log2 + 1)) {
          assertThat(adwin.bucketCount()).as("M=%d W=%d rows=%d", m, w, adwin.rowCount())
              .isLessThanOrEqualTo(m * (log2 + 1));
          assertThat(adwin.rowCount()).as("M=%d W=%d", m, w).isLessThanOrEqualTo(log2 + 1);
        }
      }
      assertThat(adwin.width()).isEqualTo(1 << 20);
      assertThat(adwin.rowCount()).isBetween(20 - 3, 21);
      assertThat(adwin.bucketCount()).isBetween(adwin.rowCount(), m * 21);
    }
  }

  @Test
  void badParametersAreRefusedWithTheirName() {
    assertThatThrownBy(() -> new Adwin(0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("delta");
    assertThatThrownBy(() -> new Adwin(1)).hasMessageContaining("delta must be in (0, 1)");
    assertThatThrownBy(() -> new Adwin(Double.NaN)).hasMessageContaining("delta");
    assertThatThrownBy(() -> new Adwin(0.002, 1, 32, 10, 5)).hasMessageContaining("maxBuckets must be >= 2, got 1");
    assertThatThrownBy(() -> new Adwin(0.002, 5, 0, 10, 5)).hasMessageContaining("clock must be >= 1");
    assertThatThrownBy(() -> new Adwin(0.002, 5, 32, 10, 0)).hasMessageContaining("minSubWindow must be >= 1");
    assertThatThrownBy(() -> new Adwin(0.002, 5, 32, 9, 5))
        .hasMessageContaining("minWindow must be >= 2 * minSubWindow");
  }

  @Test
  void nonFiniteValuesAreRefusedAndLeaveTheWindowUnchanged() {
    double[] values = Streams.bernoulli(3, 5_000, 0.1, 0.5);
    Adwin adwin = new Adwin();
    Adwin twin = new Adwin();
    for (int i = 0; i < 5_000 + 77; i++) {
      adwin.update(values[i]);
      twin.update(values[i]);
    }
    long width = adwin.width();
    double mean = adwin.mean();
    double variance = adwin.variance();
    int buckets = adwin.bucketCount();
    for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
      assertThatThrownBy(() -> adwin.update(bad)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("must be finite, got " + bad);
    }
    assertThat(adwin.width()).isEqualTo(width);
    assertThat(adwin.mean()).isEqualTo(mean);
    assertThat(adwin.variance()).isEqualTo(variance);
    assertThat(adwin.bucketCount()).isEqualTo(buckets);
    // The clock did not advance either: both detect at the same instances from here on.
    for (int i = 5_000 + 77; i < values.length; i++) {
      assertThat(adwin.update(values[i])).as("instance %d", i).isEqualTo(twin.update(values[i]));
    }
    assertThat(adwin.detections()).isEqualTo(twin.detections()).isPositive();
  }

  @Test
  void increasesOnlyReportsRisesOfTheErrorAndStillAdaptsToFalls() {
    // 0.4 -> 0.1 -> 0.4: the fall is a change too (plain ADWIN reports it), but not an alarm here.
    double[] v = Streams.bernoulli(21, 20_000, 0.4, 0.1, 0.4);
    Adwin plain = new Adwin(0.01);
    Adwin rises = Adwin.increasesOnly(0.01);
    List<Integer> plainAt = new java.util.ArrayList<>();
    List<Integer> risesAt = new java.util.ArrayList<>();
    for (int i = 0; i < v.length; i++) {
      if (plain.update(v[i])) {
        plainAt.add(i);
      }
      if (rises.update(v[i])) {
        risesAt.add(i);
      }
      if (i == 30_000) {
        assertThat(rises.mean()).as("the window followed the fall").isLessThan(0.15);
      }
    }
    assertThat(plainAt).anySatisfy(i -> assertThat(i).isBetween(20_000, 21_000));
    assertThat(risesAt).noneSatisfy(i -> assertThat(i).isBetween(20_000, 39_999));
    assertThat(risesAt).anySatisfy(i -> assertThat(i).isBetween(40_000, 41_000));
    assertThat(rises.name()).contains("increases");
  }
}
