package dev.auramoe.bench;

import dev.auramoe.cell.CellConfig;
import dev.auramoe.seq.Adam;
import dev.auramoe.seq.LiquidClassifier;
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
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * One training step of aura-seq's {@code LiquidClassifier} (forward, softmax cross-entropy,
 * backpropagation through time, clipping, Adam) on a batch of sequences, as a Scalar/Vector pair:
 * {@code trainStepScalar} forks with {@code -Daura.kernels=scalar} and without the incubator module,
 * {@code trainStepVector} with {@code --add-modules=jdk.incubator.vector}.
 *
 * <p>The default shape is sequential Fashion-MNIST (28 steps of 28 features, 10 classes) at
 * H = 64 and batch 128; sequences per second = batch / (s/op). The state checks, once per trial,
 * that the fork runs the kernels its name says and that the loss is finite, so a misconfigured fork
 * reports no number.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 3, jvmArgs = {KernelBenchmark.XMS, KernelBenchmark.XMX, KernelBenchmark.PRETOUCH},
    jvmArgsAppend = KernelBenchmark.SCALAR)
public class SeqTrainBenchmark {

  /** A model, its optimiser and one fixed batch. */
  @State(Scope.Thread)
  public static class Batch {
    @Param({"64"})
    public int hidden;

    @Param({"128"})
    public int batch;

    public final int steps = 28;
    public final int features = 28;
    public final int classes = 10;

    LiquidClassifier model;
    Adam adam;
    float[] x;
    int[] labels;

    @Setup(Level.Trial)
    public void setup(BenchmarkParams params) {
      TrainSetup.requireKernels(params);
      model = new LiquidClassifier(CellConfig.DEFAULT.withHidden(hidden), features, classes, 1);
      adam = new Adam(model.parameters(), Adam.Settings.DEFAULT);
      Random r = new Random(2);
      x = new float[steps * batch * features];
      TrainSetup.fillGaussian(r, x, x.length);
      labels = new int[batch];
      TrainSetup.fillLabels(r, labels, batch, classes);
      TrainSetup.requireFinite(model.trainStep(x, null, labels, batch, steps, adam, 1.0));
    }
  }

  @Benchmark
  public double trainStepScalar(Batch b) {
    return b.model.trainStep(b.x, null, b.labels, b.batch, b.steps, b.adam, 1.0);
  }

  @Benchmark
  // jvmArgsAppend is set here because a method's @Fork inherits the attributes it leaves unset
  // from the class's, which would force the scalar kernels.
  @Fork(value = 3, jvmArgsPrepend = KernelBenchmark.VECTOR,
      jvmArgs = {KernelBenchmark.XMS, KernelBenchmark.XMX, KernelBenchmark.PRETOUCH},
      jvmArgsAppend = "-Daura.kernels=panama")
  public double trainStepVector(Batch b) {
    return b.model.trainStep(b.x, null, b.labels, b.batch, b.steps, b.adam, 1.0);
  }
}
