package dev.auramoe.snn;

import dev.auramoe.balance.BalanceConfig;
import dev.auramoe.seq.Buffers;
import dev.auramoe.seq.Dense;
import dev.auramoe.seq.ExpertGate;
import dev.auramoe.seq.Parameter;
import dev.auramoe.seq.Trainable;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.function.Supplier;

/**
 * A mixture of expert MLPs in place of a Transformer's MLP block, routed token by token: the spiking
 * MoE's layer and, with real-valued activations, its dense twin's.
 *
 * <p>Input x is time-major {@code [T][tokens][D]} (tokens = samples x tokens per sample). Per
 * token, over its T steps:
 *
 * <pre>
 * r        = sum_t x_t                                  the token's summary (spike counts on spikes)
 * l        = r W_r + b_r,  p = softmax(l)               the router (aura-seq's {@link ExpertGate}, TOP_K)
 * S        = the k experts of largest p_e + bias_e      bias: the core's balancer, no auxiliary loss
 * w_e      = p_e / sum_{j in S} p_j                     for e in S
 * O_e,t    = act_e(x_t U_e + a_e) V_e + c_e             expert e over the token's steps (act: LIF or ReLU)
 * SPIKE_DRIVEN: y_t = sum_{e in S} O_e,t                forward adds the kept experts' outputs
 *               backward as if y_t = sum_{e in S} w_e O_e,t (straight through: dL/dw_e = sum_t dy_t . O_e,t)
 * WEIGHTED:     y_t = sum_{e in S} w_e O_e,t            the dense twin
 * </pre>
 *
 * <p>On spikes the router only accumulates: {@code r W_r} adds one row of W_r per input spike over
 * the T steps, and the spike-driven combination adds the kept experts' outputs. The gate weights
 * exist for learning only: through the straight-through rule the router learns which experts lower
 * the loss (with k = 1 the kept weight is always 1 and the router gets no gradient: use k &gt;= 2).
 * The routing is per token, from all its steps (the router waits for the T steps of its input).
 *
 * <p>Each expert runs on the tokens routed to it only, gathered into its own workspaces, as one
 * matrix product per projection over all their steps. No allocation once the workspaces have grown.
 * Not thread-safe.
 */
public final class MoeLayer implements Trainable {

  /** How the kept experts' outputs are combined. */
  public enum Combination {
    /** Added, the gate's weights used by the backward pass only (straight through). */
    SPIKE_DRIVEN,
    /** Weighted by the gate: the dense twin. */
    WEIGHTED
  }

  private final int dim;
  private final int hidden;
  private final int experts;
  private final Combination combination;
  private final ExpertGate gate;
  private final Dense[] up;
  private final Dense[] down;
  private final Activation[] act;
  private final List<Parameter> parameters;

  // Per pass.
  private int steps;
  private int tokens;
  private float[] summary = new float[0];
  private float[] dSummary = new float[0];
  private float[] dWeights = new float[0];
  private final int[] count;
  private final int[][] routed;
  private final float[][] xs;
  private final float[][] cur;
  private final float[][] hid;
  private final float[][] out;
  private float[] dOut = new float[0];
  private float[] dHid = new float[0];
  private float[] dX = new float[0];
  private boolean counting = true;
  private long routerAccumulates;
  private long routerMacs;
  private long expertAccumulates;
  private long expertMacs;

  /**
   * @param name prefix of the parameters' names
   * @param dim D, the tokens' width
   * @param hidden H, each expert's hidden width
   * @param experts E, at least 2
   * @param k the experts kept per token, in [1, E]
   * @param activation makes each expert's activation (one per expert)
   * @param balance the balancer's knobs ({@link BalanceConfig#OFF}: none)
   */
  public MoeLayer(String name, int dim, int hidden, int experts, int k, Combination combination,
      Supplier<? extends Activation> activation, BalanceConfig balance, Random random) {
    if (dim <= 0 || hidden <= 0) {
      throw new IllegalArgumentException("an expert layer needs dim > 0 and hidden > 0, got " + dim + ", " + hidden);
    }
    if (experts < 2) {
      throw new IllegalArgumentException("a mixture needs at least 2 experts, got " + experts);
    }
    this.dim = dim;
    this.hidden = hidden;
    this.experts = experts;
    this.combination = Objects.requireNonNull(combination, "combination");
    this.gate = new ExpertGate(name + ".router", dim, experts, ExpertGate.Mode.TOP_K, k, balance, random);
    this.up = new Dense[experts];
    this.down = new Dense[experts];
    this.act = new Activation[experts];
    List<Parameter> ps = new ArrayList<>(gate.parameters());
    for (int e = 0; e < experts; e++) {
      up[e] = new Dense(name + ".expert" + e + ".up", dim, hidden, random);
      down[e] = new Dense(name + ".expert" + e + ".down", hidden, dim, random);
      act[e] = Objects.requireNonNull(activation.get(), "activation");
      ps.addAll(up[e].parameters());
      ps.addAll(down[e].parameters());
    }
    this.parameters = List.copyOf(ps);
    this.count = new int[experts];
    this.routed = new int[experts][0];
    this.xs = new float[experts][0];
    this.cur = new float[experts][0];
    this.hid = new float[experts][0];
    this.out = new float[experts][0];
  }

