package dev.auramoe.cli.demo;

import dev.auramoe.cli.Charts;
import dev.auramoe.cli.OutputPaths;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** PNG charts of a demo run, drawn headless with XChart. */
public final class DemoPlots {

  private static final int W = 1000;
  private static final int H = 560;

  private DemoPlots() {}

  /**
   * Writes {@code usage-over-time.png}, {@code usage-by-regime.png}, {@code tau-histogram.png} and
   * {@code error-curves.png} into a directory (created if missing; its parent exists, see
   * {@link OutputPaths}).
   *
   * @return the files written
   */
  public static List<Path> write(DemoResult r, Path dir) throws IOException {
    System.setProperty("java.awt.headless", "true");
    OutputPaths.createDirectory(dir);
    List<Path> files = new ArrayList<>();
    files.add(save(usageOverTime(r), dir.resolve("usage-over-time.png")));
    files.add(save(usageByRegime(r), dir.resolve("usage-by-regime.png")));
    files.add(save(tauHistogram(r), dir.resolve("tau-histogram.png")));
    files.add(save(errorCurves(r), dir.resolve("error-curves.png")));
    return files;
  }

  private static Path save(org.knowm.xchart.internal.chartpart.Chart<?, ?> chart, Path file) throws IOException {
    return Charts.savePng(chart, file);
  }

  private static double[] steps(DemoResult r) {
    double[] x = new double[r.windowEnd().length];
    for (int i = 0; i < x.length; i++) {
      x[i] = r.windowEnd()[i];
    }
    return x;
  }

  /** Points of the usage-over-time chart: coarser than the error windows, or the lines turn to noise. */
  private static final int USAGE_POINTS = 50;

  static XYChart usageOverTime(DemoResult r) {
    int nExp = r.settings().experts();
    int n = r.windowEnd().length;
    int group = Math.max(1, (n + USAGE_POINTS - 1) / USAGE_POINTS);
    int points = (n + group - 1) / group;
    double[] x = new double[points];
    double[][] y = new double[nExp][points];
    for (int pt = 0; pt < points; pt++) {
      int from = pt * group;
      int to = Math.min(n, from + group);
      x[pt] = r.windowEnd()[to - 1];
      for (int e = 0; e < nExp; e++) {
        double acc = 0;
        for (int i = from; i < to; i++) {
          acc += r.windowShare()[i][e];
        }
        y[e][pt] = acc / (to - from);
      }
    }
    long windowSteps = n == 0 ? 0 : r.windowEnd()[Math.min(n, group) - 1];
    XYChart c = new XYChartBuilder().width(W).height(H)
        .title(String.format(java.util.Locale.ROOT,
            "Expert usage over time (share of routed slots per %,d-step window; balancing %s%s)", windowSteps,
            r.settings().balanceLabel(), r.settings().skewed() ? ", skewed stream" : ""))
        .xAxisTitle("step").yAxisTitle("share of routed slots").build();
    c.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
    c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
    c.getStyler().setMarkerSize(0);
    c.getStyler().setYAxisMin(0.0);
    c.getStyler().setXAxisDecimalPattern("#,###");
    for (int e = 0; e < nExp; e++) {
      Charts.distinct(c.addSeries("e" + e, x, y[e]), e).setMarker(SeriesMarkers.NONE);
    }
    double[] even = new double[points];
    java.util.Arrays.fill(even, 1.0 / nExp);
    c.addSeries("even (1/" + nExp + ")", x, even).setMarker(SeriesMarkers.NONE)
        .setLineStyle(new java.awt.BasicStroke(1.5f, java.awt.BasicStroke.CAP_BUTT, java.awt.BasicStroke.JOIN_MITER,
            10f, new float[] {6f, 4f}, 0f))
        .setLineColor(java.awt.Color.GRAY);
    return c;
  }

