package dev.auramoe.seq;

import dev.auramoe.internal.vector.KernelProvider;
import dev.auramoe.internal.vector.KernelSupport;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * A standard long short-term memory layer (Hochreiter and Schmidhuber, "Long Short-Term Memory",
 * Neural Computation 1997, with the forget gate of Gers, Schmidhuber and Cummins, 2000), trained by
 * backpropagation through time: the discrete-time baseline of the sequence models.
 *
 * <pre>
 * a = x W + h U + b                       W: in x 4H, U: H x 4H, b: 4H; column blocks [i | f | g | o]
 * i = sigmoid(a_i)   f = sigmoid(a_f)   g = tanh(a_g)   o = sigmoid(a_o)
 * c' = f c + i g
 * h' = o tanh(c')
 * </pre>
 *
 * <p>It takes no elapsed time: {@code elapsed} is ignored (neither read nor checked). A model that
 * wants the LSTM to see irregular sampling appends the elapsed time to the input features instead.
 *
 * <p>Left padding ({@link SequenceLayer}): before {@code first[r]} both h and c stay 0, the states
 * are written as zeros, the inputs are neither read nor checked and their gradient is 0.
 *
 * <p>Initialisation: W Xavier-uniform with fan-in {@code in} and fan-out H (the bound of a per-gate
 * Xavier), each gate's H x H block of U a random orthogonal matrix, b zero except the forget gate's
 * bias, 1, so that the cell state is kept, not forgotten, at the start of training (Jozefowicz,
 * Zaremba and Sutskever, "An Empirical Exploration of Recurrent Network Architectures", ICML 2015).
 * Weights are input-major as everywhere in this module: {@code W[i][j] = w[i * 4H + j]}.
 *
 * <p>The products are batched on the core's kernels ({@link KernelSupport#gemm(float[], int, int,
 * float[], int, int, float[], int, boolean)}): {@code X W} once for every step and sequence,
 * {@code H_{t-1} U} once per step over the batch; backward {@code dA_t U^T} per step over the batch,
 * then {@code X^T dA}, {@code H_prev^T dA} and {@code dA W^T} once over all steps, on transposed
 * copies made once per pass. tanh and the sigmoid are the core's float approximations (as the liquid
 * cell's), built from exactly rounded operations only, so a seed gives the same bits on every run. Neither pass allocates once the workspaces have
 * grown to the largest batch shape seen. Not thread-safe.
 */
public final class TrainableLstm extends RecurrentLayer {

  private final Parameter w;
  private final Parameter u;
  private final Parameter b;
  private final List<Parameter> parameters;

  // The tape of the last forward pass.
  private int batch;
  private int steps;
  private int[] firsts = new int[0];
  /** Inputs, zero at padding (so that no padded value reaches a product). */
  private float[] xs = new float[0];
  /** Per cell, 4H: the activated gates i, f, g, o. */
  private float[] gates = new float[0];
  /** Per cell, H: c, tanh(c) and h; zero at padding. */
  private float[] cs = new float[0];
  private float[] tcs = new float[0];
  private float[] hh = new float[0];
  // The backward pass's workspaces.
  /** Per cell, 4H: the gradient with respect to the gates' pre-activations a. */
  private float[] dA = new float[0];
  /** Per sequence, H: the gradients flowing to h and c of the previous step. */
  private float[] dhCarry = new float[0];
  private float[] dcCarry = new float[0];
  private float[] wT = new float[0];
  private float[] uT = new float[0];
  private float[] xT = new float[0];
  private float[] hT = new float[0];
  /** The single step's gates and input row. */
  private float[] stepGates = new float[0];
  private float[] stepX = new float[0];

  /**
   * An LSTM with seeded weights (see the class comment).
   *
   * @param name prefix of the parameters' names ({@code name.W}, {@code name.U}, {@code name.b})
   * @param inputDim features per step, &gt; 0
   * @param hidden state size H, &gt; 0 (the reference baseline is 128)
   */
  public TrainableLstm(String name, int inputDim, int hidden, long seed) {
    this(name, inputDim, hidden, seed, KernelProvider.get());
  }