  @Override
  public List<Parameter> parameters() {
    return parameters;
  }

  /** The router: its weights, its balancer and the last pass's choices. */
  public ExpertGate gate() {
    return gate;
  }

  /** E. */
  public int experts() {
    return experts;
  }

  /** The combination. */
  public Combination combination() {
    return combination;
  }

  /** Expert e's activation (its firing rate, when spiking). */
  public Activation activation(int e) {
    return act[e];
  }

  /**
   * Whether forward passes count their operations (on by default; a training loop turns it off to
   * skip the passes over the spikes that counting takes). A pass that does not count leaves the
   * counts at zero.
   */
  public void setCounting(boolean on) {
    counting = on;
  }

  /** The tokens routed to expert e in the last pass. */
  public int routedTokens(int e) {
    return count[e];
  }

  /**
   * The forward pass.
   *
   * @param x steps * tokens * D inputs, time-major, not modified
   * @param y receives steps * tokens * D outputs (must not alias x)
   */
  public void forward(float[] x, int steps, int tokens, float[] y) {
    if (steps <= 0 || tokens <= 0) {
      throw new IllegalArgumentException("an expert layer needs steps > 0 and tokens > 0, got " + steps + ", " + tokens);
    }
    long size = (long) steps * tokens * dim;
    if (size > Integer.MAX_VALUE - 8 || (long) steps * tokens * hidden > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("expert layer tensor of " + steps + " x " + tokens + " tokens is too large");
    }
    if (x.length < size || y.length < size) {
      throw new IllegalArgumentException("expert layer needs " + size + " inputs and outputs (" + steps + " x " + tokens
          + " x " + dim + "), got " + x.length + " and " + y.length);
    }
    this.steps = steps;
    this.tokens = tokens;
    summary = Buffers.grow(summary, tokens * dim);
    java.util.Arrays.fill(summary, 0, tokens * dim, 0f);
    for (int t = 0; t < steps; t++) {
      int o = t * tokens * dim;
      for (int i = 0; i < tokens * dim; i++) {
        summary[i] += x[o + i];
      }
    }
    long nonzero = 0;
    if (counting && combination == Combination.SPIKE_DRIVEN) {
      for (int i = 0; i < steps * tokens * dim; i++) {
        nonzero += x[i] != 0f ? 1 : 0;
      }
    }
    boolean spikes = combination == Combination.SPIKE_DRIVEN;
    gate.forward(summary, tokens);
    // On spikes one row of weights per input spike; in both combinations the bias, an add per logit.
    routerAccumulates = counting ? (spikes ? nonzero * experts : 0) + (long) tokens * experts : 0;
    routerMacs = counting && !spikes ? (long) tokens * dim * experts : 0;
    route();
    java.util.Arrays.fill(y, 0, (int) size, 0f);
    float[] w = gate.weights();
    expertAccumulates = 0;
    expertMacs = 0;
    for (int e = 0; e < experts; e++) {
      int n = count[e];
      if (n == 0) {
        continue;
      }
      int rows = steps * n;
      xs[e] = Buffers.grow(xs[e], rows * dim);
      cur[e] = Buffers.grow(cur[e], rows * hidden);
      hid[e] = Buffers.grow(hid[e], rows * hidden);
      out[e] = Buffers.grow(out[e], rows * dim);
      for (int t = 0; t < steps; t++) {
        for (int j = 0; j < n; j++) {
          System.arraycopy(x, (t * tokens + routed[e][j]) * dim, xs[e], (t * n + j) * dim, dim);
        }
      }
      up[e].forward(xs[e], rows, cur[e]);
      act[e].forward(cur[e], steps, n * hidden, hid[e]);
      down[e].forward(hid[e], rows, out[e]);
      if (counting) {
        count(e, rows, spikes);
      }
      for (int t = 0; t < steps; t++) {
        for (int j = 0; j < n; j++) {
          int tok = routed[e][j];
          float c = combination == Combination.WEIGHTED ? w[tok * experts + e] : 1f;
          int yo = (t * tokens + tok) * dim;
          int oo = (t * n + j) * dim;
          for (int d = 0; d < dim; d++) {
            y[yo + d] = Math.fma(c, out[e][oo + d], y[yo + d]);
          }
        }
      }
    }
  }

