package dev.auramoe.cli.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.text.Texts;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FortuneFilesTest {

  @TempDir
  Path dir;

  private Path write(String name, String content) throws Exception {
    return Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
  }

  @Test
  void quotesAreSeparatedByPercentLinesAndTrimmed() throws Exception {
    Path f = write("cats", "The first\nquote.\n\t\t-- Someone\n%\n  second  \n%\n%\n\n%\nlast, with no % after it\n");
    assertThat(FortuneFiles.quotes(f)).containsExactly("The first\nquote.\n\t\t-- Someone", "second",
        "last, with no % after it");
  }

  @Test
  void windowsLineEndsAndAPercentInsideALineAreNoSeparators() throws Exception {
    Path f = write("x", "100% sure\r\n%\r\nnext\r\n");
    assertThat(FortuneFiles.quotes(f)).containsExactly("100% sure", "next");
  }

  @Test
  void overstruckCharactersBecomeTheOnePrintedLast() throws Exception {
    Path f = write("x", "`_\bn+1' tasks and B\bBo\bol\bld\n%\n");
    assertThat(FortuneFiles.quotes(f)).containsExactly("`n+1' tasks and Bold");
  }

  @Test
  void everyFileIsACategoryButIndexesHiddenFilesAndFoldersAreNot() throws Exception {
    write("dogs", "woof\n%\nbark\n");
    write("cats", "meow\n");
    write("cats.dat", "binary index");
    write(".hidden", "no\n");
    write("empty", "\n%\n%\n");
    Files.createDirectory(dir.resolve("off"));
    Files.writeString(dir.resolve("off/rude"), "no\n");
    Corpus c = FortuneFiles.read(dir);
    assertThat(c.categories()).containsExactly("cats", "dogs");
    assertThat(c.texts()).containsExactly("meow", "woof", "bark");
    assertThat(c.labels()).containsExactly(0, 1, 1);
  }

  @Test
  void aU8LinkToTheSameFileIsReadOnceAndADifferentU8CopyIsPreferred() throws Exception {
    write("linked", "one\n");
    Files.createSymbolicLink(dir.resolve("linked.u8"), dir.resolve("linked"));
    write("latin", "caf\u00e9?\n"); // stands for a file in another encoding
    write("latin.u8", "caf\u00e9\n");
    write("only.u8", "alone\n");
    Corpus c = FortuneFiles.read(dir);
    assertThat(c.categories()).containsExactly("latin", "linked", "only");
    assertThat(c.texts()).containsExactly("caf\u00e9", "one", "alone");
  }

  @Test
  void invalidUtf8IsRefusedNamingTheFileAndLine() throws Exception {
    Path f = dir.resolve("bad");
    Files.write(f, new byte[] {'o', 'k', '\n', '%', '\n', 'c', 'a', 'f', (byte) 0xE9, '\n'});
    assertThatThrownBy(() -> FortuneFiles.read(dir)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(f + ":3: not valid UTF-8");
  }

  @Test
  void aQuoteTheEncoderWouldRefuseIsNamedByFileAndLine() throws Exception {
    Path f = write("x", "fine\n%\n" + "long ".repeat(Texts.MAX_CHARS / 5 + 1) + "\n");
    assertThatThrownBy(() -> FortuneFiles.read(dir)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(f + ":3: the quote starting here: text is ")
        .hasMessageContaining("over the limit");
  }

  @Test
  void aMissingDirectoryOrOneWithNoQuoteIsRefused() throws Exception {
    assertThatThrownBy(() -> FortuneFiles.read(dir.resolve("nope"))).isInstanceOf(IllegalArgumentException.class)
        .hasMessage(dir.resolve("nope") + ": no such directory");
    write("blank", "%\n\n%\n");
    assertThatThrownBy(() -> FortuneFiles.read(dir)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no fortune-format file with a quote in it");
  }
}
