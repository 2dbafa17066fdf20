package dev.auramoe.stream.gen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** LED: noise-free digits decode through the seven-segment table, segment noise, swapped columns. */
class LedGeneratorTest {

  /** Segments top, upper-left, upper-right, middle, lower-left, lower-right, bottom, as strings per digit. */
  private static final String[] DISPLAY = {
    "1110111", "0010010", "1011101", "1011011", "0111010", "1101011", "1101111", "1010010", "1111111", "1111011"
  };

  private static int decode(double[] r, int[] columns) {
    StringBuilder s = new StringBuilder();
    for (int seg = 0; seg < 7; seg++) {
      s.append((int) r[columns[seg]]);
    }
    for (int d = 0; d < 10; d++) {
      if (DISPLAY[d].contentEquals(s)) {
        return d;
      }
    }
    return -1;
  }

  @Test
  void noiseFreeInstancesDecodeToTheirClass() throws Exception {
    int[] digits = new int[10];
    int[] ones = new int[24];
    int n = 20_000;
    for (double[] r : GeneratorContractTest.take(new LedGenerator(0.0, 0, 4), n)) {
      assertThat(decode(r, new int[] {0, 1, 2, 3, 4, 5, 6})).isEqualTo((int) r[24]);
      digits[(int) r[24]]++;
      for (int j = 0; j < 24; j++) {
        ones[j] += (int) r[j];
      }
    }
    for (int d = 0; d < 10; d++) {
      assertThat(digits[d] / (double) n).isCloseTo(0.1, within(0.01));
    }
    for (int j = 7; j < 24; j++) {
      assertThat(ones[j] / (double) n).as("irrelevant column %d", j).isCloseTo(0.5, within(0.02));
    }
  }

  @Test
  void eachSegmentIsFlippedWithTheNoiseProbability() throws Exception {
    int flips = 0;
    int n = 100_000;
    for (double[] r : GeneratorContractTest.take(new LedGenerator(0.1, 0, 8), n)) {
      String lit = DISPLAY[(int) r[24]];
      for (int seg = 0; seg < 7; seg++) {
        if (r[seg] != lit.charAt(seg) - '0') {
          flips++;
        }
      }
    }
    assertThat(flips / (7.0 * n)).isCloseTo(0.1, within(0.003));
  }

  @Test
  void driftSwapsTheFirstSegmentsWithTheFirstIrrelevantColumns() throws Exception {
    LedGenerator g = new LedGenerator(0.0, 3, 6);
    int[] columns = new int[7];
    for (int seg = 0; seg < 7; seg++) {
      columns[seg] = g.segmentColumn(seg);
    }
    assertThat(columns).containsExactly(7, 8, 9, 3, 4, 5, 6);
    for (double[] r : GeneratorContractTest.take(g, 5000)) {
      assertThat(decode(r, columns)).isEqualTo((int) r[24]);
    }
    int undecodable = 0;
    for (double[] r : GeneratorContractTest.take(new LedGenerator(0.0, 3, 6), 5000)) {
      if (decode(r, new int[] {0, 1, 2, 3, 4, 5, 6}) != (int) r[24]) {
        undecodable++;
      }
    }
    assertThat(undecodable).as("rows that the unswapped columns no longer decode").isGreaterThan(3000);
  }

  @Test
  void badParametersAreRefused() {
    assertThatThrownBy(() -> new LedGenerator(0.1, 8, 1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0..7");
    assertThatThrownBy(() -> new LedGenerator(-1, 0, 1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("noise");
  }
}
