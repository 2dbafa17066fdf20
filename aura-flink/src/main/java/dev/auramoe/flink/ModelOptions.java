package dev.auramoe.flink;

import dev.auramoe.Defaults;
import dev.auramoe.MixtureOfExperts;
import dev.auramoe.cell.CellConfig;
import dev.auramoe.experts.Experts;
import java.io.Serializable;

/**
 * The model a job learns: {@code experts} NLMS experts from {@code inputDim} to {@code outputDim}
 * values behind the liquid gating cell, with the library's defaults ({@link Defaults}) for what is not
 * given. It is the model the service builds for the same settings ({@code POST /v1/models} with these
 * fields), so that a job and a served model start from the same weights.
 */
public record ModelOptions(int inputDim, int outputDim, int experts, int topK, int hidden, long seed, double mu,
    float routerLearningRate, float temperature) implements Serializable {

  /** The defaults for everything but the sizes. */
  public static ModelOptions of(int inputDim, int outputDim) {
    return new ModelOptions(inputDim, outputDim, Defaults.EXPERTS, Defaults.TOP_K, Defaults.HIDDEN, Defaults.SEED,
        Defaults.MU, Defaults.ROUTER_LEARNING_RATE, Defaults.TEMPERATURE);
  }

  /** Checks the ranges; {@link IllegalArgumentException} naming the option. */
  public ModelOptions {
    if (inputDim < 1 || outputDim < 1) {
      throw new IllegalArgumentException("--input-dim and --output-dim must be >= 1, got " + inputDim + " and "
          + outputDim);
    }
    if (experts < 1 || topK < 1 || topK > experts) {
      throw new IllegalArgumentException("--experts must be >= 1 and --top-k in [1, experts], got " + experts
          + " and " + topK);
    }
    if (hidden < 1) {
      throw new IllegalArgumentException("--hidden must be >= 1, got " + hidden);
    }
  }

  /** A fresh model of these settings. */
  public MixtureOfExperts build() {
    return MixtureOfExperts.builder(inputDim, outputDim)
        .experts(Experts.nlms("e", experts, inputDim, outputDim, mu))
        .cell(CellConfig.DEFAULT.withHidden(hidden))
        .topK(topK)
        .routerLearningRate(routerLearningRate)
        .temperature(temperature)
        .seed(seed)
        .build();
  }
}
