package dev.auramoe.seq.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.cell.CellConfig;
import dev.auramoe.seq.Task;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The median gap becomes the cell's step, the gap feature is appended, the features standardised. */
class PreprocessingTest {

  private static SequenceDataset data(float[][] gaps) {
    SequenceDataset.Builder b = SequenceDataset.builder(Task.classification(2), List.of("a", "b"));
    for (int s = 0; s < gaps.length; s++) {
      int len = gaps[s].length;
      float[] x = new float[2 * len];
      for (int t = 0; t < len; t++) {
        x[2 * t] = s + t;
        x[2 * t + 1] = 10 * (s - t);
      }
      b.add("s" + s, len, x, gaps[s], s % 2);
    }
    return b.build();
  }

  @Test
  void theMedianGapBecomesTheCellsStepAndTheGapAFeature() {
    // Gaps 2, 4, 4, 8, 6 (the first steps' NaN excluded): median 4.
    SequenceDataset d = data(new float[][] {{Float.NaN, 2, 4}, {Float.NaN, 4, 8, 6}});
    assertThat(Preprocessing.medianGap(d)).isEqualTo(4.0);
    Preprocessing p = Preprocessing.fit(d, CellConfig.DEFAULT, true);
    assertThat(p.cellStep()).isEqualTo(CellConfig.DEFAULT.unfolds() * (double) CellConfig.DEFAULT.dt());
    SequenceDataset out = p.apply(d);
    assertThat(out.features()).isEqualTo(3);
    assertThat(out.featureNames()).containsExactly("a", "b", Preprocessing.ELAPSED_FEATURE);
    float step = (float) p.cellStep();
    // The cell's elapsed times: gap / 4 * step; NaN stays the regular step.
    assertThat(out.elapsed(1, 0)).isNaN();
    assertThat(out.elapsed(1, 1)).isEqualTo((float) (4 * (p.cellStep() / 4)));
    assertThat(out.elapsed(1, 2)).isEqualTo((float) (8 * (p.cellStep() / 4)));
    assertThat(out.elapsed(0, 1)).isEqualTo(step / 2);
    // The gap feature in median gaps, 1 for NaN.
    assertThat(out.value(1, 0, 2)).isEqualTo(1f);
    assertThat(out.value(1, 2, 2)).isEqualTo(2f);
    assertThat(out.value(0, 1, 2)).isEqualTo(0.5f);
    // Features standardised with the training statistics.
    Standardisation st = Standardisation.fit(d);
    assertThat(out.value(1, 3, 0)).isEqualTo((float) ((d.value(1, 3, 0) - st.mean(0)) / st.std(0)));
    assertThat(out.label(1)).isEqualTo(1);
    assertThat(out.id(1)).isEqualTo("s1");
  }

  @Test
  void aRegularDataSetKeepsItsStepsAndHasNoFeatureUnlessAsked() {
    SequenceDataset d = data(new float[][] {{Float.NaN, Float.NaN}, {Float.NaN, Float.NaN, Float.NaN}});
    Preprocessing p = Preprocessing.fit(d, CellConfig.DEFAULT, false);
    assertThat(p.medianGap()).isNaN();
    SequenceDataset out = p.apply(d);
    assertThat(out.features()).isEqualTo(2);
    assertThat(out.elapsed(1, 2)).isNaN();
    assertThat(p.cellElapsed(3f)).isEqualTo(3f);
  }

  @Test
  void aDataSetOfOtherFeaturesIsRefused() {
    Preprocessing p = Preprocessing.fit(data(new float[][] {{Float.NaN, 1}}), CellConfig.DEFAULT, false);
    SequenceDataset.Builder b = SequenceDataset.builder(Task.classification(2), 3);
    b.add("x", 1, new float[3], null, 0);
    assertThatThrownBy(() -> p.apply(b.build())).hasMessageContaining("2 features, the data 3");
    assertThatThrownBy(() -> new Preprocessing(Standardisation.fit(data(new float[][] {{1}})), 0, 0.02, false))
        .hasMessageContaining("median gap");
  }
}
