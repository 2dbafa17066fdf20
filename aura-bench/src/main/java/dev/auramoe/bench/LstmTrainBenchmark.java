package dev.auramoe.bench;

import dev.auramoe.seq.Adam;
import dev.auramoe.seq.Dense;
import dev.auramoe.seq.Gradients;
import dev.auramoe.seq.Losses;
import dev.auramoe.seq.Parameter;
import dev.auramoe.seq.TrainableLstm;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
 * One training step of aura-seq's {@code TrainableLstm} with a dense head on the last state (zero
 * gradients, forward, softmax cross-entropy, backpropagation through time, clipping, Adam), one
 * thread, as a Scalar/Vector pair like {@link SeqTrainBenchmark}: the LSTM(128) baseline of issue 14
 * at the shape of sequential Fashion-MNIST (28 steps of 28 features, 10 classes, batch 128).
 * Sequences per second = batch / (s/op). The state checks once per trial that the fork runs the
 * kernels its name says and that the loss is finite.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 3, jvmArgs = {KernelBenchmark.XMS, KernelBenchmark.XMX, KernelBenchmark.PRETOUCH},
    jvmArgsAppend = KernelBenchmark.SCALAR)
public class LstmTrainBenchmark {

  /** A model, its optimiser and one fixed batch. */
  @State(Scope.Thread)
  public static class Batch {
    @Param({"128"})
    public int hidden;

    @Param({"128"})
    public int batch;

    public final int steps = 28;
    public final int features = 28;
    public final int classes = 10;

    TrainableLstm lstm;
    Dense head;
    List<Parameter> parameters;
    Adam adam;
    float[] x;
    int[] labels;
    float[] hs;
    float[] dHs;
    float[] last;
    float[] dLast;
    float[] z;
    float[] dz;

    @Setup(Level.Trial)
    public void setup(BenchmarkParams params) {
      TrainSetup.requireKernels(params);
      Random r = new Random(1);
      lstm = new TrainableLstm("lstm", features, hidden, r.nextLong());
      head = new Dense("head", hidden, classes, r);
      List<Parameter> all = new ArrayList<>(lstm.parameters());
      all.addAll(head.parameters());
      parameters = List.copyOf(all);
      adam = new Adam(parameters, Adam.Settings.DEFAULT);
      x = new float[steps * batch * features];
      TrainSetup.fillGaussian(r, x, x.length);
      labels = new int[batch];
      TrainSetup.fillLabels(r, labels, batch, classes);
      hs = new float[steps * batch * hidden];
      dHs = new float[hs.length];
      last = new float[batch * hidden];
      dLast = new float[batch * hidden];
      z = new float[batch * classes];
      dz = new float[batch * classes];
      TrainSetup.requireFinite(trainStep());
    }

    double trainStep() {
      for (int k = 0; k < parameters.size(); k++) {
        parameters.get(k).zeroGradient();
      }
      lstm.forward(x, null, null, batch, steps, hs);
      int tail = (steps - 1) * batch * hidden;
      System.arraycopy(hs, tail, last, 0, batch * hidden);
      head.forward(last, batch, z);
      double loss = Losses.softmaxCrossEntropy(z, labels, batch, classes, dz);
      head.backward(last, dz, batch, dLast);
      Arrays.fill(dHs, 0, tail, 0f);
      System.arraycopy(dLast, 0, dHs, tail, batch * hidden);
      lstm.backward(dHs, null);
      Gradients.clipGlobalNorm(parameters, 1.0);
      adam.step();
      return loss;
    }
  }

  @Benchmark
  public double trainStepScalar(Batch b) {
    return b.trainStep();
  }

  @Benchmark
  // jvmArgsAppend is set here because a method's @Fork inherits the attributes it leaves unset
  // from the class's, which would force the scalar kernels.
  @Fork(value = 3, jvmArgsPrepend = KernelBenchmark.VECTOR,
      jvmArgs = {KernelBenchmark.XMS, KernelBenchmark.XMX, KernelBenchmark.PRETOUCH},
      jvmArgsAppend = "-Daura.kernels=panama")
  public double trainStepVector(Batch b) {
    return b.trainStep();
  }
}
