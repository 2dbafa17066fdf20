package dev.auramoe.cli.text;

import dev.auramoe.cli.Charts;
import dev.auramoe.cli.OutputPaths;
import dev.auramoe.cli.text.TextBench.Result;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The pictures of a {@code text-bench} run: {@value #CURVES}, the learning curves of every contestant
 * (accuracy over a moving window) over the cumulative regret of those that learn from feedback only;
 * {@value #CONFUSION}, the confusion matrices of the chosen contestants, one under the other.
 */
public final class TextBenchPlot {

  /** The learning curves file. */
  public static final String CURVES = "text-curves.png";

  /** The confusion matrices file. */
  public static final String CONFUSION = "text-confusion.png";

  /** Points per curve. */
  static final int POINTS = 200;

  /** The most categories whose confusion cells are labelled with their value (more would not be read). */
  static final int MAX_LABELLED_CATEGORIES = 12;

  /** White (none) to dark blue (all of a category's quotes): ColorBrewer's sequential Blues. */
  private static final Color[] BLUES = {new Color(0xF7FBFF), new Color(0xC6DBEF), new Color(0x6BAED6),
      new Color(0x2171B5), new Color(0x08306B)};

  /** Pixels per category of a confusion matrix: room for every category's label on the y axis. */
  private static final int ROW_HEIGHT = 40;

  private static final int W = 1100;
  private static final int H = 600;

  private TextBenchPlot() {}

  /**
   * Writes {@value #CURVES} and {@value #CONFUSION} into a directory (created if missing; its parent
   * exists, see {@link OutputPaths}).
   *
   * @param confusion the results whose confusion matrices are drawn
   * @return the files written
   */
  public static List<Path> write(List<Result> results, List<Result> confusion, List<String> categories, Path dir)
      throws IOException {
    System.setProperty("java.awt.headless", "true");
    OutputPaths.createDirectory(dir);
    List<XYChart> curves = new ArrayList<>();
    curves.add(learningCurves(results));
    if (results.stream().anyMatch(Result::bandit)) {
      curves.add(regret(results));
    }
    List<HeatMapChart> maps = new ArrayList<>();
    for (Result r : confusion) {
      maps.add(confusion(r, categories));
    }
    return List.of(Charts.savePng(dir.resolve(CURVES), curves), Charts.savePng(dir.resolve(CONFUSION), maps));
  }

  static XYChart learningCurves(List<Result> results) {
    int window = results.isEmpty() ? 0 : Math.min(TextBench.CURVE_WINDOW, results.getFirst().score().count());
    XYChart c = new XYChartBuilder().width(W).height(H)
        .title(String.format(Locale.ROOT, "Learning curves: accuracy over the last %,d quotes (prequential)", window))
        .xAxisTitle("quotes seen").yAxisTitle("accuracy").build();
    style(c);
    c.getStyler().setYAxisMin(0.0);
    int k = 0;
    for (Result r : results) {
      double[][] curve = r.score().curve(TextBench.CURVE_WINDOW, POINTS);
      Charts.distinct(c.addSeries(r.entry().name(), curve[0], curve[1]), k++).setMarker(SeriesMarkers.NONE);
    }
    return c;
  }

  /** The cumulative regret of the contestants that never see the categories, in their colours above. */
  static XYChart regret(List<Result> results) {
    XYChart c = new XYChartBuilder().width(W).height(H)
        .title("Cumulative regret of feedback learning (first choices that missed the category)")
        .xAxisTitle("quotes seen").yAxisTitle("cumulative regret").build();
    style(c);
    for (int k = 0; k < results.size(); k++) {
      Result r = results.get(k);
      if (r.bandit()) {
        double[][] curve = r.score().regretCurve(POINTS);
        Charts.distinct(c.addSeries(r.entry().name(), curve[0], curve[1]), k).setMarker(SeriesMarkers.NONE);
      }
    }
    return c;
  }

  /** A confusion matrix as the share of each category's quotes (rows) routed to each category (columns). */
  static HeatMapChart confusion(Result r, List<String> categories) {
    long[][] m = r.score().confusion();
    int n = categories.size();
    HeatMapChart c = new HeatMapChartBuilder().width(W).height(Math.max(H, 200 + ROW_HEIGHT * n))
        .title(String.format(Locale.ROOT, "%s: share of each category's quotes routed to each (accuracy %.3f)",
            r.entry().name(), r.score().accuracy()))
        .xAxisTitle("routed to").yAxisTitle("category").build();
    c.getStyler().setMin(0.0);
    c.getStyler().setMax(1.0);
    c.getStyler().setRangeColors(BLUES);
    c.getStyler().setShowValue(n <= MAX_LABELLED_CATEGORIES);
    c.getStyler().setHeatMapValueDecimalPattern("0.00");
    c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
    c.getStyler().setPlotGridLinesVisible(false);
    c.getStyler().setXAxisLabelRotation(45);
    // Every category labelled: XChart leaves out tick labels closer than its hint (74 px by default).
    c.getStyler().setYAxisTickMarkSpacingHint(ROW_HEIGHT / 2);
    c.getStyler().setXAxisTickMarkSpacingHint(Math.min(74, (W - 300) / Math.max(1, n) / 2));
    List<Number[]> cells = new ArrayList<>();
    for (int y = 0; y < n; y++) {
      long total = 0;
      for (long v : m[y]) {
        total += v;
      }
      for (int x = 0; x < n; x++) {
        // Top row first, as a confusion matrix is read: the heat map's y axis runs upwards.
        cells.add(new Number[] {x, n - 1 - y, total == 0 ? 0.0 : (double) m[y][x] / total});
      }
    }
    List<String> ys = new ArrayList<>(categories.reversed());
    c.addSeries("share", categories, ys, cells);
    return c;
  }

  private static void style(XYChart c) {
    c.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
    c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
    c.getStyler().setMarkerSize(0);
    c.getStyler().setXAxisDecimalPattern("#,###");
  }
}
