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
 * @param routerLearningRate normalised step of the router's local update, in [0, 2) (default 0.5;
 *     0 freezes the router)
 * @param credit the weight of each chosen expert's own update
 * @param balance load balancing
 * @param attention spiking attention over tokens, or null when unused
 * @param profile device profile for energy estimates
 * @param seed seed of every random initialisation
 */
public record MoeConfig(int inputDim, int outputDim, CellConfig cell, int topK, float temperature,
    boolean routerUsesInput, float routerLearningRate, Credit credit, BalanceConfig balance,
    AttentionConfig attention, DeviceProfile profile, long seed) {

  /** Validates what can be checked without the experts. */
  public MoeConfig {
    Objects.requireNonNull(cell, "cell");
    Objects.requireNonNull(credit, "credit");
    Objects.requireNonNull(balance, "balance");
    Objects.requireNonNull(profile, "profile");
    if (inputDim <= 0 || outputDim <= 0) {
      throw new IllegalArgumentException("inputDim and outputDim must be > 0, got " + inputDim + ", " + outputDim);
    }
    if (topK <= 0) {
      throw new IllegalArgumentException("k must be > 0, got " + topK);
    }
    if (!(temperature > 0) || !Float.isFinite(temperature)) {
      throw new IllegalArgumentException("temperature must be finite and > 0, got " + temperature);
    }
    if (!(routerLearningRate >= 0 && routerLearningRate < 2)) {
      throw new IllegalArgumentException("routerLearningRate must lie in [0, 2), got " + routerLearningRate);
    }
  }
}
