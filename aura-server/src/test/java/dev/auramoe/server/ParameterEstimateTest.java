package dev.auramoe.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.auramoe.MixtureOfExperts;
import dev.auramoe.server.model.ExpertSpec;
import dev.auramoe.server.model.ModelSpec;
import org.junit.jupiter.api.Test;

/** What the service counts before it builds a model is what the built model holds. */
class ParameterEstimateTest {

  @Test
  void theEstimateBeforeBuildingIsTheBuiltModelsCount() {
    ModelSpec spec = new ModelSpec("m", 6, 3, 5, 2, 16, 1, 0.5, 0.5, 1.0, 64, 0.9);
    try (MixtureOfExperts m = spec.build()) {
      assertThat(spec.parameters()).isEqualTo(m.parameterCount());
    }
    ExpertSpec rls = new ExpertSpec("r", "rls", 0.5, 0.99, 1.0);
    assertThat(rls.parameters(6, 3)).isEqualTo(rls.build(6, 3).parameterCount());
    ExpertSpec nlms = new ExpertSpec("n", "nlms", 0.5, 0.99, 1.0);
    assertThat(nlms.parameters(6, 3)).isEqualTo(nlms.build(6, 3).parameterCount());
  }
}
