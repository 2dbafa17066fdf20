package dev.auramoe.stream.io;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What a message may show of a file's text. */
class PrintableTest {

  @Test
  void plainTextAndPairedSurrogatesStayAsTheyAre() {
    assertThat(Printable.of("caf\u00e9 \ud83d\ude00 ok")).isEqualTo("caf\u00e9 \ud83d\ude00 ok");
    assertThat(Printable.quoted("x")).isEqualTo("'x'");
  }

  @Test
  void controlFormatAndSeparatorCharactersAndLoneSurrogatesAreEscaped() {
    assertThat(Printable.of("a\tb\nc\rd\u0000e\u007ff\u0085g\u200bh\u202ei\u2028j\ud800k\udc00"))
        .isEqualTo("a\\tb\\nc\\rd\\u0000e\\u007ff\\u0085g\\u200bh\\u202ei\\u2028j\\ud800k\\udc00");
  }

  @Test
  void longTextIsCutWithItsLengthAndNeverInsideAPair() {
    String s = "a".repeat(Printable.MAX_CHARS - 1) + "\ud83d\ude00" + "b".repeat(50);
    String shown = Printable.of(s);
    assertThat(shown).isEqualTo("a".repeat(Printable.MAX_CHARS - 1) + "... (" + s.length() + " characters)");
    char[] buf = ("xx" + "y".repeat(200)).toCharArray();
    assertThat(Printable.of(buf, 2, 202)).endsWith("... (200 characters)").startsWith("yyy");
  }
}
