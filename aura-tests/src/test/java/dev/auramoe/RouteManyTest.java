package dev.auramoe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.balance.BalanceConfig;
import dev.auramoe.cell.CellConfig;
import dev.auramoe.cell.CellType;
import dev.auramoe.experts.Experts;
import dev.auramoe.routing.RouteBuffer;
import dev.auramoe.routing.policy.SinkhornPolicy;
import dev.auramoe.routing.policy.TopPPolicy;
import dev.auramoe.testing.Allocations;
import dev.auramoe.testing.Models;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code routeMany} and {@code learnMany} are bit for bit the single calls in the given order: the
 * same experts and weights, predictions and errors, every stream's final state, and the same model
 * (its digest), with streams that come many times in one call, in the default cell's shape (whose
 * products take the matrix kernels' fast paths) and in odd shapes; a refused call changes nothing;
 * the routes are counted in order for the stream limits; the steady state allocates nothing.
 */
class RouteManyTest {

  /** The bench's shape: 384 inputs, hidden 64, 16 experts, k = 2. */
  private static MixtureOfExperts benchShaped() {
    return MixtureOfExperts.builder(384, 1).experts(Experts.nlms("e", 16, 384, 1, 0.5)).topK(2)
        .balance(BalanceConfig.DEFAULT.withGamma(0.01)).seed(7).build();
  }

  /** An odd shape: hidden 12, closed-form cell with two unfolds, 5 experts, k = 3, recent errors. */
  private static MixtureOfExperts oddShaped(boolean routerUsesInput) {
    return MixtureOfExperts.builder(9, 2).experts(Experts.nlms("e", 5, 9, 2, 0.4)).topK(3)
        .routerUsesInput(routerUsesInput)
        .cell(CellConfig.DEFAULT.withHidden(12).withType(CellType.CLOSED_FORM).withUnfolds(2))
        .recentErrors(new RecentErrors(2f, 0.3f)).balance(BalanceConfig.DEFAULT.withGamma(0.02)).seed(3).build();
  }

  private static String[] openStreams(MixtureOfExperts m, int n) {
    String[] ids = new String[n];
    for (int i = 0; i < n; i++) {
      ids[i] = i == 0 ? MixtureOfExperts.DEFAULT_STREAM : "s" + i;
      if (i > 0) {
        m.openStream(ids[i]);
      }
    }
    return ids;
  }

  /** count stream ids drawn from ids, with runs of the same stream and streams that come back. */
  private static String[] drawStreams(Random r, String[] ids, int count) {
    String[] s = new String[count];
    for (int t = 0; t < count; t++) {
      s[t] = r.nextInt(5) == 0 && t > 0 ? s[t - 1] : ids[r.nextInt(ids.length)];
    }
    return s;
  }

  private static float[] gaussian(Random r, int n) {
    return Models.gaussian(r, n);
  }

