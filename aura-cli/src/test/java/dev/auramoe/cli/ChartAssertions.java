package dev.auramoe.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Stroke;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;

/** What the tests of the CLI's charts check: every series can be told from every other. */
public final class ChartAssertions {

  /** CIELAB distance (ΔE*ab) below which two thin lines of a chart read as the same colour. */
  public static final double MIN_DELTA_E = 25;

  private ChartAssertions() {}

  /**
   * Two series of the legend are told apart when the colours they are drawn in (a line's colour; an
   * area's fill, over which other series' lines run) differ clearly, or their dash patterns differ.
   * A series left out of the legend repeats one of it (the second of several marks of one kind) and
   * looks exactly like it.
   */
  public static void assertEverySeriesDistinct(XYChart c) {
    BitmapEncoder.getBufferedImage(c); // XChart assigns its default styles while painting
    List<XYSeries> all = new ArrayList<>();
    for (XYSeries s : c.getSeriesCollection()) {
      if (s.isShowInLegend()) {
        all.add(s);
      }
    }
    for (XYSeries s : c.getSeriesCollection()) {
      if (!s.isShowInLegend()) {
        assertThat(all).as("%s looks like a series of the legend", s.getName())
            .anyMatch(shown -> drawnIn(c, shown).equals(drawnIn(c, s))
                && Arrays.equals(dash(shown.getLineStyle()), dash(s.getLineStyle())));
      }
    }
    for (int i = 0; i < all.size(); i++) {
      for (int j = i + 1; j < all.size(); j++) {
        XYSeries a = all.get(i);
        XYSeries b = all.get(j);
        double de = deltaE(drawnIn(c, a), drawnIn(c, b));
        boolean samePattern = Arrays.equals(dash(a.getLineStyle()), dash(b.getLineStyle()));
        assertThat(!samePattern || de >= MIN_DELTA_E)
            .as("%s (%s) and %s (%s): same line pattern, colours only %.1f apart in CIELAB", a.getName(),
                drawnIn(c, a), b.getName(), drawnIn(c, b), de)
            .isTrue();
      }
    }
  }

  /** The dash pattern of a line, null when solid. */
  public static float[] dash(Stroke s) {
    return s instanceof BasicStroke b ? b.getDashArray() : null;
  }

  private static Color drawnIn(XYChart c, XYSeries s) {
    XYSeries.XYSeriesRenderStyle style = s.getXYSeriesRenderStyle()
        .orElse(c.getStyler().getDefaultSeriesRenderStyle());
    boolean area = style == XYSeries.XYSeriesRenderStyle.Area || style == XYSeries.XYSeriesRenderStyle.StepArea;
    return area ? s.getFillColor() : s.getLineColor();
  }

  /** CIE76 colour difference of two colours as drawn on the white plot background. */
  public static double deltaE(Color a, Color b) {
    double[] p = lab(a);
    double[] q = lab(b);
    return Math.sqrt(Math.pow(p[0] - q[0], 2) + Math.pow(p[1] - q[1], 2) + Math.pow(p[2] - q[2], 2));
  }

  private static double[] lab(Color c) {
    double alpha = c.getAlpha() / 255.0;
    double r = linear(c.getRed() * alpha + 255 * (1 - alpha));
    double g = linear(c.getGreen() * alpha + 255 * (1 - alpha));
    double bl = linear(c.getBlue() * alpha + 255 * (1 - alpha));
    double x = f((0.4124 * r + 0.3576 * g + 0.1805 * bl) / 0.95047);
    double y = f(0.2126 * r + 0.7152 * g + 0.0722 * bl);
    double z = f((0.0193 * r + 0.1192 * g + 0.9505 * bl) / 1.08883);
    return new double[] {116 * y - 16, 500 * (x - y), 200 * (y - z)};
  }

  private static double linear(double v) {
    double s = v / 255;
    return s <= 0.04045 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
  }

  private static double f(double t) {
    return t > 216.0 / 24389 ? Math.cbrt(t) : (24389.0 / 27 * t + 16) / 116;
  }
}
