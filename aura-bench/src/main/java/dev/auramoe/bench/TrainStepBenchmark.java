package dev.auramoe.bench;

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
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * One training step of a sequence model on one fixed batch, one thread, as a Scalar/Vector pair:
 * {@code trainStepScalar} forks with {@code -Daura.kernels=scalar} and without the incubator module,
 * {@code trainStepVector} with {@code --add-modules=jdk.incubator.vector}. The shape is sequential
 * Fashion-MNIST's (28 steps of 28 features, 10 classes); sequences per second = batch / (s/op). The
 * set-up checks, once per trial, that the fork runs the kernels its name says and that the loss is
 * finite, so a misconfigured fork reports no number. A subclass builds its model and batch and runs
 * one step.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 3, jvmArgs = {KernelBenchmark.XMS, KernelBenchmark.XMX, KernelBenchmark.PRETOUCH},
    jvmArgsAppend = KernelBenchmark.SCALAR)
public abstract class TrainStepBenchmark {

  @Param({"128"})
  public int batch;

  public final int steps = 28;
  public final int features = 28;
  public final int classes = 10;

  /** Builds the model, its optimiser and the batch (the fields above are set). */
  protected abstract void build();

  /** One training step; returns its loss. */
  protected abstract double trainStep();

  @Setup(Level.Trial)
  public void setup(BenchmarkParams params) {
    TrainSetup.requireKernels(params);
    build();
    TrainSetup.requireFinite(trainStep());
  }

  @Benchmark
  public double trainStepScalar() {
    return trainStep();
  }

  @Benchmark
  // jvmArgsAppend is set here because a method's @Fork inherits the attributes it leaves unset
  // from the class's, which would force the scalar kernels.
  @Fork(value = 3, jvmArgsPrepend = KernelBenchmark.VECTOR,
      jvmArgs = {KernelBenchmark.XMS, KernelBenchmark.XMX, KernelBenchmark.PRETOUCH},
      jvmArgsAppend = "-Daura.kernels=panama")
  public double trainStepVector() {
    return trainStep();
  }
}