  /** An LSTM on the given kernels (tests compare the scalar and the Vector API ones). */
  TrainableLstm(String name, int inputDim, int hidden, long seed, KernelSupport kernels) {
    super("LSTM", name, inputDim, hidden, kernels);
    int g4 = Math.multiplyExact(4, hidden);
    this.w = new Parameter(name + ".W", in, g4);
    this.u = new Parameter(name + ".U", hidden, g4);
    this.b = new Parameter(name + ".b", g4);
    this.parameters = List.of(w, u, b);
    Random r = new Random(seed);
    Init.xavierUniform(w.values(), in, hidden, 1f, r);
    float[] block = new float[hidden * hidden];
    float[] uv = u.values();
    for (int gate = 0; gate < 4; gate++) {
      Init.orthogonal(block, hidden, 1f, r);
      for (int i = 0; i < hidden; i++) {
        System.arraycopy(block, i * hidden, uv, i * g4 + gate * hidden, hidden);
      }
    }
    Arrays.fill(b.values(), hidden, 2 * hidden, 1f);
  }

  /** W, {@code in x 4H}, column blocks [i | f | g | o]. */
  public Parameter inputWeights() {
    return w;
  }

  /** U, {@code H x 4H}, column blocks [i | f | g | o]. */
  public Parameter recurrentWeights() {
    return u;
  }

  /** b, 4H: blocks [i | f | g | o]. */
  public Parameter bias() {
    return b;
  }

  @Override
  public List<Parameter> parameters() {
    return parameters;
  }

  /**
   * {@inheritDoc}
   *
   * @param elapsed ignored: an LSTM has no notion of time (append it to the inputs instead)
   * @return the number of real (not padded) steps run over the batch
   */
  @Override
  public long forward(float[] x, float[] elapsed, int[] first, int batch, int steps, float[] hs) {
    int cells = SequenceInputs.checkForward(label, in, hidden, x, null, first, batch, steps, hs, false);
    int hd = hidden;
    int g4 = 4 * hd;
    int gateValues = Math.multiplyExact(cells, g4);
    firsts = Buffers.grow(firsts, batch);
    xs = Buffers.grow(xs, cells * in);
    gates = Buffers.grow(gates, gateValues);
    cs = Buffers.grow(cs, cells * hd);
    tcs = Buffers.grow(tcs, cells * hd);
    hh = Buffers.grow(hh, cells * hd);
    this.batch = batch;
    this.steps = steps;
    SequenceInputs.tapeInputs(x, first, batch, steps, in, firsts, xs);
    float[] wv = w.values();
    float[] uv = u.values();
    float[] bv = b.values();
    kern.gemm(xs, 0, cells, wv, in, g4, gates, 0, false);
    long work = 0;
    for (int t = 0; t < steps; t++) {
      if (t > 0) {
        kern.gemm(hh, (t - 1) * batch * hd, batch, uv, hd, g4, gates, t * batch * g4, true);
      }
      for (int r = 0; r < batch; r++) {
        int k = t * batch + r;
        int ao = k * g4;
        int so = k * hd;
        if (t < firsts[r]) {
          Arrays.fill(cs, so, so + hd, 0f);
          Arrays.fill(tcs, so, so + hd, 0f);
          Arrays.fill(hh, so, so + hd, 0f);
          continue;
        }
        work++;
        // The previous c is zero at t = 0 and at padding (written as zeros there).
        int po = so - batch * hd;
        for (int j = 0; j < hd; j++) {
          float ig = SequenceInputs.sigmoid(gates[ao + j] + bv[j]);
          float fg = SequenceInputs.sigmoid(gates[ao + hd + j] + bv[hd + j]);
          float gg = SequenceInputs.tanh(gates[ao + 2 * hd + j] + bv[2 * hd + j]);
          float og = SequenceInputs.sigmoid(gates[ao + 3 * hd + j] + bv[3 * hd + j]);
          gates[ao + j] = ig;
          gates[ao + hd + j] = fg;
          gates[ao + 2 * hd + j] = gg;
          gates[ao + 3 * hd + j] = og;
          float cPrev = t > 0 ? cs[po + j] : 0f;
          float c = Math.fma(fg, cPrev, ig * gg);
          float tc = SequenceInputs.tanh(c);
          cs[so + j] = c;
          tcs[so + j] = tc;
          hh[so + j] = og * tc;
        }
      }
      System.arraycopy(hh, t * batch * hd, hs, t * batch * hd, batch * hd);
    }
    return work;
  }

  /** h then c: 2H values. */
  @Override
  public int stateSize() {
    return 2 * hidden;
  }

