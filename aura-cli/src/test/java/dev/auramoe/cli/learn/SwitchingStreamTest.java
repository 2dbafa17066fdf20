package dev.auramoe.cli.learn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.cli.learn.SwitchingStream.Offset;
import dev.auramoe.cli.learn.SwitchingStream.Spec;
import dev.auramoe.cli.learn.SwitchingStream.Task;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SwitchingStreamTest {

  private static Spec spec(Task task, int dwell, Offset offset, int ramp, boolean recurring, long seed) {
    return new Spec(task, 6, 4, dwell, offset, 0.1, ramp, recurring, 3, 100_000, seed);
  }

  /** Every input, target and regime of n instances, as one string. */
  private static String trace(SwitchingStream s, int n) {
    StringBuilder b = new StringBuilder();
    float[] x = new float[s.spec().inputs()];
    for (int t = 0; t < n; t++) {
      int r = s.next(x);
      b.append(r).append(':').append(s.target()).append(java.util.Arrays.toString(x)).append('\n');
    }
    return b.toString();
  }

  @Test
  void theSameSeedGivesTheSameStreamAndAnotherSeedAnother() {
    Spec a = spec(Task.REGRESSION, 20, Offset.WEAK, 5, true, 7);
    assertThat(trace(new SwitchingStream(a), 2_000)).isEqualTo(trace(new SwitchingStream(a), 2_000));
    assertThat(trace(new SwitchingStream(a), 2_000))
        .isNotEqualTo(trace(new SwitchingStream(spec(Task.REGRESSION, 20, Offset.WEAK, 5, true, 8)), 2_000));
  }

  @Test
  void dwellTimesAreGeometricWithTheMeanAndAlwaysChangeTheRegime() {
    SwitchingStream s = new SwitchingStream(spec(Task.REGRESSION, 50, Offset.NONE, 0, true, 1));
    float[] x = new float[6];
    int previous = s.next(x);
    int switches = 0;
    Set<Integer> regimes = new HashSet<>();
    int n = 200_000;
    for (int t = 1; t < n; t++) {
      int r = s.next(x);
      regimes.add(r);
      switches += r != previous ? 1 : 0;
      previous = r;
    }
    // Expected n / 50 = 4,000 switches; the standard deviation of the count is about 63.
    assertThat(switches).isBetween(3_700, 4_300);
    assertThat(regimes).containsExactlyInAnyOrder(0, 1, 2, 3);
    assertThat(s.regimesDrawn()).isEqualTo(4);
  }

  @Test
  void freshRegimesNeverComeBack() {
    SwitchingStream s = new SwitchingStream(spec(Task.REGRESSION, 20, Offset.STRONG, 0, false, 3));
    float[] x = new float[6];
    int previous = s.next(x);
    Set<Integer> left = new HashSet<>();
    for (int t = 1; t < 20_000; t++) {
      int r = s.next(x);
      if (r != previous) {
        assertThat(r).isGreaterThan(previous);
        left.add(previous);
      }
      assertThat(left).doesNotContain(r);
      previous = r;
    }
    assertThat(left.size()).isGreaterThan(800);
  }

  @Test
  void aRampMixesTheOldAndTheNewRegimeThenSettles() {
    int ramp = 100;
    SwitchingStream s = new SwitchingStream(spec(Task.REGRESSION, 2_000, Offset.NONE, ramp, true, 5));
    float[] x = new float[6];
    int current = s.next(x);
    int mixedSteps = 0;
    int t = 0;
    while (t < 400_000 && mixedSteps == 0) {
      int r = s.next(x);
      t++;
      if (r != current) {
        // The ramp's first half must show both regimes again and again.
        int old = current;
        int fromOld = 0;
        int fromNew = 1;
        for (int i = 1; i < ramp / 2; i++) {
          int q = s.next(x);
          fromOld += q == old ? 1 : 0;
          fromNew += q == r ? 1 : 0;
          assertThat(q).isIn(old, r);
        }
        assertThat(fromOld).isGreaterThan(5);
        assertThat(fromNew).isGreaterThan(5);
        mixedSteps = fromOld + fromNew;
      }
    }
    assertThat(mixedSteps).as("a switch happened").isPositive();
  }

  @Test
  void classesAreTheArgmaxOfTheMapAndAllOccur() {
    SwitchingStream s = new SwitchingStream(spec(Task.CLASSIFICATION, 50, Offset.WEAK, 0, true, 9));
    float[] x = new float[6];
    int[] counts = new int[3];
    for (int t = 0; t < 10_000; t++) {
      s.next(x);
      double c = s.target();
      assertThat(c).isIn(0.0, 1.0, 2.0);
      counts[(int) c]++;
    }
    assertThat(java.util.Arrays.stream(counts).boxed().toList()).allSatisfy(c -> assertThat(c).isGreaterThan(500));
  }

  @Test
  void offsetsSetTheRegimesInputMeans() {
    for (Offset o : Offset.values()) {
      SwitchingStream s = new SwitchingStream(new Spec(Task.REGRESSION, 1, 2, 100, o, 0.1, 0, true, 3, 1, 11));
      float[] x = new float[1];
      double[] sum = new double[2];
      int[] n = new int[2];
      for (int t = 0; t < 50_000; t++) {
        int r = s.next(x);
        sum[r] += x[0];
        n[r]++;
      }
      double gap = Math.abs(sum[0] / n[0] - sum[1] / n[1]);
      if (o == Offset.NONE) {
        assertThat(gap).as(o.name()).isLessThan(0.05);
      } else {
        assertThat(gap).as(o.name()).isGreaterThan(0.05);
      }
    }
  }

  @Test
  void badParametersAreRefusedByName() {
    assertThatThrownBy(() -> new Spec(Task.REGRESSION, 4, 1, 10, Offset.NONE, 0.1, 0, true, 3, 100, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("regimes >= 2");
    assertThatThrownBy(() -> new Spec(Task.REGRESSION, 4, 2, 10, Offset.NONE, Double.NaN, 0, true, 3, 100, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("noise");
  }
}
