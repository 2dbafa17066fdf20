package dev.auramoe;

import dev.auramoe.balance.BalanceConfig;
import dev.auramoe.cell.CellConfig;
import dev.auramoe.energy.DeviceProfile;
import dev.auramoe.spiking.AttentionConfig;
import java.util.Objects;

/**
 * Everything that shapes a {@link MixtureOfExperts} besides its experts. Built by
 * {@link MixtureOfExperts.Builder}; immutable.
 *
 * @param inputDim input dimension d
 * @param outputDim output dimension of every expert
 * @param cell the gating cell
 * @param topK experts per input (default 2)
 * @param temperature base softmax temperature T &gt; 0 (default 1); small values make routing
 *     nearly hard, large values nearly uniform
 * @param routerUsesInput true (default) adds a learned readout of x to the logits, beside the
 *     readout of the cell state
 * @param routerLearningRate normalised step of the router's local update, in [0, 2) (default 1;
 *     0 freezes the router)
 * @param credit the weight of each chosen expert's own update
 * @param recentErrors the experts' recent errors as an input of the router
 * @param balance load balancing
 * @param attention spiking attention over tokens, or null when unused
 * @param profile device profile for energy estimates
 * @param seed seed of every random initialisation
 */
public record MoeConfig(int inputDim, int outputDim, CellConfig cell, int topK, float temperature,
    boolean routerUsesInput, float routerLearningRate, Credit credit, RecentErrors recentErrors, BalanceConfig balance,
    AttentionConfig attention, DeviceProfile profile, long seed) {

  /** Validates what can be checked without the experts. */
  public MoeConfig {
    Objects.requireNonNull(cell, "cell");
    Objects.requireNonNull(credit, "credit");
    Objects.requireNonNull(recentErrors, "recentErrors");
    Objects.requireNonNull(balance, "balance");
    Objects.requireNonNull(profile, "profile");
    if (inputDim <= 0 || outputDim <= 0) {
      throw new IllegalArgumentException("inputDim and outputDim must be > 0, got " + inputDim + ", " + outputDim);
    }
    if (topK <= 0) {
      throw new IllegalArgumentException("k must be > 0, got " + topK);
    }
    checkTemperature(temperature);
    checkRouterLearningRate(routerLearningRate);
  }

  /**
   * The one check of a routing temperature, for a configuration and for a model's setter alike.
   *
   * @return {@code t}
   * @throws IllegalArgumentException unless t is finite and &gt; 0
   */
  public static float checkTemperature(float t) {
    checkTemperature(t, Float.toString(t));
    return t;
  }

  /**
   * Checks a temperature given as a double (a setting read from a request or a file) against the
   * range the model holds it in: finite as a float and &gt; 0.
   *
   * @throws IllegalArgumentException naming the value as given
   */
  public static void checkTemperature(double t) {
    checkTemperature(t, Double.toString(t));
  }

  private static void checkTemperature(double t, String given) {
    if (!(t > 0) || !Float.isFinite((float) t)) {
      throw new IllegalArgumentException("temperature must be finite and > 0, got " + given);
    }
  }

  /**
   * The one check of a router learning rate, for a configuration and for a model's setter alike.
   *
   * @return {@code r}
   * @throws IllegalArgumentException unless r lies in [0, 2)
   */
  public static float checkRouterLearningRate(float r) {
    checkRouterLearningRate(r, Float.toString(r));
    return r;
  }

  /**
   * Checks a router learning rate given as a double: it must lie in [0, 2).
   *
   * @throws IllegalArgumentException naming the value as given
   */
  public static void checkRouterLearningRate(double r) {
    checkRouterLearningRate(r, Double.toString(r));
  }

  private static void checkRouterLearningRate(double r, String given) {
    if (!(r >= 0 && r < 2)) {
      throw new IllegalArgumentException("routerLearningRate must lie in [0, 2), got " + given);
    }
  }

  /**
   * The float parameters of the gating cell and the router for {@code experts} experts, computed
   * without building them: the cell's input projection ({@code inputDim * (2 hidden + experts)}
   * with the router's readout of x, {@code inputDim * 2 hidden} without), its recurrent weights
   * ({@code hidden^2}) and its two bias vectors ({@code 2 hidden}), the router's readout of the
   * cell state ({@code hidden * experts}) and its bias ({@code experts}). Buffers and derived copies
   * are not counted.
   */
  public static long routerParameterCount(int inputDim, int hidden, int experts, boolean routerUsesInput) {
    long in = inputDim;
    long h = hidden;
    long e = experts;
    return in * (2 * h + (routerUsesInput ? e : 0)) + h * h + 2 * h + h * e + e;
  }

  /** As {@link #routerParameterCount(int, int, int, boolean)} for this configuration's shape. */
  public long routerParameterCount(int experts) {
    return routerParameterCount(inputDim, cell.hidden(), experts, routerUsesInput);
  }
}
