package dev.auramoe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.auramoe.cell.CellConfig;
import dev.auramoe.experts.Expert;
import dev.auramoe.experts.Experts;
import dev.auramoe.experts.FunctionExpert;
import dev.auramoe.experts.NlmsExpert;
import dev.auramoe.experts.RlsExpert;
import dev.auramoe.experts.SoftmaxExpert;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The model's parameter count: exact for the built-in experts, and computable from the shape alone. */
class ParameterCountTest {

  @Test
  void expertsCountTheirWeightsBiasesAndMatrix() {
    assertThat(new NlmsExpert("n", 5, 3, 0.5).parameterCount()).isEqualTo(3 * 6).isEqualTo(NlmsExpert.parameterCount(5, 3));
    assertThat(new SoftmaxExpert("s", 5, 3, 0.5, 1e-3, 0).parameterCount()).isEqualTo(3 * 6);
    assertThat(new RlsExpert("r", 5, 3, 0.99, 1).parameterCount()).isEqualTo(3 * 6 + 6 * 6)
        .isEqualTo(RlsExpert.parameterCount(5, 3));
    assertThat(new FunctionExpert("f", 5, 3, (x, y) -> y[0] = x[0], 1).parameterCount()).isZero();
    // Counted without allocating: an RLS expert of this shape could not be built.
    assertThat(RlsExpert.parameterCount(1 << 20, 1)).isEqualTo((1L << 20) + 1 + ((1L << 20) + 1) * ((1L << 20) + 1));
  }

  @Test
  void aModelCountsItsCellRouterAndExperts() {
    int in = 4;
    int hidden = 8;
    List<Expert> experts = new ArrayList<>(Experts.nlms("e", 3, in, 2, 0.5));
    experts.add(new RlsExpert("r", in, 2, 0.99, 1.0));
    try (MixtureOfExperts m = MixtureOfExperts.builder(in, 2).experts(experts).topK(2)
        .cell(CellConfig.DEFAULT.withHidden(hidden)).seed(3).build()) {
      // Cell: input projection in x (2 hidden + 4 experts), recurrent hidden^2, two biases of hidden;
      // router: readout hidden x 4 and a bias of 4; experts: 3 NLMS of 2 x 5 and one RLS with 5 x 5 more.
      long cellAndRouter = in * (2L * hidden + 4) + hidden * hidden + 2L * hidden + hidden * 4L + 4;
      long expertsCount = 3 * 10 + (10 + 25);
      assertThat(m.parameterCount()).isEqualTo(cellAndRouter + expertsCount);
      assertThat(m.config().routerParameterCount(4)).isEqualTo(cellAndRouter)
          .isEqualTo(MoeConfig.routerParameterCount(in, hidden, 4, true));
      try (MixtureOfExperts fewer = m.withoutExpert(3)) {
        assertThat(fewer.parameterCount()).isEqualTo(MoeConfig.routerParameterCount(in, hidden, 3, true) + 3 * 10);
      }
    }
  }
}
