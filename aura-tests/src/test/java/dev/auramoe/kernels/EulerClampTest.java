package dev.auramoe.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import dev.auramoe.internal.vector.Approx;
import dev.auramoe.internal.vector.KernelProvider;
import dev.auramoe.internal.vector.KernelSupport;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Euler kernel's clamp only absorbs rounding: with dt at most tau, the clamped result equals
 * the exact (double precision) Euler step to within a few ulp, for every state magnitude and every
 * drive, so the bound |h'| <= max(|h|, tauMax) is a property of the integrator and not of the
 * clamp. (The bound tests alone would pass for any dt, since the clamp enforces it.)
 */
class EulerClampTest {

  static Stream<KernelSupport> kernels() {
    KernelSupport p = KernelProvider.panamaOrNull();
    return p == null ? Stream.of(KernelProvider.scalar()) : Stream.of(KernelProvider.scalar(), p);
  }

  @ParameterizedTest
  @MethodSource("kernels")
  void theClampNeverChangesTheEulerStepBeyondRounding(KernelSupport k) {
    SplittableRandom r = new SplittableRandom(17);
    float tauMin = 0.02f;
    float tauMax = 2.0f;
    int n = 67;
    float[] h = new float[n];
    float[] drive = new float[n];
    float[] invTau = new float[n];
    for (int round = 0; round < 400; round++) {
      for (int i = 0; i < n; i++) {
        double mag = switch (round % 4) {
          case 0 -> 0.01;
          case 1 -> 1;
          case 2 -> tauMax;
          default -> 1e6;
        };
        h[i] = (float) ((r.nextDouble() * 2 - 1) * mag);
        drive[i] = (float) ((r.nextDouble() * 2 - 1) * (r.nextBoolean() ? 1e30 : 3));
        invTau[i] = (float) (1 / (tauMin + r.nextDouble() * (tauMax - tauMin)));
      }
      float dt = round % 2 == 0 ? tauMin : (float) (r.nextDouble() * tauMin);
      float[] before = h.clone();
      k.liquidEuler(h, drive, invTau, dt, tauMax, n);
      for (int i = 0; i < n; i++) {
        double s = Approx.tanh(drive[i]);
        double exact = before[i] + (double) dt * (s - before[i] * (double) invTau[i]);
        double tol = 4 * Math.ulp((float) Math.max(Math.abs(exact), Math.abs(before[i])));
        assertThat((double) h[i]).as("%s: h=%s drive=%s tau=%s dt=%s", k.name(), before[i], drive[i],
            1 / invTau[i], dt).isCloseTo(exact, org.assertj.core.data.Offset.offset(tol));
      }
    }
  }
}
