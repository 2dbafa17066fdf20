package dev.auramoe.stream.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** Macro one-vs-rest figures: each class scored by its own column, absent classes left out. */
class OneVsRestTest {

  @Test
  void eachClassIsRankedByItsOwnColumnAndTheMeanIsUnweighted() {
    // Class 0 ranked perfectly by column 0; class 1 inverted by column 1; class 2 by column 2 with
    // one of its two instances above the four others and one below two of them.
    float[] s = {
      0.9f, 0.1f, 0.0f,   // class 0
      0.8f, 0.0f, 0.2f,   // class 0
      0.1f, 0.0f, 0.9f,   // class 2
      0.0f, 0.9f, 0.1f,   // class 1 (column 1 is high for a non-1 below: see the next row)
      0.2f, 0.1f, 0.3f,   // class 2
      0.1f, 0.95f, 0.4f,  // class 0: highest column 1 of all, so class 1 is not ranked first
    };
    int[] y = {0, 0, 2, 1, 2, 0};
    OneVsRest.Result r = OneVsRest.of(s, y, 6, 3);
    BinaryRanking.Result[] per = r.perClass();
    assertThat(per[0].auroc()).isEqualTo(BinaryRanking.of(new float[] {0.9f, 0.8f, 0.1f, 0.0f, 0.2f, 0.1f},
        new boolean[] {true, true, false, false, false, true}).auroc());
    assertThat(per[1].auroc()).isEqualTo(4.0 / 5);
    // Column 2: class-2 scores 0.9 and 0.3; others 0.0, 0.2, 0.1, 0.4: 0.9 beats 4, 0.3 beats 3.
    assertThat(per[2].auroc()).isEqualTo(7.0 / 8);
    assertThat(r.macroAuroc()).isCloseTo((per[0].auroc() + per[1].auroc() + per[2].auroc()) / 3, within(1e-15));
    assertThat(r.macroAuprc()).isCloseTo(
        (per[0].averagePrecision() + per[1].averagePrecision() + per[2].averagePrecision()) / 3, within(1e-15));
  }

  @Test
  void anAbsentClassIsLeftOutOfTheAverages() {
    float[] s = {0.7f, 0.2f, 0.1f, 0.3f, 0.6f, 0.1f};
    OneVsRest.Result r = OneVsRest.of(s, new int[] {0, 1}, 2, 3);
    assertThat(r.perClass()[2].defined()).isFalse();
    assertThat(r.macroAuroc()).isEqualTo(1.0);
    assertThat(r.macroAuprc()).isEqualTo(1.0);
  }

  @Test
  void badShapesAndLabelsAreRefused() {
    assertThatThrownBy(() -> OneVsRest.of(new float[5], new int[2], 2, 3))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("need 6 scores");
    assertThatThrownBy(() -> OneVsRest.of(new float[6], new int[] {0, 3}, 2, 3))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("label 3 of instance 1");
  }
}
