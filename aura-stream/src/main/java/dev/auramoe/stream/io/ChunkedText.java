package dev.auramoe.stream.io;

import java.io.Closeable;
import java.io.IOException;
import java.io.Reader;

/**
 * A reader's characters in one reused chunk, refilled in place, with the count of physical lines
 * consumed: what {@link LineReader} and the CSV tokenizer share. Subclasses walk {@code chunk[pos,
 * limit)} themselves, so that the loop over the characters reads fields of one object; a read
 * failure names the source and the line being read, and bytes that are not UTF-8 ({@link
 * StrictUtf8Reader}) the line and the place on it ({@link #where()}).
 */
abstract class ChunkedText implements Closeable {

  /** The name that read errors give, with the line reached. */
  final String source;
  final char[] chunk = new char[1 << 14];
  int pos;
  int limit;
  /** Physical lines consumed so far. */
  long line;
  private final Reader in;
  private boolean eof;

  ChunkedText(Reader in, String source) {
    this.in = in;
    this.source = source;
  }

  /** The next character, or -1 at the end of input. */
  final int read() throws IOException {
    if (pos == limit && !fill()) {
      return -1;
    }
    return chunk[pos++];
  }

  /** After a {@code \r}: consumes the {@code \n} of a {@code \r\n}, so that it ends one line, not two. */
  final void skipLinefeedAfterReturn() throws IOException {
    if (pos == limit) {
      fill();
    }
    if (pos < limit && chunk[pos] == '\n') {
      pos++;
    }
  }

  /** Reads the next chunk into {@code chunk[0, limit)}; false at the end of input. */
  final boolean fill() throws IOException {
    if (eof) {
      return false;
    }
    int n;
    try {
      do {
        n = in.read(chunk, 0, chunk.length);
      } while (n == 0);
    } catch (StrictUtf8Reader.InvalidUtf8Exception e) {
      throw new IOException(source + ":" + (line + 1) + ": " + e.getMessage() + where()
          + "; the file must be UTF-8 (convert it, for example: iconv -f latin1 -t utf-8)", e);
    } catch (IOException e) {
      throw Inputs.atLine(e, source, line + 1);
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

  /**
   * Where on the line being read the next character falls, as {@code ", in ..."} text for an error
   * about it; empty when the subclass cannot tell.
   */
  String where() {
    return "";
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
