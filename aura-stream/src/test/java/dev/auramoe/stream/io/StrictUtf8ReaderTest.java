package dev.auramoe.stream.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Strict UTF-8 decoding: the same text as the JDK's for valid input, at any buffer size; bad bytes where they are. */
class StrictUtf8ReaderTest {

  private static String readAll(byte[] bytes, int bufferSize, int readSize) throws IOException {
    StringBuilder sb = new StringBuilder();
    try (StrictUtf8Reader r = new StrictUtf8Reader(new ByteArrayInputStream(bytes), bufferSize)) {
      char[] buf = new char[readSize];
      int n;
      while ((n = r.read(buf, 0, buf.length)) >= 0) {
        sb.append(buf, 0, n);
      }
    }
    return sb.toString();
  }

  @Test
  void validTextReadsBackWhereverBufferBoundariesCutItsSequences() throws IOException {
    SplittableRandom rnd = new SplittableRandom(3);
    int[] codePoints = {'a', ',', '\n', 0xE9, 0x20AC, 0x4E2D, 0x1F600, 0xFEFF};
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 2_000; i++) {
      sb.appendCodePoint(codePoints[rnd.nextInt(codePoints.length)]);
    }
    String text = sb.toString();
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    for (int bufferSize : new int[] {4, 5, 6, 7, 13, 64, 1 << 16}) {
      for (int readSize : new int[] {2, 3, 17, 1 << 14}) {
        assertThat(readAll(bytes, bufferSize, readSize)).as("buffer %d, reads of %d", bufferSize, readSize)
            .isEqualTo(text);
      }
    }
    assertThat(readAll(new byte[0], 4, 8)).isEmpty();
    assertThatThrownBy(() -> new StrictUtf8Reader(new ByteArrayInputStream(bytes), 3))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theCharsBeforeBadBytesComeFirstAndTheNextReadNamesTheirOffset() throws IOException {
    byte[] bytes = {'a', 'b', (byte) 0xFF, 'c'};
    try (StrictUtf8Reader r = new StrictUtf8Reader(new ByteArrayInputStream(bytes), 8)) {
      char[] buf = new char[16];
      assertThat(r.read(buf, 0, 16)).isEqualTo(2);
      assertThat(new String(buf, 0, 2)).isEqualTo("ab");
      assertThatThrownBy(() -> r.read(buf, 0, 16)).isInstanceOf(StrictUtf8Reader.InvalidUtf8Exception.class)
          .hasMessage("not UTF-8: invalid byte 0xFF at byte offset 2");
      assertThatThrownBy(() -> r.read(buf, 0, 16)).as("and every read after it")
          .isInstanceOf(StrictUtf8Reader.InvalidUtf8Exception.class);
    }
    // A sequence cut by the end of the input, past a refill of the buffer.
    byte[] cut = "0123456789\u20ac".getBytes(StandardCharsets.UTF_8);
    byte[] truncated = java.util.Arrays.copyOf(cut, cut.length - 1);
    assertThatThrownBy(() -> readAll(truncated, 4, 64)).isInstanceOf(StrictUtf8Reader.InvalidUtf8Exception.class)
        .hasMessage("not UTF-8: invalid bytes 0xE2 0x82 at byte offset 10");
    // An encoded surrogate (CESU-8) is not UTF-8 either.
    byte[] surrogate = {(byte) 0xED, (byte) 0xA0, (byte) 0x80};
    assertThatThrownBy(() -> readAll(surrogate, 4, 8)).isInstanceOf(StrictUtf8Reader.InvalidUtf8Exception.class);
  }
}
