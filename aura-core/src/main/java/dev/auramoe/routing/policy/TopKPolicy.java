package dev.auramoe.routing.policy;

/**
 * Token choice: each token goes to the k experts with the highest probability plus selection
 * bias; weights are the probabilities renormalised over the chosen experts (Shazeer et al. 2017,
 * "Outrageously large neural networks"; the core's default with k = 2).
 *
 * <p>With {@code keepRouterTop}, the selection bias may reorder and replace every slot but one: the
 * router's most likely expert always keeps a slot. Plain loss-free balancing (the default, as in
 * DeepSeek-V3) lets the bias push even a confident token away from its best expert, which buys
 * balance with error; {@code aura routing-bench} shows both.
 */
public final class TopKPolicy extends TokenChoice {

  private final int k;
  private final boolean keepRouterTop;

  /** @param k experts per token, at least 1 */
  public TopKPolicy(int k) {
    this(k, false);
  }

  /**
   * @param k experts per token, at least 1
   * @param keepRouterTop whether the router's most likely expert always keeps a slot, whatever the
   *     selection bias
   */
  public TopKPolicy(int k, boolean keepRouterTop) {
    if (k <= 0) {
      throw new IllegalArgumentException("k must be > 0, got " + k);
    }
    super(k, keepRouterTop, 0, 0f, k);
    this.k = k;
    this.keepRouterTop = keepRouterTop;
  }

  /** Experts per token. */
  public int k() {
    return k;
  }

  @Override
  public String name() {
    return "top-k(" + k + (keepRouterTop ? ", router top kept)" : ")");
  }
}