  /** Adds expert e's operations in this pass to the counts. */
  private void count(int e, int rows, boolean spikes) {
    if (spikes) {
      long xNonzero = 0;
      for (int i = 0; i < rows * dim; i++) {
        xNonzero += xs[e][i] != 0f ? 1 : 0;
      }
      expertAccumulates += xNonzero * hidden;
    } else {
      expertMacs += (long) rows * dim * hidden;
    }
    if (act[e].spiking()) {
      long hNonzero = 0;
      for (int i = 0; i < rows * hidden; i++) {
        hNonzero += hid[e][i] != 0f ? 1 : 0;
      }
      expertAccumulates += hNonzero * dim;
    } else {
      expertMacs += (long) rows * hidden * dim;
    }
    // Combining: an add per output value (spike-driven), a multiply-add when weighted.
    if (spikes) {
      expertAccumulates += (long) rows * dim;
    } else {
      expertMacs += (long) rows * dim;
    }
    // The two projections' bias additions, one per output value, in both combinations.
    expertAccumulates += (long) rows * (hidden + dim);
  }

  /** Lists, per expert, the tokens routed to it. */
  private void route() {
    int k = gate.kept();
    int[] chosen = gate.chosen();
    java.util.Arrays.fill(count, 0);
    for (int e = 0; e < experts; e++) {
      if (routed[e].length < tokens) {
        routed[e] = new int[tokens];
      }
    }
    for (int tok = 0; tok < tokens; tok++) {
      for (int j = 0; j < k; j++) {
        int e = chosen[tok * k + j];
        routed[e][count[e]++] = tok;
      }
    }
  }

  /**
   * The backward pass of the last forward pass (given the same x).
   *
   * @param dy the gradient with respect to y, not modified
   * @param dx receives the gradient with respect to x (overwritten), or null when not needed
   */
  public void backward(float[] x, float[] dy, float[] dx) {
    if (steps == 0) {
      throw new IllegalStateException("expert layer backward before any forward pass");
    }
    int size = steps * tokens * dim;
    if (x.length < size || dy.length < size || (dx != null && dx.length < size)) {
      throw new IllegalArgumentException("expert layer backward needs " + size + " values per tensor");
    }
    if (dx != null) {
      java.util.Arrays.fill(dx, 0, size, 0f);
    }
    dWeights = Buffers.grow(dWeights, tokens * experts);
    java.util.Arrays.fill(dWeights, 0, tokens * experts, 0f);
    float[] w = gate.weights();
    for (int e = 0; e < experts; e++) {
      int n = count[e];
      if (n == 0) {
        continue;
      }
      int rows = steps * n;
      dOut = Buffers.grow(dOut, rows * dim);
      dHid = Buffers.grow(dHid, rows * hidden);
      dX = Buffers.grow(dX, rows * dim);
      for (int t = 0; t < steps; t++) {
        for (int j = 0; j < n; j++) {
          int tok = routed[e][j];
          float c = combination == Combination.WEIGHTED ? w[tok * experts + e] : 1f;
          int yo = (t * tokens + tok) * dim;
          int oo = (t * n + j) * dim;
          float g = 0f;
          for (int d = 0; d < dim; d++) {
            float gy = dy[yo + d];
            g = Math.fma(gy, out[e][oo + d], g);
            dOut[oo + d] = c * gy;
          }
          dWeights[tok * experts + e] += g;
        }
      }
      down[e].backward(hid[e], dOut, rows, dHid);
      act[e].backward(dHid, dHid);
      up[e].backward(xs[e], dHid, rows, dx == null ? null : dX);
      if (dx != null) {
        for (int t = 0; t < steps; t++) {
          for (int j = 0; j < n; j++) {
            int xo = (t * tokens + routed[e][j]) * dim;
            int so = (t * n + j) * dim;
            for (int d = 0; d < dim; d++) {
              dx[xo + d] += dX[so + d];
            }
          }
        }
      }
    }
    dSummary = Buffers.grow(dSummary, tokens * dim);
    gate.backward(summary, dWeights, dx == null ? null : dSummary);
    if (dx != null) {
      for (int t = 0; t < steps; t++) {
        int o = t * tokens * dim;
        for (int i = 0; i < tokens * dim; i++) {
          dx[o + i] += dSummary[i];
        }
      }
    }
  }

  /** Records the last pass's choices with the balancer (a training step calls it, a prediction does not). */
  public void recordLoad() {
    gate.recordLoad();
  }

  /**
   * The router's accumulates in the last pass: one row of E weights per input spike (SPIKE_DRIVEN,
   * whose inputs are spikes), and the bias's E adds per token (both combinations).
   */
  public long routerAccumulates() {
    return routerAccumulates;
  }

  /** The router's multiply-accumulates in the last pass: tokens x D x E for WEIGHTED (real inputs), 0 for SPIKE_DRIVEN. */
  public long routerMacs() {
    return routerMacs;
  }

  /**
   * The experts' accumulates in the last pass: per input spike a row of the projection it feeds
   * (the input's spikes for SPIKE_DRIVEN, the hidden spikes for spiking activations), one add per
   * output value combined by SPIKE_DRIVEN, and the projections' bias adds (both combinations).
   */
  public long expertAccumulates() {
    return expertAccumulates;
  }

  /** The experts' multiply-accumulates in the last pass: every weight of every routed row fed real values, and the weighted combination. */
  public long expertMacs() {
    return expertMacs;
  }

}