  static HeatMapChart usageByRegime(DemoResult r) {
    int nExp = r.settings().experts();
    double[][] share = r.shareByRegime();
    HeatMapChart c = new HeatMapChartBuilder().width(W).height(H)
        .title("Specialisation: share of each regime's routed slots per expert (at most 1/k = "
            + (1.0 / r.settings().topK()) + ")").xAxisTitle("expert")
        .yAxisTitle("regime").build();
    c.getStyler().setShowValue(true);
    c.getStyler().setHeatMapValueDecimalPattern("0.00");
    c.getStyler().setMin(0.0);
    c.getStyler().setMax(1.0 / r.settings().topK());
    c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
    List<String> xs = new ArrayList<>();
    for (int e = 0; e < nExp; e++) {
      xs.add("e" + e);
    }
    List<String> ys = new ArrayList<>();
    for (int reg = 0; reg < share.length; reg++) {
      ys.add("r" + reg);
    }
    List<Number[]> cells = new ArrayList<>();
    for (int reg = 0; reg < share.length; reg++) {
      for (int e = 0; e < nExp; e++) {
        cells.add(new Number[] {e, reg, share[reg][e]});
      }
    }
    c.addSeries("share", xs, ys, cells);
    return c;
  }

  static XYChart tauHistogram(DemoResult r) {
    float[] t = r.taus();
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (float v : t) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    if (t.length == 0) {
      min = 0;
      max = 1;
    }
    if (max <= min) {
      max = min + 1e-3;
    }
    int bins = 50;
    double width = (max - min) / bins;
    double[] centers = new double[bins];
    double[] counts = new double[bins];
    for (int b = 0; b < bins; b++) {
      centers[b] = min + (b + 0.5) * width;
    }
    for (float v : t) {
      int b = (int) Math.min(bins - 1, Math.floor((v - min) / width));
      counts[b]++;
    }
    XYChart c = new XYChartBuilder().width(W).height(H)
        .title(String.format(java.util.Locale.ROOT,
            "Distribution of the cell's time constants tau (%d neurons x %,d inputs, after learning)",
            r.settings().hidden(), r.settings().tauSamples()))
        .xAxisTitle("tau (s)").yAxisTitle("count").build();
    c.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.StepArea);
    c.getStyler().setXAxisDecimalPattern("0.00");
    c.getStyler().setLegendVisible(false);
    c.getStyler().setMarkerSize(0);
    c.addSeries("tau", centers, counts).setMarker(SeriesMarkers.NONE);
    return c;
  }

  static XYChart errorCurves(DemoResult r) {
    XYChart c = new XYChartBuilder().width(W).height(H)
        .title("Prequential error per window (windowed MSE, log scale)").xAxisTitle("step").yAxisTitle("MSE")
        .build();
    c.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
    c.getStyler().setYAxisLogarithmic(true);
    c.getStyler().setXAxisDecimalPattern("#,###");
    // Outside the plot: the single filter's curve runs along the top and the noise floor along the
    // bottom, so no inside corner is free.
    c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
    c.getStyler().setMarkerSize(0);
    double[] x = steps(r);
    Charts.distinct(c.addSeries("single NLMS", x, floor(r.windowSingleMse())), 0).setMarker(SeriesMarkers.NONE);
    Charts.distinct(c.addSeries("mixture of experts", x, floor(r.windowMoeMse())), 1).setMarker(SeriesMarkers.NONE);
    Charts.distinct(c.addSeries("oracle (regime known)", x, floor(r.windowOracleMse())), 2)
        .setMarker(SeriesMarkers.NONE);
    double[] noise = new double[x.length];
    java.util.Arrays.fill(noise, r.noiseFloor());
    c.addSeries("noise floor", x, noise).setMarker(SeriesMarkers.NONE).setLineColor(java.awt.Color.GRAY);
    return c;
  }

  /** Log axes need positive values. */
  private static double[] floor(double[] v) {
    double[] o = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      o[i] = Math.max(v[i], 1e-12);
    }
    return o;
  }
}
