package dev.auramoe.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TextsTest {

  @Test
  void acceptsOrdinaryTextAndValidSurrogatePairs() {
    String text = "Routing à la carte \uD83D\uDE80 (a rocket, one surrogate pair)";
    assertThat(Texts.check(text)).isSameAs(text);
    assertThat(Texts.decodeUtf8(text.getBytes(StandardCharsets.UTF_8))).isEqualTo(text);
  }

  @Test
  void refusesMissingEmptyAndBlankText() {
    assertThatThrownBy(() -> Texts.check(null)).isInstanceOf(IllegalArgumentException.class).hasMessage("text is null");
    assertThatThrownBy(() -> Texts.check("")).isInstanceOf(IllegalArgumentException.class).hasMessage("text is empty");
    assertThatThrownBy(() -> Texts.check(" \t\n\u2003")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("blank");
    assertThatThrownBy(() -> Texts.decodeUtf8(null)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("text is null");
  }

  @Test
  void refusesTextOverTheLimitButNotAtIt() {
    String atLimit = "a".repeat(Texts.MAX_CHARS);
    assertThat(Texts.check(atLimit)).isSameAs(atLimit);
    assertThatThrownBy(() -> Texts.check(atLimit + "b")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining((Texts.MAX_CHARS + 1) + " chars").hasMessageContaining("limit");
    byte[] megabytes = new byte[4 * Texts.MAX_CHARS + 1];
    assertThatThrownBy(() -> Texts.decodeUtf8(megabytes)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bytes long").hasMessageContaining("limit");
  }

  @Test
  void refusesUnpairedSurrogatesWhereverTheyAre() {
    assertThatThrownBy(() -> Texts.check("ab\uD800cd")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unpaired surrogate U+D800 at char 2");
    assertThatThrownBy(() -> Texts.check("\uDC00 starts with a low surrogate"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("U+DC00 at char 0");
    assertThatThrownBy(() -> Texts.check("ends with a high surrogate \uD83D"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("U+D83D at char 27");
    assertThatThrownBy(() -> Texts.check("two highs \uD83D\uD83D\uDE80")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at char 10");
  }

  @Test
  void refusesInvalidUtf8NamingTheByte() {
    byte[] ok = "ok ".getBytes(StandardCharsets.UTF_8);
    // A lone continuation byte, a lead byte without its continuation, an overlong '/', an encoded
    // surrogate, and a sequence cut short at the end.
    byte[][] bad = {
        {(byte) 0x80}, {(byte) 0xC3, 0x28}, {(byte) 0xC0, (byte) 0xAF}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
        {(byte) 0xE2, (byte) 0x82}};
    for (byte[] tail : bad) {
      byte[] bytes = new byte[ok.length + tail.length];
      System.arraycopy(ok, 0, bytes, 0, ok.length);
      System.arraycopy(tail, 0, bytes, ok.length, tail.length);
      assertThatThrownBy(() -> Texts.decodeUtf8(bytes)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("text is not valid UTF-8").hasMessageContaining("at byte 3");
    }
  }
}
