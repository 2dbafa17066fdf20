package dev.auramoe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.balance.BalanceState;
import dev.auramoe.cell.CellConfig;
import dev.auramoe.energy.EnergyReport;
import dev.auramoe.experts.Expert;
import dev.auramoe.experts.Experts;
import dev.auramoe.experts.NlmsExpert;
import dev.auramoe.routing.RouteBuffer;
import dev.auramoe.spiking.AttentionConfig;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.ThrowingConsumer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The bad-input contract: each bad call throws a clear exception that names the problem, before
 * anything is changed (digest, balancer, energy counters and streams are all as before).
 */
class BadInputTest {

  private static final String S = MixtureOfExperts.DEFAULT_STREAM;
  private static final float NAN = Float.NaN;
  private static final float INF = Float.POSITIVE_INFINITY;

  private MixtureOfExperts m;

  @BeforeEach
  void model() {
    m = MixtureOfExperts.builder(3, 2).experts(Experts.nlms("e", 3, 3, 2, 0.5)).topK(2)
        .cell(CellConfig.DEFAULT.withHidden(8)).attention(AttentionConfig.of(100)).build();
    m.openStream("other");
    for (int t = 0; t < 10; t++) {
      m.learn(S, new float[] {t, 1, -t}, new float[] {1, 2});
    }
  }

  record Case(String name, ThrowingConsumer<MixtureOfExperts> call, Class<? extends Throwable> type, String message) {
    @Override
    public String toString() {
      return name;
    }
  }

  private static Case bad(String name, ThrowingConsumer<MixtureOfExperts> call, Class<? extends Throwable> type,
      String message) {
    return new Case(name, call, type, message);
  }

