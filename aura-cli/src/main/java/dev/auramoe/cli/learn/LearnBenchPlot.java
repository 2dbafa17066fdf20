package dev.auramoe.cli.learn;

import dev.auramoe.cli.Charts;
import dev.auramoe.cli.OutputPaths;
import dev.auramoe.cli.learn.LearnBench.Row;
import dev.auramoe.cli.learn.SwitchingStream.Offset;
import dev.auramoe.cli.learn.SwitchingStream.Spec;
import dev.auramoe.cli.learn.SwitchingStream.Task;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * The picture of a {@code learn-bench} run: per task, a heat map of the median mixture/oracle over
 * mean dwell (x) and recurring regimes by input offset (y), the two axes along which the grid's
 * difficulty changes most. A cell holds every stream of its task, dwell, regimes and offset, whatever
 * its inputs, noise or transition; streams of fresh regimes have no number of regimes and are left
 * out. A cell no stream falls in (most of them under {@code --quick}) stays empty.
 */
public final class LearnBenchPlot {

  /** The file written into the plot directory. */
  public static final String FILE = "learn-grid.png";

  /** Ratios are coloured on a log scale from this (twice as good as the oracle, or better)... */
  static final double LOW = 0.5;

  /** ...to this, where the colour stops: a median at or beyond it reads as "lost". */
  static final double HIGH = 32;

  /** Bands of the colour scale: each a doubling, from {@value #LOW} to {@value #HIGH}. */
  private static final int BANDS = 6;

  /**
   * One colour per band, good (blue) through middling (pale) to bad (red): ColorBrewer's six-class
   * RdYlBu, readable with the common colour blindnesses.
   */
  private static final Color[] COLOURS = {new Color(0x4575B4), new Color(0x91BFDB), new Color(0xE0F3F8),
      new Color(0xFEE090), new Color(0xFC8D59), new Color(0xD73027)};

  private static final int W = 1100;
  private static final int H = 760;

  private LearnBenchPlot() {}

  /**
   * Writes {@value #FILE} into a directory (created if missing; its parent exists, see
   * {@link OutputPaths}): the regression heat map over the classification one.
   *
   * @return the file written
   */
  public static Path write(List<Row> rows, Path dir) throws IOException {
    System.setProperty("java.awt.headless", "true");
    OutputPaths.createDirectory(dir);
    List<HeatMapChart> charts = new ArrayList<>();
    for (Task task : Task.values()) {
      charts.add(heatMap(rows, task));
    }
    return Charts.savePng(dir.resolve(FILE), charts);
  }

  /**
   * The heat map of one task. The cells' values are {@code log10} of the median ratio clamped to
   * [{@value #LOW}, {@value #HIGH}], so that 1.5 and 3 differ as clearly as 10 and 20; the colour
   * scale is labelled with the ratios themselves.
   */
  static HeatMapChart heatMap(List<Row> rows, Task task) {
    List<String> xs = new ArrayList<>();
    for (int w : LearnBench.DWELLS) {
      xs.add(String.format(Locale.ROOT, "%,d", w));
    }
    List<String> ys = new ArrayList<>();
    for (int r : LearnBench.REGIMES) {
      for (Offset o : Offset.values()) {
        ys.add(r + " regimes, " + o.name().toLowerCase(Locale.ROOT));
      }
    }
    List<Number[]> cells = new ArrayList<>();
    int streams = 0;
    for (int x = 0; x < LearnBench.DWELLS.length; x++) {
      for (int r = 0; r < LearnBench.REGIMES.length; r++) {
        for (Offset o : Offset.values()) {
          double[] in = cell(rows, task, LearnBench.DWELLS[x], LearnBench.REGIMES[r], o);
          if (in.length > 0) {
            streams += in.length;
            double m = Math.min(HIGH, Math.max(LOW, LearnBench.median(in)));
            cells.add(new Number[] {x, r * Offset.values().length + o.ordinal(), Math.log10(m)});
          }
        }
      }
    }
    String name = task == Task.REGRESSION ? "Regression (MSE)" : "Classification (error rate)";
    HeatMapChart c = new HeatMapChartBuilder().width(W).height(H)
        .title(String.format(Locale.ROOT, "%s: median mixture/oracle, lower is better (%d streams)", name, streams))
        .xAxisTitle("mean dwell (instances between switches)").yAxisTitle("recurring regimes, input offset").build();
    // Bands of doubling ratios, labelled with the ratios themselves (the cells hold their logarithms).
    c.getStyler().setMin(Math.log10(LOW));
    c.getStyler().setMax(Math.log10(HIGH));
    c.getStyler().setPiecewise(true);
    c.getStyler().setPiecewiseRanged(true);
    c.getStyler().setSplitNumber(BANDS);
    c.getStyler().setRangeColors(COLOURS);
    c.getStyler().setShowValue(false);
    c.getStyler().setHeatMapDecimalValueFormatter(LearnBenchPlot::ratioLabel);
    c.getStyler().setChartTitleFont(c.getStyler().getChartTitleFont().deriveFont(15f));
    c.getStyler().setAxisTickLabelsFont(c.getStyler().getAxisTickLabelsFont().deriveFont(11f));
    c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
    c.getStyler().setPlotGridLinesVisible(false);
    c.addSeries("mixture/oracle", xs, ys, cells);
    return c;
  }

  /** A colour band's bound, given as its log10: the ratio, shortest (0.5, 2, 12). */
  static String ratioLabel(double log) {
    double v = Math.pow(10, log);
    return Math.abs(v - Math.rint(v)) < 1e-6 ? String.format(Locale.ROOT, "%.0f", v)
        : String.format(Locale.ROOT, "%.2g", v).replaceAll("0+$", "");
  }

  /** The mixture/oracle ratios of the streams of one cell. */
  private static double[] cell(List<Row> rows, Task task, int dwell, int regimes, Offset offset) {
    return rows.stream().filter(row -> {
      Spec s = row.spec();
      return s.task() == task && s.meanDwell() == dwell && s.recurring() && s.regimes() == regimes
          && s.offset() == offset;
    }).mapToDouble(Row::mixtureOverOracle).sorted().toArray();
  }
}
