package dev.auramoe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.auramoe.balance.BalanceConfig;
import dev.auramoe.cell.CellConfig;
import dev.auramoe.experts.Experts;
import dev.auramoe.routing.RouteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A batch of consecutive inputs routes as the same inputs one by one would: the same experts, the
 * same weights and the same final state and balancer, up to float summation order (the batch
 * projects with a matrix-matrix product, single routes with a matrix-vector one).
 */
class RouteBatchTest {

  private static final String S = MixtureOfExperts.DEFAULT_STREAM;

  @Test
  void aBatchRoutesLikeTheSameInputsOneByOne() {
    int d = 37;
    int count = 300;
    MixtureOfExperts batch = MixtureOfExperts.builder(d, 1).experts(Experts.nlms("e", 12, d, 1, 0.5)).topK(3)
        .cell(CellConfig.DEFAULT.withHidden(48)).balance(BalanceConfig.DEFAULT.withGamma(0.01)).seed(21).build();
    MixtureOfExperts single = dev.auramoe.testing.Models.copy(batch);
    Random r = new Random(4);
    float[] xs = new float[count * d];
    for (int i = 0; i < xs.length; i++) {
      xs[i] = (float) r.nextGaussian();
    }
    int[] experts = new int[count * 3];
    float[] weights = new float[count * 3];
    batch.routeBatch(S, xs, count, experts, weights);
    RouteBuffer b = single.newRouteBuffer();
    int sameSelections = 0;
    for (int t = 0; t < count; t++) {
      single.route(S, java.util.Arrays.copyOfRange(xs, t * d, (t + 1) * d), b);
      boolean same = true;
      for (int j = 0; j < 3; j++) {
        same &= b.expert(j) == experts[t * 3 + j];
      }
      if (same) {
        sameSelections++;
        for (int j = 0; j < 3; j++) {
          assertThat(weights[t * 3 + j]).isCloseTo(b.weight(j), within(1e-4f));
        }
      }
    }
    // Rounding can flip a near-tie now and then; anything systematic would break most selections.
    assertThat(sameSelections).isGreaterThanOrEqualTo(count - 3);
    float[] hb = batch.state(S);
    float[] hs = single.state(S);
    for (int i = 0; i < hb.length; i++) {
      assertThat(hb[i]).isCloseTo(hs[i], within(1e-3f));
    }
    assertThat(batch.balanceState().tokens()).isEqualTo(single.balanceState().tokens()).isEqualTo(count);
    assertThat(batch.cumulativeEnergy().macs()).containsExactly(single.cumulativeEnergy().macs());
  }
}
