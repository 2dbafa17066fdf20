package dev.auramoe.modulepath;

import dev.auramoe.MixtureOfExperts;
import dev.auramoe.experts.Experts;
import java.util.Random;

/**
 * Run on the module path by {@link ModuleDescriptorTest}: uses aura-core through its exported API
 * only, and reports the module it came from, the kernels in use, whether an internal package is
 * reachable, and the digest of a seeded model after learning. Its package is not one of aura-core's,
 * so the class loads from the class path beside the named module.
 */
public final class ModulePathProbe {

  private ModulePathProbe() {}

  /** The digest of a seeded model after 500 learn steps on a seeded stream. */
  static String digest() {
    MixtureOfExperts m = MixtureOfExperts.builder(12, 2).experts(Experts.nlms("e", 4, 12, 2, 0.5)).seed(7).build();
    Random r = new Random(3);
    float[] x = new float[12];
    float[] y = new float[2];
    float[] yHat = new float[2];
    for (int t = 0; t < 500; t++) {
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) r.nextGaussian();
      }
      y[0] = x[0] - 0.5f * x[3];
      y[1] = (t / 50) % 2 == 0 ? x[1] : -x[1];
      m.learn(MixtureOfExperts.DEFAULT_STREAM, x, y, yHat);
    }
    return m.kernels() + " " + m.digest();
  }

  /** Prints {@code module=..., internal=refused|reachable, digest=<kernels> <digest>}. */
  public static void main(String[] args) throws Exception {
    String internal;
    try {
      Class.forName("dev.auramoe.internal.vector.KernelProvider").getMethod("get").invoke(null);
      internal = "reachable";
    } catch (IllegalAccessException e) {
      internal = "refused";
    }
    System.out.println("module=" + MixtureOfExperts.class.getModule().getName() + " internal=" + internal
        + " digest=" + digest());
  }
}
