package dev.auramoe.cli.snn;

import dev.auramoe.cli.Charts;
import dev.auramoe.cli.OutputPaths;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The pictures of {@code aura spiking train}: accuracy against estimated energy over the time
 * steps, firing rates per layer, and the experts' share of each class's tokens.
 */
public final class SpikingPlot {

  /** Accuracy against energy per image: the spiking model at each T, and the dense twin. */
  public static final String ENERGY = "snn-accuracy-energy.png";

  /** Spikes per neuron and step of each spiking layer. */
  public static final String FIRING = "snn-firing-rates.png";

  /** The share of each class's tokens that each expert received. */
  public static final String USAGE = "snn-expert-usage.png";

  private static final int W = 1100;
  private static final int H = 560;

  private SpikingPlot() {}

  /** One point of the accuracy-against-energy picture. */
  public record Point(String label, double accuracy, double joules) {}

  /**
   * The spiking model's accuracy over its energy per image at each number of time steps (a line
   * through the points), and the dense twin's point, energy on a log axis.
   */
  public static Path energy(List<Point> spiking, Point twin, String profile, Path dir) throws IOException {
    OutputPaths.createDirectory(dir);
    XYChart c = new XYChartBuilder().width(W).height(H)
        .title("Test accuracy against estimated energy per image (" + profile + ")")
        .xAxisTitle("estimated energy per image (uJ, log scale)").yAxisTitle("test accuracy").build();
    c.getStyler().setXAxisLogarithmic(true);
    c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
    c.getStyler().setYAxisDecimalPattern("0.000");
    double[] x = new double[spiking.size()];
    double[] y = new double[spiking.size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = spiking.get(i).joules() * 1e6;
      y[i] = spiking.get(i).accuracy();
    }
    StringBuilder name = new StringBuilder("spiking MoE, T =");
    for (Point p : spiking) {
      name.append(' ').append(p.label());
    }
    XYSeries s = c.addSeries(name.toString(), x, y);
    Charts.distinct(s, 0).setMarker(SeriesMarkers.CIRCLE);
    if (twin != null) {
      XYSeries t = c.addSeries("dense twin", new double[] {twin.joules() * 1e6}, new double[] {twin.accuracy()});
      t.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
      Charts.distinct(t, 1).setMarker(SeriesMarkers.DIAMOND);
    }
    return Charts.savePng(c, dir.resolve(ENERGY));
  }

  /** A bar per spiking layer: its spikes per neuron and time step on the test set. */
  public static Path firingRates(Map<String, Double> rates, Path dir) throws IOException {
    OutputPaths.createDirectory(dir);
    CategoryChart c = new CategoryChartBuilder().width(W).height(H)
        .title("Firing rates on the test set: spikes per neuron and time step").xAxisTitle("layer")
        .yAxisTitle("firing rate").build();
    c.getStyler().setLegendVisible(false);
    c.getStyler().setYAxisMin(0.0);
    c.getStyler().setXAxisLabelRotation(30);
    c.addSeries("rate", new ArrayList<>(rates.keySet()), new ArrayList<>(rates.values()))
        .setFillColor(new Color(0x4E79A7));
    return Charts.savePng(c, dir.resolve(FIRING));
  }

  /** The share of each class's routed tokens that each expert received (rows sum to 1). */
  public static Path expertUsage(List<String> classes, long[][] usage, Path dir) throws IOException {
    OutputPaths.createDirectory(dir);
    int experts = usage.length == 0 ? 0 : usage[0].length;
    List<String> cols = new ArrayList<>();
    for (int e = 0; e < experts; e++) {
      cols.add("expert " + e);
    }
    float[][] shares = new float[usage.length][experts];
    for (int c = 0; c < usage.length; c++) {
      long total = 0;
      for (long u : usage[c]) {
        total += u;
      }
      for (int e = 0; e < experts; e++) {
        shares[c][e] = total == 0 ? Float.NaN : (float) usage[c][e] / total;
      }
    }
    HeatMapChart h = Charts.heatMap(W, H, "Expert usage per class: each expert's share of the class's routed tokens",
        "expert", "class", cols, classes, shares);
    return Charts.savePng(h, dir.resolve(USAGE));
  }
}
