package dev.auramoe.internal.vector;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Locale;
import java.util.logging.Logger;

/**
 * Selects the kernel implementation once per JVM.
 *
 * <p>Selection, in order:
 * <ol>
 *   <li>System property {@code aura.kernels}: {@code scalar} forces the scalar kernels;
 *       {@code panama} forces the Vector API kernels and fails with an {@link IllegalStateException}
 *       if they cannot be loaded; {@code auto} (default) tries Panama and falls back.
 *   <li>Panama is tried only when the {@code jdk.incubator.vector} module is in the boot layer
 *       (start the JVM with {@code --add-modules jdk.incubator.vector}); the class
 *       {@code dev.auramoe.simd.PanamaKernelSupport} is loaded by name so this module never links
 *       against the incubator API. Its constructor may refuse (for example vectors narrower than
 *       128 bits) by throwing {@link UnsupportedOperationException}.
 * </ol>
 * A fallback in {@code auto} mode logs one warning that says how to enable the fast path.
 */
public final class KernelProvider {

  /** System property that forces a kernel implementation: scalar, panama or auto. */
  public static final String PROPERTY = "aura.kernels";

  static final String PANAMA_CLASS = "dev.auramoe.simd.PanamaKernelSupport";

  private static final Logger LOG = Logger.getLogger(KernelProvider.class.getName());

  private KernelProvider() {}

  private static final class Holder {
    static final KernelSupport INSTANCE = select(System.getProperty(PROPERTY, "auto"));
  }

  /** The kernels selected for this JVM. */
  public static KernelSupport get() {
    return Holder.INSTANCE;
  }

  /** The scalar reference kernels, whatever was selected. */
  public static KernelSupport scalar() {
    return ScalarKernelSupport.INSTANCE;
  }

  /**
   * Loads the Vector API kernels, or returns null when the module or the class is missing or the
   * hardware is refused.
   *
   * @return the Panama kernels or null; never throws for an absent module
   */
  public static KernelSupport panamaOrNull() {
    try {
      return loadPanama();
    } catch (ReflectiveOperationException | UnsupportedOperationException | LinkageError e) {
      return null;
    }
  }

  static KernelSupport select(String mode) {
    String m = mode.trim().toLowerCase(Locale.ROOT);
    switch (m) {
      case "scalar":
        return ScalarKernelSupport.INSTANCE;
      case "panama":
        try {
          return loadPanama();
        } catch (ReflectiveOperationException | UnsupportedOperationException | LinkageError e) {
          throw new IllegalStateException(
              "aura.kernels=panama but the Vector API kernels cannot be loaded: " + e
                  + " (start the JVM with --add-modules jdk.incubator.vector and put aura-simd on the class path)",
              e);
        }
      case "auto":
        KernelSupport k = panamaOrNull();
        if (k != null) {
          return k;
        }
        LOG.warning("aura-moe: using scalar kernels; for the Vector API kernels start the JVM with "
            + "--add-modules jdk.incubator.vector and put aura-simd on the class path");
        return ScalarKernelSupport.INSTANCE;
      default:
        throw new IllegalArgumentException(
            "unknown value for -D" + PROPERTY + ": '" + mode + "' (expected scalar, panama or auto)");
    }
  }

  private static KernelSupport loadPanama() throws ReflectiveOperationException {
    if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
      throw new ClassNotFoundException("module jdk.incubator.vector is not in the boot layer");
    }
    Class<?> cls = Class.forName(PANAMA_CLASS, true, KernelProvider.class.getClassLoader());
    try {
      return (KernelSupport) MethodHandles.publicLookup()
          .findConstructor(cls, MethodType.methodType(void.class))
          .invoke();
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new ReflectiveOperationException(t);
    }
  }
}
