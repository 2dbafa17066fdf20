package dev.auramoe.cli.learn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.auramoe.cli.learn.LearnBench.Row;
import dev.auramoe.cli.learn.SwitchingStream.Offset;
import dev.auramoe.cli.learn.SwitchingStream.Spec;
import dev.auramoe.cli.learn.SwitchingStream.Task;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.HeatMapChart;

/** The grid's heat map: one cell per dwell, regimes and offset that has streams, holding their median. */
class LearnBenchPlotTest {

  private static Row row(Task task, int regimes, int dwell, Offset offset, boolean recurring, double ratio) {
    Spec s = new Spec(task, 4, regimes, dwell, offset, 0.1, 0, recurring, LearnBench.CLASSES, 100, 1);
    // mixture = ratio, oracle = 1: mixture/oracle = ratio.
    return new Row(s, ratio, 2, 1, 1, 1, Double.NaN, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, regimes, 0);
  }

  @Test
  void aCellHoldsTheLogOfTheClampedMedianOfItsStreamsAndCellsWithoutStreamsStayEmpty() {
    List<Row> rows = new ArrayList<>();
    rows.add(row(Task.REGRESSION, 4, 50, Offset.WEAK, true, 1.5));
    rows.add(row(Task.REGRESSION, 4, 50, Offset.WEAK, true, 3));
    rows.add(row(Task.REGRESSION, 4, 50, Offset.WEAK, true, 100));
    rows.add(row(Task.REGRESSION, 16, 2000, Offset.STRONG, true, 400));
    rows.add(row(Task.REGRESSION, 2, 10, Offset.NONE, true, 1.5));
    rows.add(row(Task.REGRESSION, 4, 250, Offset.NONE, false, 2)); // fresh regimes: no cell
    rows.add(row(Task.CLASSIFICATION, 8, 250, Offset.NONE, true, 2));
    HeatMapChart c = LearnBenchPlot.heatMap(rows, Task.REGRESSION);
    List<? extends Number[]> cells = c.getHeatMapSeries().getHeatData();
    assertThat(cells).hasSize(3);
    int offsets = Offset.values().length;
    assertThat(cells.get(0)).containsExactly(0, 0 * offsets + Offset.NONE.ordinal(), Math.log10(1.5));
    assertThat(cells.get(1)).containsExactly(1, 1 * offsets + Offset.WEAK.ordinal(), Math.log10(3));
    assertThat(cells.get(2)).containsExactly(3, 3 * offsets + Offset.STRONG.ordinal(), Math.log10(LearnBenchPlot.HIGH));
    assertThat(c.getTitle()).contains("lower is better").contains("5 streams");
    assertThat(LearnBenchPlot.heatMap(rows, Task.CLASSIFICATION).getHeatMapSeries().getHeatData()).hasSize(1);
  }
}
