package dev.auramoe.stream.io;

import java.io.IOException;
import java.io.Reader;

/**
 * Reads physical lines ({@code \n}, {@code \r\n} or {@code \r}) into one reused, growing buffer and
 * counts them, so that line numbers are exact and a line costs no allocation.
 */
final class LineReader extends ChunkedText {

  private char[] text = new char[256];
  private int length;

  /** @param source the name that read errors give, with the line reached */
  LineReader(Reader in, String source) {
    super(in, source);
  }

  /** Reads the next line; false at the end of input. A leading byte-order mark is dropped. */
  boolean next() throws IOException {
    length = 0;
    boolean any = false;
    while (true) {
      if (pos == limit && !fill()) {
        if (any) {
          line++;
        }
        return any;
      }
      any = true;
      char c = chunk[pos++];
      if (c == '\n') {
        break;
      }
      if (c == '\r') {
        skipLinefeedAfterReturn();
        break;
      }
      if (c == '\uFEFF' && line == 0 && length == 0) {
        continue;
      }
      if (length == text.length) {
        text = java.util.Arrays.copyOf(text, text.length * 2);
      }
      text[length++] = c;
    }
    line++;
    return true;
  }

  /** The current line's characters in {@code buffer()[0, length())}. */
  char[] buffer() {
    return text;
  }

  int length() {
    return length;
  }

  @Override
  String where() {
    return String.format(java.util.Locale.ROOT, ", at character %,d of the line", length + 1);
  }

  /** 1-based number of the current line. */
  long lineNumber() {
    return line;
  }
}
