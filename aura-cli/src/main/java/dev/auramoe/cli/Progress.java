package dev.auramoe.cli;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** The commands' progress bar: ASCII, on stderr, at most 100 columns, with its speed. */
final class Progress {

  private Progress() {}

  /**
   * @param task the name shown
   * @param max the total, or -1 when it is not known
   * @param unit the unit of the speed, e.g. " inst" (empty for steps)
   */
  static ProgressBar bar(String task, long max, String unit) {
    ProgressBarBuilder b = new ProgressBarBuilder().setTaskName(task).setInitialMax(max)
        .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(max < 0 ? 500 : 200).setMaxRenderedLength(100)
        .setConsumer(new ConsoleProgressBarConsumer(System.err)).showSpeed();
    if (!unit.isEmpty()) {
      b.setUnit(unit, 1);
    }
    return b.build();
  }
}
