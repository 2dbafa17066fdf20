package dev.auramoe.stream.io;

import java.io.IOException;
import java.io.Reader;

/**
 * Reads physical lines ({@code \n}, {@code \r\n} or {@code \r}) into one reused, growing buffer and
 * counts them, so that line numbers are exact and a line costs no allocation.
 */
final class LineReader implements AutoCloseable {

  private final Reader in;
  private final String source;
  private final char[] chunk = new char[1 << 14];
  private int pos;
  private int limit;
  private char[] line = new char[256];
  private int length;
  private long number;
  private boolean eof;

  /** @param source the name that read errors give, with the line reached */
  LineReader(Reader in, String source) {
    this.in = in;
    this.source = source;
  }

  /** Reads the next line; false at the end of input. A leading byte-order mark is dropped. */
  boolean next() throws IOException {
    length = 0;
    boolean any = false;
    while (true) {
      if (pos == limit && !fill()) {
        if (any) {
          number++;
        }
        return any;
      }
      any = true;
      char c = chunk[pos++];
      if (c == '\n') {
        break;
      }
      if (c == '\r') {
        if (pos == limit) {
          fill();
        }
        if (pos < limit && chunk[pos] == '\n') {
          pos++;
        }
        break;
      }
      if (c == '\uFEFF' && number == 0 && length == 0) {
        continue;
      }
      if (length == line.length) {
        line = java.util.Arrays.copyOf(line, line.length * 2);
      }
      line[length++] = c;
    }
    number++;
    return true;
  }

  private boolean fill() throws IOException {
    if (eof) {
      return false;
    }
    int n;
    try {
      do {
        n = in.read(chunk, 0, chunk.length);
      } while (n == 0);
    } catch (IOException e) {
      throw Inputs.atLine(e, source, number + 1);
    }
    if (n < 0) {
      eof = true;
      pos = limit = 0;
      return false;
    }
    pos = 0;
    limit = n;
    return true;
  }

  /** The current line's characters in {@code buffer()[0, length())}. */
  char[] buffer() {
    return line;
  }

  int length() {
    return length;
  }

  /** 1-based number of the current line. */
  long lineNumber() {
    return number;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
