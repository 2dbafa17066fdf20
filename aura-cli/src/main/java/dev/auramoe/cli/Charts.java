package dev.auramoe.cli;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;

/** What the CLI's XChart plots share: writing a PNG, and series styles that stay apart. */
public final class Charts {

  /**
   * A qualitative palette (Tableau 10 without its grey, which reference lines use): every two of its
   * colours lie at least 30 apart in CIELAB (ΔE*ab), where XChart's default series colours, drawn
   * translucent, put orange 19 from yellow and purple 30 from magenta: neighbours in a legend.
   */
  static final Color[] PALETTE = {
    new Color(0x4E79A7), new Color(0xF28E2B), new Color(0xE15759), new Color(0x76B7B2), new Color(0x59A14F),
    new Color(0xEDC948), new Color(0xB07AA1), new Color(0xFF9DA7), new Color(0x9C755F),
  };

  /**
   * Lines that mark events over a chart's series (drift detections): dark red, at least 30 from
   * every colour of {@link #PALETTE} in CIELAB, so that a marker stays visible over a band of any
   * of them (the palette's own red is 31 away; a bright red such as 0xD62728 only 22).
   */
  static final Color MARKER = new Color(0x8B0000);

  /** Dash patterns of the successive passes through the palette: solid, dashed, dotted, dash-dot. */
  private static final float[][] DASHES = {null, {8f, 5f}, {2f, 4f}, {10f, 4f, 2f, 4f}};

  private static final float LINE_WIDTH = 2f;

  /** White to dark blue: ColorBrewer's sequential Blues. */
  private static final Color[] BLUES = {new Color(0xF7FBFF), new Color(0xC6DBEF), new Color(0x6BAED6),
      new Color(0x2171B5), new Color(0x08306B)};

  private Charts() {}

  /**
   * A heat map of {@code m[y][x]} (rows of ys, the first on top; NaN drawn as 0), white for the
   * smallest value drawn and dark blue for the largest, each cell labelled when there are few.
   */
  public static HeatMapChart heatMap(int width, int height, String title, String xTitle, String yTitle, List<String> xs,
      List<String> ys, float[][] m) {
    HeatMapChart c = new HeatMapChartBuilder().width(width).height(Math.max(height, 160 + 34 * ys.size())).title(title)
        .xAxisTitle(xTitle).yAxisTitle(yTitle).build();
    // The colours span the values drawn (white the smallest, dark blue the largest): a map of
    // near-uniform weights still shows where they lean.
    double max = Double.NEGATIVE_INFINITY;
    double min = Double.POSITIVE_INFINITY;
    for (float[] row : m) {
      for (float v : row) {
        if (Float.isFinite(v)) {
          max = Math.max(max, v);
          min = Math.min(min, v);
        }
      }
    }
    boolean any = max >= min;
    // The legend prints its ends as they are set: three significant digits, rounded outwards so that
    // every value stays inside.
    c.getStyler().setMin(any ? round3(min, java.math.RoundingMode.FLOOR) : 0.0);
    c.getStyler().setMax(any ? (max > min ? round3(max, java.math.RoundingMode.CEILING) : min + 1e-6) : 1.0);
    c.getStyler().setRangeColors(BLUES);
    c.getStyler().setShowValue(xs.size() <= 16 && xs.size() * ys.size() <= 200);
    c.getStyler().setHeatMapValueDecimalPattern("0.00");
    c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
    c.getStyler().setPlotGridLinesVisible(false);
    c.getStyler().setYAxisTickMarkSpacingHint(8);
    c.getStyler().setDecimalPattern("0.00");
    // XChart's category axes read the x axis' spacing hint for both axes: it must let every row have
    // its label (a hint above the row pitch labels every other row) as well as keep the columns'
    // labels apart.
    int columnHint = Math.max(10, Math.min(74, (width - 300) / Math.max(1, xs.size()) / 2));
    int rowPitch = (c.getHeight() - 160) / Math.max(1, ys.size());
    c.getStyler().setXAxisTickMarkSpacingHint(Math.max(8, Math.min(columnHint, rowPitch * 4 / 5)));
    List<Number[]> cells = new ArrayList<>();
    int n = ys.size();
    for (int y = 0; y < n; y++) {
      for (int x = 0; x < xs.size(); x++) {
        float v = x < m[y].length ? m[y][x] : Float.NaN;
        // First row on top: the heat map's y axis runs upwards.
        cells.add(new Number[] {x, n - 1 - y, Float.isFinite(v) ? v : 0.0});
      }
    }
    c.addSeries("weight", xs, new ArrayList<>(ys.reversed()), cells);
    return c;
  }


  private static double round3(double v, java.math.RoundingMode mode) {
    return v == 0 ? 0 : new java.math.BigDecimal(v).round(new java.math.MathContext(3, mode)).doubleValue();
  }

  /**
   * Gives the {@code index}-th line of a chart its own colour and, once the colours run out, its own
   * line pattern: series {@code i} and {@code j} share both only when they are {@code 36} apart.
   *
   * @return the series
   */
  public static XYSeries distinct(XYSeries series, int index) {
    int pass = (index / PALETTE.length) % DASHES.length;
    Color c = PALETTE[index % PALETTE.length];
    float[] dash = DASHES[pass];
    series.setLineColor(c);
    series.setMarkerColor(c);
    series.setFillColor(c);
    series.setLineStyle(dash == null
        ? new BasicStroke(LINE_WIDTH)
        : new BasicStroke(LINE_WIDTH, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, dash, 0f));
    return series;
  }

  /** Writes a chart as a PNG file (replacing it), exactly at {@code file}. */
  public static Path savePng(Chart<?, ?> chart, Path file) throws IOException {
    return write(BitmapEncoder.getBufferedImage(chart), file);
  }

  /**
   * Writes charts one under the other as one PNG file (replacing it), exactly at {@code file}: a
   * chart and the detail that belongs under it, on a shared x axis, read as one figure.
   */
  public static Path savePng(Path file, List<? extends Chart<?, ?>> charts) throws IOException {
    List<BufferedImage> images = new ArrayList<>();
    int width = 1;
    int height = 0;
    for (Chart<?, ?> c : charts) {
      BufferedImage image = BitmapEncoder.getBufferedImage(c);
      images.add(image);
      width = Math.max(width, image.getWidth());
      height += image.getHeight();
    }
    BufferedImage all = new BufferedImage(width, Math.max(1, height), BufferedImage.TYPE_INT_RGB);
    Graphics2D g = all.createGraphics();
    try {
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, all.getWidth(), all.getHeight());
      int y = 0;
      for (BufferedImage image : images) {
        g.drawImage(image, 0, y, null);
        y += image.getHeight();
      }
    } finally {
      g.dispose();
    }
    return write(all, file);
  }

  private static Path write(BufferedImage image, Path file) throws IOException {
    try (OutputStream out = Files.newOutputStream(file)) {
      if (!ImageIO.write(image, "png", out)) {
        throw new IOException("no PNG writer in this JDK for " + file);
      }
    }
    return file;
  }
}