  /**
   * {@inheritDoc}
   *
   * <p>The forward pass's formulas on one row: {@code a = x W + h U + b}, the gates, {@code c' = f c
   * + i g}, {@code h' = o tanh(c')}. The state is h then c; the elapsed time is ignored.
   */
  @Override
  public void step(float[] x, int xOff, float elapsed, float[] state, int stateOff) {
    int hd = hidden;
    int g4 = 4 * hd;
    SequenceInputs.checkStep(label, in, 2 * hd, x, xOff, Float.NaN, state, stateOff);
    stepGates = Buffers.grow(stepGates, g4);
    stepX = Buffers.grow(stepX, in);
    System.arraycopy(x, xOff, stepX, 0, in);
    float[] bv = b.values();
    float[] a = stepGates;
    kern.gemm(stepX, 0, 1, w.values(), in, g4, a, 0, false);
    kern.gemm(state, stateOff, 1, u.values(), hd, g4, a, 0, true);
    int co = stateOff + hd;
    for (int j = 0; j < hd; j++) {
      float ig = SequenceInputs.sigmoid(a[j] + bv[j]);
      float fg = SequenceInputs.sigmoid(a[hd + j] + bv[hd + j]);
      float gg = SequenceInputs.tanh(a[2 * hd + j] + bv[2 * hd + j]);
      float og = SequenceInputs.sigmoid(a[3 * hd + j] + bv[3 * hd + j]);
      float c = Math.fma(fg, state[co + j], ig * gg);
      state[co + j] = c;
      state[stateOff + j] = og * SequenceInputs.tanh(c);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <pre>
   * dh = dHs + (dA_next U^T)       dc = dc_next f_next + dh o (1 - tanh(c)^2)
   * da_i = dc g i (1 - i)   da_f = dc c_prev f (1 - f)   da_g = dc i (1 - g^2)   da_o = dh tanh(c) o (1 - o)
   * dW += x^T da   dU += h_prev^T da   db += da   dx = da W^T
   * </pre>
   */
  @Override
  public void backward(float[] dHs, float[] dXs) {
    int bt = batch;
    int st = steps;
    SequenceInputs.checkBackward(label, in, hidden, bt, st, dHs, dXs);
    int cells = bt * st;
    int hd = hidden;
    int g4 = 4 * hd;
    dA = Buffers.grow(dA, cells * g4);
    dhCarry = Buffers.grow(dhCarry, bt * hd);
    dcCarry = Buffers.grow(dcCarry, bt * hd);
    Arrays.fill(dhCarry, 0, bt * hd, 0f);
    Arrays.fill(dcCarry, 0, bt * hd, 0f);
    uT = Buffers.transpose(u.values(), hd, g4, uT);
    for (int t = st - 1; t >= 0; t--) {
      for (int r = 0; r < bt; r++) {
        int k = t * bt + r;
        int ao = k * g4;
        int so = k * hd;
        int ro = r * hd;
        if (t < firsts[r]) {
          Arrays.fill(dA, ao, ao + g4, 0f);
          continue;
        }
        int po = so - bt * hd;
        for (int j = 0; j < hd; j++) {
          float ig = gates[ao + j];
          float fg = gates[ao + hd + j];
          float gg = gates[ao + 2 * hd + j];
          float og = gates[ao + 3 * hd + j];
          float tc = tcs[so + j];
          float dh = dHs[so + j] + dhCarry[ro + j];
          float dc = Math.fma(dh * og, 1f - tc * tc, dcCarry[ro + j]);
          float cPrev = t > 0 ? cs[po + j] : 0f;
          dA[ao + j] = dc * gg * ig * (1f - ig);
          dA[ao + hd + j] = dc * cPrev * fg * (1f - fg);
          dA[ao + 2 * hd + j] = dc * ig * (1f - gg * gg);
          dA[ao + 3 * hd + j] = dh * tc * og * (1f - og);
          dcCarry[ro + j] = dc * fg;
        }
      }
      if (t > 0) {
        // dh of the previous step = dA_t U^T, over the batch, on U's transposed copy.
        kern.gemm(dA, t * bt * g4, bt, uT, g4, hd, dhCarry, 0, false);
      }
    }
    float[] gb = b.gradient();
    for (int k = 0; k < cells; k++) {
      kern.axpy(1f, dA, k * g4, gb, 0, g4);
    }
    xT = Buffers.transpose(xs, cells, in, xT);
    kern.gemm(xT, 0, in, dA, cells, g4, w.gradient(), 0, true);
    if (st > 1) {
      hT = SequenceInputs.previousStatesTransposed(hh, bt, cells, hd, hT);
      kern.gemm(hT, 0, hd, dA, cells, g4, u.gradient(), 0, true);
    }
    if (dXs != null) {
      wT = Buffers.transpose(w.values(), in, g4, wT);
      kern.gemm(dA, 0, cells, wT, g4, in, dXs, 0, false);
    }
  }
}
