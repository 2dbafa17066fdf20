package dev.auramoe.snn;

import java.util.Objects;

/**
 * Spike-driven self-attention: spikes in, spikes out, no softmax and no multiplication of real
 * numbers (Yao, Hu, Zhou, Yuan, Tian, Xu and Li, "Spike-driven Transformer", NeurIPS 2023, its
 * SDSA with the mask on the queries). Per sample and time step, over N tokens of D channels:
 *
 * <pre>
 * a_c   = sum_n K[n][c] V[n][c]          how many tokens carry both a key and a value spike in channel c
 * m_c   = LIF_t(a_c)                      a spike per channel (the channel's neuron integrates over time steps)
 * Y[n][c] = Q[n][c] m_c                   the queries, masked
 * </pre>
 *
 * With binary Q, K and V, {@code K ⊙ V} is an AND, {@code a} a count (one accumulate per token
 * whose key and value both fire), the mask a spike, and {@code Q ⊙ m} an AND: the cost is linear in
 * the tokens, O(N D) where softmax attention is O(N^2 D). The mask's neurons default to the
 * reference's threshold 0.5 (with tau 2 a channel fires when one token carries both spikes).
 *
 * <p>Backward, with the mask's neurons' surrogate gradient ({@link LifNeurons}):
 *
 * <pre>
 * gQ[n][c] = gY[n][c] m_c        gm_c = sum_n gY[n][c] Q[n][c]       ga = LIF_t'(gm)
 * gK[n][c] = ga_c V[n][c]        gV[n][c] = ga_c K[n][c]
 * </pre>
 *
 * <p>Tensors are time-major, {@code [T][B][N][D]} (step, sample, token, channel); the mask's
 * neurons are {@code [T][B][D]}. The loops are O(N D) per sample and step beside the O(N D^2) of
 * the projections that make Q, K and V, so they stay plain loops. No allocation once the workspaces
 * have grown. Not thread-safe.
 */
public final class SpikeDrivenAttention {

  /** The mask's neurons by default: tau 2, threshold 0.5, hard reset, arctan surrogate, reset detached. */
  public static final LifConfig DEFAULT_MASK = LifConfig.DEFAULT.withThreshold(0.5f);

  private final Activation mask;
  private int steps;
  private int batch;
  private int tokens;
  private int dim;
  private float[] counts = new float[0];
  private float[] m = new float[0];
  private float[] gm = new float[0];

  /** Attention whose mask neurons have these settings. */
  public SpikeDrivenAttention(LifConfig maskNeurons) {
    this(new LifNeurons(maskNeurons));
  }

  /**
   * Attention over the given mask activation: spiking neurons, or for the dense twin a rectifier
   * ({@code Y = Q ⊙ relu(sum_n K ⊙ V)} on real values).
   */
  public SpikeDrivenAttention(Activation mask) {
    this.mask = Objects.requireNonNull(mask, "mask");
  }

  /** The mask's activation (spiking neurons: their firing rate is the share of channels let through). */
  public Activation mask() {
    return mask;
  }

  /**
   * The forward pass.
   *
   * @param q the queries, {@code steps * batch * tokens * dim} spikes, time-major, not modified
   * @param k the keys, the same shape, not modified
   * @param v the values, the same shape, not modified
   * @param y receives the masked queries, same shape (must not alias q)
   */
  public void forward(float[] q, float[] k, float[] v, int steps, int batch, int tokens, int dim, float[] y) {
    check(steps, batch, tokens, dim, q, k, v, y);
    this.steps = steps;
    this.batch = batch;
    this.tokens = tokens;
    this.dim = dim;
    int cells = steps * batch * dim;
    if (counts.length < cells) {
      counts = new float[cells];
      m = new float[cells];
      gm = new float[cells];
    }
    java.util.Arrays.fill(counts, 0, cells, 0f);
    for (int tb = 0; tb < steps * batch; tb++) {
      int co = tb * dim;
      for (int n = 0; n < tokens; n++) {
        int o = (tb * tokens + n) * dim;
        for (int c = 0; c < dim; c++) {
          counts[co + c] += k[o + c] * v[o + c];
        }
      }
    }
    mask.forward(counts, steps, batch * dim, m);
    for (int tb = 0; tb < steps * batch; tb++) {
      int co = tb * dim;
      for (int n = 0; n < tokens; n++) {
        int o = (tb * tokens + n) * dim;
        for (int c = 0; c < dim; c++) {
          y[o + c] = q[o + c] * m[co + c];
        }
      }
    }
  }

  /**
   * The backward pass of the last forward pass (given the same q, k and v).
   *
   * @param q the forward pass's queries
   * @param k the forward pass's keys
   * @param v the forward pass's values
   * @param gy the gradient with respect to y, not modified
   * @param gq receives the gradient with respect to q (overwritten)
   * @param gk receives the gradient with respect to k (overwritten)
   * @param gv receives the gradient with respect to v (overwritten)
   */
  public void backward(float[] q, float[] k, float[] v, float[] gy, float[] gq, float[] gk, float[] gv) {
    if (steps == 0) {
      throw new IllegalStateException("attention backward before any forward pass");
    }
    check(steps, batch, tokens, dim, q, k, v, gy);
    check(steps, batch, tokens, dim, gq, gk, gv, gy);
    int cells = steps * batch * dim;
    java.util.Arrays.fill(gm, 0, cells, 0f);
    for (int tb = 0; tb < steps * batch; tb++) {
      int co = tb * dim;
      for (int n = 0; n < tokens; n++) {
        int o = (tb * tokens + n) * dim;
        for (int c = 0; c < dim; c++) {
          gm[co + c] += gy[o + c] * q[o + c];
          gq[o + c] = gy[o + c] * m[co + c];
        }
      }
    }
    mask.backward(gm, gm);
    for (int tb = 0; tb < steps * batch; tb++) {
      int co = tb * dim;
      for (int n = 0; n < tokens; n++) {
        int o = (tb * tokens + n) * dim;
        for (int c = 0; c < dim; c++) {
          float ga = gm[co + c];
          gk[o + c] = ga * v[o + c];
          gv[o + c] = ga * k[o + c];
        }
      }
    }
  }

  /**
   * The accumulates a spike-driven implementation of the last forward pass performs: one per token
   * and channel whose key and value both fire (the counts a), summed over samples and steps. The
   * masking of the queries is an AND, not an accumulate.
   */
  public long accumulates() {
    double sum = 0;
    for (int i = 0; i < steps * batch * dim; i++) {
      sum += counts[i];
    }
    return Math.round(sum);
  }

  // Four arrays named, not varargs: a varargs array is an allocation per pass wherever the call is not inlined.
  private static void check(int steps, int batch, int tokens, int dim, float[] a, float[] b, float[] c, float[] d) {
    if (steps <= 0 || batch <= 0 || tokens <= 0 || dim <= 0) {
      throw new IllegalArgumentException("attention needs steps, batch, tokens and dim > 0, got " + steps + ", "
          + batch + ", " + tokens + ", " + dim);
    }
    long size = (long) steps * batch * tokens * dim;
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("attention tensor of " + size + " values is too large");
    }
    int shortest = Math.min(Math.min(a.length, b.length), Math.min(c.length, d.length));
    if (shortest < size) {
      throw new IllegalArgumentException("attention tensors need " + size + " values (" + steps + " x " + batch
          + " x " + tokens + " x " + dim + "), one has " + shortest);
    }
  }
}
