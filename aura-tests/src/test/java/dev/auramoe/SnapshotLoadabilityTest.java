package dev.auramoe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.balance.BalanceConfig;
import dev.auramoe.cell.CellConfig;
import dev.auramoe.experts.AdaptiveExpert;
import dev.auramoe.experts.Experts;
import dev.auramoe.experts.RlsExpert;
import dev.auramoe.io.SnapshotException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whatever state a model reaches through its API, its snapshot loads back: a saturated bias whose
 * cap is not an exact float, an RLS filter whose inputs leave a direction unexcited, and no
 * snapshot at all of a model holding a non-finite value.
 */
class SnapshotLoadabilityTest {

  @TempDir
  Path dir;

  @Test
  void aBiasSaturatedAtACapThatIsNotAnExactFloatLoadsBack() throws Exception {
    // 0.1 is not a float: the balancer clamps to 0.1f, which is larger than the double 0.1.
    MixtureOfExperts m = MixtureOfExperts.builder(2, 1).experts(Experts.nlms("e", 3, 2, 1, 0.5)).topK(1)
        .cell(CellConfig.DEFAULT.withHidden(4)).balance(new BalanceConfig(true, 0.5, 0.99, 0.1, 0, false)).build();
    for (int t = 0; t < 20; t++) {
      m.route(MixtureOfExperts.DEFAULT_STREAM, new float[] {1, 2});
    }
    float max = 0f;
    for (float b : m.balanceState().bias()) {
      max = Math.max(max, Math.abs(b));
    }
    assertThat(max).isEqualTo(0.1f);
    Path f = dir.resolve("cap.snap");
    m.save(f);
    assertThat(MixtureOfExperts.load(f).digest()).isEqualTo(m.digest());
  }

  @Test
  void rlsWindUpResetsTheCorrelationMatrixInsteadOfOverflowing() throws Exception {
    List<dev.auramoe.experts.Expert> experts = new ArrayList<>();
    experts.add(new RlsExpert("r", 3, 1, 0.5, 1.0));
    experts.add(new RlsExpert("s", 3, 1, 0.5, 1.0));
    MixtureOfExperts m = MixtureOfExperts.builder(3, 1).experts(experts).topK(2)
        .cell(CellConfig.DEFAULT.withHidden(4)).build();
    // Inputs that are always zero leave every weight direction but the bias unexcited: with
    // lambda 0.5, P doubles per sample there and would pass float's range after about 128.
    for (int t = 0; t < 300; t++) {
      m.learn(MixtureOfExperts.DEFAULT_STREAM, new float[3], new float[] {1f});
    }
    RlsExpert r = (RlsExpert) m.expert(0);
    assertThat(r.correlationResets()).isPositive();
    for (float v : ((AdaptiveExpert) r).state()) {
      assertThat(Float.isFinite(v)).isTrue();
    }
    // The bias weight still learned the target.
    float[] y = new float[1];
    r.predict(new float[3], y);
    assertThat(y[0]).isCloseTo(1f, org.assertj.core.data.Offset.offset(1e-3f));
    Path f = dir.resolve("rls.snap");
    m.save(f);
    assertThat(MixtureOfExperts.load(f).digest()).isEqualTo(m.digest());
  }

  @Test
  void aModelHoldingANonFiniteValueIsNotSaved() {
    MixtureOfExperts m = MixtureOfExperts.builder(2, 1).experts(Experts.nlms("e", 2, 2, 1, 0.5)).topK(1).build();
    m.state().errorScale = Float.NaN; // unreachable through the API; stands for any state a bug could leave
    Path f = dir.resolve("nan.snap");
    assertThatThrownBy(() -> m.save(f)).isInstanceOf(SnapshotException.class).hasMessageContaining("non-finite");
    assertThat(Files.exists(f)).isFalse();
    m.state().errorScale = 0f;
    m.state().router().readout()[3] = Float.POSITIVE_INFINITY;
    assertThatThrownBy(() -> m.save(f)).isInstanceOf(SnapshotException.class);
    assertThat(Files.exists(f)).isFalse();
  }

  @Test
  void balancingKnobsMustBeFiniteAsFloats() {
    assertThatThrownBy(() -> new BalanceConfig(true, 1e39, 0.99, 1, 0, false))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("gamma must be finite (as a float)");
    assertThatThrownBy(() -> new BalanceConfig(true, 1e-3, 0.99, 1e39, 0, false))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("biasCap must be finite (as a float)");
    // The largest float values are accepted and keep the bias finite.
    MixtureOfExperts m = MixtureOfExperts.builder(2, 1).experts(Experts.nlms("e", 3, 2, 1, 0.5)).topK(1)
        .balance(new BalanceConfig(true, Float.MAX_VALUE, 0.99, Float.MAX_VALUE, 0, false)).build();
    for (int t = 0; t < 10; t++) {
      m.route(MixtureOfExperts.DEFAULT_STREAM, new float[] {1, -1});
    }
    for (float b : m.balanceState().bias()) {
      assertThat(Float.isFinite(b)).isTrue();
    }
  }
}
