package dev.auramoe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.balance.BalanceConfig;
import dev.auramoe.cell.CellConfig;
import dev.auramoe.experts.AdaptiveExpert;
import dev.auramoe.experts.Experts;
import dev.auramoe.routing.RouteBuffer;
import dev.auramoe.routing.RoutingDecision;
import dev.auramoe.testing.Models;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The threading guarantee: learnAsync applies updates one at a time in submission order, each
 * atomically with respect to routes from any thread; routes on distinct streams do not interfere.
 *
 * <p>How the comparison stays exact although routes also write shared state: with balancing off,
 * the bias stays 0, so the balancer's loads (which concurrent routes do change) never influence a
 * selection, and the energy meter is never read by the model. What learning does is then a
 * function of the learn submissions alone, and each route stream's cell state a function of that
 * stream's inputs alone (the reservoir never learns). Both are compared bit-for-bit with
 * single-threaded replays.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConcurrencyTest {

  private static final String S = MixtureOfExperts.DEFAULT_STREAM;
  private static final int ROUTERS = 3;
  private static final int LEARNS = 1500;
  private static final int ROUTES = 1500;

  private static MixtureOfExperts model(BalanceConfig balance) {
    return MixtureOfExperts.builder(4, 1).experts(Experts.nlms("e", 5, 4, 1, 0.5)).topK(2)
        .cell(CellConfig.DEFAULT.withHidden(16)).balance(balance).credit(Credit.RESPONSIBILITY).seed(77).build();
  }

  private static float[][] inputs(long seed, int n) {
    Random r = new Random(seed);
    float[][] xs = new float[n][4];
    for (float[] x : xs) {
      for (int i = 0; i < 4; i++) {
        x[i] = (float) r.nextGaussian();
      }
    }
    return xs;
  }

  private static float[] target(float[] x, int t) {
    return new float[] {(t / 100 % 2 == 0 ? 1 : -1) * (2 * x[0] - x[3]) + 0.5f};
  }

  @Test
  void asyncLearnsApplyInSubmissionOrderWhileOtherThreadsRoute() throws Exception {
    MixtureOfExperts m = model(BalanceConfig.OFF);
    for (int i = 0; i < ROUTERS; i++) {
      m.openStream("r" + i);
    }
    float[][] learnX = inputs(1, LEARNS);
    float[][][] routeX = new float[ROUTERS][][];
    for (int i = 0; i < ROUTERS; i++) {
      routeX[i] = inputs(100 + i, ROUTES);
    }
    ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
    AtomicBoolean learning = new AtomicBoolean(true);
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < ROUTERS; i++) {
      int id = i;
      threads.add(new Thread(() -> {
        try {
          start.await();
          RouteBuffer b = m.newRouteBuffer();
          for (float[] x : routeX[id]) {
            m.route("r" + id, x, b);
            Models.assertValid(b, 2, 5);
            Models.assertWeightsAreRenormalisedProbabilities(b);
          }
        } catch (Throwable t) {
          errors.add(t);
        }
      }, "router-" + i));
    }
    // A reader that snapshots the model while it learns: every snapshot must be a consistent,
    // loadable model with finite weights (no torn update is ever visible).
    threads.add(new Thread(() -> {
      try {
        start.await();
        int snapshots = 0;
        while (learning.get() || snapshots < 3) {
          MixtureOfExperts seen = Snapshots.fromBytes(Snapshots.toBytes(m), null);
          GatingUnderExtremeInputsTest.assertAllFinite(seen);
          assertThat(seen.learnSteps()).isBetween(0L, (long) LEARNS);
          snapshots++;
        }
      } catch (Throwable t) {
        errors.add(t);
      }
    }, "snapshotter"));
    threads.forEach(Thread::start);
    start.countDown();
    // One submitting thread, so the submission order is defined.
    List<CompletableFuture<MixtureOfExperts.LearnResult>> futures = new ArrayList<>();
    for (int t = 0; t < LEARNS; t++) {
      futures.add(m.learnAsync(S, learnX[t], target(learnX[t], t)));
    }
    m.awaitLearning();
    assertThat(futures).as("awaitLearning drained the queue").allMatch(CompletableFuture::isDone);
    assertThat(m.learnSteps()).isEqualTo(LEARNS);
    learning.set(false);
    for (Thread t : threads) {
      t.join();
    }
    assertThat(errors).as("errors in other threads").isEmpty();

    // The learning replayed alone, in submission order, on one thread.
    MixtureOfExperts replay = model(BalanceConfig.OFF);
    for (int t = 0; t < LEARNS; t++) {
      MixtureOfExperts.LearnResult expected = replay.learn(S, learnX[t], target(learnX[t], t));
      MixtureOfExperts.LearnResult got = futures.get(t).join();
      assertThat(got.prediction()).as("learn %d", t).containsExactly(expected.prediction());
      assertThat(got.experts()).containsExactly(expected.experts());
      assertThat(got.weights()).containsExactly(expected.weights());
      assertThat(got.squaredError()).isEqualTo(expected.squaredError());
    }
    for (int e = 0; e < 5; e++) {
      assertThat(((AdaptiveExpert) m.expert(e)).state()).containsExactly(((AdaptiveExpert) replay.expert(e)).state());
    }
    assertThat(m.routerReadout()).containsExactly(replay.routerReadout());
    assertThat(m.state().router().bias()).containsExactly(replay.state().router().bias());
    assertThat(m.state().liquidCell().projection()).containsExactly(replay.state().liquidCell().projection());
    assertThat(m.state().errorScale).isEqualTo(replay.state().errorScale);
    assertThat(m.state(S)).containsExactly(replay.state(S));

    // Each route stream's state equals its inputs routed alone.
    MixtureOfExperts routesAlone = model(BalanceConfig.OFF);
    for (int i = 0; i < ROUTERS; i++) {
      routesAlone.openStream("r" + i);
      RouteBuffer b = routesAlone.newRouteBuffer();
      for (float[] x : routeX[i]) {
        routesAlone.route("r" + i, x, b);
      }
      assertThat(m.state("r" + i)).as("stream r%d", i).containsExactly(routesAlone.state("r" + i));
    }
    // Every call was counted once: no lost update in the shared counters.
    long tokens = LEARNS + (long) ROUTERS * ROUTES;
    assertThat(m.balanceState().tokens()).isEqualTo(tokens);
    assertThat(java.util.Arrays.stream(m.balanceState().counts()).sum()).isEqualTo(2 * tokens);
    assertThat(m.cumulativeEnergy().tokens()).isEqualTo(tokens);
    assertThat(m.balanceState().bias()).containsOnly(0f);
  }

  @Test
  void submissionOrderIsVisibleInThePredictionsWhateverTheKernels() throws Exception {
    // An order witness that needs no bit-exact replay: one NLMS expert (mu = 1, x = [1]) nearly
    // memorises its last target, so the prediction returned for the t-th submitted learn is ~ t - 1
    // exactly when the updates ran in submission order. One expert, d = 1: no kernel rounding matters.
    MixtureOfExperts m = MixtureOfExperts.builder(1, 1).expert(new dev.auramoe.experts.NlmsExpert("only", 1, 1, 1.0))
        .topK(1).cell(CellConfig.DEFAULT.withHidden(8)).build();
    m.openStream("noise");
    AtomicBoolean done = new AtomicBoolean();
    ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
    Thread router = new Thread(() -> {
      try {
        RouteBuffer b = m.newRouteBuffer();
        Random r = new Random(1);
        while (!done.get()) {
          m.route("noise", new float[] {(float) r.nextGaussian()}, b);
          m.predict(S, new float[] {1f});
        }
      } catch (Throwable t) {
        errors.add(t);
      }
    });
    router.start();
    List<CompletableFuture<MixtureOfExperts.LearnResult>> f = new ArrayList<>();
    for (int t = 0; t < 2000; t++) {
      f.add(m.learnAsync(S, new float[] {1f}, new float[] {t}));
    }
    m.awaitLearning();
    done.set(true);
    router.join();
    assertThat(errors).isEmpty();
    for (int t = 1; t < 2000; t++) {
      assertThat((double) f.get(t).join().prediction()[0]).as("prediction of learn %d", t)
          .isCloseTo(t - 1, org.assertj.core.api.Assertions.within(0.01));
    }
  }

  @ParameterizedTest(name = "balancing {0}")
  @ValueSource(strings = {"off", "frozen"})
  void concurrentRoutingOnDistinctStreamsEqualsSequentialRouting(String mode) throws Exception {
    MixtureOfExperts m = model(BalanceConfig.DEFAULT.withGamma(0.05));
    // Move the bias first, then stop it: a non-zero but fixed bias makes selections depend on it.
    RouteBuffer warm = m.newRouteBuffer();
    for (float[] x : inputs(3, 200)) {
      m.route(S, x, warm);
    }
    assertThat(m.balanceState().bias()).isNotEqualTo(new float[5]);
    m.setBalance(mode.equals("off") ? m.balanceState().config().withEnabled(false) : m.balanceState().config().withFrozen(true));
    int threads = 4;
    for (int i = 0; i < threads; i++) {
      m.openStream("t" + i);
    }
    MixtureOfExperts sequential = Models.copy(m);
    float[][][] xs = new float[threads][][];
    for (int i = 0; i < threads; i++) {
      xs[i] = inputs(10 + i, 2000);
    }
    List<List<RoutingDecision>> seen = new ArrayList<>();
    ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> workers = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      int id = i;
      List<RoutingDecision> mine = new ArrayList<>();
      seen.add(mine);
      workers.add(new Thread(() -> {
        try {
          start.await();
          RouteBuffer b = m.newRouteBuffer();
          for (int t = 0; t < xs[id].length; t++) {
            if (t % 2 == 0) {
              m.route("t" + id, xs[id][t], b);
              mine.add(b.toDecision());
            } else {
              mine.add(m.route("t" + id, xs[id][t]));
            }
          }
        } catch (Throwable t) {
          errors.add(t);
        }
      }));
    }
    workers.forEach(Thread::start);
    start.countDown();
    for (Thread w : workers) {
      w.join();
    }
    assertThat(errors).isEmpty();
    RouteBuffer b = sequential.newRouteBuffer();
    for (int i = 0; i < threads; i++) {
      for (int t = 0; t < xs[i].length; t++) {
        sequential.route("t" + i, xs[i][t], b);
        assertThat(seen.get(i).get(t)).as("stream t%d, call %d", i, t).isEqualTo(b.toDecision());
      }
      assertThat(m.state("t" + i)).containsExactly(sequential.state("t" + i));
    }
    assertThat(m.balanceState().counts()).containsExactly(sequential.balanceState().counts());
    assertThat(m.balanceState().bias()).containsExactly(sequential.balanceState().bias());
    assertThat(m.cumulativeEnergy().macs()).containsExactly(sequential.cumulativeEnergy().macs());
  }

  @Test
  void aLearnQueuedForAStreamThatIsClosedMeanwhileFailsAloneAndChangesNothing() throws Exception {
    MixtureOfExperts m = model(BalanceConfig.OFF);
    m.openStream("gone");
    m.learnAsync(S, new float[] {1, 2, 3, 4}, new float[] {1}).join();
    String afterClose;
    CompletableFuture<MixtureOfExperts.LearnResult> doomed;
    // Holding the model's (reentrant) lock keeps the learning thread out until the stream is closed.
    m.lock().lock();
    try {
      doomed = m.learnAsync("gone", new float[] {1, 2, 3, 4}, new float[] {1});
      m.closeStream("gone");
      afterClose = m.digest();
    } finally {
      m.lock().unlock();
    }
    m.awaitLearning();
    assertThatThrownBy(doomed::join).isInstanceOf(CompletionException.class).hasCauseInstanceOf(NoSuchElementException.class)
        .hasMessageContaining("unknown stream 'gone'");
    assertThat(m.digest()).as("the failed update changed nothing").isEqualTo(afterClose);
    assertThat(m.learnSteps()).isEqualTo(1);
    assertThat(m.streams()).containsExactly(S);
    // and the queue goes on
    m.learnAsync(S, new float[] {1, 2, 3, 4}, new float[] {1}).join();
    assertThat(m.learnSteps()).isEqualTo(2);
  }

  @Test
  void closeDrainsTheQueueAndTheModelStaysUsable() throws Exception {
    MixtureOfExperts m = model(BalanceConfig.OFF);
    MixtureOfExperts replay = model(BalanceConfig.OFF);
    float[][] xs = inputs(9, 300);
    List<CompletableFuture<MixtureOfExperts.LearnResult>> f = new ArrayList<>();
    for (int t = 0; t < xs.length; t++) {
      f.add(m.learnAsync(S, xs[t], target(xs[t], t)));
      replay.learn(S, xs[t], target(xs[t], t));
    }
    m.close();
    assertThat(f).allMatch(CompletableFuture::isDone);
    assertThat(m.learnSteps()).isEqualTo(300);
    assertThat(m.digest()).isEqualTo(replay.digest());
    m.learn(S, xs[0], new float[] {1});
    m.learnAsync(S, xs[1], new float[] {1}).join();
    m.awaitLearning();
    assertThat(m.learnSteps()).isEqualTo(302);
    m.close();
  }
}
