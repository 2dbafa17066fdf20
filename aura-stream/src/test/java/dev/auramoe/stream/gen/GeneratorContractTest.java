package dev.auramoe.stream.gen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.stream.data.Attribute;
import dev.auramoe.stream.data.Instance;
import dev.auramoe.stream.data.InstanceStream;
import dev.auramoe.stream.data.Schema;
import java.io.IOException;
import java.util.Arrays;
import java.util.function.LongFunction;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What every generator promises: determined by its seed, values valid for its schema, no end, limits honoured. */
class GeneratorContractTest {

  static Stream<Arguments> generators() {
    return Stream.of(
        Arguments.of("sea", (LongFunction<InstanceStream>) s -> new SeaGenerator(2, s)),
        Arguments.of("sea balanced", (LongFunction<InstanceStream>) s -> new SeaGenerator(3, 0.1, true, s)),
        Arguments.of("hyperplane", (LongFunction<InstanceStream>) s -> new HyperplaneGenerator(10, 2, 5, 0.01, 0.05,
            0.1, s)),
        Arguments.of("hyperplane 4 classes", (LongFunction<InstanceStream>) s -> new HyperplaneGenerator(5, 4, 5,
            0.001, 0.05, 0.1, s)),
        Arguments.of("rbf", (LongFunction<InstanceStream>) RandomRbfGenerator::new),
        Arguments.of("rbf 5 classes", (LongFunction<InstanceStream>) s -> new RandomRbfGenerator(7, 5, 20, 10, 0.001,
            s)),
        Arguments.of("agrawal", (LongFunction<InstanceStream>) s -> new AgrawalGenerator(10, s)),
        Arguments.of("agrawal balanced", (LongFunction<InstanceStream>) s -> new AgrawalGenerator(4, 0.05, true, s)),
        Arguments.of("led", (LongFunction<InstanceStream>) LedGenerator::new),
        Arguments.of("led drift", (LongFunction<InstanceStream>) s -> new LedGenerator(0.1, 4, s)),
        Arguments.of("gradual drift", (LongFunction<InstanceStream>) s -> new ConceptDriftStream(
            new AgrawalGenerator(1, s), new AgrawalGenerator(2, s + 1), 500, 300, s + 2)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("generators")
  void theSameSeedGivesTheSameStreamAndAnotherSeedAnother(String name, LongFunction<InstanceStream> make)
      throws IOException {
    double[][] a = take(make.apply(42), 2000);
    double[][] b = take(make.apply(42), 2000);
    double[][] c = take(make.apply(43), 2000);
    assertThat(a).isDeepEqualTo(b);
    int same = 0;
    for (int i = 0; i < a.length; i++) {
      if (Arrays.equals(a[i], c[i])) {
        same++;
      }
    }
    assertThat(same).as("instances equal under seeds 42 and 43").isLessThan(20);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("generators")
  void everyValueFitsTheSchema(String name, LongFunction<InstanceStream> make) throws IOException {
    InstanceStream s = make.apply(7);
    Schema schema = s.schema();
    int[][] counts = new int[schema.size()][];
    for (int j = 0; j < schema.size(); j++) {
      counts[j] = new int[Math.max(1, schema.attribute(j).cardinality())];
    }
    for (double[] row : take(s, 5000)) {
      for (int j = 0; j < row.length; j++) {
        Attribute a = schema.attribute(j);
        assertThat(Double.isFinite(row[j])).as("%s of %s", a.name(), name).isTrue();
        if (a.isNominal()) {
          assertThat(row[j]).as("%s of %s", a.name(), name).isEqualTo(Math.rint(row[j]))
              .isBetween(0.0, a.cardinality() - 1.0);
          counts[j][(int) row[j]]++;
        }
      }
    }
    int classesSeen = (int) Arrays.stream(counts[schema.targetIndex()]).filter(c -> c > 0).count();
    assertThat(classesSeen).as("classes seen in %s", name).isEqualTo(schema.classes());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("generators")
  void aLimitedGeneratorStopsAfterItsLimit(String name, LongFunction<InstanceStream> make) throws IOException {
    LimitedStream s = LimitedStream.of(make.apply(1), 123);
    Instance row = new Instance(s.schema());
    int n = 0;
    while (s.next(row)) {
      n++;
    }
    assertThat(n).isEqualTo(123);
    assertThat(s.produced()).isEqualTo(123);
    assertThat(s.next(row)).isFalse();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("generators")
  void anInstanceOfAnotherWidthIsRefused(String name, LongFunction<InstanceStream> make) {
    InstanceStream s = make.apply(1);
    Instance wrong = new Instance(s.schema().size() + 1);
    assertThatThrownBy(() -> s.next(wrong)).isInstanceOf(RuntimeException.class);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("generators")
  void nextAllocatesNothingPerInstance(String name, LongFunction<InstanceStream> make) throws IOException {
    InstanceStream s = make.apply(3);
    Instance row = new Instance(s.schema());
    for (int i = 0; i < 20_000; i++) {
      s.next(row);
    }
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long thread = Thread.currentThread().threadId();
    long before = threads.getThreadAllocatedBytes(thread);
    for (int i = 0; i < 100_000; i++) {
      s.next(row);
    }
    long allocated = threads.getThreadAllocatedBytes(thread) - before;
    assertThat(allocated).as("bytes allocated by 100,000 instances of %s", name).isLessThan(50_000);
  }

  static double[][] take(InstanceStream s, int n) throws IOException {
    Instance row = new Instance(s.schema());
    double[][] out = new double[n][];
    for (int i = 0; i < n; i++) {
      assertThat(s.next(row)).isTrue();
      out[i] = row.values().clone();
    }
    return out;
  }
}
