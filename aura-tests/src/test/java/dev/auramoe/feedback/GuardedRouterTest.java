package dev.auramoe.feedback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.MixtureOfExperts;
import dev.auramoe.balance.BalanceConfig;
import dev.auramoe.routing.RouteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.NoSuchElementException;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Teaching the router directly: labels, feedback and its guard-rails ({@link GuardedRouter}). */
class GuardedRouterTest {

  private static final int IN = 6;
  private static final int EXPERTS = 4;

  private static MixtureOfExperts model() {
    return MixtureOfExperts.builder(IN, 1).experts(dev.auramoe.experts.Experts.nlms("e", EXPERTS, IN, 1, 0.5)).topK(2).balance(BalanceConfig.OFF).seed(9).build();
  }

  /** Class c's inputs point along axis c, with noise. */
  private static float[] x(Random r, int c) {
    float[] x = new float[IN];
    for (int i = 0; i < IN; i++) {
      x[i] = (float) r.nextGaussian() * 0.2f;
    }
    x[c] += 1f;
    return x;
  }

  /** A route on a fresh stream state, remembered: what a text router does for each text. */
  private record Routed(String id, float[] h, float[] x, float[] p, int[] chosen) {}

  private static Routed route(MixtureOfExperts m, GuardedRouter g, float[] x) {
    m.resetStream(MixtureOfExperts.DEFAULT_STREAM);
    RouteBuffer b = m.newRouteBuffer();
    m.route(MixtureOfExperts.DEFAULT_STREAM, x, b);
    float[] h = m.state(MixtureOfExperts.DEFAULT_STREAM);
    float[] p = b.probabilitiesArray().clone();
    int[] chosen = Arrays.copyOf(b.expertsArray(), b.k());
    String id = g == null ? null : g.remember(h, x, chosen, chosen.length, p);
    return new Routed(id, h, x, p, chosen);
  }

  private static int argmax(float[] p) {
    int best = 0;
    for (int i = 1; i < p.length; i++) {
      if (p[i] > p[best]) {
        best = i;
      }
    }
    return best;
  }

