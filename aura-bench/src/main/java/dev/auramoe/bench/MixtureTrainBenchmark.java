package dev.auramoe.bench;

import dev.auramoe.cell.CellConfig;
import dev.auramoe.internal.vector.KernelProvider;
import dev.auramoe.seq.Adam;
import dev.auramoe.seq.MultiRateMoE;
import dev.auramoe.seq.RecurrentModel;
import dev.auramoe.seq.SequenceBatch;
import dev.auramoe.seq.SequenceModel;
import dev.auramoe.seq.Task;
import java.util.Arrays;
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

/**
 * One training step of aura-seq's sequence models side by side, on the Vector API kernels: the
 * multi-rate mixture ({@code mr-moe}: 4 experts of H 16 at scales 1, 4, 16, 64, soft gate, both
 * attentions), the single-rate mixture ({@code moe}: the same at scale 1) and the monolithic liquid
 * network with the mixture's parameter count ({@code liquid}, with temporal attention). The shape is
 * sequential Fashion-MNIST's (28 steps of 28 features, 10 classes), batch 64; {@code regular}
 * sampling (one Euler step per input for every expert) or {@code irregular} (elapsed times uniform in
 * [0.01, 0.2] s: 1 to 10 steps per input for an expert at scale 1, fewer for the slower ones), which
 * shows the cost of the time-scale design. Sequences per second = batch / (s/op).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 3, jvmArgsPrepend = KernelBenchmark.VECTOR,
    jvmArgs = {KernelBenchmark.XMS, KernelBenchmark.XMX, KernelBenchmark.PRETOUCH},
    jvmArgsAppend = "-Daura.kernels=panama")
public class MixtureTrainBenchmark {

  /** A model, its optimiser and one fixed batch. */
  @State(Scope.Thread)
  public static class Batch {
    @Param({"mr-moe", "moe", "liquid"})
    public String model;

    @Param({"regular", "irregular"})
    public String sampling;

    @Param({"64"})
    public int batch;

    public final int steps = 28;
    public final int features = 28;
    public final int classes = 10;

    SequenceModel net;
    Adam adam;
    SequenceBatch data;

    @Setup(Level.Trial)
    public void setup() {
      if (!KernelProvider.get().name().startsWith("panama")) {
        throw new IllegalStateException("runs on the " + KernelProvider.get().name() + " kernels");
      }
      Task task = Task.classification(classes);
      MultiRateMoE.Builder mr = MultiRateMoE.builder(features, task).hidden(16).seed(1);
      net = switch (model) {
        case "mr-moe" -> mr.build();
        case "moe" -> mr.singleRate(4).build();
        case "liquid" -> RecurrentModel.liquid(CellConfig.DEFAULT.withHidden(
            RecurrentModel.liquidHiddenFor(mr.build().parameterCount(), features, task, true)), features, task, true, 1);
        default -> throw new IllegalArgumentException("model " + model);
      };
      adam = new Adam(net.parameters(), Adam.Settings.DEFAULT);
      Random r = new Random(2);
      data = new SequenceBatch(features, 0);
      data.reshape(batch, steps);
      TrainSetup.fillGaussian(r, data.x(), batch * steps * features);
      for (int i = 0; i < batch * steps; i++) {
        data.elapsed()[i] = "regular".equals(sampling) ? Float.NaN : 0.01f + 0.19f * r.nextFloat();
      }
      Arrays.fill(data.first(), 0, batch, 0);
      TrainSetup.fillLabels(r, data.labels(), batch, classes);
      TrainSetup.requireFinite(net.trainStep(data, adam, 1.0));
    }
  }

  @Benchmark
  public double trainStep(Batch b) {
    return b.net.trainStep(b.data, b.adam, 1.0);
  }
}
