package dev.auramoe.balance;

import java.util.Arrays;
import java.util.Objects;

/**
 * Auxiliary-loss-free load balancing: a moving average of each expert's load and a selection bias
 * nudged against over-used experts. See {@link BalanceConfig} for the rule and the knobs.
 *
 * <p>The bias changes <em>which</em> experts are selected, never the mixing weights. Not thread-safe:
 * the owning model calls it under its lock.
 */
public final class LoadBalancer {

  private final int experts;
  private BalanceConfig config;
  private final float[] bias;
  private final float[] load;
  private final long[] counts;
  private long tokens;
  private long biasUpdates;

  /** A balancer for {@code experts} experts. */
  public LoadBalancer(int experts, BalanceConfig config) {
    if (experts <= 0) {
      throw new IllegalArgumentException("experts must be > 0, got " + experts);
    }
    this.experts = experts;
    this.config = Objects.requireNonNull(config, "config");
    this.bias = new float[experts];
    this.load = new float[experts];
    this.counts = new long[experts];
  }

  /** The configuration in force. */
  public BalanceConfig config() {
    return config;
  }

  /** Replaces the configuration; loads are kept, and the bias is kept within the new cap. */
  public void setConfig(BalanceConfig c) {
    this.config = Objects.requireNonNull(c, "config");
    float cap = (float) c.biasCap();
    for (int i = 0; i < experts; i++) {
      bias[i] = Math.min(cap, Math.max(-cap, bias[i]));
    }
  }

  /** Selection bias (live array, read-only for callers in this package's contract). */
  public float[] biasArray() {
    return bias;
  }

  /**
   * The current mode:
   * <ul>
   *   <li>{@code off}: disabled, or a bias cap of 0; the bias is neither applied nor moved;
   *   <li>{@code frozen}: frozen, or gamma 0; the current bias is applied but never moves;
   *   <li>{@code warming-up}: fewer than warmupTokens tokens routed; applied, not moved yet;
   *   <li>{@code active}: applied and moved after every token ({@link #record}) or batch
   *       ({@link #recordBatch}).
   * </ul>
   */
  public String mode() {
    if (!applies()) {
      return "off";
    }
    if (config.frozen() || config.gamma() == 0) {
      return "frozen";
    }
    if (tokens < config.warmupTokens()) {
      return "warming-up";
    }
    return "active";
  }

  /** Whether selection adds the bias: every mode but {@code off}. */
  public boolean applies() {
    return config.enabled() && config.biasCap() > 0;
  }

  /**
   * Records one routed token that selected {@code chosen[0..k)} and moves the bias when active.
   * Padding or masked tokens must not be passed here.
   */
  public void record(int[] chosen, int k) {
    track(chosen, 0, k);
    if (moves()) {
      float mean = 0f;
      for (int i = 0; i < experts; i++) {
        mean += load[i];
      }
      mean /= experts;
      for (int i = 0; i < experts; i++) {
        nudge(i, mean - load[i]);
      }
      biasUpdates++;
    }
  }

  /**
   * Records a batch of {@code rows} tokens routed together, token r having selected
   * {@code chosen[r k .. r k + k)}, and moves the bias once, by the batch's own load: each expert's
   * bias steps by gamma against the sign of (its share of the batch's selections - the mean share).
   * This is DeepSeek-V3's rule as stated, one update per training step. A model that chooses a whole
   * batch with one bias (a network trained on mini-batches) must record so: {@link #record} per token
   * would move the bias rows times for choices all made before any move, by up to rows x gamma per
   * batch, so the bias swings from cap to cap between batches and leaves an expert starved wherever
   * the last batch left it. The moving averages and counts follow every token as with {@link #record}.
   *
   * @throws IllegalArgumentException for too few choices or an expert this balancer does not have,
   *     before any row is recorded
   */
  public void recordBatch(int[] chosen, int rows, int k) {
    if (rows < 0 || k < 0 || (long) rows * k > chosen.length) {
      throw new IllegalArgumentException("need rows x k = " + rows + " x " + k + " choices, got " + chosen.length);
    }
    for (int c = 0; c < rows * k; c++) {
      if (chosen[c] < 0 || chosen[c] >= experts) {
        throw new IllegalArgumentException("row " + c / k + " of the batch chose expert " + chosen[c] + " of "
            + experts);
      }
    }
    for (int r = 0; r < rows; r++) {
      track(chosen, r * k, k);
    }
    if (rows > 0 && moves()) {
      double mean = (double) rows * k / experts;
      for (int i = 0; i < experts; i++) {
        long picked = 0;
        for (int c = 0; c < rows * k; c++) {
          picked += chosen[c] == i ? 1 : 0;
        }
        nudge(i, (float) (mean - picked));
      }
      biasUpdates++;
    }
  }

  /** One token that chose {@code chosen[off .. off + k)}: the moving averages, the counts and the token count. */
  private void track(int[] chosen, int off, int k) {
    float a = (float) (1 - config.decay());
    float keep = (float) config.decay();
    for (int i = 0; i < experts; i++) {
      load[i] *= keep;
    }
    for (int j = 0; j < k; j++) {
      int e = chosen[off + j];
      load[e] += a;
      counts[e]++;
    }
    tokens++;
  }

  private boolean moves() {
    return applies() && !config.frozen() && config.gamma() > 0 && tokens > config.warmupTokens();
  }

  /** One step of gamma on expert i's bias in the direction of {@code d} (mean load - its load), within the cap. */
  private void nudge(int i, float d) {
    float cap = (float) config.biasCap();
    bias[i] = Math.min(cap, Math.max(-cap, bias[i] + step((float) config.gamma(), d)));
  }

  /**
   * {@code g}, {@code -g} or 0 as {@code d} is positive, negative or neither. The sign is taken as an
   * int and multiplied, not chosen by a conditional: every token moves every expert's bias, and
   * which way is a coin toss that a branch would mispredict half the time (float conditionals compile
   * to branches). For g &gt; 0 the product is exactly g, -g or +0.
   */
  private static float step(float g, float d) {
    return (float) ((d > 0 ? 1 : 0) - (d < 0 ? 1 : 0)) * g;
  }

  /** A copy of the whole state. */
  public BalanceState state() {
    return new BalanceState(config, mode(), tokens, biasUpdates, bias, load, counts);
  }

  /** Clears loads, counts and bias. */
  public void reset() {
    Arrays.fill(bias, 0f);
    Arrays.fill(load, 0f);
    Arrays.fill(counts, 0);
    tokens = 0;
    biasUpdates = 0;
  }

  /** Restores the state from a snapshot. */
  public void restore(float[] b, float[] l, long[] c, long t, long updates) {
    if (b.length != experts || l.length != experts || c.length != experts) {
      throw new IllegalArgumentException("balance state has the wrong number of experts");
    }
    System.arraycopy(b, 0, bias, 0, experts);
    System.arraycopy(l, 0, load, 0, experts);
    System.arraycopy(c, 0, counts, 0, experts);
    tokens = t;
    biasUpdates = updates;
  }
}
