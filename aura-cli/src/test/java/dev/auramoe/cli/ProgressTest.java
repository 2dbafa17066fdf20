package dev.auramoe.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import me.tongfei.progressbar.ProgressBar;
import org.junit.jupiter.api.Test;

/** Progress in a log is a few plain lines; on a terminal, a bar redrawn in place. */
class ProgressTest {

  @Test
  void withoutATerminalProgressIsAFewPlainLinesNotFrames() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    try (ProgressBar pb = Progress.bar("demo", 1000, "", err, false)) {
      for (int i = 0; i < 1000; i++) {
        pb.step();
        if (i % 250 == 0) {
          Thread.sleep(1100);
        }
      }
    }
    String log = bytes.toString(StandardCharsets.UTF_8);
    assertThat(log).doesNotContain("\r").doesNotContain("\u001b").endsWith("\n");
    assertThat(log.lines().count()).isBetween(1L, 10L);
    assertThat(log.lines().toList()).last().asString().startsWith("demo: 100% (1,000 of 1,000 steps, ");
  }

  @Test
  void onATerminalTheBarIsRedrawnInPlace() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    try (ProgressBar pb = Progress.bar("demo", 100, "", err, true)) {
      pb.stepTo(100);
    }
    assertThat(bytes.toString(StandardCharsets.UTF_8)).contains("\r").contains("100%");
  }

  @Test
  void aRunOfUnknownLengthIsSilentInALogUntilItTakesAWhile() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    try (ProgressBar pb = Progress.bar("stream", -1, " inst", err, false)) {
      for (int i = 0; i < 100_000; i++) {
        pb.stepTo(i);
      }
    }
    assertThat(bytes.toString(StandardCharsets.UTF_8)).as("no line before %d s", Progress.FIRST_LINE_SECONDS)
        .isEmpty();
  }
}
