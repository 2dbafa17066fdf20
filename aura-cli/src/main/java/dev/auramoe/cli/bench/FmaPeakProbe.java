package dev.auramoe.cli.bench;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

/**
 * Calls {@code dev.auramoe.simd.FmaPeak} by name, so that the CLI links and runs without aura-simd
 * or without {@code --add-modules jdk.incubator.vector}; the peak is then NaN.
 */
public final class FmaPeakProbe {

  static final String CLASS = "dev.auramoe.simd.FmaPeak";

  private FmaPeakProbe() {}

  /**
   * The measured peak.
   *
   * @param gflops best GFLOP/s, or NaN when the probe is unavailable
   * @param lanes float lanes of the preferred species, or 0
   * @param species the species measured, or why nothing was measured
   */
  public record Peak(double gflops, int lanes, String species) {}

  /** Measures the peak, best of {@code runs} runs of {@code iterations} iterations; never throws for a missing module. */
  public static Peak measure(int runs, long iterations) {
    if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
      return new Peak(Double.NaN, 0, "unavailable: module jdk.incubator.vector not in the boot layer");
    }
    try {
      Class<?> c = Class.forName(CLASS, true, FmaPeakProbe.class.getClassLoader());
      Method g = c.getMethod("gflops", int.class, long.class);
      Method lanes = c.getMethod("lanes");
      Method species = c.getMethod("species");
      double v = (Double) g.invoke(null, runs, iterations);
      return new Peak(v, (Integer) lanes.invoke(null), (String) species.invoke(null));
    } catch (InvocationTargetException e) {
      return new Peak(Double.NaN, 0, "unavailable: " + e.getCause());
    } catch (ReflectiveOperationException | LinkageError e) {
      return new Peak(Double.NaN, 0, "unavailable: " + e);
    }
  }
}
