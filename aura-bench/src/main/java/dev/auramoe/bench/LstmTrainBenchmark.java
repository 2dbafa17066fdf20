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
import org.openjdk.jmh.annotations.Param;

/**
 * One training step of aura-seq's {@code TrainableLstm} with a dense head on the last state (zero
 * gradients, forward, softmax cross-entropy, backpropagation through time, clipping, Adam), one
 * thread, as a Scalar/Vector pair like {@link SeqTrainBenchmark}: the LSTM(128) baseline of issue 14
 * at the shape of sequential Fashion-MNIST (28 steps of 28 features, 10 classes, batch 128).
 * Sequences per second = batch / (s/op).
 */
public class LstmTrainBenchmark extends TrainStepBenchmark {

  @Param({"128"})
  public int hidden;

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

  @Override
  protected void build() {
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
  }

  @Override
  protected double trainStep() {
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
