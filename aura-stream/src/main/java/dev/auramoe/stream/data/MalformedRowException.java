package dev.auramoe.stream.data;

import java.io.IOException;

/** A row of an input file that cannot be read as an instance of its schema. */
public final class MalformedRowException extends IOException {

  private static final long serialVersionUID = 1L;

  private final String source;
  private final long line;
  private final String reason;

  public MalformedRowException(String source, long line, String reason) {
    super(source + ":" + line + ": " + reason);
    this.source = source;
    this.line = line;
    this.reason = reason;
  }

  /** The file (or other source) name. */
  public String source() {
    return source;
  }

  /** The 1-based line number. */
  public long line() {
    return line;
  }

  /** What is wrong with the row, without the location. */
  public String reason() {
    return reason;
  }
}
