package dev.auramoe.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.auramoe.MixtureOfExperts;
import dev.auramoe.energy.Component;
import dev.auramoe.energy.EnergyReport;
import dev.auramoe.server.model.ModelEntry;
import dev.auramoe.server.model.ModelRegistry;
import dev.auramoe.server.model.ModelSpec;
import org.junit.jupiter.api.Test;

/** Predictions go through the core's predict, so their expert work is in the model's energy counters. */
class PredictEnergyTest {

  private static final ModelSpec SPEC = new ModelSpec("m", 4, 2, 4, 2, 8, 7, 0.5, 0.5, 1.0, 64, 0.9);

  @Test
  void predictionsMeterTheExpertsTheyMix() {
    try (ModelRegistry registry = new ModelRegistry(ServerLimits.DEFAULT)) {
      ModelEntry e = registry.create(SPEC);
      MixtureOfExperts m = e.model();
      EnergyReport before = m.cumulativeEnergy();
      int count = 5;
      float[] xs = new float[count * SPEC.inputDim()];
      for (int i = 0; i < xs.length; i++) {
        xs[i] = (i % 7) * 0.25f - 0.5f;
      }
      e.predict(MixtureOfExperts.DEFAULT_STREAM, xs, count);
      EnergyReport after = m.cumulativeEnergy();
      // Each prediction runs topK NLMS experts (outputDim * (inputDim + 1) MACs each) and mixes their
      // outputs (topK * outputDim MACs).
      long perExpert = (long) SPEC.outputDim() * (SPEC.inputDim() + 1);
      long expected = count * ((long) SPEC.topK() * perExpert + (long) SPEC.topK() * SPEC.outputDim());
      assertThat(after.macs(Component.EXPERTS) - before.macs(Component.EXPERTS)).isEqualTo(expected);
      assertThat(after.macs(Component.CELL)).isGreaterThan(before.macs(Component.CELL));
    }
  }
}
