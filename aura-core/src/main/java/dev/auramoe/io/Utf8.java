package dev.auramoe.io;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Strict UTF-8 decoding of whole byte arrays, once for the project: the text module's checks, the
 * text benchmark's files and the service's request bodies. A malformed or truncated sequence is
 * refused, never replaced with U+FFFD, so that what is read is what was sent. (Streams read chunk by
 * chunk, as tabular files are, have their own reader in aura-stream.)
 */
public final class Utf8 {

  private Utf8() {}

  /** What a caller makes of an invalid sequence: the exception that names it its own way. */
  @FunctionalInterface
  public interface Invalid {

    /** The exception to throw for the invalid sequence of {@code length} bytes at byte {@code at}. */
    RuntimeException at(int at, int length);
  }

  /**
   * Decodes UTF-8 bytes strictly: the first malformed or truncated sequence throws what {@code invalid}
   * makes of it. Checks nothing else of the text.
   */
  public static String decodeStrictly(byte[] bytes, Invalid invalid) {
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    // UTF-8 never gives more chars than it has bytes (four bytes make at most a surrogate pair).
    CharBuffer out = CharBuffer.allocate(bytes.length);
    CoderResult r = decoder.decode(in, out, true);
    if (!r.isError()) {
      r = decoder.flush(out);
    }
    if (r.isError()) {
      throw invalid.at(in.position(), r.length());
    }
    return out.flip().toString();
  }
}
