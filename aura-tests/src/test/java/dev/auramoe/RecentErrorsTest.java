package dev.auramoe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.auramoe.balance.BalanceConfig;
import dev.auramoe.experts.Expert;
import dev.auramoe.experts.FunctionExpert;
import dev.auramoe.io.SnapshotFormat;
import dev.auramoe.testing.StreamBytes;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The experts' recent errors as an input of the router ({@link RecentErrors}). */
class RecentErrorsTest {

  private static final String S = MixtureOfExperts.DEFAULT_STREAM;

  private static final java.util.function.Function<String, FunctionExpert.VectorFunction> FUNCTIONS =
      name -> switch (name) {
        case "right" -> (x, o) -> o[0] = x[0];
        case "zero" -> (x, o) -> o[0] = 0f;
        case "five" -> (x, o) -> o[0] = 5f;
        default -> null;
      };

  private static List<Expert> experts() {
    return List.of(new FunctionExpert("right", 2, 1, FUNCTIONS.apply("right"), 1),
        new FunctionExpert("zero", 2, 1, FUNCTIONS.apply("zero"), 1),
        new FunctionExpert("five", 2, 1, FUNCTIONS.apply("five"), 1));
  }

  /**
   * Three frozen experts, one right for y = x0 ("right"), one for y = 5 ("five"), one wrong for both; a
   * frozen router, so that only the recent errors can move the routing.
   */
  private static MixtureOfExperts model(RecentErrors recent) {
    return MixtureOfExperts.builder(2, 1).experts(experts()).topK(1).routerLearningRate(0f)
        .balance(BalanceConfig.OFF).recentErrors(recent).seed(3).build();
  }

  private static float[] x(Random r) {
    return new float[] {(float) r.nextGaussian() * 2, (float) r.nextGaussian()};
  }

  @Test
  void theRouterTurnsToTheExpertThatPredictedBestOfLate() {
    MixtureOfExperts on = model(RecentErrors.DEFAULT);
    MixtureOfExperts off = model(RecentErrors.OFF);
    Random r = new Random(11);
    int rightOn = 0;
    int rightOff = 0;
    for (int t = 0; t < 300; t++) {
      float[] x = x(r);
      float[] y = {x[0]};
      if (on.learn(S, x, y).experts()[0] == 0 && t >= 100) {
        rightOn++;
      }
      if (off.learn(S, x, y).experts()[0] == 0 && t >= 100) {
        rightOff++;
      }
    }
    // Without them the frozen router keeps its initial preferences; with them, the right expert serves.
    assertThat(rightOn).isGreaterThan(190);
    assertThat(rightOff).isLessThan(rightOn - 50);
    float[] x = {1f, 0.5f};
    assertThat(on.route(S, x).probabilities()[0]).isGreaterThan(off.route(S, x).probabilities()[0] + 0.2f);
  }

  @Test
  void eachStreamKeepsItsOwnRecentErrors() {
    // Stream "a" follows y = x0, stream "b" y = 5, interleaved: with one set of averages for the model
    // both streams would be routed alike; kept per stream, each goes to its own expert.
    MixtureOfExperts m = model(RecentErrors.DEFAULT);
    m.openStream("a");
    m.openStream("b");
    Random r = new Random(4);
    for (int t = 0; t < 200; t++) {
      float[] x = x(r);
      m.learn("a", x, new float[] {x[0]});
      m.learn("b", x(r), new float[] {5f});
    }
    float[] x = {1f, 0.5f};
    assertThat(m.route("a", x).experts()[0]).isEqualTo(0);
    assertThat(m.route("b", x).experts()[0]).isEqualTo(2);
  }

  private static MixtureOfExperts copy(MixtureOfExperts m) {
    try {
      return Snapshots.fromBytes(Snapshots.toBytes(m), FUNCTIONS);
    } catch (dev.auramoe.io.SnapshotException e) {
      throw new AssertionError(e);
    }
  }

  /** A model whose two streams have learned different things, and routes to compare. */
  private static MixtureOfExperts trained() {
    MixtureOfExperts m = model(new RecentErrors(2f, 0.5f));
    m.openStream("a");
    Random r = new Random(8);
    for (int t = 0; t < 40; t++) {
      float[] x = x(r);
      m.learn(S, x, new float[] {5f});
      m.learn("a", x, new float[] {x[0]});
    }
    return m;
  }

