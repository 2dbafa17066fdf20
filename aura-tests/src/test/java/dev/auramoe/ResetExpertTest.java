package dev.auramoe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.cell.CellConfig;
import dev.auramoe.experts.AdaptiveExpert;
import dev.auramoe.experts.Experts;
import dev.auramoe.experts.RlsExpert;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** resetExpert: one expert back to new, its router readout neutral, everything else kept. */
class ResetExpertTest {

  @Test
  void resettingAnExpertForgetsItAndOnlyIt() {
    int d = 4;
    MixtureOfExperts m = MixtureOfExperts.builder(d, 1).experts(Experts.nlms("e", 4, d, 1, 0.5)).topK(2)
        .cell(CellConfig.DEFAULT.withHidden(8)).seed(3).build();
    Random r = new Random(1);
    for (int t = 0; t < 2_000; t++) {
      float[] x = {(float) r.nextGaussian(), (float) r.nextGaussian(), (float) r.nextGaussian(), (float) r.nextGaussian()};
      m.learn(MixtureOfExperts.DEFAULT_STREAM, x, new float[] {x[0] - x[1]});
    }
    float[][] before = new float[4][];
    for (int e = 0; e < 4; e++) {
      before[e] = ((AdaptiveExpert) m.expert(e)).state();
    }
    m.resetExpert(2);
    for (int e = 0; e < 4; e++) {
      float[] now = ((AdaptiveExpert) m.expert(e)).state();
      if (e == 2) {
        assertThat(now).containsOnly(0f);
      } else {
        assertThat(now).containsExactly(before[e]);
      }
    }
    assertThatThrownBy(() -> m.resetExpert(4)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> m.resetExpert(-1)).isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void anRlsExpertGoesBackToItsInitialCorrelationMatrix() {
    RlsExpert fresh = new RlsExpert("r", 3, 1, 0.99, 0.5);
    RlsExpert used = fresh.copy();
    Random r = new Random(2);
    float[] p = new float[1];
    for (int t = 0; t < 200; t++) {
      float[] x = {(float) r.nextGaussian(), (float) r.nextGaussian(), (float) r.nextGaussian()};
      used.predict(x, p);
      used.learn(x, new float[] {x[0] + 2 * x[2]}, p.clone(), 1f);
    }
    assertThat(used.state()).isNotEqualTo(fresh.state());
    used.reset();
    assertThat(used.state()).containsExactly(fresh.state());
    assertThat(List.of(used.hyperParameters()[0])).containsExactly(fresh.hyperParameters()[0]);
  }
}
