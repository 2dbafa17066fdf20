package dev.auramoe.seq;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Temporal attention over one recurrent layer's states h_1..h_T of each sequence: additive scores
 * (Bahdanau, Cho and Bengio, "Neural Machine Translation by Jointly Learning to Align and
 * Translate", ICLR 2015), a softmax over the sequence's real steps, and the weighted sum of the
 * states as the sequence's context.
 *
 * <pre>
 * u_t     = tanh(A h_t + a)                 (a {@link Dense} H -&gt; D)
 * score_t = v . u_t
 * beta    = softmax over the real steps t &gt;= first of score    (0 at padding)
 * c       = sum_t beta_t h_t
 *
 * backward, G = dL/dc:
 * dbeta_t  = G . h_t
 * dscore_t = beta_t (dbeta_t - sum_s beta_s dbeta_s)
 * dv      += sum_t dscore_t u_t
 * dpre_t   = dscore_t v (1 - u_t^2)         (A's and a's gradients through the Dense)
 * dh_t     = beta_t G + sum_j A[.][j] dpre_t[j]
 * </pre>
 *
 * Why the additive score rather than the simpler {@code v . h_t}: a linear score ranks the steps by
 * one direction of the state only; through tanh, the layer can pick out a step by a combination of
 * units (a blip seen by the fast units while the slow ones are at rest). v starts at zero, so the
 * context starts as the mean of the real states (every step heard) and moves from there.
 *
 * <p>The states are the caller's ({@code hs} in the layers' layout, zeros at padding), passed to
 * both passes unchanged, as {@link Dense} takes its input; the layer keeps u and beta. The weights
 * of the last forward pass stay readable ({@link #weights()}). Neither pass allocates once the
 * workspaces have grown. Not thread-safe.
 */
public final class TemporalAttention implements Trainable {

  private final int hidden;
  private final int dim;
  private final Dense proj;
  private final Parameter v;
  private final List<Parameter> parameters;
  private int batch;
  private int steps;
  private int[] first = new int[0];
  /** Per (t, r): u (D values), and the weight beta. */
  private float[] u = new float[0];
  private float[] beta = new float[0];
  /** Scratch: one sequence's scores, dpre per (t, r), and the Dense's input gradient. */
  private float[] scores = new float[0];
  private float[] dPre = new float[0];
  private float[] dxProj = new float[0];
  /** The running form's u of one state. */
  private float[] stepU = new float[0];
  private float[] stepH = new float[0];

  /**
   * @param name prefix of the parameters' names ({@code name.A}, {@code name.a}, {@code name.v})
   * @param hidden H, the states' size
   * @param dim D, the score's hidden width
   */
  public TemporalAttention(String name, int hidden, int dim, Random random) {
    this.hidden = hidden;
    this.dim = dim;
    this.proj = new Dense(name + ".A", hidden, dim, random);
    this.v = new Parameter(name + ".v", dim);
    this.parameters = List.of(proj.weights(), proj.bias(), v);
  }

  /** H. */
  public int hidden() {
    return hidden;
  }

  /** D. */
  public int dim() {
    return dim;
  }

  /** The score's projection (A, a). */
  public Dense projection() {
    return proj;
  }

  /** v, the score's output weights. */
  public Parameter scoreWeights() {
    return v;
  }

  @Override
  public List<Parameter> parameters() {
    return parameters;
  }

  /**
   * Each sequence's context; keeps u and beta for {@link #backward}.
   *
   * @param hs the states, {@code steps * batch * H}, zeros at padding; not modified
   * @param first each sequence's first real step, or null
   * @param context receives {@code batch * H} values
   */
  public void forward(float[] hs, int[] first, int batch, int steps, float[] context) {
    if (batch <= 0 || steps <= 0) {
      throw new IllegalArgumentException("batch and steps must be > 0, got " + batch + ", " + steps);
    }
    int cells = Math.multiplyExact(batch, steps);
    if (hs.length < Math.multiplyExact(cells, hidden) || context.length < batch * hidden) {
      throw new IllegalArgumentException("temporal attention: " + steps + " steps of " + batch + " sequences need "
          + (long) cells * hidden + " states and " + batch * hidden + " context values");
    }
    Padding.check(first, batch, steps);
    u = Buffers.grow(u, Math.multiplyExact(cells, dim));
    beta = Buffers.grow(beta, cells);
    scores = Buffers.grow(scores, steps);
    this.first = Buffers.grow(this.first, batch);
    for (int r = 0; r < batch; r++) {
      this.first[r] = SequenceInputs.first(first, r);
    }
    this.batch = batch;
    this.steps = steps;
    proj.forward(hs, cells, u);
    int n = cells * dim;
    for (int k = 0; k < n; k++) {
      u[k] = SequenceInputs.tanh(u[k]);
    }
    float[] vv = v.values();
    Arrays.fill(context, 0, batch * hidden, 0f);
    for (int r = 0; r < batch; r++) {
      int f = this.first[r];
      for (int t = f; t < steps; t++) {
        int uo = (t * batch + r) * dim;
        scores[t] = dot(vv, u, uo);
      }
      Softmax.of(scores, f, steps - f, scores, f);
      int co = r * hidden;
      for (int t = 0; t < steps; t++) {
        int k = t * batch + r;
        float b = t < f ? 0f : scores[t];
        beta[k] = b;
        if (b != 0f) {
          int ho = k * hidden;
          for (int j = 0; j < hidden; j++) {
            context[co + j] = Math.fma(b, hs[ho + j], context[co + j]);
          }
        }
      }
    }
  }

  /** The score's dot product v . u of one step's u (kept in one place for both forms). */
  private float dot(float[] vv, float[] uu, int uo) {
    float s = 0f;
    for (int j = 0; j < dim; j++) {
      s = Math.fma(vv[j], uu[uo + j], s);
    }
    return s;
  }

  /** Values of a running attention ({@link #fold}): the running maximum, the sum and H weighted states. */
  public int runningSize() {
    return 2 + hidden;
  }

  /**
   * Clears a running attention at {@code run[off .. off + runningSize())}: no step seen.
   */
  public void clearRunning(double[] run, int off) {
    run[off] = Double.NEGATIVE_INFINITY;
    java.util.Arrays.fill(run, off + 1, off + 2 + hidden, 0.0);
  }

  /**
   * Folds one more state into a running attention, the online softmax (Milakov and Gimelshein,
   * "Online normalizer calculation for softmax", 2018): with the running maximum m of the scores,
   * {@code sum = sum_t exp(score_t - m)} and {@code acc = sum_t exp(score_t - m) h_t}, both rescaled by
   * {@code exp(m - m')} when a score raises the maximum to m'. The context {@code acc / sum}
   * ({@link #runningContext}) is then {@link #forward}'s over the states folded so far, computed in
   * double (the batch form rounds each weight to float first: the two agree to about 1e-7 relative).
   * O(H D) per state, whatever the number of states before it; allocates nothing once grown.
   *
   * @param h one state, {@code h[hOff .. hOff + H)}, not modified
   */
  public void fold(float[] h, int hOff, double[] run, int off) {
    stepU = Buffers.grow(stepU, Math.max(dim, hidden));
    // The projection reads its row from offset 0.
    float[] row = h;
    if (hOff != 0) {
      stepH = Buffers.grow(stepH, hidden);
      System.arraycopy(h, hOff, stepH, 0, hidden);
      row = stepH;
    }
    proj.forward(row, 1, stepU);
    for (int j = 0; j < dim; j++) {
      stepU[j] = SequenceInputs.tanh(stepU[j]);
    }
    double score = dot(v.values(), stepU, 0);
    double max = run[off];
    if (score > max) {
      double rescale = max == Double.NEGATIVE_INFINITY ? 0.0 : StrictMath.exp(max - score);
      for (int j = off + 1; j < off + 2 + hidden; j++) {
        run[j] *= rescale;
      }
      run[off] = score;
      max = score;
    }
    double e = StrictMath.exp(score - max);
    run[off + 1] += e;
    for (int j = 0; j < hidden; j++) {
      run[off + 2 + j] += e * h[hOff + j];
    }
  }

  /** The context of a running attention with at least one state folded: {@code acc / sum} into {@code out[outOff ..]}. */
  public void runningContext(double[] run, int off, float[] out, int outOff) {
    double inv = 1 / run[off + 1];
    for (int j = 0; j < hidden; j++) {
      out[outOff + j] = (float) (run[off + 2 + j] * inv);
    }
  }

  /**
   * Backward over the last {@link #forward}: adds A's, a's and v's gradients.
   *
   * @param hs the states given to the forward pass, unchanged
   * @param dContext the loss's gradient with respect to each context, {@code batch * H}; not modified
   * @param dHs receives the gradient with respect to every state (overwritten, zeros at padding)
   */
  public void backward(float[] hs, float[] dContext, float[] dHs) {
    if (batch == 0) {
      throw new IllegalStateException("backward needs a forward pass first");
    }
    int cells = batch * steps;
    if (hs.length < cells * hidden || dHs.length < cells * hidden || dContext.length < batch * hidden) {
      throw new IllegalArgumentException("temporal attention backward: " + cells + " steps need " + cells * hidden
          + " states and state gradients, and " + batch * hidden + " context gradients");
    }
    dPre = Buffers.grow(dPre, cells * dim);
    dxProj = Buffers.grow(dxProj, cells * hidden);
    float[] vv = v.values();
    float[] gv = v.gradient();
    for (int r = 0; r < batch; r++) {
      int f = first[r];
      int co = r * hidden;
      // dbeta_t into scores[t], and sum_s beta_s dbeta_s.
      float mean = 0f;
      for (int t = f; t < steps; t++) {
        int ho = (t * batch + r) * hidden;
        float d = 0f;
        for (int j = 0; j < hidden; j++) {
          d = Math.fma(dContext[co + j], hs[ho + j], d);
        }
        scores[t] = d;
        mean = Math.fma(beta[t * batch + r], d, mean);
      }
      for (int t = 0; t < steps; t++) {
        int k = t * batch + r;
        int uo = k * dim;
        if (t < f) {
          Arrays.fill(dPre, uo, uo + dim, 0f);
          continue;
        }
        float ds = beta[k] * (scores[t] - mean);
        for (int j = 0; j < dim; j++) {
          float uj = u[uo + j];
          gv[j] = Math.fma(ds, uj, gv[j]);
          dPre[uo + j] = ds * vv[j] * (1f - uj * uj);
        }
      }
    }
    proj.backward(hs, dPre, cells, dxProj);
    for (int k = 0; k < cells; k++) {
      int r = k % batch;
      int ho = k * hidden;
      if (k / batch < first[r]) {
        Arrays.fill(dHs, ho, ho + hidden, 0f);
        continue;
      }
      float b = beta[k];
      int co = r * hidden;
      for (int j = 0; j < hidden; j++) {
        dHs[ho + j] = Math.fma(b, dContext[co + j], dxProj[ho + j]);
      }
    }
  }

  /**
   * The weights beta of the last forward pass, {@code steps * batch} values time-major (live; valid
   * until the next forward): each sequence's weights over its real steps sum to 1, 0 at padding.
   */
  public float[] weights() {
    return beta;
  }
}