  @Test
  void snapshotsKeepThemInFormatTwo() throws Exception {
    MixtureOfExperts m = trained();
    byte[] file = Snapshots.toBytes(m);
    assertThat(SnapshotFormat.version(file)).isEqualTo(2);
    MixtureOfExperts back = Snapshots.fromBytes(file, FUNCTIONS);
    assertThat(back.config().recentErrors()).isEqualTo(new RecentErrors(2f, 0.5f));
    assertThat(back.digest()).isEqualTo(m.digest());
    float[] x = {0.3f, -1f};
    for (String s : List.of(S, "a")) {
      assertThat(back.route(s, x).probabilities()).containsExactly(m.route(s, x).probabilities());
    }
    // A model without them is still written as version 1.
    assertThat(SnapshotFormat.version(Snapshots.toBytes(model(RecentErrors.OFF)))).isEqualTo(1);
  }

  @Test
  void anExportedStreamCarriesThem() {
    MixtureOfExperts m = trained();
    MixtureOfExperts other = model(new RecentErrors(2f, 0.5f));
    other.importStream("a", m.exportStream("a"));
    float[] x = {0.3f, -1f};
    assertThat(other.route("a", x).experts()[0]).isEqualTo(0);
    // Without the averages the frozen router of the other model would not favour "right".
    assertThat(other.route(S, x).probabilities()[0]).isLessThan(m.route("a", x).probabilities()[0]);
  }

  @Test
  void aStreamStateOfAnotherExpertSetKeepsItsCellStateAndStartsItsRecentErrorsAtZero() {
    MixtureOfExperts m = trained();
    byte[] state = m.exportStream("a");
    assertThat(StreamBytes.recentErrors(state)).isNotEqualTo(new float[3]);
    // Same count, other experts (one renamed): the averages belong to other experts and are dropped.
    MixtureOfExperts renamed = m.withExpertRenamed(2, "five2");
    renamed.importStream("b", state);
    assertThat(StreamBytes.recentErrors(renamed.exportStream("b"))).containsOnly(0f);
    assertThat(renamed.state("b")).containsExactly(m.state("a"));
    // Another count: likewise.
    MixtureOfExperts two = MixtureOfExperts.builder(2, 1).experts(experts().subList(0, 2)).topK(1)
        .routerLearningRate(0f).balance(BalanceConfig.OFF).recentErrors(new RecentErrors(2f, 0.5f)).seed(3).build();
    two.importStream("a", state);
    assertThat(StreamBytes.recentErrors(two.exportStream("a"))).containsExactly(0f, 0f);
    // The same model (the same experts) takes them as they are.
    MixtureOfExperts copy = copy(m);
    copy.importStream("c", state);
    assertThat(StreamBytes.recentErrors(copy.exportStream("c"))).containsExactly(StreamBytes.recentErrors(state));
  }

  @Test
  void expertSetChangesCarryEachExpertsRecentErrorAndStartAFreshOneAtTheMean() {
    MixtureOfExperts m = trained();
    float[] before = StreamBytes.recentErrors(m.exportStream("a"));
    // Removing expert 0: the others keep theirs, one index down.
    MixtureOfExperts fewer = m.withoutExpert(0);
    assertThat(StreamBytes.recentErrors(fewer.exportStream("a"))).containsExactly(before[1], before[2]);
    // Adding one: it starts at the mean of the others', so the router neither favours nor avoids it.
    MixtureOfExperts more = m.withExpert(new FunctionExpert("zero2", 2, 1, FUNCTIONS.apply("zero"), 1));
    float[] after = StreamBytes.recentErrors(more.exportStream("a"));
    assertThat(Arrays.copyOf(after, 3)).containsExactly(before);
    assertThat(after[3]).isCloseTo((before[0] + before[1] + before[2]) / 3, within(1e-6f));
    // Resetting an expert does the same in place.
    m.resetExpert(1);
    float[] reset = StreamBytes.recentErrors(m.exportStream("a"));
    assertThat(reset[1]).isCloseTo((before[0] + before[2]) / 2, within(1e-6f));
    assertThat(reset[0]).isEqualTo(before[0]);
  }

