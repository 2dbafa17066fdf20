package dev.auramoe.seq;

import dev.auramoe.balance.BalanceConfig;
import dev.auramoe.balance.LoadBalancer;
import dev.auramoe.routing.TopK;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * The gate of a mixture of sequence experts: from a summary of each sequence, a weight per expert.
 *
 * <pre>
 * l = W s + b                               (a {@link Dense} from the summary s to N logits)
 * p = softmax(l)
 * SOFT:  w = p                              every expert weighted
 * TOP_K: S = the k experts of largest p_i + bias_i
 *        w_i = p_i / sum_{j in S} p_j  for i in S, 0 elsewhere
 *
 * backward, G = dL/dw:
 * SOFT:  dl_i = p_i (G_i - sum_j p_j G_j)
 * TOP_K: dl_i = w_i (G_i - sum_{j in S} w_j G_j)  for i in S, 0 elsewhere
 * </pre>
 *
 * (The kept weights are the softmax of the kept logits, so the gradient flows through the kept
 * experts only; the selection itself is a discrete choice with no gradient.)
 *
 * <p>Balancing without an auxiliary loss, for {@code TOP_K}: the selection adds the core's
 * {@link LoadBalancer} bias (DeepSeek-V3's rule, {@link BalanceConfig}), which moves against
 * experts chosen more often than the mean once per training batch
 * ({@link #recordLoad()}); the bias changes which experts are kept, never the mixing weights, and no
 * term is added to the loss. With the default cap (0.05) it evens the load of experts the gate finds
 * alike and never overrides a clear preference. {@code SOFT} has no selection, so nothing to balance.
 *
 * <p>Neither pass allocates once the workspaces have grown. Not thread-safe.
 */
public final class ExpertGate implements Trainable {

  /** Soft (every expert weighted) or top-k (k of N kept, renormalised). */
  public enum Mode { SOFT, TOP_K }

  private final int experts;
  private final Mode mode;
  private final int k;
  private final Dense router;
  private final LoadBalancer balancer;
  private int rows;
  private float[] probs = new float[0];
  private float[] weights = new float[0];
  private int[] chosen = new int[0];
  private final int[] row;
  private final float[] scores;
  private final float[] topScores;
  private float[] dLogits = new float[0];

  /**
   * @param name prefix of the parameters' names ({@code name.W}, {@code name.b})
   * @param inputDim the summary's width
   * @param experts N, at least 1
   * @param k the experts kept by {@code TOP_K}, in [1, N] (ignored by {@code SOFT})
   * @param balance the balancer's knobs for {@code TOP_K} ({@link BalanceConfig#OFF}: none)
   */
  public ExpertGate(String name, int inputDim, int experts, Mode mode, int k, BalanceConfig balance, Random random) {
    this.mode = Objects.requireNonNull(mode, "mode");
    if (experts <= 0) {
      throw new IllegalArgumentException("a gate needs at least 1 expert, got " + experts);
    }
    if (mode == Mode.TOP_K && (k < 1 || k > experts)) {
      throw new IllegalArgumentException("top-k needs k in [1, " + experts + "], got " + k);
    }
    this.experts = experts;
    this.k = mode == Mode.TOP_K ? k : experts;
    this.router = new Dense(name, inputDim, experts, random);
    this.balancer = new LoadBalancer(experts, Objects.requireNonNull(balance, "balance"));
    this.row = new int[experts];
    this.scores = new float[experts];
    this.topScores = new float[experts];
  }

  /** N. */
  public int experts() {
    return experts;
  }

  /** The mode. */
  public Mode mode() {
    return mode;
  }

  /** The experts kept per sequence: k for {@code TOP_K}, N for {@code SOFT}. */
  public int kept() {
    return k;
  }

  /** The router (W, b). */
  public Dense router() {
    return router;
  }

  /** The balancer of {@code TOP_K}'s selection (its state: bias, load, counts). */
  public LoadBalancer balancer() {
    return balancer;
  }

  @Override
  public List<Parameter> parameters() {
    return router.parameters();
  }

  /**
   * The weights of each of {@code rows} summaries; keeps p, w and the selection for {@link #backward}.
   *
   * @param summary rows * inputDim values, not modified
   */
  public void forward(float[] summary, int rows) {
    if (rows <= 0) {
      throw new IllegalArgumentException("rows must be > 0, got " + rows);
    }
    int n = Math.multiplyExact(rows, experts);
    probs = Buffers.grow(probs, n);
    weights = Buffers.grow(weights, n);
    chosen = Buffers.grow(chosen, Math.multiplyExact(rows, k));
    router.forward(summary, rows, probs);
    this.rows = rows;
    Softmax.rows(probs, rows, experts, probs);
    if (mode == Mode.SOFT) {
      System.arraycopy(probs, 0, weights, 0, n);
      for (int r = 0; r < rows; r++) {
        for (int i = 0; i < experts; i++) {
          chosen[r * k + i] = i;
        }
      }
      return;
    }
    float[] bias = balancer.applies() ? balancer.biasArray() : null;
    for (int r = 0; r < rows; r++) {
      int o = r * experts;
      TopK.selectByScore(probs, o, bias, experts, k, scores, row, topScores);
      float kept = 0f;
      for (int j = 0; j < k; j++) {
        kept += probs[o + row[j]];
      }
      java.util.Arrays.fill(weights, o, o + experts, 0f);
      for (int j = 0; j < k; j++) {
        chosen[r * k + j] = row[j];
        weights[o + row[j]] = probs[o + row[j]] / kept;
      }
    }
  }

  /**
   * Backward over the last {@link #forward}: adds W's and b's gradients.
   *
   * @param summary the summaries given to the forward pass, unchanged
   * @param dWeights the loss's gradient with respect to w, rows * N; not modified
   * @param dSummary receives the gradient with respect to the summaries (overwritten), or null
   */
  public void backward(float[] summary, float[] dWeights, float[] dSummary) {
    if (rows == 0) {
      throw new IllegalStateException("backward needs a forward pass first");
    }
    int n = rows * experts;
    dLogits = Buffers.grow(dLogits, n);
    java.util.Arrays.fill(dLogits, 0, n, 0f);
    for (int r = 0; r < rows; r++) {
      int o = r * experts;
      float mean = 0f;
      for (int j = 0; j < k; j++) {
        int i = chosen[r * k + j];
        mean = Math.fma(weights[o + i], dWeights[o + i], mean);
      }
      for (int j = 0; j < k; j++) {
        int i = chosen[r * k + j];
        dLogits[o + i] = weights[o + i] * (dWeights[o + i] - mean);
      }
    }
    router.backward(summary, dLogits, rows, dSummary);
  }

  /**
   * Records the selections of the last forward pass with the balancer as one batch, which moves the
   * selection bias once ({@link LoadBalancer#recordBatch}: the whole pass was chosen with one bias;
   * {@code TOP_K} only; a training step calls it, a prediction does not).
   */
  public void recordLoad() {
    if (mode != Mode.TOP_K) {
      return;
    }
    balancer.recordBatch(chosen, rows, k);
  }

  /**
   * The mixing weights of the last forward pass, rows * N (live; valid until the next forward): each
   * row sums to 1, with zeros at the experts {@code TOP_K} left out.
   */
  public float[] weights() {
    return weights;
  }

  /**
   * The experts kept for each row of the last forward pass, rows * {@link #kept()} indices (live;
   * valid until the next forward): for {@code TOP_K} in the selection's order, for {@code SOFT}
   * 0..N-1.
   */
  public int[] chosen() {
    return chosen;
  }

  /** The gate's probabilities p of the last forward pass, before any selection, rows * N (live). */
  public float[] probabilities() {
    return probs;
  }

  /** The rows of the last forward pass. */
  public int rows() {
    return rows;
  }
}
