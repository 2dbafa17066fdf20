package dev.auramoe.experts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.testing.Models;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The contract every {@link Expert} implementation must keep, run over all of them. A new
 * implementation must be added to {@link #IMPLEMENTATIONS} (and the sweep test fails until it is).
 */
class ExpertContractTest {

  static final List<Class<? extends Expert>> IMPLEMENTATIONS = List.of(NlmsExpert.class, RlsExpert.class, FunctionExpert.class,
      SoftmaxExpert.class);

  private static final int IN = 3;
  private static final int OUT = 2;

  /** A non-trivial instance of each class: non-default hyper-parameters, 3 -> 2. */
  static Expert create(Class<?> type) {
    if (type == NlmsExpert.class) {
      return new NlmsExpert("nlms-x", IN, OUT, 0.7, 0.25, 0.05);
    }
    if (type == RlsExpert.class) {
      return new RlsExpert("rls-x", IN, OUT, 0.97, 0.5);
    }
    if (type == FunctionExpert.class) {
      return Models.function("sum", IN, OUT);
    }
    if (type == SoftmaxExpert.class) {
      return new SoftmaxExpert("softmax-x", IN, OUT, 0.6, 0.125, 0.01);
    }
    throw new AssertionError("no factory for " + type);
  }

  /** The linear system y = A x + c that adaptive experts learn in these tests. */
  private static float[] target(float[] x) {
    return new float[] {2f * x[0] - x[1] + 0.5f * x[2] + 1f, -x[0] + 3f * x[2] - 2f};
  }

  private static float[][] samples(long seed, int n) {
    Random r = new Random(seed);
    float[][] xs = new float[n][IN];
    for (float[] x : xs) {
      for (int i = 0; i < IN; i++) {
        x[i] = (float) r.nextGaussian();
      }
    }
    return xs;
  }

  private static void train(Expert e, float[][] xs) {
    if (e instanceof AdaptiveExpert a) {
      float[] p = new float[OUT];
      for (float[] x : xs) {
        a.predict(x, p);
        a.learn(x, target(x), p.clone(), 1f);
      }
    }
  }

  private static float[] predict(Expert e, float[] x) {
    float[] out = new float[OUT];
    e.predict(x, out);
    return out;
  }

  @Test
  void everyImplementationInTheLibraryIsCovered() {
    // The kinds that Experts.create knows must each have an implementation under contract test.
    Set<String> kinds = Set.of("nlms", "rls", "function", "softmax");
    assertThat(IMPLEMENTATIONS.stream().map(c -> create(c).kind()).toList()).containsExactlyInAnyOrderElementsOf(kinds);
    assertThatThrownBy(() -> Experts.create("mystery", "m", 1, 1, new double[0], null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown expert kind 'mystery'");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(classes = {NlmsExpert.class, RlsExpert.class, FunctionExpert.class, SoftmaxExpert.class})
  void stateLengthIsTheLengthOfTheStateOfAnExpertOfThatShape(Class<?> type) {
    // What a snapshot reader checks a declared expert against before it builds it.
    Expert e = create(type);
    long length = e instanceof AdaptiveExpert a ? a.state().length : 0;
    assertThat(Experts.stateLength(e.kind(), IN, OUT)).isEqualTo(length);
    assertThatThrownBy(() -> Experts.stateLength("mystery", 1, 1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("unknown expert kind 'mystery'");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(classes = {NlmsExpert.class, RlsExpert.class, FunctionExpert.class, SoftmaxExpert.class})
  void predictWritesEveryOutputDeterministicallyAndLeavesTheInputAlone(Class<?> type) {
    Expert e = create(type);
    train(e, samples(1, 50));
    assertThat(e.inputDim()).isEqualTo(IN);
    assertThat(e.outputDim()).isEqualTo(OUT);
    for (float[] x : samples(2, 20)) {
      float[] xCopy = x.clone();
      float[] out = {Float.NaN, Float.NaN};
      e.predict(x, out);
      assertThat(x).containsExactly(xCopy);
      assertThat(Float.isFinite(out[0]) && Float.isFinite(out[1])).as("every output written").isTrue();
      assertThat(predict(e, x)).containsExactly(out);
    }
    assertThat(e.predictMacs()).isEqualTo(type == FunctionExpert.class ? IN
        : type == SoftmaxExpert.class ? (long) OUT * (IN + 2) : (long) OUT * (IN + 1));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(classes = {NlmsExpert.class, RlsExpert.class, FunctionExpert.class, SoftmaxExpert.class})
  void copyKeepsEveryFieldAndIsIndependent(Class<?> type) {
    Expert e = create(type);
    train(e, samples(3, 40));
    Expert c = e.copy();
    assertThat(c).isNotSameAs(e).isInstanceOf(type);
    assertThat(c.name()).isEqualTo(e.name());
    assertThat(c.kind()).isEqualTo(e.kind());
    assertThat(c.inputDim()).isEqualTo(e.inputDim());
    assertThat(c.outputDim()).isEqualTo(e.outputDim());
    assertThat(c.hyperParameters()).containsExactly(e.hyperParameters());
    assertThat(c.predictMacs()).isEqualTo(e.predictMacs());
    if (e instanceof AdaptiveExpert a) {
      AdaptiveExpert ac = (AdaptiveExpert) c;
      assertThat(ac.state()).containsExactly(a.state());
      assertThat(ac.learnMacs()).isEqualTo(a.learnMacs());
      // Same future: the hidden hyper-parameters (eps, leak, lambda, delta) were copied too.
      float[][] more = samples(4, 30);
      train(e, more);
      train(c, more);
      assertThat(ac.state()).containsExactly(a.state());
      // Independent: learning on the copy does not touch the original.
      float[] before = a.state();
      train(c, samples(5, 10));
      assertThat(a.state()).containsExactly(before);
      assertThat(ac.state()).isNotEqualTo(before);
    } else {
      assertThat(((FunctionExpert) c).function()).isSameAs(((FunctionExpert) e).function());
    }
    for (float[] x : samples(6, 5)) {
      if (!(e instanceof AdaptiveExpert)) {
        assertThat(predict(c, x)).containsExactly(predict(e, x));
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(classes = {NlmsExpert.class, RlsExpert.class, FunctionExpert.class, SoftmaxExpert.class})
  void rebuildsFromWhatASnapshotRecords(Class<?> type) {
    Expert e = create(type);
    train(e, samples(7, 40));
    Expert r = Experts.create(e.kind(), e.name(), e.inputDim(), e.outputDim(), e.hyperParameters(), Models.FUNCTIONS);
    assertThat(r).isInstanceOf(type);
    assertThat(r.hyperParameters()).containsExactly(e.hyperParameters());
    if (e instanceof AdaptiveExpert a) {
      ((AdaptiveExpert) r).setState(a.state());
    }
    for (float[] x : samples(8, 10)) {
      assertThat(predict(r, x)).containsExactly(predict(e, x));
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(classes = {NlmsExpert.class, RlsExpert.class, FunctionExpert.class, SoftmaxExpert.class})
  void hyperParametersAreACopy(Class<?> type) {
    Expert e = create(type);
    double[] h = e.hyperParameters();
    double[] keep = h.clone();
    Arrays.fill(h, 123.0);
    assertThat(e.hyperParameters()).containsExactly(keep);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(classes = {NlmsExpert.class, RlsExpert.class, FunctionExpert.class, SoftmaxExpert.class})
  void adaptiveExpertsKeepTheLearningContractAndFunctionExpertsAreFrozen(Class<?> type) {
    Expert e = create(type);
    if (!(e instanceof AdaptiveExpert a)) {
      assertThat(e).as("a function expert never learns").isNotInstanceOf(AdaptiveExpert.class);
      return;
    }
    train(e, samples(9, 20));
    float[] state = a.state();
    // state() is a copy
    a.state()[0] = 99f;
    assertThat(a.state()).containsExactly(state);
    // credit 0 (and negative) changes nothing; learn never modifies its arguments
    float[] x = {0.3f, -1f, 2f};
    float[] y = target(x);
    float[] p = predict(e, x);
    float[] xc = x.clone();
    float[] yc = y.clone();
    float[] pc = p.clone();
    a.learn(x, new float[] {50f, -50f}, p, 0f);
    a.learn(x, new float[] {50f, -50f}, p, -1f);
    assertThat(a.state()).containsExactly(state);
    a.learn(x, y, p, 0.5f);
    assertThat(x).containsExactly(xc);
    assertThat(y).containsExactly(yc);
    assertThat(p).containsExactly(pc);
    // setState rejects a wrong length or a non-finite value and keeps the old state
    float[] now = a.state();
    assertThatThrownBy(() -> a.setState(new float[now.length + 1]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must have " + now.length + " values");
    float[] bad = now.clone();
    bad[bad.length - 1] = Float.NaN;
    assertThatThrownBy(() -> a.setState(bad)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("non-finite");
    bad[bad.length - 1] = Float.NEGATIVE_INFINITY;
    assertThatThrownBy(() -> a.setState(bad)).isInstanceOf(IllegalArgumentException.class);
    assertThat(a.state()).containsExactly(now);
    // setState round trip
    a.setState(state);
    assertThat(a.state()).containsExactly(state);
    assertThat(a.learnMacs()).isPositive();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(classes = {NlmsExpert.class, RlsExpert.class})
  void errorDoesNotGrowOnAStationarySignal(Class<?> type) {
    // Plain filters (no leak, no forgetting): a noiseless stationary linear system.
    AdaptiveExpert a = type == NlmsExpert.class ? new NlmsExpert("n", IN, OUT, 0.7) : new RlsExpert("r", IN, OUT, 1.0, 0.5);
    float[][] xs = samples(10, 1200);
    double[] windowMse = new double[12];
    float[] p = new float[OUT];
    for (int t = 0; t < xs.length; t++) {
      float[] y = target(xs[t]);
      a.predict(xs[t], p);
      windowMse[t / 100] += (Math.pow(y[0] - p[0], 2) + Math.pow(y[1] - p[1], 2)) / 100;
      a.learn(xs[t], y, p.clone(), 1f);
    }
    for (int w = 1; w < windowMse.length; w++) {
      assertThat(windowMse[w]).as("window %d of %s", w, Arrays.toString(windowMse))
          .isLessThanOrEqualTo(windowMse[w - 1] * 1.05 + 1e-5); // 1e-5: float round-off floor
    }
    assertThat(windowMse[0]).isGreaterThan(0.1);
    assertThat(windowMse[11]).isLessThan(1e-4);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(classes = {NlmsExpert.class, RlsExpert.class, FunctionExpert.class, SoftmaxExpert.class})
  void constructorsRejectBadShapes(Class<?> type) {
    if (type == NlmsExpert.class) {
      assertThatThrownBy(() -> new NlmsExpert("n", 0, 1, 0.5)).hasMessageContaining("dimensions must be > 0");
      assertThatThrownBy(() -> new NlmsExpert(null, 1, 1, 0.5)).isInstanceOf(NullPointerException.class).hasMessageContaining("name");
    } else if (type == SoftmaxExpert.class) {
      assertThatThrownBy(() -> new SoftmaxExpert("s", 2, 1, 0.5, 1e-3, 0)).hasMessageContaining("at least 2 classes");
      assertThatThrownBy(() -> new SoftmaxExpert("s", 2, 3, 2.0, 1e-3, 0)).hasMessageContaining("(0, 2)");
      assertThatThrownBy(() -> new SoftmaxExpert("s", 2, 3, 0.5, 1e-3, 2.0)).hasMessageContaining("leak");
    } else if (type == RlsExpert.class) {
      assertThatThrownBy(() -> new RlsExpert("r", 1, 0, 1, 1)).hasMessageContaining("dimensions must be > 0");
      assertThatThrownBy(() -> new RlsExpert(null, 1, 1, 1, 1)).isInstanceOf(NullPointerException.class);
    } else {
      assertThatThrownBy(() -> new FunctionExpert("f", -1, 1, (x, y) -> { }, 1)).hasMessageContaining("dimensions must be > 0");
      assertThatThrownBy(() -> new FunctionExpert("f", 1, 1, null, 1)).isInstanceOf(NullPointerException.class).hasMessageContaining("function");
      assertThatThrownBy(() -> new FunctionExpert("f", 1, 1, (x, y) -> { }, -1)).hasMessageContaining("macs must be >= 0");
    }
  }

  @Test
  void softmaxOutputsADistributionAndLearnsToSeparateClasses() {
    SoftmaxExpert e = new SoftmaxExpert("s", IN, 3, 0.5, 1e-3, 0);
    Random r = new Random(4);
    float[] p = new float[3];
    int correct = 0;
    for (int t = 0; t < 4000; t++) {
      float[] x = {(float) r.nextGaussian(), (float) r.nextGaussian(), (float) r.nextGaussian()};
      int c = x[0] > 0.5f ? 0 : x[1] > 0 ? 1 : 2;
      e.predict(x, p);
      assertThat((double) (p[0] + p[1] + p[2])).isCloseTo(1.0, org.assertj.core.api.Assertions.within(1e-5));
      int best = p[0] >= p[1] && p[0] >= p[2] ? 0 : p[1] >= p[2] ? 1 : 2;
      if (t >= 3000 && best == c) {
        correct++;
      }
      float[] y = new float[3];
      y[c] = 1f;
      e.learn(x, y, p.clone(), 1f);
    }
    assertThat(correct).as("accuracy on the last 1000").isGreaterThan(850);
    float[] huge = {1e30f, -1e30f, 1e30f};
    e.predict(huge, p);
    assertThat(Float.isFinite(p[0] + p[1] + p[2])).as("extreme inputs give a distribution").isTrue();
  }
}