  @Test
  void aLearnedWindowIsRoutedWithTheRecentErrorsAtItsStartAndThenUpdatesThem() {
    MixtureOfExperts m = model(RecentErrors.DEFAULT);
    // A capacity limit routes whole windows; a factor of 4 drops nothing here.
    m.setCapacity(new dev.auramoe.routing.policy.CapacityLimiter(4.0, dev.auramoe.routing.policy.OverflowPolicy.DROP,
        1));
    int n = 32;
    Random r = new Random(6);
    float[] xs = new float[2 * n];
    float[] ys = new float[n];
    for (int t = 0; t < n; t++) {
      float[] x = x(r);
      xs[2 * t] = x[0];
      xs[2 * t + 1] = x[1];
      ys[t] = x[0];
    }
    MixtureOfExperts twin = copy(m);
    twin.setCapacity(new dev.auramoe.routing.policy.CapacityLimiter(4.0,
        dev.auramoe.routing.policy.OverflowPolicy.DROP, 1));
    var routed = new dev.auramoe.routing.policy.Assignment();
    twin.routeWindow(S, xs, n, null, routed);
    var learned = new dev.auramoe.routing.policy.Assignment();
    m.learnWindow(S, xs, ys, n, null, learned, new float[n]);
    for (int t = 0; t < n; t++) {
      assertThat(learned.expert(learned.start(t))).as("token %d", t).isEqualTo(routed.expert(routed.start(t)));
    }
    float[] recent = StreamBytes.recentErrors(m.exportStream(S));
    assertThat(recent[0]).isLessThan(recent[1]).isLessThan(recent[2]);
  }

  @Test
  void weightZeroIsOffWhateverTheRate() {
    assertThat(new RecentErrors(0f, 0.9f)).isEqualTo(RecentErrors.OFF);
    MixtureOfExperts m = model(new RecentErrors(0f, 0.9f));
    assertThat(Snapshots.toBytes(m)).satisfies(b -> assertThat(SnapshotFormat.version(b)).isEqualTo(1));
    assertThat(copy(m).config()).isEqualTo(m.config());
  }

  @Test
  void refusesABadWeightOrRate() {
    assertThatThrownBy(() -> new RecentErrors(-1f, 0.3f)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("recent-error weight");
    assertThatThrownBy(() -> new RecentErrors(Float.NaN, 0.3f)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RecentErrors(Float.POSITIVE_INFINITY, 0.3f))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RecentErrors(1f, 0f)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("recent-error rate");
    assertThatThrownBy(() -> new RecentErrors(1f, 1.5f)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MixtureOfExperts.builder(2, 1).recentErrors(null))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void aStreamsRecentErrorsAreReadAndSetAndBadOnesChangeNothing() {
    MixtureOfExperts m = model(RecentErrors.DEFAULT);
    Random r = new Random(5);
    for (int t = 0; t < 20; t++) {
      float[] x = x(r);
      m.learn(S, x, new float[] {x[0]});
    }
    float[] learned = m.recentErrors(S);
    assertThat(learned).hasSize(3);
    assertThat(learned[0]).isLessThan(learned[1]);

    // Set back from outside, they steer the routing as learned ones do.
    MixtureOfExperts fresh = model(RecentErrors.DEFAULT);
    float[] probe = {1.5f, 0.2f};
    assertThat(fresh.route(S, probe).experts()[0]).isNotEqualTo(2);
    fresh.resetStream(S);
    float[] favourFive = {1e3f, 1e3f, 0f};
    fresh.setRecentErrors(S, favourFive);
    assertThat(fresh.recentErrors(S)).containsExactly(favourFive);
    assertThat(fresh.route(S, probe).experts()[0]).isEqualTo(2);

    byte[] exported = m.exportStream(S);
    assertThatThrownBy(() -> m.setRecentErrors(S, new float[2])).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("3 values, got 2");
    assertThatThrownBy(() -> m.setRecentErrors(S, new float[] {0f, Float.NaN, 0f}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expert 1");
    assertThatThrownBy(() -> m.setRecentErrors(S, new float[] {0f, 0f, -1f}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expert 2");
    assertThatThrownBy(() -> m.setRecentErrors(S, new float[] {Float.POSITIVE_INFINITY, 0f, 0f}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expert 0");
    assertThatThrownBy(() -> m.setRecentErrors("nobody", new float[3])).isInstanceOf(java.util.NoSuchElementException.class);
    assertThatThrownBy(() -> m.setRecentErrors(S, null)).isInstanceOf(NullPointerException.class);
    assertThat(m.exportStream(S)).isEqualTo(exported);
    assertThat(model(RecentErrors.OFF).recentErrors(S)).isEmpty();
  }
}
