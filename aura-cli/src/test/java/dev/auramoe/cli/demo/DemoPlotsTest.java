package dev.auramoe.cli.demo;

import static dev.auramoe.cli.ChartAssertions.assertEverySeriesDistinct;
import static dev.auramoe.cli.ChartAssertions.dash;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.style.Styler;

/** The demo's charts: every line can be told from every other, and the legend covers none. */
class DemoPlotsTest {

  private static DemoResult run(int experts) {
    DemoRunner.Settings d = DemoRunner.Settings.DEFAULT;
    return DemoRunner.run(new DemoRunner.Settings(2_000, d.seed(), false, d.balance(), experts, 8, 2, d.mu(),
        d.routerLearningRate(), 20, 16));
  }

  @Test
  void everyExpertOfTheUsageChartHasItsOwnColour() {
    assertEverySeriesDistinct(DemoPlots.usageOverTime(run(8)));
  }

  @Test
  void moreExpertsThanColoursAreToldApartByTheLinePattern() {
    XYChart c = DemoPlots.usageOverTime(run(23));
    assertEverySeriesDistinct(c);
    assertThat(c.getSeriesCollection().stream().map(s -> Arrays.toString(dash(s.getLineStyle()))).distinct().count())
        .as("solid, then dashed, then dotted lines").isGreaterThanOrEqualTo(3);
  }

  @Test
  void theErrorCurvesAreDistinctAndTheLegendLiesOutsideThePlot() {
    XYChart c = DemoPlots.errorCurves(run(8));
    assertEverySeriesDistinct(c);
    // The single filter runs along the top and the noise floor along the bottom: an inside legend
    // hides one of them.
    assertThat(c.getStyler().getLegendPosition()).isIn(Styler.LegendPosition.OutsideE,
        Styler.LegendPosition.OutsideS);
  }
}
