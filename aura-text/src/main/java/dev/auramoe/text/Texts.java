package dev.auramoe.text;

import dev.auramoe.TextEmbedder;
import dev.auramoe.io.Utf8;

/**
 * The checks every text passes before it is tokenised or embedded, in one place for every way a
 * text comes in (the encoder, and readers of bytes such as files and request bodies): a text is
 * refused with an {@link IllegalArgumentException} naming what is wrong, and nothing else happens.
 *
 * <p>A text must be non-null, not blank, at most {@link #MAX_CHARS} UTF-16 chars long, and valid
 * UTF-16 (no unpaired surrogate: such a text has no UTF-8 form, and the tokenizer would otherwise
 * see a replacement character where the caller's text had something else).
 */
public final class Texts {

  /**
   * The longest text accepted, in UTF-16 chars (1 MiB of chars, about 200,000 English words): far
   * beyond anything a sentence encoder reads (it sees 128 tokens), small enough that a text's token
   * ids and its tokenisation stay bounded in memory and time.
   */
  public static final int MAX_CHARS = 1 << 20;

  private Texts() {}

  /**
   * Returns {@code text} when it is acceptable.
   *
   * @throws IllegalArgumentException when it is null, empty, blank, longer than {@link #MAX_CHARS}
   *     or holds an unpaired surrogate
   */
  public static String check(String text) {
    if (text == null) {
      throw new IllegalArgumentException("text is null");
    }
    if (text.isEmpty()) {
      throw new IllegalArgumentException("text is empty");
    }
    if (text.length() > MAX_CHARS) {
      throw new IllegalArgumentException("text is " + text.length() + " chars long, over the limit of " + MAX_CHARS
          + " chars (1 MiB)");
    }
    if (text.isBlank()) {
      throw new IllegalArgumentException("text is blank (only white space)");
    }
    int bad = TextEmbedder.unpairedSurrogate(text);
    if (bad >= 0) {
      throw new IllegalArgumentException(String.format(
          "text has an unpaired surrogate U+%04X at char %d: it is not valid UTF-16 and has no UTF-8 form",
          (int) text.charAt(bad), bad));
    }
    return text;
  }

  /**
   * Decodes UTF-8 bytes strictly and checks the text: malformed or truncated sequences are refused
   * rather than replaced with U+FFFD, so that what is embedded is what was sent.
   *
   * @throws IllegalArgumentException when the bytes are null, not valid UTF-8, or the text fails
   *     {@link #check}
   */
  public static String decodeUtf8(byte[] bytes) {
    if (bytes == null) {
      throw new IllegalArgumentException("text is null");
    }
    // Checked before decoding so that megabytes of bytes are not turned into a string to be refused.
    if (bytes.length > 4L * MAX_CHARS) {
      throw new IllegalArgumentException("text is " + bytes.length + " bytes long, over the limit of " + MAX_CHARS
          + " chars (1 MiB)");
    }
    return check(Utf8.decodeStrictly(bytes, (at, length) -> new IllegalArgumentException("text is not valid UTF-8: "
        + "malformed sequence of " + length + " byte(s) at byte " + at)));
  }
}