  static Stream<Arguments> cases() {
    Class<IllegalArgumentException> iae = IllegalArgumentException.class;
    Class<NoSuchElementException> nse = NoSuchElementException.class;
    float[] ok = {1, 2, 3};
    float[] y = {1, 2};
    return Stream.of(
        bad("route: short x", m -> m.route(S, new float[2]), iae, "input x must have length 3, got 2"),
        bad("route: long x", m -> m.route(S, new float[4], m.newRouteBuffer()), iae, "input x must have length 3, got 4"),
        bad("route: null x", m -> m.route(S, null), NullPointerException.class, "input x"),
        bad("route: NaN x", m -> m.route(S, new float[] {1, NAN, 3}), iae, "input x has a non-finite value at index 1: NaN"),
        bad("route: +Inf x", m -> m.route(S, new float[] {INF, 2, 3}), iae, "index 0: Infinity"),
        bad("route: -Inf x", m -> m.route(S, new float[] {1, 2, -INF}), iae, "index 2: -Infinity"),
        bad("route: unknown stream", m -> m.route("nope", ok), nse, "unknown stream 'nope'"),
        bad("route: foreign buffer", m -> m.route(S, ok, new RouteBuffer(2, 7)), iae, "route buffer is sized for another model"),
        bad("route: null buffer", m -> m.route(S, ok, null), NullPointerException.class, "route buffer"),
        bad("route: negative elapsed", m -> m.route(S, ok, -0.5f, null, m.newRouteBuffer()), iae, "elapsed time must be finite and >= 0"),
        bad("route: infinite elapsed", m -> m.route(S, ok, INF, null, m.newRouteBuffer()), iae, "got Infinity"),
        bad("route: token beyond vocabulary", m -> m.route(S, ok, NAN, new int[] {5, 100}, m.newRouteBuffer()), iae,
            "token id 100 at position 1 is outside the vocabulary [0, 100)"),
        bad("route: negative token", m -> m.route(S, ok, NAN, new int[] {-1}, m.newRouteBuffer()), iae, "token id -1 at position 0"),
        bad("route: NaN x with tokens", m -> m.route("other", new float[] {NAN, 0, 0}, NAN, new int[] {1}, m.newRouteBuffer()), iae, "non-finite"),
        bad("predict: NaN x", m -> m.predict(S, new float[] {NAN, 0, 0}), iae, "input x has a non-finite value"),
        bad("predict: short buffer", m -> m.predict(S, ok, new float[3]), iae, "prediction buffer must have length 2, got 3"),
        bad("predict: unknown stream", m -> m.predict("nope", ok), nse, "unknown stream 'nope'"),
        bad("learn: NaN y", m -> m.learn(S, ok, new float[] {NAN, 1}), iae, "target y has a non-finite value at index 0"),
        bad("learn: Inf y", m -> m.learn(S, ok, new float[] {1, -INF}), iae, "target y has a non-finite value at index 1"),
        bad("learn: short y", m -> m.learn(S, ok, new float[1]), iae, "target y must have length 2, got 1"),
        bad("learn: NaN x", m -> m.learn(S, new float[] {0, 0, NAN}, y), iae, "input x has a non-finite value at index 2"),
        bad("learn: unknown stream", m -> m.learn("nope", ok, y), nse, "unknown stream 'nope'"),
        bad("learn: short yHat", m -> m.learn(S, ok, y, new float[1]), iae, "prediction buffer must have length 2"),
        bad("learn: foreign buffer", m -> m.learn(S, ok, y, new float[2], new RouteBuffer(1, 3)), iae, "sized for another model"),
        bad("learn: negative elapsed", m -> m.learn(S, ok, -1f, null, y, new float[2], null), iae, "elapsed time must be finite and >= 0"),
        bad("learn: token beyond vocabulary", m -> m.learn(S, ok, NAN, new int[] {3, 250}, y, new float[2], null), iae,
            "token id 250 at position 1 is outside the vocabulary [0, 100)"),
        bad("learn: NaN y with tokens", m -> m.learn(S, ok, 0.1f, new int[] {3}, new float[] {NAN, 0}, new float[2], null), iae,
            "target y has a non-finite value"),
        bad("learnAsync: NaN x", m -> m.learnAsync(S, new float[] {NAN, 0, 0}, y), iae, "input x has a non-finite value"),
        bad("learnAsync: NaN y", m -> m.learnAsync(S, ok, new float[] {0, NAN}), iae, "target y has a non-finite value"),
        bad("learnAsync: unknown stream", m -> m.learnAsync("nope", ok, y), nse, "unknown stream 'nope'"),
        bad("routeBatch: NaN", m -> m.routeBatch(S, new float[] {1, 2, 3, 4, 5, NAN}, 2, new int[4], new float[4]), iae,
            "input 1 has a non-finite value at index 2: NaN"),
        bad("routeBatch: too few values", m -> m.routeBatch(S, new float[5], 2, new int[4], new float[4]), iae,
            "xs holds 5 values, fewer than count * inputDim = 6"),
        bad("routeBatch: negative count", m -> m.routeBatch(S, new float[6], -1, new int[4], new float[4]), iae, "batch size -1 is negative"),
        bad("routeBatch: short outputs", m -> m.routeBatch(S, new float[6], 2, new int[3], new float[4]), iae,
            "output arrays must hold count * k = 4 values"),
        bad("routeBatch: unknown stream", m -> m.routeBatch("nope", new float[6], 2, new int[4], new float[4]), nse, "unknown stream"),
        bad("timeConstants: NaN", m -> m.timeConstants(new float[] {NAN, 0, 0}), iae, "input x has a non-finite value"),
        bad("setTemperature: 0", m -> m.setTemperature(0f), iae, "temperature must be finite and > 0, got 0.0"),
        bad("setTemperature: NaN", m -> m.setTemperature(NAN), iae, "temperature must be finite and > 0"),
        bad("setTemperature: Inf", m -> m.setTemperature(INF), iae, "temperature must be finite and > 0"),
        bad("setTemperature: negative", m -> m.setTemperature(-1f), iae, "got -1.0"),
        bad("setRouterLearningRate: 2", m -> m.setRouterLearningRate(2f), iae, "routerLearningRate must lie in [0, 2), got 2.0"),
        bad("setRouterLearningRate: NaN", m -> m.setRouterLearningRate(NAN), iae, "routerLearningRate must lie in [0, 2)"),
        bad("setRouterLearningRate: negative", m -> m.setRouterLearningRate(-0.1f), iae, "routerLearningRate"),
        bad("setBalance: null", m -> m.setBalance(null), NullPointerException.class, "config"),
        bad("setDeviceProfile: null", m -> m.setDeviceProfile(null), NullPointerException.class, "profile"),
        bad("openStream: open", m -> m.openStream("other"), iae, "stream 'other' is already open"),
        bad("openStream: blank", m -> m.openStream(" "), iae, "stream id must not be blank"),
        bad("openStream: null", m -> m.openStream(null), iae, "stream id must not be blank"),
        bad("closeStream: default", m -> m.closeStream(S), iae, "the default stream cannot be closed"),
        bad("closeStream: unknown", m -> m.closeStream("nope"), nse, "unknown stream 'nope'"),
        bad("resetStream: unknown", m -> m.resetStream("nope"), nse, "unknown stream 'nope'"),
        bad("expertIndex: unknown", m -> m.expertIndex("zz"), nse, "no expert named 'zz'"),
        bad("expert: out of range", m -> m.expert(3), IndexOutOfBoundsException.class, "3"),
        bad("closeEnergyWindow: unknown", m -> m.closeEnergyWindow("w"), iae, "no open energy window named 'w'")
    ).map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void badCallsThrowAClearExceptionAndChangeNothing(Case c) throws Throwable {
    String digest = m.digest();
    BalanceState balance = m.balanceState();
    EnergyReport last = m.lastCallEnergy();
    EnergyReport total = m.cumulativeEnergy();
    List<String> streams = m.streams();
    float temperature = m.temperature();
    assertThatThrownBy(() -> c.call().accept(m)).isInstanceOf(c.type()).hasMessageContaining(c.message());
    m.awaitLearning();
    assertThat(m.digest()).as("digest after %s", c.name()).isEqualTo(digest);
    assertThat(m.balanceState()).isEqualTo(balance);
    assertThat(m.lastCallEnergy()).as("not even the last-call report moved").isEqualTo(last);
    assertThat(m.cumulativeEnergy()).isEqualTo(total);
    assertThat(m.streams()).isEqualTo(streams);
    assertThat(m.temperature()).isEqualTo(temperature);
    // and the model still works
    m.learn(S, new float[] {1, 2, 3}, new float[] {1, 2});
  }

  @Test
  void tokensWithoutAttentionAreRefused() {
    MixtureOfExperts plain = MixtureOfExperts.builder(3, 1).experts(Experts.nlms("e", 3, 3, 1, 0.5)).build();
    String digest = plain.digest();
    assertThatThrownBy(() -> plain.route(S, new float[3], NAN, new int[] {1}, plain.newRouteBuffer()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no spiking attention");
    assertThat(plain.digest()).isEqualTo(digest);
    assertThat(plain.attention(S)).isNull();
  }

  static Stream<Arguments> badBuilds() {
    List<Expert> three = Experts.nlms("e", 3, 3, 2, 0.5);
    return Stream.of(
        Arguments.of("k > experts", (ThrowingConsumer<Void>) v -> MixtureOfExperts.builder(3, 2).experts(three).topK(4).build(),
            "k = 4 is larger than the number of experts (3)"),
        Arguments.of("no experts", (ThrowingConsumer<Void>) v -> MixtureOfExperts.builder(3, 2).build(), "a mixture needs at least one expert"),
        Arguments.of("duplicate names", (ThrowingConsumer<Void>) v -> MixtureOfExperts.builder(3, 2).experts(three)
            .expert(new NlmsExpert("e1", 3, 2, 0.5)).build(), "two experts are named 'e1'"),
        Arguments.of("expert shape", (ThrowingConsumer<Void>) v -> MixtureOfExperts.builder(3, 2)
            .expert(new NlmsExpert("x", 2, 1, 0.5)).topK(1).build(), "expert 'x' is 2 -> 1 but the mixture is 3 -> 2"),
        Arguments.of("k = 0", (ThrowingConsumer<Void>) v -> MixtureOfExperts.builder(3, 2).experts(three).topK(0).build(), "k must be > 0, got 0"),
        Arguments.of("dims", (ThrowingConsumer<Void>) v -> MixtureOfExperts.builder(0, 2).experts(three).build(), "inputDim and outputDim must be > 0"),
        Arguments.of("temperature", (ThrowingConsumer<Void>) v -> MixtureOfExperts.builder(3, 2).experts(three).temperature(NAN).build(),
            "temperature must be finite and > 0"),
        Arguments.of("router rate", (ThrowingConsumer<Void>) v -> MixtureOfExperts.builder(3, 2).experts(three).routerLearningRate(2f).build(),
            "routerLearningRate must lie in [0, 2)"),
        Arguments.of("null cell", (ThrowingConsumer<Void>) v -> MixtureOfExperts.builder(3, 2).experts(three).cell(null).build(), "cell"),
        Arguments.of("null balance", (ThrowingConsumer<Void>) v -> MixtureOfExperts.builder(3, 2).experts(three).balance(null).build(), "balance"),
        Arguments.of("null expert", (ThrowingConsumer<Void>) v -> MixtureOfExperts.builder(3, 2).expert(null).topK(1).build(), "expert 0"),
        Arguments.of("attention vocabulary", (ThrowingConsumer<Void>) v -> new AttentionConfig(0, 1, 0.7f, 1f, 1e-3f), "vocabularySize must be > 0"),
        Arguments.of("attention winners", (ThrowingConsumer<Void>) v -> new AttentionConfig(10, 0, 0.7f, 1f, 1e-3f), "winners must lie in [1, "),
        Arguments.of("attention decay", (ThrowingConsumer<Void>) v -> new AttentionConfig(10, 1, 1f, 1f, 1e-3f), "decay must lie in (0, 1)"),
        Arguments.of("attention gain", (ThrowingConsumer<Void>) v -> new AttentionConfig(10, 1, 0.7f, NAN, 1e-3f), "gainStrength must be finite"),
        Arguments.of("attention prune", (ThrowingConsumer<Void>) v -> new AttentionConfig(10, 1, 0.7f, 1f, 0f), "pruneBelow must lie in (0, 1)"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badBuilds")
  void badConfigurationsAreRefusedWithAClearMessage(String name, ThrowingConsumer<Void> build, String message) {
    assertThatThrownBy(() -> build.accept(null)).isInstanceOfAny(IllegalArgumentException.class, NullPointerException.class)
        .hasMessageContaining(message);
  }
}
