package dev.auramoe.cli;

import java.io.PrintStream;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.time.Duration;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarConsumer;
import me.tongfei.progressbar.ProgressBarRenderer;
import me.tongfei.progressbar.ProgressBarStyle;
import me.tongfei.progressbar.ProgressState;

/**
 * The commands' progress on stderr. On a terminal: an ASCII bar, at most 100 columns, with its
 * speed, redrawn in place. Otherwise (stderr redirected to a file, a pipe or a CI log, where every
 * redraw would be one more frame): a few plain lines, one per tenth of a known total, or after 10,
 * 20, 40, 80, ... seconds when the total is not known. {@code --no-progress} shows nothing at all.
 */
final class Progress {

  /** Seconds before the first plain line of a run whose total is not known; each next one doubles. */
  static final long FIRST_LINE_SECONDS = 10;

  private Progress() {}

  /**
   * @param task the name shown
   * @param max the total, or -1 when it is not known
   * @param unit the unit of the speed, e.g. " inst" (empty for steps)
   */
  static ProgressBar bar(String task, long max, String unit) {
    return bar(task, max, unit, System.err, stderrIsTerminal());
  }

  /** A progress bar on {@code err}: redrawn in place when it is a terminal, else a few plain lines. */
  static ProgressBar bar(String task, long max, String unit, PrintStream err, boolean terminal) {
    ProgressBarBuilder b = new ProgressBarBuilder().setTaskName(task).setInitialMax(max);
    if (!terminal) {
      return b.setUpdateIntervalMillis(1000).setRenderer(new PlainLines(task, unit))
          .setConsumer(new LineConsumer(err)).build();
    }
    b.setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(max < 0 ? 500 : 200).setMaxRenderedLength(100)
        .setConsumer(new ConsoleProgressBarConsumer(err)).showSpeed();
    if (!unit.isEmpty()) {
      b.setUnit(unit, 1);
    }
    return b.build();
  }

  /**
   * Whether stderr is a terminal: {@code isatty(2)} through the foreign function interface (the JDK
   * only tells whether stdin and stdout are). Where that cannot be called, whether the JVM has a
   * console.
   */
  static boolean stderrIsTerminal() {
    try {
      Linker linker = Linker.nativeLinker();
      MethodHandle isatty = linker.downcallHandle(linker.defaultLookup().find("isatty").orElseThrow(),
          FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
      return (int) isatty.invokeExact(2) == 1;
    } catch (Throwable t) {
      return System.console() != null;
    }
  }

  /** Renders a line only when the run has gone a tenth further (or, without a total, a while longer); else "". */
  static final class PlainLines implements ProgressBarRenderer {

    private final String task;
    private final String unit;
    private long tenthsShown;
    private long nextSeconds;

    PlainLines(String task, String unit) {
      this(task, unit, FIRST_LINE_SECONDS);
    }

    PlainLines(String task, String unit, long firstLineSeconds) {
      this.task = task;
      this.unit = unit.isEmpty() ? " steps" : unit;
      this.nextSeconds = firstLineSeconds;
    }

    @Override
    public String render(ProgressState s, int maxLength) {
      return line(s.getCurrent(), s.isIndefinite() ? -1 : s.getMax(), s.isAlive(),
          s.getElapsedAfterStart().toMillis() / 1000.0);
    }

    /**
     * The line for this state of the run, or "" when none is due.
     *
     * @param max the total, or -1 when it is not known
     * @param alive false once the run has ended (the closing render of a run without a total shows nothing)
     */
    String line(long current, long max, boolean alive, double seconds) {
      if (max > 0) {
        long tenths = Math.min(10, current * 10 / max);
        if (tenths <= tenthsShown) {
          return "";
        }
        tenthsShown = tenths;
        return String.format(Locale.ROOT, "%s: %d%% (%,d of %,d%s, %.1f s)", task, tenths * 10, current, max, unit,
            seconds);
      }
      if (seconds < nextSeconds || !alive) {
        return "";
      }
      while (nextSeconds <= seconds) {
        nextSeconds *= 2;
      }
      return String.format(Locale.ROOT, "%s: %,d%s after %.0f s (%,.0f%s/s)", task, current, unit, seconds,
          current / Math.max(seconds, 1e-9), unit);
    }
  }

  /** Prints each non-empty rendering as a line of its own. */
  private static final class LineConsumer implements ProgressBarConsumer {

    private final PrintStream out;

    LineConsumer(PrintStream out) {
      this.out = out;
    }

    @Override
    public int getMaxRenderedLength() {
      return 200;
    }

    @Override
    public void accept(String line) {
      if (!line.isEmpty()) {
        out.println(line);
        out.flush();
      }
    }

    @Override
    public void close() {
      out.flush();
    }
  }
}
