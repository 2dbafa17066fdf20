package dev.auramoe.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.auramoe.MixtureOfExperts;
import dev.auramoe.cell.CellType;
import dev.auramoe.experts.NlmsExpert;
import dev.auramoe.testing.Models;
import java.lang.reflect.Method;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The declaration of a model's state ({@link ModelState#PARTS}, {@link StreamState}) holds all of
 * it: each part captures one value of its declared kind and shape per declared value, and a model
 * saved and loaded, or given an expert and then rid of it, equals the original in every field of
 * its object graph that is state ({@link StateGraph}, which also fails on a field it does not know).
 */
class StateDeclarationTest {

  static Stream<Arguments> models() {
    return Stream.of(CellType.values())
        .flatMap(type -> Stream.of(Arguments.of(type, true), Arguments.of(type, false)));
  }

  /** The engine state behind a model. */
  static ModelState state(MixtureOfExperts m) {
    try {
      Method state = MixtureOfExperts.class.getDeclaredMethod("state");
      state.setAccessible(true);
      return (ModelState) state.invoke(m);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }

  @ParameterizedTest(name = "{0}, router reads the input: {1}")
  @MethodSource("models")
  void eachPartCapturesOneValueOfItsDeclaredKindAndShapePerDeclaredValue(CellType type, boolean routerUsesInput) {
    ModelState s = state(Models.richModel(type, routerUsesInput));
    for (ModelState.Part p : ModelState.PARTS) {
      Object[] v = p.capture().read(s);
      assertThat(v).as(p.owner() + ": one captured value per declared value").hasSize(p.values().size());
      for (int i = 0; i < v.length; i++) {
        ModelState.Value d = p.values().get(i);
        Class<?> kind = switch (d.kind()) {
          case F32 -> Float.class;
          case I64 -> Long.class;
          case F32S -> float[].class;
          case I64S -> long[].class;
        };
        assertThat(v[i]).as(p.owner() + ": " + d.name()).isInstanceOf(kind);
        if (d.shape() != null) {
          assertThat((long) java.lang.reflect.Array.getLength(v[i])).as(p.owner() + ": length of " + d.name())
              .isEqualTo(d.shape().expected(s.liveConfig(), s.experts));
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}, router reads the input: {1}")
  @MethodSource("models")
  void saveThenLoadKeepsEveryFieldThatIsState(CellType type, boolean routerUsesInput) {
    MixtureOfExperts m = Models.richModel(type, routerUsesInput);
    assertThat(StateGraph.compare(state(m), state(Models.copy(m)))).isEmpty();
  }

  @ParameterizedTest(name = "{0}, router reads the input: {1}")
  @MethodSource("models")
  void addingThenRemovingAnExpertKeepsEveryFieldThatIsState(CellType type, boolean routerUsesInput) {
    MixtureOfExperts m = Models.richModel(type, routerUsesInput);
    MixtureOfExperts changed = m.withExpert(new NlmsExpert("extra", 4, 2, 0.5)).withoutExpert(m.expertCount());
    assertThat(StateGraph.compare(state(m), state(changed))).isEmpty();
  }

  @ParameterizedTest(name = "{0}, router reads the input: {1}")
  @MethodSource("models")
  void anExportedStreamImportsBackWithEveryFieldThatIsState(CellType type, boolean routerUsesInput) {
    ModelState s = state(Models.richModel(type, routerUsesInput));
    int set = StreamStateCodec.expertSet(s.pool.copies());
    for (StreamState stream : s.streams.values()) {
      StreamState back = StreamStateCodec.decode(stream.id, StreamStateCodec.encode(stream, set), s.hidden,
          stream.recent.length, set, s.config.attention());
      assertThat(StateGraph.compare(stream, back)).as(stream.id).isEmpty();
      int version = StreamStateCodec.version(stream);
      assertThat(StreamStateCodec.encode(stream, set)).as("the size of " + stream.id + "'s fields")
          .hasSize(StreamStateCodec.encode(back, set).length)
          .hasSize(8 + 4 + 4 + (version > 1 ? 8 : 0) + 1 + 20 + StreamStateCodec.fieldBytes(stream, version) + 4);
    }
  }

  @Test
  void aResetStreamEqualsAFreshOne() {
    ModelState s = state(Models.richModel(CellType.LIQUID, true));
    StreamState left = s.streams.get("left");
    assertThat(StateGraph.compare(left, s.streams.newStream("left"))).as("trained").isNotEmpty();
    left.reset();
    assertThat(StateGraph.compare(left, s.streams.newStream("left"))).isEmpty();
  }

  @Test
  void theComparisonSeesAChangeOfAnyKindOfState() {
    MixtureOfExperts m = Models.richModel(CellType.LIQUID, true);
    MixtureOfExperts c = Models.copy(m);
    ModelState s = state(c);
    s.learnSteps++;
    s.streams.get("left").h[3] += 1f;
    s.balancer.restore(s.balancer.state().bias(), s.balancer.state().load(), s.balancer.state().counts(),
        s.balancer.state().tokens(), s.balancer.state().biasUpdates() + 1);
    assertThat(StateGraph.compare(state(m), s)).hasSize(3).anySatisfy(d -> assertThat(d).startsWith("state.learnSteps"))
        .anySatisfy(d -> assertThat(d).contains("[left].h"))
        .anySatisfy(d -> assertThat(d).contains("biasUpdates"));
  }
}
