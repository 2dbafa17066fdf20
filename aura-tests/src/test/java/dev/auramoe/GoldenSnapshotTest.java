package dev.auramoe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.auramoe.balance.BalanceConfig;
import dev.auramoe.balance.BalanceState;
import dev.auramoe.cell.CellConfig;
import dev.auramoe.cell.CellType;
import dev.auramoe.energy.Component;
import dev.auramoe.energy.DeviceProfile;
import dev.auramoe.energy.EnergyReport;
import dev.auramoe.experts.AdaptiveExpert;
import dev.auramoe.internal.vector.KernelProvider;
import dev.auramoe.io.SnapshotException;
import dev.auramoe.io.SnapshotFormat;
import dev.auramoe.spiking.AttentionConfig;
import dev.auramoe.spiking.SpikingAttention;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The golden v1 snapshot {@code golden/moe-v1.aura}: a file written by this format version must
 * load forever, decode to the same fields, and re-save to the same bytes.
 *
 * <p>Everything here is kernel-independent (loading and saving do no arithmetic), except the check
 * that the recipe still reproduces the file: byte-for-byte under the scalar kernels it was made
 * with, within float tolerance under the Vector API kernels. The recipe and the regenerator are in
 * {@link GoldenSnapshots}; after a deliberate regeneration, update the pinned values below.
 */
class GoldenSnapshotTest {

  static byte[] goldenBytes() throws Exception {
    return GoldenSnapshots.bytes(GoldenSnapshots.RESOURCE);
  }

  static MixtureOfExperts golden() throws Exception {
    return GoldenSnapshots.load(GoldenSnapshots.RESOURCE);
  }

  @Test
  void frameIsVersionOneWithTheDocumentedLayout() throws Exception {
    byte[] file = goldenBytes();
    assertThat(file).hasSize(1137);
    assertThat(Arrays.copyOf(file, 8)).containsExactly('A', 'U', 'R', 'A', 'M', 'O', 'E', 0x1A);
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(file);
    assertThat(b.getInt(8)).isEqualTo(1);
    assertThat(b.getLong(12)).isEqualTo(file.length - 24L);
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(file, 0, file.length - 4);
    assertThat(b.getInt(file.length - 4)).isEqualTo((int) crc.getValue());
  }

  @Test
  void decodesTheConfiguration() throws Exception {
    MixtureOfExperts m = golden();
    MoeConfig c = m.config();
    assertThat(m.inputDim()).isEqualTo(3);
    assertThat(m.outputDim()).isEqualTo(1);
    assertThat(m.hidden()).isEqualTo(4);
    assertThat(m.topK()).isEqualTo(2);
    assertThat(c.cell()).isEqualTo(new CellConfig(4, CellType.LIQUID, 0.02f, 2.0f, 0.02f, 1, 256, 1f, 0.9f));
    assertThat(m.temperature()).isEqualTo(0.7f);
    assertThat(c.routerLearningRate()).isEqualTo(0.4f);
    assertThat(c.routerUsesInput()).isTrue();
    assertThat(c.credit()).isEqualTo(Credit.RESPONSIBILITY);
    assertThat(c.balance()).isEqualTo(GoldenSnapshots.BALANCE).isEqualTo(new BalanceConfig(true, 0.01, 0.99, 1.0, 2, false));
    assertThat(c.recentErrors()).as("v1 predates them").isEqualTo(RecentErrors.OFF);
    assertThat(c.attention()).isEqualTo(new AttentionConfig(100, 2, 0.7f, 1.5f, 1e-3f));
    assertThat(m.cumulativeEnergy().profile()).isEqualTo(DeviceProfile.INT8_MAC);
    assertThat(c.seed()).isEqualTo(2026);
  }

  @Test
  void decodesExpertsStreamsAndCounters() throws Exception {
    MixtureOfExperts m = golden();
    assertThat(m.expertNames()).containsExactly("nlms0", "rls1", "sum");
    assertThat(Arrays.asList(m.expert(0).kind(), m.expert(1).kind(), m.expert(2).kind())).containsExactly("nlms", "rls", "function");
    assertThat(m.expert(0).hyperParameters()).containsExactly(0.5, (double) 1e-3f, (double) 0.01f);
    assertThat(m.expert(1).hyperParameters()).containsExactly((double) 0.98f, 1.0);
    assertThat(m.expert(2).hyperParameters()).containsExactly(3.0);
    assertThat(m.streams()).containsExactlyElementsOf(GoldenSnapshots.STREAMS);
    assertThat(m.learnSteps()).isEqualTo(GoldenSnapshots.LEARNS);

    BalanceState bs = m.balanceState();
    int tokens = GoldenSnapshots.LEARNS + GoldenSnapshots.ROUTES;
    assertThat(bs.tokens()).isEqualTo(tokens);
    assertThat(bs.counts()).containsExactly(20, 20, 24);
    assertThat(Arrays.stream(bs.counts()).sum()).isEqualTo(2L * tokens);
    assertThat(bs.biasUpdates()).isEqualTo(tokens - 2); // warm-up of 2 tokens
    assertThat(bs.mode()).isEqualTo("active");
    assertThat(bs.bias()).containsExactly(-0.09999999f, -0.059999995f, 0.059999995f);

    EnergyReport e = m.cumulativeEnergy();
    assertThat(e.tokens()).isEqualTo(tokens);
    assertThat(e.macs()).containsExactly(1992, 672, 222, 56, 1336);
    // CELL and ROUTER follow from the shapes alone: 2 d H per token, (H^2 + 2H) per step, (d E + H E) per token;
    // steps: one per learn, ceil(elapsed / tauMin) per route.
    long steps = GoldenSnapshots.LEARNS;
    for (int i = 0; i < GoldenSnapshots.ROUTES; i++) {
      steps += (long) Math.ceil(GoldenSnapshots.elapsed(i) / 0.02f);
    }
    assertThat(e.macs(Component.CELL)).isEqualTo(tokens * 24L + steps * 24L);
    assertThat(e.macs(Component.ROUTER)).isEqualTo(tokens * (9L + 12L));
  }

