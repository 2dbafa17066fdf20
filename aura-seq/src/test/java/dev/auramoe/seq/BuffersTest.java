package dev.auramoe.seq;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BuffersTest {

  /** The tiled transpose puts every value where the definition does, at sizes across and between tiles. */
  @ParameterizedTest(name = "{0} x {1}")
  @CsvSource({"1, 1", "1, 40", "40, 1", "31, 33", "32, 32", "33, 65", "100, 3", "257, 64"})
  void transposesAtEverySize(int rows, int cols) {
    float[] m = new float[rows * cols];
    for (int i = 0; i < m.length; i++) {
      m[i] = i + 0.5f;
    }
    float[] t = Buffers.transpose(m, rows, cols, new float[1]);
    assertThat(t.length).isGreaterThanOrEqualTo(rows * cols);
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        assertThat(t[j * rows + i]).as("(%d, %d)", i, j).isEqualTo(m[i * cols + j]);
      }
    }
    float[] reuse = new float[rows * cols + 7];
    assertThat(Buffers.transpose(m, rows, cols, reuse)).isSameAs(reuse);
  }
}
