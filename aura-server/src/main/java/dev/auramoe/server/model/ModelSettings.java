package dev.auramoe.server.model;

import dev.auramoe.MixtureOfExperts;
import dev.auramoe.MoeConfig;
import dev.auramoe.balance.BalanceConfig;

/**
 * A model's run-time settings, the ones {@code PATCH /v1/models/{name}} changes: the routing
 * temperature, the router's learning rate, the load balancing and the feedback. A CONFIGURE operation
 * logs them as absolute values, resolved against the settings in force, so a replay sets exactly what
 * the live change set. The float settings travel as doubles holding the float's exact value.
 *
 * @param temperature the base softmax temperature, finite and &gt; 0
 * @param routerLearningRate the router's learning rate in [0, 2)
 * @param balance whether the auxiliary-loss-free balancing is on
 * @param balanceGamma the per-token bias step, finite and &gt;= 0
 * @param balanceDecay the moving-average decay of each expert's load, in [0, 1)
 * @param balanceBiasCap the bound of the selection bias, finite and &gt;= 0
 * @param balanceWarmupTokens tokens routed before the bias starts to move, &gt;= 0
 * @param balanceFrozen whether the bias is applied but no longer moved
 * @param feedback the feedback settings; null in a CONFIGURE operation written before they existed,
 *     which left them as they were
 */
public record ModelSettings(double temperature, double routerLearningRate, boolean balance, double balanceGamma,
    double balanceDecay, double balanceBiasCap, long balanceWarmupTokens, boolean balanceFrozen,
    FeedbackSettings feedback) {

  /** The settings in force on a model: its own, and the feedback settings its entry keeps. */
  public static ModelSettings of(MixtureOfExperts m, FeedbackSettings feedback) {
    BalanceConfig b = m.balanceState().config();
    return new ModelSettings(m.temperature(), m.routerLearningRate(), b.enabled(), b.gamma(), b.decay(), b.biasCap(),
        b.warmupTokens(), b.frozen(), feedback);
  }

  /**
   * Checks every setting's range.
   *
   * @throws Refusal INVALID naming the first setting out of range
   */
  public void validate() {
    try {
      // The core's ranges, with its messages.
      MoeConfig.checkTemperature(temperature);
      MoeConfig.checkRouterLearningRate(routerLearningRate);
    } catch (IllegalArgumentException e) {
      throw Refusal.invalid(e.getMessage());
    }
    try {
      balanceConfig();
    } catch (IllegalArgumentException e) {
      throw Refusal.invalid("balance" + Character.toUpperCase(e.getMessage().charAt(0))
          + e.getMessage().substring(1));
    }
    feedback.validate();
  }

  /** The balancing configuration. */
  public BalanceConfig balanceConfig() {
    return new BalanceConfig(balance, balanceGamma, balanceDecay, balanceBiasCap, balanceWarmupTokens, balanceFrozen);
  }

  /** These settings with the float ones rounded as the model holds them. */
  public ModelSettings asFloats() {
    return new ModelSettings((float) temperature, (float) routerLearningRate, balance, balanceGamma, balanceDecay,
        balanceBiasCap, balanceWarmupTokens, balanceFrozen, feedback);
  }

  /** These settings with the given feedback settings where they have none (an older CONFIGURE record). */
  ModelSettings withFeedbackOr(FeedbackSettings now) {
    return feedback != null ? this : new ModelSettings(temperature, routerLearningRate, balance, balanceGamma,
        balanceDecay, balanceBiasCap, balanceWarmupTokens, balanceFrozen, now);
  }

  /** Applies the model's own settings (not the feedback's); call {@link #validate} first, under the model's sequencer. */
  void applyTo(MixtureOfExperts m) {
    m.setTemperature((float) temperature);
    m.setRouterLearningRate((float) routerLearningRate);
    m.setBalance(balanceConfig());
  }
}
