package dev.auramoe.stream.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * UTF-8 decoding that refuses bytes that are not UTF-8 instead of replacing them with U+FFFD, and
 * refuses them where they are: the characters before them are returned first, and the next read
 * throws {@link InvalidUtf8Exception}. A reader that counts lines therefore knows the line of the
 * bad bytes exactly when the exception reaches it.
 *
 * <p>Replacement would be silent damage: two values of a Latin-1 file that differ in one accented
 * letter become the same value, and a text reaches the embedder with characters that were never in
 * the file.
 */
final class StrictUtf8Reader extends Reader {

  /** Bytes that are not UTF-8, with their offset in the (decompressed) input. */
  static final class InvalidUtf8Exception extends IOException {

    private static final long serialVersionUID = 1L;

    InvalidUtf8Exception(String message) {
      super(message);
    }
  }

  private final InputStream in;
  private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
      .onMalformedInput(CodingErrorAction.REPORT)
      .onUnmappableCharacter(CodingErrorAction.REPORT);
  private final ByteBuffer bytes;
  /** Bytes consumed from the input before the start of {@link #bytes}' array. */
  private long offset;
  private boolean eof;
  private boolean flushed;
  private InvalidUtf8Exception pending;
  /** The last caller's array, wrapped once: readers read into the same chunk again and again. */
  private char[] lastArray;
  private CharBuffer lastBuffer;

  /** @param bufferSize bytes read at a time, at least 4 (the longest UTF-8 sequence) */
  StrictUtf8Reader(InputStream in, int bufferSize) {
    if (bufferSize < 4) {
      throw new IllegalArgumentException("buffer of " + bufferSize + " bytes, less than a UTF-8 sequence's 4");
    }
    this.in = in;
    this.bytes = ByteBuffer.allocate(bufferSize);
    bytes.flip();
  }

  @Override
  public int read(char[] cbuf, int off, int len) throws IOException {
    if (pending != null) {
      throw pending;
    }
    if (len == 0) {
      return 0;
    }
    if (cbuf != lastArray) {
      lastArray = cbuf;
      lastBuffer = CharBuffer.wrap(cbuf);
    }
    CharBuffer out = lastBuffer;
    out.limit(off + len).position(off);
    while (true) {
      CoderResult r = flushed ? CoderResult.UNDERFLOW : decoder.decode(bytes, out, eof);
      int n = out.position() - off;
      if (r.isError()) {
        pending = invalid(r.length());
        if (n > 0) {
          return n;
        }
        throw pending;
      }
      if (r.isOverflow()) {
        if (n > 0) {
          return n;
        }
        throw new IOException("a read of " + len + " char is too small for a surrogate pair");
      }
      if (eof) {
        if (!flushed) {
          decoder.flush(out);
          flushed = true;
          n = out.position() - off;
        }
        return n > 0 ? n : -1;
      }
      if (n > 0) {
        return n;
      }
      refill();
    }
  }

  /** Moves the undecoded bytes to the front and reads more behind them; sets {@link #eof} at the end. */
  private void refill() throws IOException {
    offset += bytes.position();
    bytes.compact();
    try {
      int n = in.read(bytes.array(), bytes.position(), bytes.remaining());
      if (n < 0) {
        eof = true;
      } else {
        bytes.position(bytes.position() + n);
      }
    } finally {
      bytes.flip();
    }
  }

  private InvalidUtf8Exception invalid(int length) {
    StringBuilder shown = new StringBuilder();
    int at = bytes.position();
    for (int i = 0; i < length && at + i < bytes.limit(); i++) {
      shown.append(i == 0 ? "" : " ").append(String.format(Locale.ROOT, "0x%02X", bytes.get(at + i) & 0xff));
    }
    return new InvalidUtf8Exception(String.format(Locale.ROOT, "not UTF-8: invalid byte%s %s at byte offset %d",
        length == 1 ? "" : "s", shown, offset + at));
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
