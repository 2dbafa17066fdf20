package dev.auramoe.bench;

import dev.auramoe.MixtureOfExperts;
import dev.auramoe.experts.Experts;
import dev.auramoe.routing.RouteBuffer;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * End-to-end routing and learning cost of the product's reference shape (input 384, hidden 64,
 * 16 experts, k = 2), with the Vector API kernels and with the scalar kernels forced.
 *
 * <p>The liquid state and the balancer evolve from call to call, which is the real workload: a
 * route is always "the next input of a stream". Inputs cycle through a fixed pool so that the
 * branch predictor cannot learn one input, and the pool is large enough to defeat constant
 * folding. Fixed heap and pre-touch keep GC and page faults out of the measurement.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Thread)
public class RouteBenchmark {

  @Param({"384"})
  public int inputDim;

  @Param({"64"})
  public int hidden;

  @Param({"16"})
  public int experts;

  private MixtureOfExperts model;
  private RouteBuffer buf;
  private float[][] inputs;
  private float[][] targets;
  private float[] batch;
  private int[] batchExperts;
  private float[] batchWeights;
  private float[] yHat;
  private int next;

  static final int BATCH = 4096;

  @Setup(Level.Trial)
  public void setUp() {
    model = MixtureOfExperts.builder(inputDim, 1)
        .cell(dev.auramoe.cell.CellConfig.DEFAULT.withHidden(hidden))
        .experts(Experts.nlms("e", experts, inputDim, 1, 0.5))
        .build();
    buf = model.newRouteBuffer();
    Random r = new Random(1);
    inputs = new float[1024][inputDim];
    targets = new float[1024][1];
    for (int i = 0; i < inputs.length; i++) {
      for (int j = 0; j < inputDim; j++) {
        inputs[i][j] = (float) r.nextGaussian();
      }
      targets[i][0] = (float) r.nextGaussian();
    }
    batch = new float[BATCH * inputDim];
    for (int i = 0; i < batch.length; i++) {
      batch[i] = (float) r.nextGaussian();
    }
    batchExperts = new int[BATCH * model.topK()];
    batchWeights = new float[BATCH * model.topK()];
    yHat = new float[1];
    // Self-check once: a route yields k distinct experts with weights summing to 1.
    model.route(MixtureOfExperts.DEFAULT_STREAM, inputs[0], buf);
    float s = 0;
    for (int j = 0; j < buf.k(); j++) {
      s += buf.weight(j);
    }
    if (buf.k() != 2 || buf.expert(0) == buf.expert(1) || Math.abs(s - 1f) > 1e-5f) {
      throw new IllegalStateException("route self-check failed: " + buf.toDecision());
    }
  }

  private float[] nextInput() {
    next = (next + 1) & 1023;
    return inputs[next];
  }

  @Benchmark
  @Fork(value = 3, jvmArgsPrepend = {"--add-modules=jdk.incubator.vector", "-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
  public int routeVector() {
    model.route(MixtureOfExperts.DEFAULT_STREAM, nextInput(), buf);
    return buf.expert(0);
  }

  @Benchmark
  @Fork(value = 3, jvmArgsPrepend = {"-Daura.kernels=scalar", "-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
  public int routeScalar() {
    model.route(MixtureOfExperts.DEFAULT_STREAM, nextInput(), buf);
    return buf.expert(0);
  }

  @Benchmark
  @Fork(value = 3, jvmArgsPrepend = {"--add-modules=jdk.incubator.vector", "-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
  public double learnVector() {
    int i = (next = (next + 1) & 1023);
    return model.learn(MixtureOfExperts.DEFAULT_STREAM, inputs[i], targets[i], yHat);
  }

  @Benchmark
  @Fork(value = 3, jvmArgsPrepend = {"--add-modules=jdk.incubator.vector", "-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public void routeBatch4096Vector(Blackhole bh) {
    model.routeBatch(MixtureOfExperts.DEFAULT_STREAM, batch, BATCH, batchExperts, batchWeights);
    bh.consume(batchExperts);
  }

  @Benchmark
  @Fork(value = 3, jvmArgsPrepend = {"-Daura.kernels=scalar", "-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public void routeBatch4096Scalar(Blackhole bh) {
    model.routeBatch(MixtureOfExperts.DEFAULT_STREAM, batch, BATCH, batchExperts, batchWeights);
    bh.consume(batchExperts);
  }
}