  private static double norm(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      double d = (double) a[i] - b[i];
      s += d * d;
    }
    return Math.sqrt(s);
  }

  @Test
  void routerParametersRoundTripBitForBitAndBadOnesChangeNothing() {
    MixtureOfExperts m = model();
    float[] p = m.routerParameters();
    assertThat(p).hasSize(m.routerParameterCount());
    assertThat(p.length).isEqualTo(m.hidden() * EXPERTS + IN * EXPERTS + EXPERTS);
    String digest = m.digest();
    float[] changed = p.clone();
    changed[0] += 1f;
    changed[p.length - 1] -= 1f;
    m.setRouterParameters(changed);
    assertThat(m.digest()).isNotEqualTo(digest);
    assertThat(m.routerParameters()).isEqualTo(changed);
    m.setRouterParameters(p);
    assertThat(m.digest()).isEqualTo(digest);

    float[] nan = p.clone();
    nan[3] = Float.NaN;
    assertThatThrownBy(() -> m.setRouterParameters(nan)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("index 3");
    assertThatThrownBy(() -> m.setRouterParameters(new float[5])).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("length");
    assertThat(m.digest()).isEqualTo(digest);
  }

  @Test
  void teachingMovesTheTargetExpertsLogitWithinTheBound() {
    MixtureOfExperts m = model();
    Random r = new Random(1);
    float[] x = x(r, 0);
    Routed before = route(m, null, x);
    int target = 3;
    float[] delta = new float[EXPERTS];
    for (int e = 0; e < EXPERTS; e++) {
      delta[e] = (e == target ? 1f : 0f) - before.p[e];
    }
    float[] p0 = m.routerParameters();
    double change = m.teachRouter(before.h, x, delta, Double.POSITIVE_INFINITY);
    assertThat(change).isCloseTo(norm(m.routerParameters(), p0), org.assertj.core.api.Assertions.within(1e-4));
    Routed after = route(m, null, x);
    assertThat(after.p[target]).isGreaterThan(before.p[target]);

    float[] p1 = m.routerParameters();
    double bounded = m.teachRouter(after.h, x, delta, 0.01);
    assertThat(bounded).isLessThanOrEqualTo(0.01);
    assertThat(norm(m.routerParameters(), p1)).isLessThanOrEqualTo(0.01 * (1 + 1e-4));

    String digest = m.digest();
    assertThatThrownBy(() -> m.teachRouter(after.h, x, new float[] {Float.NaN, 0, 0, 0}, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("delta");
    assertThatThrownBy(() -> m.teachRouter(after.h, x, delta, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> m.teachRouter(new float[1], x, delta, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThat(m.digest()).isEqualTo(digest);
  }

  @Test
  void anInputWhoseSquaredNormIsBeyondFloatRangeTeachesNothingAndSaysSoWithAFiniteNumber() {
    MixtureOfExperts m = model();
    Random r = new Random(9);
    float[] x = x(r, 0);
    for (int i = 0; i < x.length; i++) {
      x[i] = 1e30f * (i % 2 == 0 ? 1 : -1);
    }
    Routed routed = route(m, null, x);
    float[] delta = new float[EXPERTS];
    delta[1] = 1f - routed.p[1];
    String digest = m.digest();
    // |z|^2 overflows a float: the normalised step delta / |z|^2 moves no parameter by as much as the
    // smallest float, and the change reported is that of the parameters: none.
    assertThat(m.teachRouter(routed.h, x, delta, 1)).isZero();
    assertThat(m.teachRouter(routed.h, x, delta, Double.POSITIVE_INFINITY)).isZero();
    assertThat(m.digest()).isEqualTo(digest);
  }

  @Test
  void labelsTeachTheRouterToSeparateClasses() {
    MixtureOfExperts m = model();
    GuardedRouter g = new GuardedRouter(m, FeedbackRules.DEFAULT);
    Random r = new Random(2);
    for (int t = 0; t < 400; t++) {
      int c = t % EXPERTS;
      Routed x = route(m, null, x(r, c));
      g.learnLabel(x.h, x.x, x.p, c);
    }
    int right = 0;
    for (int t = 0; t < 200; t++) {
      int c = t % EXPERTS;
      right += argmax(route(m, null, x(r, c)).p) == c ? 1 : 0;
    }
    assertThat(right).isGreaterThan(190);
  }

  @Test
  void feedbackAloneTeachesTheRouter() {
    MixtureOfExperts m = model();
    GuardedRouter g = new GuardedRouter(m, FeedbackRules.DEFAULT);
    Random r = new Random(3);
    for (int t = 0; t < 1500; t++) {
      int c = t % EXPERTS;
      Routed x = route(m, g, x(r, c));
      for (int e : x.chosen) {
        g.feedback(x.id, e, e == c ? 1 : 0);
      }
    }
    int right = 0;
    for (int t = 0; t < 200; t++) {
      int c = t % EXPERTS;
      right += route(m, null, x(r, c)).chosen[0] == c ? 1 : 0;
    }
    assertThat(right).isGreaterThan(180);
    assertThat(g.pendingRoutes()).isZero();
  }

  @Test
  void adversarialFeedbackCannotPushTheRouterPastItsBounds() {
    MixtureOfExperts m = model();
    FeedbackRules rules = FeedbackRules.DEFAULT.withMaxStep(0.05).withMaxDrift(0.5);
    GuardedRouter g = new GuardedRouter(m, rules);
    float[] anchor = m.routerParameters();
    Random r = new Random(4);
    boolean capped = false;
    for (int t = 0; t < 500; t++) {
      int c = t % EXPERTS;
      Routed x = route(m, g, x(r, c));
      for (int e : x.chosen) {
        float[] before = m.routerParameters();
        FeedbackOutcome o = g.feedback(x.id, e, e == c ? 0 : 1);  // rewards the wrong experts only
        assertThat(o.change()).isLessThanOrEqualTo(0.05);
        float[] after = m.routerParameters();
        if (!o.driftCapped()) {
          assertThat(norm(after, before)).isLessThanOrEqualTo(0.05 * (1 + 1e-4));
        }
        assertThat(norm(after, anchor)).isLessThanOrEqualTo(0.5 * (1 + 1e-5));
        assertThat(o.drift()).isLessThanOrEqualTo(0.5 * (1 + 1e-5));
        capped |= o.driftCapped();
      }
    }
    assertThat(capped).isTrue();
    assertThat(g.drift()).isGreaterThan(0.49);
  }

  @Test
  void rollbackRestoresTheRouterBitForBit() {
    MixtureOfExperts m = model();
    GuardedRouter g = new GuardedRouter(m, FeedbackRules.DEFAULT);
    Random r = new Random(5);
    for (int t = 0; t < 50; t++) {
      Routed x = route(m, null, x(r, t % EXPERTS));
      g.learnLabel(x.h, x.x, x.p, t % EXPERTS);
    }
    g.anchor();
    float[] anchor = m.routerParameters();
    Routed probe = route(m, null, x(r, 1));
    for (int t = 0; t < 100; t++) {
      Routed x = route(m, g, x(r, t % EXPERTS));
      g.feedback(x.id, x.chosen[0], 1);
    }
    m.resetStream(MixtureOfExperts.DEFAULT_STREAM);
    assertThat(m.routerParameters()).isNotEqualTo(anchor);
    g.rollback();
    assertThat(m.routerParameters()).isEqualTo(anchor);
    assertThat(g.drift()).isZero();
    Routed again = route(m, null, probe.x);
    assertThat(again.p).isEqualTo(probe.p);
  }

  @Test
  void everyChangeGoesThroughTheChangesPathSoThatAJournalCanReplayIt() {
    MixtureOfExperts m = model();
    MixtureOfExperts replica = model();
    java.util.List<Runnable> journal = new java.util.ArrayList<>();
    GuardedRouter.Changes journaled = new GuardedRouter.Changes() {
      @Override
      public double teach(float[] h, float[] x, float[] delta, double maxChange) {
        float[] hc = h.clone();
        float[] xc = x.clone();
        float[] dc = delta.clone();
        journal.add(() -> replica.teachRouter(hc, xc, dc, maxChange));
        return m.teachRouter(h, x, delta, maxChange);
      }

      @Override
      public void setRouterParameters(float[] p) {
        float[] pc = p.clone();
        journal.add(() -> replica.setRouterParameters(pc));
        m.setRouterParameters(p);
      }
    };
    GuardedRouter g = new GuardedRouter(m, FeedbackRules.DEFAULT.withMaxStep(0.2).withMaxDrift(0.4),
        InstantSource.system(), journaled);
    Random r = new Random(8);
    for (int t = 0; t < 200; t++) {
      int c = t % EXPERTS;
      Routed x = route(m, g, x(r, c));
      if (t % 3 == 0) {
        g.learnLabel(x.h, x.x, x.p, c);
      }
      for (int e : x.chosen) {
        g.feedback(x.id, e, e == c ? 1 : 0);
      }
      if (t == 150) {
        g.rollback();
      }
    }
    journal.forEach(Runnable::run);
    assertThat(replica.routerParameters()).isEqualTo(m.routerParameters());
    float[] anchor = g.anchorParameters();
    GuardedRouter restored = new GuardedRouter(replica, g.rules());
    restored.setAnchor(anchor);
    assertThat(restored.drift()).isEqualTo(g.drift());
    assertThatThrownBy(() -> restored.setAnchor(new float[3])).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void frozenRoutersLearnNothing() {
    MixtureOfExperts m = model();
    GuardedRouter g = new GuardedRouter(m, FeedbackRules.DEFAULT);
    Random r = new Random(6);
    g.freeze();
    float[] before = m.routerParameters();
    Routed x = route(m, g, x(r, 0));
    FeedbackOutcome o = g.feedback(x.id, x.chosen[0], 1);
    assertThat(o.frozen()).isTrue();
    assertThat(o.change()).isZero();
    assertThat(o.drift()).as("not measured without a cap").isNaN();
    assertThat(g.learnLabel(x.h, x.x, x.p, 2)).isZero();
    assertThat(m.routerParameters()).isEqualTo(before);
    assertThatThrownBy(() -> g.feedback(x.id, x.chosen[0], 1)).isInstanceOf(IllegalStateException.class);
    g.unfreeze();
    assertThat(g.feedback(x.id, x.chosen[1], 1).change()).isPositive();
  }

  @Test
  void badFeedbackIsRefusedAndChangesNothing() {
    MixtureOfExperts m = model();
    AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));
    InstantSource clock = now::get;
    GuardedRouter g = new GuardedRouter(m, FeedbackRules.DEFAULT.withRoutes(3, Duration.ofMinutes(5)), clock);
    Random r = new Random(7);
    Routed x = route(m, g, x(r, 0));
    int notChosen = 0;
    while (notChosen == x.chosen[0] || notChosen == x.chosen[1]) {
      notChosen++;
    }
    String unchosen = m.expertNames().get(notChosen);
    float[] before = m.routerParameters();
    for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, -0.01, 1.5, 1e30}) {
      assertThatThrownBy(() -> g.feedback(x.id, x.chosen[0], bad)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("reward");
    }
    assertThatThrownBy(() -> g.feedback(x.id, "no-such-expert", 1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown expert 'no-such-expert'");
    assertThatThrownBy(() -> g.feedback(x.id, unchosen, 1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("was not chosen");
    String e = "-" + g.epoch();
    // an epoch of digits only reads the same in upper case: then the last id is another malformed one
    String upper = g.epoch().equals(g.epoch().toUpperCase()) ? "r1-" + g.epoch() + "0" : "r1-" + g.epoch().toUpperCase();
    for (String id : new String[] {"r99" + e, "r0" + e, "r01" + e, "r+1" + e, "x1" + e, "", "r", "r1", e, "r1-",
        "r99999999999999999999" + e, x.id + "0", upper}) {
      assertThatThrownBy(() -> g.feedback(id, x.chosen[0], 1)).isInstanceOf(NoSuchElementException.class)
          .hasMessageContaining("never issued");
    }
    assertThat(m.routerParameters()).isEqualTo(before);

    // expired by age
    now.set(now.get().plus(Duration.ofMinutes(6)));
    assertThatThrownBy(() -> g.feedback(x.id, x.chosen[0], 1)).isInstanceOf(NoSuchElementException.class)
        .hasMessageContaining("expired");
    // expired by count: only the last 3 routes wait
    Routed first = route(m, g, x(r, 1));
    for (int i = 0; i < 3; i++) {
      route(m, g, x(r, 2));
    }
    assertThatThrownBy(() -> g.feedback(first.id, first.chosen[0], 1)).isInstanceOf(NoSuchElementException.class)
        .hasMessageContaining("expired");
    assertThat(m.routerParameters()).isEqualTo(before);
    assertThat(g.pendingRoutes()).isEqualTo(3);
  }

  /** The changes a guarded router sends to the model, recorded before they are applied (as a journal does). */
  private static final class Recording implements GuardedRouter.Changes {
    final MixtureOfExperts m;
    final java.util.List<String> log = new java.util.ArrayList<>();
    int failures;

    Recording(MixtureOfExperts m) {
      this.m = m;
    }

    @Override
    public double teach(float[] h, float[] x, float[] delta, double maxChange) {
      if (failures > 0) {
        failures--;
        throw new java.io.UncheckedIOException(new java.io.IOException("journal disk full"));
      }
      log.add("teach");
      return m.teachRouter(h, x, delta, maxChange);
    }

    @Override
    public void setRouterParameters(float[] p) {
      log.add("set");
      m.setRouterParameters(p);
    }
  }

  @Test
  void aLabelWithBadFeaturesNeverReachesTheChangesPath() {
    MixtureOfExperts m = model();
    Recording journal = new Recording(m);
    GuardedRouter g = new GuardedRouter(m, FeedbackRules.DEFAULT, InstantSource.system(), journal);
    Routed x = route(m, null, x(new Random(11), 0));
    float[] badH = x.h.clone();
    badH[0] = Float.NaN;
    float[] badX = x.x.clone();
    badX[1] = Float.POSITIVE_INFINITY;
    assertThatThrownBy(() -> g.learnLabel(badH, x.x, x.p, 1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("router state h");
    assertThatThrownBy(() -> g.learnLabel(x.h, badX, x.p, 1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("input x");
    assertThatThrownBy(() -> g.learnLabel(new float[2], x.x, x.p, 1)).isInstanceOf(IllegalArgumentException.class);
    // a journal that logs before it applies must not hold a change the model refused: its replay would fail
    assertThat(journal.log).isEmpty();
  }

  @Test
  void aFeedbackWhoseChangeFailedCanBeSentAgain() {
    MixtureOfExperts m = model();
    Recording journal = new Recording(m);
    GuardedRouter g = new GuardedRouter(m, FeedbackRules.DEFAULT, InstantSource.system(), journal);
    Routed x = route(m, g, x(new Random(12), 0));
    float[] before = m.routerParameters();
    journal.failures = 1;
    assertThatThrownBy(() -> g.feedback(x.id, x.chosen[0], 1)).isInstanceOf(java.io.UncheckedIOException.class);
    assertThat(m.routerParameters()).isEqualTo(before);
    assertThat(g.pendingRoutes()).isEqualTo(1);
    // nothing was applied, so the feedback was not received: a retry is accepted and teaches the router
    assertThat(g.feedback(x.id, x.chosen[0], 1).change()).isPositive();
  }

  @Test
  void theDriftCapHoldsWithoutToleranceEvenForSmallCaps() {
    for (double cap : new double[] {1e-2, 1e-3, 1e-4}) {
      MixtureOfExperts m = model();
      FeedbackRules rules = FeedbackRules.DEFAULT.withMaxStep(cap / 4).withMaxDrift(cap);
      GuardedRouter g = new GuardedRouter(m, rules);
      float[] anchor = m.routerParameters();
      Random r = new Random(13);
      for (int t = 0; t < 200; t++) {
        int c = t % EXPERTS;
        Routed x = route(m, g, x(r, c));
        for (int e : x.chosen) {
          FeedbackOutcome o = g.feedback(x.id, e, e == c ? 0 : 1);
          assertThat(o.drift()).as("cap %s, route %s", cap, x.id).isLessThanOrEqualTo(cap);
          assertThat(norm(m.routerParameters(), anchor)).as("cap %s, route %s", cap, x.id).isLessThanOrEqualTo(cap);
        }
      }
      assertThat(g.drift()).isGreaterThan(cap * 0.9);
    }
  }

  @Test
  void routeIdsAreReadInAsciiDigitsOnly() {
    MixtureOfExperts m = model();
    GuardedRouter g = new GuardedRouter(m, FeedbackRules.DEFAULT);
    Routed x = route(m, g, x(new Random(14), 0));
    assertThat(x.id).isEqualTo("r1-" + g.epoch());
    float[] before = m.routerParameters();
    // Arabic-Indic, Devanagari and full-width "1": Long.parseLong reads them as 1, but "r1" is the only id issued
    for (String id : new String[] {"r\u0661-" + g.epoch(), "r\u0967-" + g.epoch(), "r\uFF11-" + g.epoch()}) {
      assertThatThrownBy(() -> g.feedback(id, x.chosen[0], 1)).as(id).isInstanceOf(NoSuchElementException.class)
          .hasMessageContaining("never issued");
    }
    assertThat(m.routerParameters()).isEqualTo(before);
    assertThat(g.pendingRoutes()).isEqualTo(1);
  }

  @Test
  void aRouteLifetimeTheClockCannotReachBackIsRefusedByTheRules() {
    Duration forever = java.time.temporal.ChronoUnit.FOREVER.getDuration();
    // accepted, such a lifetime made every remember and feedback throw DateTimeException (Instant.minus overflows)
    assertThatThrownBy(() -> FeedbackRules.DEFAULT.withRoutes(10, forever)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("routeLifetime");
    // a lifetime that a file cannot keep in milliseconds
    for (Duration d : new Duration[] {Duration.ofNanos(500_000), Duration.ofNanos(1_500_000), Duration.ZERO}) {
      assertThatThrownBy(() -> FeedbackRules.DEFAULT.withRoutes(10, d)).as("%s", d)
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("routeLifetime");
    }
    assertThat(FeedbackRules.DEFAULT.withRoutes(10, Duration.ofMillis(1)).routeLifetime()).isEqualTo(Duration.ofMillis(1));
    FeedbackRules longest = FeedbackRules.DEFAULT.withRoutes(10, Duration.ofDays(36_500));
    MixtureOfExperts m = model();
    GuardedRouter g = new GuardedRouter(m, longest);
    Routed x = route(m, g, x(new Random(15), 0));
    assertThat(g.feedback(x.id, x.chosen[0], 1).change()).isPositive();
  }

  @Test
  void teachRouterReportsTheChangeItMadeForHugeFiniteInputs() {
    MixtureOfExperts m = model();
    Routed x = route(m, null, x(new Random(16), 0));
    float[] huge = new float[IN];
    Arrays.fill(huge, 1e30f);
    float[] before = m.routerParameters();
    double change = m.teachRouter(x.h, huge, new float[] {1, 0, 0, 0}, 1.0);
    assertThat(change).isEqualTo(norm(m.routerParameters(), before), org.assertj.core.api.Assertions.within(1e-6));
  }

  @Test
  void teachRouterMovesTheLogitOfTheFeaturesByRateTimesDelta() {
    MixtureOfExperts m = model();
    Routed x = route(m, null, x(new Random(17), 2));
    float[] delta = {0.5f, -0.25f, 0f, 0.125f};
    double[] before = logits(m, x.h, x.x);
    m.teachRouter(x.h, x.x, delta, Double.POSITIVE_INFINITY);
    double[] after = logits(m, x.h, x.x);
    for (int e = 0; e < EXPERTS; e++) {
      assertThat(after[e] - before[e]).as("expert %d", e)
          .isCloseTo(m.routerLearningRate() * delta[e], org.assertj.core.api.Assertions.within(1e-5));
    }
  }

  /** R h + Q x + r from the flat layout of routerParameters(). */
  private static double[] logits(MixtureOfExperts m, float[] h, float[] x) {
    float[] p = m.routerParameters();
    int hidden = m.hidden();
    double[] l = new double[EXPERTS];
    for (int e = 0; e < EXPERTS; e++) {
      for (int i = 0; i < hidden; i++) {
        l[e] += (double) p[i * EXPERTS + e] * h[i];
      }
      for (int i = 0; i < IN; i++) {
        l[e] += (double) p[hidden * EXPERTS + i * EXPERTS + e] * x[i];
      }
      l[e] += p[hidden * EXPERTS + IN * EXPERTS + e];
    }
    return l;
  }

  @Test
  void routeIdsOfAnotherRunAreRefusedAsSuch() {
    MixtureOfExperts m = model();
    GuardedRouter before = new GuardedRouter(m, FeedbackRules.DEFAULT);
    Routed x = route(m, before, x(new Random(15), 0));
    GuardedRouter after = new GuardedRouter(m, FeedbackRules.DEFAULT);
    Routed y = route(m, after, x(new Random(16), 1));
    assertThat(after.epoch()).isNotEqualTo(before.epoch()).matches("[0-9a-f]{8}");
    assertThat(y.id).isNotEqualTo(x.id);
    float[] params = m.routerParameters();
    assertThatThrownBy(() -> after.feedback(x.id, x.chosen[0], 1)).isInstanceOf(NoSuchElementException.class)
        .hasMessageContaining("another run");
    assertThat(m.routerParameters()).isEqualTo(params);
  }
}
