package dev.auramoe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.balance.BalanceConfig;
import dev.auramoe.experts.Expert;
import dev.auramoe.experts.FunctionExpert;
import dev.auramoe.io.SnapshotFormat;
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
  void aStreamStateOfAnotherExpertCountIsRefused() {
    MixtureOfExperts m = trained();
    MixtureOfExperts two = MixtureOfExperts.builder(2, 1).experts(experts().subList(0, 2)).topK(1)
        .routerLearningRate(0f).balance(BalanceConfig.OFF).recentErrors(new RecentErrors(2f, 0.5f)).seed(3).build();
    byte[] state = m.exportStream("a");
    assertThatThrownBy(() -> two.importStream("a", state)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("recent errors of 3 experts").hasMessageContaining("recent errors of 2 experts");
    assertThat(two.streams()).containsExactly(S);
  }

  @Test
  void aFreshExpertStartsUntriedAndTheOthersKeepTheirs() {
    MixtureOfExperts m = trained();
    float[] x = {0.3f, -1f};
    float[] before = m.route("a", x).probabilities().clone();
    MixtureOfExperts more = m.withExpert(new FunctionExpert("zero2", 2, 1, FUNCTIONS.apply("zero"), 1));
    float[] after = more.route("a", x).probabilities();
    // The old experts keep their averages, so their odds among themselves are unchanged; the fresh one
    // (zero router weights, no errors held against it) outranks the experts that have failed here.
    for (int e = 1; e < 3; e++) {
      assertThat(after[e] / after[0]).isCloseTo(before[e] / before[0], org.assertj.core.api.Assertions.within(1e-3f));
    }
    assertThat(after[3]).isGreaterThan(after[2]);
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
}
