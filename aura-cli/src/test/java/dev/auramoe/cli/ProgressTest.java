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
      }
    }
    String log = bytes.toString(StandardCharsets.UTF_8);
    assertThat(log).doesNotContain("\r").doesNotContain("\u001b").endsWith("\n");
    assertThat(log.lines().count()).isBetween(1L, 10L);
    assertThat(log.lines().toList()).last().asString().startsWith("demo: 100% (1,000 of 1,000 steps, ");
  }

  @Test
  void plainLinesComeOncePerTenthOfAKnownTotal() {
    Progress.PlainLines p = new Progress.PlainLines("demo", "");
    assertThat(p.line(50, 1000, true, 0.5)).isEmpty();
    assertThat(p.line(100, 1000, true, 1.0)).isEqualTo("demo: 10% (100 of 1,000 steps, 1.0 s)");
    assertThat(p.line(150, 1000, true, 1.5)).as("the same tenth again").isEmpty();
    assertThat(p.line(1000, 1000, false, 9.0)).isEqualTo("demo: 100% (1,000 of 1,000 steps, 9.0 s)");
  }

  @Test
  void withoutATotalALineComesAfterTenSecondsThenAtEachDoubling() {
    Progress.PlainLines p = new Progress.PlainLines("stream", " inst");
    assertThat(p.line(1_000, -1, true, 9.9)).isEmpty();
    assertThat(p.line(10_000, -1, true, 10.0)).isEqualTo("stream: 10,000 inst after 10 s (1,000 inst/s)");
    assertThat(p.line(15_000, -1, true, 15.0)).isEmpty();
    assertThat(p.line(40_000, -1, true, 20.0)).isEqualTo("stream: 40,000 inst after 20 s (2,000 inst/s)");
    assertThat(p.line(50_000, -1, true, 39.0)).isEmpty();
    assertThat(p.line(90_000, -1, true, 45.0)).as("40 s passed").startsWith("stream: 90,000 inst after 45 s");
    assertThat(p.line(99_000, -1, false, 99.0)).as("the closing render of such a run").isEmpty();
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
