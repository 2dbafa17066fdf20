package dev.auramoe.stream.io;

/**
 * File content made safe to quote in a message meant for a terminal or a log: a value read from a
 * file may hold an escape sequence that recolours or clears the terminal, a carriage return that
 * overwrites the line, bidirectional overrides that reorder what is shown, or a megabyte of text.
 *
 * <p>Control characters (C0, DEL, C1), format characters (bidirectional overrides, zero-width
 * characters), line and paragraph separators and unpaired surrogates are written as {@code \t},
 * {@code \n}, {@code \r} or {@code \}{@code uXXXX}; text longer than {@value #MAX_CHARS} characters
 * is cut there and its length said. Every message that quotes file content goes through here.
 */
public final class Printable {

  /** The most characters of a value a message shows. */
  public static final int MAX_CHARS = 80;

  private Printable() {}

  /** {@code s} escaped and, when long, shortened. */
  public static String of(CharSequence s) {
    return of(s, 0, s.length());
  }

  /** The characters {@code buf[from, to)} escaped and, when long, shortened. */
  public static String of(char[] buf, int from, int to) {
    return of(java.nio.CharBuffer.wrap(buf, from, to - from), 0, to - from);
  }

  /** {@code '} + {@link #of(CharSequence)} + {@code '}. */
  public static String quoted(CharSequence s) {
    return "'" + of(s) + "'";
  }

  /** {@code '} + {@link #of(char[], int, int)} + {@code '}. */
  public static String quoted(char[] buf, int from, int to) {
    return "'" + of(buf, from, to) + "'";
  }

  private static String of(CharSequence s, int from, int to) {
    int n = to - from;
    int shown = Math.min(n, MAX_CHARS);
    if (shown < n && Character.isHighSurrogate(s.charAt(from + shown - 1))) {
      shown--;
    }
    StringBuilder sb = null;
    for (int i = 0; i < shown; i++) {
      char c = s.charAt(from + i);
      boolean plain = !needsEscape(s, from, to, from + i, c);
      if (plain && sb == null) {
        continue;
      }
      if (sb == null) {
        sb = new StringBuilder(shown + 16).append(s, from, from + i);
      }
      if (plain) {
        sb.append(c);
      } else {
        switch (c) {
          case '\t' -> sb.append("\\t");
          case '\n' -> sb.append("\\n");
          case '\r' -> sb.append("\\r");
          default -> sb.append(String.format("\\u%04x", (int) c));
        }
      }
    }
    String text = sb == null ? s.subSequence(from, from + shown).toString() : sb.toString();
    return n > shown ? text + "... (" + String.format(java.util.Locale.ROOT, "%,d", n) + " characters)" : text;
  }

  private static boolean needsEscape(CharSequence s, int from, int to, int i, char c) {
    if (c < 0x20 || c >= 0x7f && c <= 0x9f) {
      return true;
    }
    if (c < 0x7f) {
      return false;
    }
    if (Character.isHighSurrogate(c)) {
      return i + 1 >= to || !Character.isLowSurrogate(s.charAt(i + 1));
    }
    if (Character.isLowSurrogate(c)) {
      return i == from || !Character.isHighSurrogate(s.charAt(i - 1));
    }
    int type = Character.getType(c);
    return type == Character.FORMAT || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR;
  }
}
