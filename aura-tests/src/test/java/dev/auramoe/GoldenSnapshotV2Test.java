package dev.auramoe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.auramoe.internal.vector.KernelProvider;
import dev.auramoe.io.SnapshotFormat;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The golden v2 snapshot {@code golden/moe-v2.aura}: the recipe of the v1 file with recent errors on
 * ({@link GoldenSnapshots#RECENT_V2}), which only format v2 holds. Like v1 it must load forever, keep
 * its fields and re-save to the same bytes; the recipe and the regenerator are in {@link GoldenSnapshots}.
 */
class GoldenSnapshotV2Test {

  static byte[] goldenBytes() throws Exception {
    return GoldenSnapshots.bytes(GoldenSnapshots.RESOURCE_V2);
  }

  @Test
  void frameIsVersionTwo() throws Exception {
    byte[] file = goldenBytes();
    assertThat(file).hasSize(1177);
    assertThat(SnapshotFormat.version(file)).isEqualTo(2);
    assertThat(ByteBuffer.wrap(file).getLong(12)).isEqualTo(file.length - 24L);
  }

  @Test
  void decodesTheRecentErrorsAndTheRestAsTheRecipeSaysIt() throws Exception {
    MixtureOfExperts m = GoldenSnapshots.load(GoldenSnapshots.RESOURCE_V2);
    MixtureOfExperts v1 = GoldenSnapshotTest.golden();
    assertThat(m.config().recentErrors()).isEqualTo(GoldenSnapshots.RECENT_V2);
    assertThat(v1.config().recentErrors()).as("v1 predates them").isEqualTo(RecentErrors.OFF);
    // Everything else of the configuration is the v1 recipe's.
    assertThat(m.config().cell()).isEqualTo(v1.config().cell());
    assertThat(m.config().balance()).isEqualTo(v1.config().balance());
    assertThat(m.config().attention()).isEqualTo(v1.config().attention());
    assertThat(m.expertNames()).isEqualTo(v1.expertNames());
    assertThat(m.streams()).containsExactlyElementsOf(GoldenSnapshots.STREAMS);
    assertThat(m.learnSteps()).isEqualTo(GoldenSnapshots.LEARNS);
    // Routing differs from v1's: the recent errors moved it.
    assertThat(m.balanceState().counts()).containsExactly(19, 22, 23);
    assertThat(v1.balanceState().counts()).containsExactly(20, 20, 24);
    // Each stream's recent errors: three finite averages >= 0, not all 0 (both streams learned).
    for (String s : GoldenSnapshots.STREAMS) {
      float[] recent = recentErrors(m.exportStream(s));
      assertThat(recent).hasSize(3);
      for (float r : recent) {
        assertThat(r).isFinite().isGreaterThanOrEqualTo(0f);
      }
      assertThat(recent).as(s).isNotEqualTo(new float[3]);
    }
  }

  private static float[] recentErrors(byte[] state) {
    return dev.auramoe.testing.StreamBytes.recentErrors(state);
  }

  @Test
  void resavingTheLoadedModelGivesTheSameBytes(@TempDir Path dir) throws Exception {
    byte[] file = goldenBytes();
    MixtureOfExperts m = GoldenSnapshots.load(GoldenSnapshots.RESOURCE_V2);
    assertThat(Snapshots.toBytes(m)).isEqualTo(file);
    Path out = dir.resolve("again.aura");
    m.save(out);
    assertThat(Files.readAllBytes(out)).isEqualTo(file);
    assertThat(m.digest()).isEqualTo("100cd69437c8722a31e11d26397c4c62ecac65a3486acb3c58a1ef5999ceca5c");
  }

  @Test
  void theRecipeStillProducesTheGoldenModel() throws Exception {
    MixtureOfExperts golden = GoldenSnapshots.load(GoldenSnapshots.RESOURCE_V2);
    MixtureOfExperts again = GoldenSnapshots.recipe(GoldenSnapshots.RECENT_V2);
    if ("scalar".equals(KernelProvider.get().name())) {
      assertThat(Snapshots.toBytes(again)).as("regenerated under the scalar kernels").isEqualTo(goldenBytes());
      return;
    }
    // Other kernels sum in another order: the same model up to float rounding.
    assertThat(again.balanceState().counts()).containsExactly(golden.balanceState().counts());
    for (String s : GoldenSnapshots.STREAMS) {
      float[] a = recentErrors(again.exportStream(s));
      float[] g = recentErrors(golden.exportStream(s));
      for (int i = 0; i < g.length; i++) {
        assertThat(a[i]).as("%s recent error %d of %s", s, i, Arrays.toString(g))
            .isCloseTo(g[i], within(1e-3f * Math.max(1f, g[i])));
      }
    }
  }
}
