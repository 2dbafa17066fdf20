package dev.auramoe.seq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.auramoe.cell.CellConfig;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The left-padding contract of {@link SequenceLayer}, for every layer that implements it: a
 * sequence padded in a batch gives the states it gives alone, zeros at its padding, whatever the
 * padded inputs hold, and zero input gradients there; and the gradients of a padded batch equal
 * those of its sequences run alone.
 */
class SequenceLayerContractTest {

  static Stream<Arguments> layers() {
    return Stream.of(Arguments.of("liquid", (Supplier<SequenceLayer>) () ->
        new TrainableLiquidCell(CellConfig.DEFAULT.withHidden(5), 3, 17)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("layers")
  void aPaddedSequenceBehavesAsItDoesAlone(String name, Supplier<SequenceLayer> make) {
    SequenceLayer batched = make.get();
    SequenceLayer alone = make.get();
    int in = batched.inputDim();
    int hd = batched.hidden();
    int batch = 3;
    int steps = 6;
    int[] first = {0, 4, 2};
    Random r = new Random(5);
    float[] x = GradientCheckTest.gaussian(batch * steps * in, 1.0, r);
    float[] elapsed = new float[batch * steps];
    for (int k = 0; k < elapsed.length; k++) {
      elapsed[k] = k % 3 == 0 ? Float.NaN : 0.05f * r.nextFloat();
    }
    // The padding's inputs are ignored, even when they are not finite.
    x[(0 * batch + 1) * in] = Float.NaN;
    elapsed[1 * batch + 2] = -1f;
    float[] hs = new float[batch * steps * hd];
    float[] dHs = GradientCheckTest.gaussian(hs.length, 1.0, r);
    float[] dXs = new float[x.length];
    batched.forward(x, elapsed, first, batch, steps, hs);
    batched.zeroGradients();
    batched.backward(dHs, dXs);

    float[][] summed = new float[batched.parameters().size()][];
    for (int k = 0; k < summed.length; k++) {
      summed[k] = new float[batched.parameters().get(k).size()];
    }
    for (int s = 0; s < batch; s++) {
      int len = steps - first[s];
      float[] xs = new float[len * in];
      float[] es = new float[len];
      float[] ds = new float[len * hd];
      for (int t = 0; t < len; t++) {
        int k = (first[s] + t) * batch + s;
        System.arraycopy(x, k * in, xs, t * in, in);
        es[t] = elapsed[k];
        System.arraycopy(dHs, k * hd, ds, t * hd, hd);
      }
      float[] h1 = new float[len * hd];
      float[] dx1 = new float[len * in];
      alone.forward(xs, es, null, 1, len, h1);
      alone.zeroGradients();
      alone.backward(ds, dx1);
      for (int t = 0; t < steps; t++) {
        int k = t * batch + s;
        for (int j = 0; j < hd; j++) {
          float want = t < first[s] ? 0f : h1[(t - first[s]) * hd + j];
          assertThat(hs[k * hd + j]).as("%s: state %d of step %d of sequence %d", name, j, t, s).isEqualTo(want);
        }
        for (int i = 0; i < in; i++) {
          float want = t < first[s] ? 0f : dx1[(t - first[s]) * in + i];
          assertThat(dXs[k * in + i]).as("%s: input gradient %d of step %d of sequence %d", name, i, t, s)
              .isCloseTo(want, within(1e-5f));
        }
      }
      for (int k = 0; k < summed.length; k++) {
        float[] g = alone.parameters().get(k).gradient();
        for (int i = 0; i < g.length; i++) {
          summed[k][i] += g[i];
        }
      }
    }
    for (int k = 0; k < summed.length; k++) {
      float[] g = batched.parameters().get(k).gradient();
      for (int i = 0; i < g.length; i++) {
        assertThat(g[i]).as("%s: %s[%d]", name, batched.parameters().get(k).name(), i)
            .isCloseTo(summed[k][i], within(1e-4f));
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("layers")
  void aFirstStepOutsideTheSequenceIsRefused(String name, Supplier<SequenceLayer> make) {
    SequenceLayer layer = make.get();
    float[] x = new float[2 * 3 * layer.inputDim()];
    float[] hs = new float[2 * 3 * layer.hidden()];
    assertThatThrownBy(() -> layer.forward(x, null, new int[] {0, 3}, 2, 3, hs))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sequence 1");
    assertThatThrownBy(() -> layer.forward(x, null, new int[] {-1, 0}, 2, 3, hs))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sequence 0");
  }
}
