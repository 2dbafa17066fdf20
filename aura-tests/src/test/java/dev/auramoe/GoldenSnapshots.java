package dev.auramoe;

import dev.auramoe.balance.BalanceConfig;
import dev.auramoe.cell.CellConfig;
import dev.auramoe.energy.DeviceProfile;
import dev.auramoe.experts.FunctionExpert;
import dev.auramoe.experts.NlmsExpert;
import dev.auramoe.experts.RlsExpert;
import dev.auramoe.internal.vector.KernelProvider;
import dev.auramoe.routing.RouteBuffer;
import dev.auramoe.spiking.AttentionConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

/**
 * The recipe of the golden snapshots {@code golden/moe-v1.aura} (recent errors off, which format v1
 * holds) and {@code golden/moe-v2.aura} (the same recipe with recent errors on, which needs v2), and
 * their regenerator. Self-contained (aura-core only), so that it runs without the test libraries.
 *
 * <p>Regenerate only when a format itself is meant to change (it should not: old files must keep
 * loading), and then update the pinned values in {@link GoldenSnapshotTest} and
 * {@link GoldenSnapshotV2Test}:
 *
 * <pre>
 * ./mvnw -B -q -pl aura-tests -am test-compile -DskipTests
 * java -Daura.kernels=scalar -cp aura-core/target/classes:aura-tests/target/test-classes \
 *     dev.auramoe.GoldenSnapshots aura-tests/src/test/resources/golden/moe-v1.aura \
 *     aura-tests/src/test/resources/golden/moe-v2.aura
 * </pre>
 *
 * The recipe learns, so its floats depend on the kernels' summation order; it is generated with
 * the scalar kernels (the regenerator refuses others) and {@link GoldenSnapshotTest} compares
 * bytes with a fresh run of the recipe only under the scalar kernels.
 */
public final class GoldenSnapshots {

  private GoldenSnapshots() {}

  /** Classpath location of the golden v1 file. */
  public static final String RESOURCE = "/golden/moe-v1.aura";

  /** Classpath location of the golden v2 file. */
  public static final String RESOURCE_V2 = "/golden/moe-v2.aura";

  /** The balancing of the golden models, given in full (the default's cap was 1.0 when v1 was made). */
  public static final BalanceConfig BALANCE = new BalanceConfig(true, 0.01, 0.99, 1.0, 2, false);

  /** The recent errors of the v2 golden model (not the default, so that the file pins them). */
  public static final RecentErrors RECENT_V2 = new RecentErrors(2f, 0.5f);

  /** The bytes of a golden file on the class path ({@link #RESOURCE} or {@link #RESOURCE_V2}). */
  public static byte[] bytes(String resource) throws java.io.IOException {
    try (var in = GoldenSnapshots.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new java.io.FileNotFoundException("golden file " + resource + " is not on the class path");
      }
      return in.readAllBytes();
    }
  }

  /** The model of a golden file. */
  public static MixtureOfExperts load(String resource) throws java.io.IOException {
    return Snapshots.fromBytes(bytes(resource), FUNCTIONS);
  }

  /** The frozen function of the golden model's function expert, by name. */
  public static final Function<String, FunctionExpert.VectorFunction> FUNCTIONS =
      name -> "sum".equals(name) ? (x, y) -> y[0] = x[0] + x[1] + x[2] : null;

  /** Stream ids of the golden model. */
  public static final List<String> STREAMS = List.of(MixtureOfExperts.DEFAULT_STREAM, "sensor-7");

  /** Learn steps in the recipe. */
  public static final int LEARNS = 24;

  /** Routes with tokens and irregular timing in the recipe (every third learn is followed by one). */
  public static final int ROUTES = 8;

  /** Elapsed seconds of the recipe's routes, in order. */
  static float elapsed(int i) {
    return 0.013f * (i + 1);
  }

  /** The golden v1 model before anything was learned: seeded weights only. */
  public static MixtureOfExperts seeded() {
    return seeded(RecentErrors.OFF);
  }

  /** The golden model with these recent errors before anything was learned. */
  public static MixtureOfExperts seeded(RecentErrors recent) {
    return MixtureOfExperts.builder(3, 1)
        .expert(new NlmsExpert("nlms0", 3, 1, 0.5, 1e-3, 0.01))
        .expert(new RlsExpert("rls1", 3, 1, 0.98, 1.0))
        .expert(new FunctionExpert("sum", 3, 1, FUNCTIONS.apply("sum"), 3))
        .topK(2).cell(CellConfig.DEFAULT.withHidden(4)).temperature(0.7f).routerLearningRate(0.4f)
        .credit(Credit.RESPONSIBILITY).recentErrors(recent)
        .balance(BALANCE)
        .attention(new AttentionConfig(100, 2, 0.7f, 1.5f, 1e-3f)).deviceProfile(DeviceProfile.INT8_MAC)
        .seed(2026).build();
  }

  /** The golden v1 model: seeded, then a fixed sequence of learns and token routes. */
  public static MixtureOfExperts recipe() {
    return recipe(RecentErrors.OFF);
  }

  /** The golden model with these recent errors ({@link RecentErrors#OFF}: v1, {@link #RECENT_V2}: v2). */
  public static MixtureOfExperts recipe(RecentErrors recent) {
    MixtureOfExperts m = seeded(recent);
    m.openStream(STREAMS.get(1));
    Random r = new Random(2026);
    RouteBuffer b = m.newRouteBuffer();
    int routes = 0;
    for (int t = 0; t < LEARNS; t++) {
      String s = STREAMS.get(t % 2);
      float[] x = {(float) r.nextGaussian(), (float) r.nextGaussian(), (float) r.nextGaussian()};
      float[] y = {2f * x[0] - x[2] + (t % 2 == 0 ? 1f : -1f)};
      m.learn(s, x, y);
      if (t % 3 == 2) {
        m.route(s, x, elapsed(routes), new int[] {t % 7, 42, 42, 99}, b);
        routes++;
      }
    }
    return m;
  }

  /** Writes the golden files, v1 then v2 (under the scalar kernels only). */
  public static void main(String[] args) throws Exception {
    if (!"scalar".equals(KernelProvider.get().name())) {
      throw new IllegalStateException("regenerate with -Daura.kernels=scalar");
    }
    Path v1 = Path.of(args.length > 0 ? args[0] : "aura-tests/src/test/resources/golden/moe-v1.aura");
    Path v2 = Path.of(args.length > 1 ? args[1] : "aura-tests/src/test/resources/golden/moe-v2.aura");
    Files.createDirectories(v1.toAbsolutePath().getParent());
    Files.write(v1, Snapshots.toBytes(recipe()));
    Files.write(v2, Snapshots.toBytes(recipe(RECENT_V2)));
  }
}