  @Test
  void decodesPinnedWeightsAndStates() throws Exception {
    MixtureOfExperts m = golden();
    float[] nlms = ((AdaptiveExpert) m.expert(0)).state();
    float[] rls = ((AdaptiveExpert) m.expert(1)).state();
    assertThat(nlms).hasSize(4);
    assertThat(rls).hasSize(4 + 16);
    assertThat(Float.floatToRawIntBits(nlms[0])).isEqualTo(0x3f27ad06);
    assertThat(Float.floatToRawIntBits(rls[0])).isEqualTo(0x3fea51b8);
    assertThat(Float.floatToRawIntBits(rls[4])).as("P[0][0]").isEqualTo(0x3dc16c15);
    assertThat(Float.floatToRawIntBits(m.routerReadout()[0])).isEqualTo(0xbea88bcb);
    assertThat(m.state("sensor-7")).containsExactly(-0.031569052f, 0.06453142f, 0.11894069f, -0.10685877f);
    SpikingAttention a = m.attention("sensor-7");
    assertThat(a.activeIds()).containsExactly(5, 42, 99, 4, 3, 2);
    assertThat(a.activePotentials()).containsExactly(0.343f, 5.066f, 2.533f, 0.48999998f, 0.7f, 1.0f);
    assertThat(a.steps()).isEqualTo(4);
    assertThat(a.winners()).as("winners are recomputed on load").containsExactly(42, 99);
    assertThat(m.attention("default").activeIds()).containsExactly(2, 42, 99, 1, 0, 6);
  }

  @Test
  void theReservoirIsExactlyTheSeededOne() throws Exception {
    // Learning never touches U, V, W, b, c: they must equal a fresh build from the same seed (no kernel arithmetic).
    MixtureOfExperts m = golden();
    MixtureOfExperts fresh = GoldenSnapshots.seeded();
    assertThat(m.state().liquidCell().recurrent()).containsExactly(fresh.state().liquidCell().recurrent());
    assertThat(m.state().liquidCell().driveBias()).containsExactly(fresh.state().liquidCell().driveBias());
    assertThat(m.state().liquidCell().tauBias()).containsExactly(fresh.state().liquidCell().tauBias());
    int width = m.state().liquidCell().width();
    for (int i = 0; i < 3; i++) {
      for (int j = 0; j < 2 * 4; j++) {
        assertThat(m.state().liquidCell().projection()[i * width + j]).isEqualTo(fresh.state().liquidCell().projection()[i * width + j]);
      }
    }
  }

  @Test
  void resavingTheLoadedModelGivesTheSameBytes(@TempDir Path dir) throws Exception {
    byte[] file = goldenBytes();
    MixtureOfExperts m = golden();
    assertThat(Snapshots.toBytes(m)).isEqualTo(file);
    Path out = dir.resolve("again.aura");
    m.save(out);
    assertThat(Files.readAllBytes(out)).isEqualTo(file);
    assertThat(Snapshots.load(out, GoldenSnapshots.FUNCTIONS).digest()).isEqualTo(m.digest());
  }

  @Test
  void digestIsTheSha256OfThePayload() throws Exception {
    byte[] file = goldenBytes();
    String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(SnapshotFormat.unframe(file)));
    assertThat(golden().digest()).isEqualTo(expected)
        .isEqualTo("e671fd1e1f93689d495975f41f6b51e131eba3e889e5dafd73f57938dff50a76");
  }

  @Test
  void theRecipeStillProducesTheGoldenModel() throws Exception {
    MixtureOfExperts golden = golden();
    MixtureOfExperts again = GoldenSnapshots.recipe();
    if ("scalar".equals(KernelProvider.get().name())) {
      assertThat(Snapshots.toBytes(again)).as("regenerated under the scalar kernels").isEqualTo(goldenBytes());
      return;
    }
    // Other kernels sum in another order: the same model up to float rounding.
    assertThat(again.expertNames()).isEqualTo(golden.expertNames());
    assertThat(again.balanceState().counts()).containsExactly(golden.balanceState().counts());
    assertThat(again.cumulativeEnergy().macs()).containsExactly(golden.cumulativeEnergy().macs());
    for (int e = 0; e < 2; e++) {
      assertClose(((AdaptiveExpert) again.expert(e)).state(), ((AdaptiveExpert) golden.expert(e)).state());
    }
    assertClose(again.routerReadout(), golden.routerReadout());
    assertClose(again.state().liquidCell().projection(), golden.state().liquidCell().projection());
    for (String s : GoldenSnapshots.STREAMS) {
      assertClose(again.state(s), golden.state(s));
    }
  }

  private static void assertClose(float[] a, float[] b) {
    assertThat(a).hasSameSizeAs(b);
    for (int i = 0; i < a.length; i++) {
      assertThat(a[i]).as("index %d", i).isCloseTo(b[i], within(1e-4f * Math.max(1f, Math.abs(b[i]))));
    }
  }

  @Test
  void theFrozenFunctionMustBeSupplied() throws Exception {
    byte[] file = goldenBytes();
    assertThatThrownBy(() -> Snapshots.fromBytes(file, null)).isInstanceOf(SnapshotException.class)
        .hasMessageContaining("frozen function expert 'sum'").hasMessageContaining("supply its function");
    assertThatThrownBy(() -> Snapshots.fromBytes(file, name -> null)).isInstanceOf(SnapshotException.class)
        .hasMessageContaining("'sum'");
  }
}