  private static void assertSameBits(float[] expected, float[] actual, String what) {
    assertThat(actual.length).as(what).isEqualTo(expected.length);
    for (int i = 0; i < expected.length; i++) {
      if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
        throw new AssertionError(what + " differs at " + i + ": " + actual[i] + ", one by one " + expected[i]);
      }
    }
  }

  /** Routes the same inputs with routeMany on {@code many} and one by one on {@code single}; checks the bits. */
  private static void routeBoth(MixtureOfExperts many, MixtureOfExperts single, String[] streams, float[] xs,
      int count) {
    int d = many.inputDim();
    int k = many.topK();
    int[] experts = new int[count * k];
    float[] weights = new float[count * k];
    many.routeMany(streams, xs, count, experts, weights);
    RouteBuffer b = single.newRouteBuffer();
    int[] expectedExperts = new int[count * k];
    float[] expectedWeights = new float[count * k];
    for (int t = 0; t < count; t++) {
      single.route(streams[t], Arrays.copyOfRange(xs, t * d, (t + 1) * d), b);
      for (int j = 0; j < k; j++) {
        expectedExperts[t * k + j] = b.expert(j);
        expectedWeights[t * k + j] = b.weight(j);
      }
    }
    assertThat(experts).containsExactly(expectedExperts);
    assertSameBits(expectedWeights, weights, "weights");
  }

  private static void assertSameModel(MixtureOfExperts expected, MixtureOfExperts actual) {
    for (String id : expected.streams()) {
      assertSameBits(expected.state(id), actual.state(id), "state of stream " + id);
    }
    assertThat(actual.streams()).isEqualTo(expected.streams());
    assertThat(actual.balanceState().tokens()).isEqualTo(expected.balanceState().tokens());
    assertSameBits(expected.balanceState().bias(), actual.balanceState().bias(), "balancing bias");
    assertThat(actual.cumulativeEnergy().macs()).containsExactly(expected.cumulativeEnergy().macs());
    assertThat(Snapshots.digest(actual)).isEqualTo(Snapshots.digest(expected));
  }

  @Test
  void manyStreamsRouteAsOneByOneInTheDefaultShape() {
    MixtureOfExperts many = benchShaped();
    String[] ids = openStreams(many, 40);
    MixtureOfExperts single = Models.copy(many);
    Random r = new Random(11);
    // 700 inputs: more than one chunk, waves of many streams and of few.
    for (int count : new int[] {700, 1, 6, 37}) {
      String[] streams = drawStreams(r, ids, count);
      float[] xs = gaussian(r, count * 384);
      routeBoth(many, single, streams, xs, count);
    }
    assertSameModel(single, many);
  }

  @Test
  void oneStreamManyTimesRoutesAsOneByOne() {
    MixtureOfExperts many = benchShaped();
    MixtureOfExperts single = Models.copy(many);
    Random r = new Random(12);
    int count = 300;
    String[] streams = new String[count];
    Arrays.fill(streams, MixtureOfExperts.DEFAULT_STREAM);
    routeBoth(many, single, streams, gaussian(r, count * 384), count);
    assertSameModel(single, many);
  }

  @ParameterizedTest
  @EnumSource(CellType.class)
  void oddShapesRouteAsOneByOneWithDiagnostics(CellType type) {
    MixtureOfExperts many = MixtureOfExperts.builder(9, 2).experts(Experts.nlms("e", 5, 9, 2, 0.4)).topK(3)
        .cell(CellConfig.DEFAULT.withHidden(12).withType(type).withUnfolds(2))
        .recentErrors(new RecentErrors(2f, 0.3f)).seed(3).build();
    String[] ids = openStreams(many, 7);
    many.enableDiagnostics(50, 0.9);
    MixtureOfExperts single = Models.copy(many);
    single.enableDiagnostics(50, 0.9);
    Random r = new Random(13);
    int count = 530;
    routeBoth(many, single, drawStreams(r, ids, count), gaussian(r, count * 9), count);
    assertSameModel(single, many);
    assertThat(many.routingStats().tokens()).isEqualTo(single.routingStats().tokens()).isEqualTo(count);
    assertThat(many.routingStats().windowLoad()).containsExactly(single.routingStats().windowLoad());
    assertThat(many.routingStats().averageLoad()).containsExactly(single.routingStats().averageLoad());
  }

  @ParameterizedTest
  @EnumSource(CellType.class)
  void manyStreamsLearnAsOneByOne(CellType type) {
    for (boolean usesInput : new boolean[] {true, false}) {
      MixtureOfExperts many = Models.richModel(type, usesInput);
      MixtureOfExperts single = Models.copy(many);
      String[] ids = many.streams().toArray(String[]::new);
      Random r = new Random(14);
      learnBoth(many, single, drawStreams(r, ids, 400), r);
      assertSameModel(single, many);
    }
  }

  @Test
  void manyStreamsLearnAsOneByOneInTheDefaultShapeAndWithACausalPolicy() {
    MixtureOfExperts many = benchShaped();
    String[] ids = openStreams(many, 30);
    MixtureOfExperts single = Models.copy(many);
    Random r = new Random(15);
    learnBoth(many, single, drawStreams(r, ids, 600), r);
    assertSameModel(single, many);
    many.setRoutingPolicy(new TopPPolicy(0.6f, 1, 3));
    single.setRoutingPolicy(new TopPPolicy(0.6f, 1, 3));
    learnBoth(many, single, drawStreams(r, ids, 300), r);
    assertSameModel(single, many);
  }

  private static void learnBoth(MixtureOfExperts many, MixtureOfExperts single, String[] streams, Random r) {
    int count = streams.length;
    int d = many.inputDim();
    int o = many.outputDim();
    float[] xs = gaussian(r, count * d);
    float[] ys = new float[count * o];
    for (int t = 0; t < count; t++) {
      for (int i = 0; i < o; i++) {
        ys[t * o + i] = xs[t * d + i % d] - 0.5f * xs[t * d + (i + 1) % d];
      }
    }
    float[] yHats = new float[count * o];
    double se = many.learnMany(streams, xs, ys, count, yHats);
    float[] expected = new float[count * o];
    double expectedSe = 0;
    float[] yHat = new float[o];
    for (int t = 0; t < count; t++) {
      expectedSe += single.learn(streams[t], Arrays.copyOfRange(xs, t * d, (t + 1) * d),
          Arrays.copyOfRange(ys, t * o, (t + 1) * o), yHat);
      System.arraycopy(yHat, 0, expected, t * o, o);
    }
    assertSameBits(expected, yHats, "predictions");
    assertThat(se).isEqualTo(expectedSe);
  }

  @Test
  void aRefusedCallChangesNothing() {
    MixtureOfExperts m = oddShaped(true);
    String[] ids = openStreams(m, 4);
    Random r = new Random(16);
    int count = 20;
    String[] streams = drawStreams(r, ids, count);
    float[] xs = gaussian(r, count * 9);
    float[] ys = gaussian(r, count * 2);
    int[] experts = new int[count * 3];
    float[] weights = new float[count * 3];
    float[] yHats = new float[count * 2];
    m.learnMany(streams, xs, ys, count, yHats);
    String digest = Snapshots.digest(m);
    List<float[]> states = new ArrayList<>();
    for (String id : ids) {
      states.add(m.state(id));
    }

    String[] unknown = streams.clone();
    unknown[count - 1] = "absent";
    assertThatThrownBy(() -> m.routeMany(unknown, xs, count, experts, weights))
        .isInstanceOf(NoSuchElementException.class).hasMessageContaining("absent");
    assertThatThrownBy(() -> m.learnMany(unknown, xs, ys, count, yHats))
        .isInstanceOf(NoSuchElementException.class).hasMessageContaining("absent");
    String[] withNull = streams.clone();
    withNull[5] = null;
    assertThatThrownBy(() -> m.routeMany(withNull, xs, count, experts, weights))
        .isInstanceOf(NullPointerException.class).hasMessageContaining("streams[5]");
    assertThatThrownBy(() -> m.routeMany(null, xs, count, experts, weights)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> m.routeMany(Arrays.copyOf(streams, count - 1), xs, count, experts, weights))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("fewer than count");
    float[] nan = xs.clone();
    nan[9 * 13 + 4] = Float.NaN;
    assertThatThrownBy(() -> m.routeMany(streams, nan, count, experts, weights))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("input 13");
    float[] inf = ys.clone();
    inf[2 * 17] = Float.POSITIVE_INFINITY;
    assertThatThrownBy(() -> m.learnMany(streams, xs, inf, count, yHats))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("17");
    assertThatThrownBy(() -> m.routeMany(streams, xs, -1, experts, weights))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("negative or too large");
    assertThatThrownBy(() -> m.routeMany(streams, xs, Integer.MAX_VALUE, experts, weights))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("negative or too large");
    assertThatThrownBy(() -> m.learnMany(streams, xs, ys, Integer.MAX_VALUE / 2, yHats))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("negative or too large");
    assertThatThrownBy(() -> m.routeMany(streams, Arrays.copyOf(xs, 9 * count - 1), count, experts, weights))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("fewer than count * inputDim");
    assertThatThrownBy(() -> m.routeMany(streams, xs, count, new int[count * 3 - 1], weights))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("count * k");
    assertThatThrownBy(() -> m.learnMany(streams, xs, ys, count, ys))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("alias");
    m.setRoutingPolicy(new TopPPolicy(0.5f, 1, 3));
    assertThatThrownBy(() -> m.routeMany(streams, xs, count, experts, weights))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("routeMany");
    m.setRoutingPolicy(new SinkhornPolicy(2, 10, 1e-3));
    assertThatThrownBy(() -> m.learnMany(streams, xs, ys, count, yHats))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("whole window");
    m.setRoutingPolicy(null);

    assertThat(Snapshots.digest(m)).isEqualTo(digest);
    for (int i = 0; i < ids.length; i++) {
      assertSameBits(states.get(i), m.state(ids[i]), "state of " + ids[i]);
    }
    // The model still works, and the refused calls left no stale scratch behind.
    MixtureOfExperts single = Models.copy(m);
    routeBoth(m, single, streams, xs, count);
    assertSameModel(single, m);
  }

  @Test
  void routesAreCountedInOrderForTheStreamLimits() {
    MixtureOfExperts many = oddShaped(true);
    String[] ids = openStreams(many, 6);
    StreamLimits limits = StreamLimits.evicting(6).withRecency(StreamLimits.Recency.ROUTES);
    many.setStreamLimits(limits);
    MixtureOfExperts single = Models.copy(many);
    single.setStreamLimits(limits);
    Random r = new Random(17);
    // s1 routed first and never again: the least recently routed, evicted by the next open.
    String[] streams = {"s1", "s2", "s3", "s2", "s4", "s5", "s3", "s4", "s5", "s2"};
    routeBoth(many, single, streams, gaussian(r, streams.length * 9), streams.length);
    many.openStream("new");
    single.openStream("new");
    assertThat(many.streams()).isEqualTo(single.streams()).doesNotContain("s1").contains("new");
    assertThat(ids).contains("s1");
  }

  @Test
  void theSteadyStateAllocatesNothing() {
    MixtureOfExperts m = benchShaped();
    String[] ids = openStreams(m, 16);
    Random r = new Random(18);
    int count = 300;
    String[] streams = drawStreams(r, ids, count);
    float[] xs = gaussian(r, count * 384);
    float[] ys = gaussian(r, count);
    float[] yHats = new float[count];
    int[] experts = new int[count * 2];
    float[] weights = new float[count * 2];
    long routeBytes = Allocations.ofSteadyState(() -> m.routeMany(streams, xs, count, experts, weights), 300, 20, 50);
    assertThat(routeBytes).as("bytes allocated by 20 routeMany calls of %d inputs", count).isLessThan(1_024);
    long learnBytes = Allocations.ofSteadyState(() -> m.learnMany(streams, xs, ys, count, yHats), 200, 20, 50);
    assertThat(learnBytes).as("bytes allocated by 20 learnMany calls of %d inputs", count).isLessThan(1_024);
  }
}
