package dev.auramoe.cli.seq;

import dev.auramoe.cli.Charts;
import dev.auramoe.cli.OutputPaths;
import dev.auramoe.seq.SequenceTrainer;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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
 * The pictures of {@code aura seq train} and {@code aura seq bench}: learning curves, the feature- and
 * temporal-attention maps, and the experts' shares by time scale. Every method takes plain figures,
 * so that a model without attention or experts simply has no such picture.
 */
public final class SeqPlot {

  /** Learning curves: test accuracy (or RMSE) and training loss per epoch, one line per model. */
  public static final String CURVES = "seq-curves.png";

  /** Feature attention: the mean weight of each input variable, per class. */
  public static final String FEATURES = "seq-feature-attention.png";

  /** Temporal attention: the mean weight of each step, per expert. */
  public static final String TEMPORAL = "seq-temporal-attention.png";

  /** Expert shares: the gate's mean weight of each expert, by time scale, overall and per class. */
  public static final String EXPERTS = "seq-expert-shares.png";

  private static final int W = 1100;
  private static final int H = 560;

  private SeqPlot() {}

  /**
   * Learning curves of one or more models: the test set's accuracy (or RMSE for a regression) after
   * each epoch over the mean training loss of each epoch.
   */
  public static Path curves(Map<String, List<SequenceTrainer.Epoch>> runs, boolean classification, Path dir)
      throws IOException {
    prepare(dir);
    XYChart test = new XYChartBuilder().width(W).height(H)
        .title(classification ? "Test accuracy after each epoch" : "Test RMSE after each epoch")
        .xAxisTitle("epoch").yAxisTitle(classification ? "accuracy" : "RMSE").build();
    XYChart loss = new XYChartBuilder().width(W).height(H).title("Mean training loss of each epoch")
        .xAxisTitle("epoch").yAxisTitle(classification ? "cross-entropy" : "mean squared error").build();
    style(test);
    style(loss);
    int k = 0;
    boolean anyTested = false;
    for (Map.Entry<String, List<SequenceTrainer.Epoch>> run : runs.entrySet()) {
      List<SequenceTrainer.Epoch> epochs = run.getValue();
      double[] x = new double[epochs.size()];
      double[] t = new double[epochs.size()];
      double[] l = new double[epochs.size()];
      boolean tested = true;
      for (int i = 0; i < x.length; i++) {
        SequenceTrainer.Epoch e = epochs.get(i);
        x[i] = e.epoch();
        l[i] = e.trainLoss();
        tested &= e.test() != null;
        t[i] = e.test() == null ? Double.NaN : classification ? e.test().accuracy() : e.test().rmse();
      }
      if (tested && x.length > 0) {
        anyTested = true;
        Charts.distinct(test.addSeries(run.getKey(), x, t), k).setMarker(SeriesMarkers.CIRCLE);
      }
      if (x.length > 0) {
        Charts.distinct(loss.addSeries(run.getKey(), x, l), k).setMarker(SeriesMarkers.CIRCLE);
      }
      k++;
    }
    return Charts.savePng(dir.resolve(CURVES), !anyTested ? List.of(loss) : List.of(test, loss));
  }

  /**
   * The feature attention's mean weight of each input variable: one row per class (and a first row
   * over every sequence), one column per feature.
   *
   * @param overall per feature
   * @param perClass per class, per feature (rows of NaN for classes never seen are drawn as 0)
   */
  public static Path featureAttention(List<String> features, float[] overall, List<String> classes,
      float[][] perClass, Path dir) throws IOException {
    prepare(dir);
    List<String> rows = new ArrayList<>();
    rows.add("all");
    rows.addAll(classes);
    float[][] m = new float[rows.size()][];
    m[0] = overall;
    for (int c = 0; c < classes.size(); c++) {
      m[c + 1] = perClass[c];
    }
    HeatMapChart c = Charts.heatMap(W, H, "Feature attention: mean weight of each input variable (1 = uniform)",
        "input variable", "sequences", features, rows, m);
    return Charts.savePng(c, dir.resolve(FEATURES));
  }

  /**
   * The temporal attention's mean weight of each step, one row per expert (labelled with its time
   * scale), one column per step.
   */
  public static Path temporalAttention(List<String> experts, float[][] perExpertSteps, Path dir) throws IOException {
    prepare(dir);
    int steps = 0;
    for (float[] row : perExpertSteps) {
      steps = Math.max(steps, row.length);
    }
    List<String> cols = new ArrayList<>();
    for (int t = 0; t < steps; t++) {
      cols.add(Integer.toString(t + 1));
    }
    float[][] m = new float[perExpertSteps.length][];
    for (int e = 0; e < m.length; e++) {
      m[e] = java.util.Arrays.copyOf(perExpertSteps[e], steps);
    }
    HeatMapChart c = Charts.heatMap(W, H, "Temporal attention: mean weight of each step (steps counted from the sequence's start)",
        "step", "expert", cols, experts, m);
    return Charts.savePng(c, dir.resolve(TEMPORAL));
  }

  /**
   * The gate's mean weight of each expert, labelled by its time scale: a bar chart over every
   * sequence, and under it the shares per class.
   */
  public static Path expertShares(List<String> experts, double[] overall, List<String> classes, float[][] perClass,
      Path dir) throws IOException {
    prepare(dir);
    CategoryChart bars = new CategoryChartBuilder().width(W).height(H)
        .title("Expert shares by time scale: the gate's mean weight of each expert").xAxisTitle("expert (time scale)")
        .yAxisTitle("share").build();
    bars.getStyler().setLegendVisible(false);
    bars.getStyler().setYAxisMin(0.0);
    List<Double> ys = new ArrayList<>();
    for (double v : overall) {
      ys.add(v);
    }
    bars.addSeries("share", experts, ys).setFillColor(new Color(0x4E79A7));
    HeatMapChart byClass = Charts.heatMap(W, H, "Expert shares per class", "expert (time scale)", "class", experts, classes, perClass);
    return Charts.savePng(dir.resolve(EXPERTS), List.of(bars, byClass));
  }

  private static void prepare(Path dir) throws IOException {
    System.setProperty("java.awt.headless", "true");
    OutputPaths.createDirectory(dir);
  }

  private static void style(XYChart c) {
    c.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
    c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
    c.getStyler().setXAxisDecimalPattern("#");
    c.getStyler().setYAxisDecimalPattern(String.format(Locale.ROOT, "0.000"));
  }
}
