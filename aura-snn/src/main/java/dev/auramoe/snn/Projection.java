package dev.auramoe.snn;

import dev.auramoe.seq.Dense;
import dev.auramoe.seq.Parameter;
import dev.auramoe.seq.Trainable;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A linear projection of tokens with batch normalisation and, optionally, an activation:
 * {@code y = act(BN(x W + b))} over time-major rows {@code [T][tokens]}; the spike-driven
 * Transformer's building block ({@code SN(BN(Linear(S)))}). The activation, when present, runs over
 * the T steps of each token's D outputs; without it the output is the normalised projection (a
 * block's output added to the membrane stream).
 *
 * <p>Counting: on spikes (binary x) the projection performs one accumulate per input spike per
 * output; on real values a multiply-accumulate per weight and row. Batch normalisation folds into
 * the projection for inference ({@link BatchNorm#foldInto}) and costs nothing there.
 */
final class Projection implements Trainable {

  private final Dense dense;
  private final BatchNorm norm;
  private final Activation act;
  private final List<Parameter> parameters;
  private final int out;
  private int rows;
  private float[] lin = new float[0];
  private float[] normed = new float[0];
  private float[] dLin = new float[0];

  Projection(String name, int in, int out, Activation act, Random random) {
    this.dense = new Dense(name, in, out, random);
    this.norm = new BatchNorm(name + ".bn", out);
    this.act = act;
    this.out = out;
    List<Parameter> ps = new ArrayList<>(dense.parameters());
    ps.addAll(norm.parameters());
    this.parameters = List.copyOf(ps);
  }

  @Override
  public List<Parameter> parameters() {
    return parameters;
  }

  BatchNorm norm() {
    return norm;
  }

  Activation activation() {
    return act;
  }

  /** y = act(BN(x W + b)) over {@code steps * tokens} rows; y must not alias x. */
  void forward(float[] x, int steps, int tokens, float[] y) {
    rows = steps * tokens;
    int size = rows * out;
    if (lin.length < size) {
      lin = new float[size];
      normed = new float[size];
      dLin = new float[size];
    }
    dense.forward(x, rows, lin);
    if (act == null) {
      norm.forward(lin, rows, y);
      return;
    }
    norm.forward(lin, rows, normed);
    act.forward(normed, steps, tokens * out, y);
  }

  /** The backward pass of the last forward pass; dy may be overwritten; dx null when not needed. */
  void backward(float[] x, float[] dy, float[] dx) {
    if (act != null) {
      act.backward(dy, dy);
    }
    norm.backward(lin, dy, dLin);
    dense.backward(x, dLin, rows, dx);
  }

  /** Multiply-accumulates of the projection on real inputs, per row: in x out. */
  long macsPerRow() {
    return (long) dense.inputDim() * out;
  }

  /** Outputs per row. */
  int outputDim() {
    return out;
  }
}
