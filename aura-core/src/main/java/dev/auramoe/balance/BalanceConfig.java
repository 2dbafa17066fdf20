package dev.auramoe.balance;

/**
 * Knobs of auxiliary-loss-free load balancing (DeepSeek-V3, Liu et al. 2024, section 2.1.2).
 *
 * <pre>
 * load_i  &lt;- decay * load_i + (1 - decay) * chosen_i        (chosen_i = 1 if expert i was selected)
 * b_i     &lt;- clamp(b_i + gamma * sign(mean(load) - load_i), -biasCap, biasCap)
 * select  = topK(p_i + b_i);     weights = p_i / sum_{chosen} p_j    (the bias never mixes)
 * </pre>
 *
 * @param enabled false turns the bias update off (loads are still tracked and reported)
 * @param gamma bias step per routed token (per batch for a batch-trained router,
 *     {@link LoadBalancer#recordBatch}); 0 means the bias never moves, larger values react
 *     faster and oscillate more (default 1e-3)
 * @param decay moving-average decay in [0, 1): 0 means the load is the last token's choice only,
 *     values near 1 average over about 1/(1-decay) tokens (default 0.99)
 * @param biasCap largest |b_i|; 0 disables the bias in effect, large values let balancing override
 *     the router completely (default 0.05: balancing chooses among experts whose probabilities lie
 *     within 0.1 of each other, so it evens the load of experts the router finds alike and never
 *     sends an input to an expert the router has learned to avoid; with 1.0, the cap before, it
 *     fought specialisation: median mixture/oracle 4.34 against 2.06 on the learn-bench grid, 16 experts)
 * @param warmupTokens routed tokens before the bias starts to move (loads are tracked from the
 *     start; default 0)
 * @param frozen true keeps the current bias fixed (for evaluation); loads are still tracked
 */
public record BalanceConfig(boolean enabled, double gamma, double decay, double biasCap, long warmupTokens,
    boolean frozen) {

  /** The defaults: enabled, gamma 1e-3, decay 0.99, cap 0.05, no warm-up, not frozen. */
  public static final BalanceConfig DEFAULT = new BalanceConfig(true, 1e-3, 0.99, 0.05, 0, false);

  /**
   * Even load first: the default's step with the bias capped at 1, so that balancing can override the
   * router completely (the default cap before the learners' defaults were measured across streams).
   * For experts that must carry even load (each on its own device); it costs accuracy wherever the
   * stream's regimes are uneven: on the demo's skewed stream (one regime 70%) max/mean load 1.05
   * against 2.78 with the default, and the mixture's error 4.3 times the default's.
   */
  public static final BalanceConfig EVEN_LOAD = new BalanceConfig(true, 1e-3, 0.99, 1.0, 0, false);

  /** Balancing off: no bias, loads still tracked and reported. */
  public static final BalanceConfig OFF = new BalanceConfig(false, 1e-3, 0.99, 0.05, 0, false);

  /** Validates. */
  public BalanceConfig {
    // The balancer works in float: a value finite as a double but not as a float (1e39) would make
    // the bias infinite.
    if (!(gamma >= 0) || !Float.isFinite((float) gamma)) {
      throw new IllegalArgumentException("gamma must be finite (as a float) and >= 0, got " + gamma);
    }
    if (!(decay >= 0 && decay < 1)) {
      throw new IllegalArgumentException("decay must lie in [0, 1), got " + decay);
    }
    if (!(biasCap >= 0) || !Float.isFinite((float) biasCap)) {
      throw new IllegalArgumentException("biasCap must be finite (as a float) and >= 0, got " + biasCap);
    }
    if (warmupTokens < 0) {
      throw new IllegalArgumentException("warmupTokens must be >= 0, got " + warmupTokens);
    }
  }

  /** Copy with another gamma. */
  public BalanceConfig withGamma(double g) {
    return new BalanceConfig(enabled, g, decay, biasCap, warmupTokens, frozen);
  }

  /** Copy with balancing switched on or off. */
  public BalanceConfig withEnabled(boolean e) {
    return new BalanceConfig(e, gamma, decay, biasCap, warmupTokens, frozen);
  }

  /** Copy with another decay. */
  public BalanceConfig withDecay(double d) {
    return new BalanceConfig(enabled, gamma, d, biasCap, warmupTokens, frozen);
  }

  /** Copy with another bias cap. */
  public BalanceConfig withBiasCap(double c) {
    return new BalanceConfig(enabled, gamma, decay, c, warmupTokens, frozen);
  }

  /** Copy with another warm-up. */
  public BalanceConfig withWarmupTokens(long w) {
    return new BalanceConfig(enabled, gamma, decay, biasCap, w, frozen);
  }

  /** Copy, frozen or not. */
  public BalanceConfig withFrozen(boolean f) {
    return new BalanceConfig(enabled, gamma, decay, biasCap, warmupTokens, f);
  }
}
