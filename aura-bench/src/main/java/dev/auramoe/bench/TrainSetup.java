package dev.auramoe.bench;

import dev.auramoe.internal.vector.KernelProvider;
import java.util.Random;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * The set-up the training benchmarks share: the fork's kernels checked against the method's name, a
 * fixed random batch, and the first step's loss checked, so that a misconfigured fork reports no
 * number.
 */
final class TrainSetup {

  private TrainSetup() {}

  /** Refuses a fork whose kernels are not the ones its method's name says ({@code ...Vector}: panama). */
  static void requireKernels(BenchmarkParams params) {
    boolean vector = params.getBenchmark().endsWith("Vector");
    String kernels = KernelProvider.get().name();
    if (vector != kernels.startsWith("panama")) {
      throw new IllegalStateException(params.getBenchmark() + " runs on the " + kernels + " kernels");
    }
  }

  /** {@code a[0 .. n)} standard normal inputs from r. */
  static void fillGaussian(Random r, float[] a, int n) {
    for (int i = 0; i < n; i++) {
      a[i] = (float) r.nextGaussian();
    }
  }

  /** {@code a[0 .. n)} labels uniform in [0, classes) from r. */
  static void fillLabels(Random r, int[] a, int n, int classes) {
    for (int i = 0; i < n; i++) {
      a[i] = r.nextInt(classes);
    }
  }

  /** Refuses a first training step whose loss is not finite. */
  static void requireFinite(double loss) {
    if (!Double.isFinite(loss)) {
      throw new IllegalStateException("the loss is not finite: " + loss);
    }
  }
}
