package dev.auramoe.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.HeatMapChart;

class ChartsTest {

  /**
   * XChart's category axes read the x axis' spacing hint for both axes and label only every n-th
   * category whose pitch is below it: the hint must stay under the rows' pitch (at least 34 pixels,
   * the height the chart grows to per row) so that every class of a 10-class map has its label, while
   * a wide map keeps its columns' labels apart.
   */
  @Test
  void heatMapsLabelEveryRow() {
    List<String> rows = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      rows.add("class " + i);
    }
    HeatMapChart few = Charts.heatMap(1100, 560, "t", "x", "y", List.of("a", "b", "c", "d"), rows, new float[10][4]);
    assertThat(few.getStyler().getXAxisTickMarkSpacingHint()).isLessThan(34);
    List<String> steps = new ArrayList<>();
    for (int i = 0; i < 28; i++) {
      steps.add(Integer.toString(i));
    }
    HeatMapChart wide = Charts.heatMap(1100, 560, "t", "x", "y", steps, rows, new float[10][28]);
    assertThat(wide.getStyler().getXAxisTickMarkSpacingHint()).isBetween(8, 33);
  }

  /** The legend's ends are printed as set: rounded to three digits, outwards. */
  @Test
  void heatMapLegendEndsAreRoundedOutwards() {
    HeatMapChart c = Charts.heatMap(800, 400, "t", "x", "y", List.of("a", "b"), List.of("r"),
        new float[][] {{0.112244897f, 0.40547797f}});
    assertThat(c.getStyler().getMin()).isEqualTo(0.112);
    assertThat(c.getStyler().getMax()).isEqualTo(0.406);
  }
}
