package dev.auramoe.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Stroke;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;

/** The demo's charts: every line can be told from every other, and the legend covers none. */
class DemoPlotsTest {

  /** CIELAB distance (ΔE*ab) below which two thin lines of a chart read as the same colour. */
  private static final double MIN_DELTA_E = 25;

  private static DemoResult run(int experts) {
    DemoRunner.Settings d = DemoRunner.Settings.DEFAULT;
    return DemoRunner.run(new DemoRunner.Settings(2_000, d.seed(), false, true, experts, 8, 2, d.mu(),
        d.routerLearningRate(), 20, 16));
  }

  @Test
  void everyExpertOfTheUsageChartHasItsOwnColour() {
    assertEveryLineDistinct(DemoPlots.usageOverTime(run(8)));
  }

  @Test
  void moreExpertsThanColoursAreToldApartByTheLinePattern() {
    XYChart c = DemoPlots.usageOverTime(run(23));
    assertEveryLineDistinct(c);
    assertThat(c.getSeriesCollection().stream().map(s -> dash(s.getLineStyle())).distinct().count())
        .as("solid, then dashed, then dotted lines").isGreaterThanOrEqualTo(3);
  }

  @Test
  void theErrorCurvesAreDistinctAndTheLegendLiesOutsideThePlot() {
    XYChart c = DemoPlots.errorCurves(run(8));
    assertEveryLineDistinct(c);
    // The single filter runs along the top and the noise floor along the bottom: an inside legend
    // hides one of them.
    assertThat(c.getStyler().getLegendPosition()).isIn(Styler.LegendPosition.OutsideE,
        Styler.LegendPosition.OutsideS);
  }

  /** Two lines are told apart when their colours differ clearly or their dash patterns differ. */
  private static void assertEveryLineDistinct(XYChart c) {
    BitmapEncoder.getBufferedImage(c); // XChart assigns its default styles while painting
    List<XYSeries> lines = new ArrayList<>(c.getSeriesCollection());
    for (int i = 0; i < lines.size(); i++) {
      for (int j = i + 1; j < lines.size(); j++) {
        XYSeries a = lines.get(i);
        XYSeries b = lines.get(j);
        double de = deltaE(a.getLineColor(), b.getLineColor());
        boolean samePattern = Arrays.equals(dash(a.getLineStyle()), dash(b.getLineStyle()));
        assertThat(!samePattern || de >= MIN_DELTA_E)
            .as("%s (%s) and %s (%s): same line pattern, colours only %.1f apart in CIELAB", a.getName(),
                a.getLineColor(), b.getName(), b.getLineColor(), de)
            .isTrue();
      }
    }
  }

  private static float[] dash(Stroke s) {
    return s instanceof BasicStroke b ? b.getDashArray() : null;
  }

  /** CIE76 colour difference of two colours as drawn on the white plot background. */
  static double deltaE(Color a, Color b) {
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
