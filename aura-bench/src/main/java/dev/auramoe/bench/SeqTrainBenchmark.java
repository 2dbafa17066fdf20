package dev.auramoe.bench;

import dev.auramoe.cell.CellConfig;
import dev.auramoe.seq.Adam;
import dev.auramoe.seq.LiquidClassifier;
import java.util.Random;
import org.openjdk.jmh.annotations.Param;

/**
 * One training step of aura-seq's {@code LiquidClassifier} (forward, softmax cross-entropy,
 * backpropagation through time, clipping, Adam) on a batch of sequences, as a Scalar/Vector pair
 * ({@link TrainStepBenchmark}): sequential Fashion-MNIST's shape at H = 64 and batch 128.
 */
public class SeqTrainBenchmark extends TrainStepBenchmark {

  @Param({"64"})
  public int hidden;

  LiquidClassifier model;
  Adam adam;
  float[] x;
  int[] labels;

  @Override
  protected void build() {
    model = new LiquidClassifier(CellConfig.DEFAULT.withHidden(hidden), features, classes, 1);
    adam = new Adam(model.parameters(), Adam.Settings.DEFAULT);
    Random r = new Random(2);
    x = new float[steps * batch * features];
    TrainSetup.fillGaussian(r, x, x.length);
    labels = new int[batch];
    TrainSetup.fillLabels(r, labels, batch, classes);
  }

  @Override
  protected double trainStep() {
    return model.trainStep(x, null, labels, batch, steps, adam, 1.0);
  }
}
