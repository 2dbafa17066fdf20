package dev.auramoe.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.internal.vector.KernelProvider;
import dev.auramoe.internal.vector.KernelSupport;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import org.junit.jupiter.api.Test;

/**
 * Which kernels the provider selects. The module's suite runs twice, with {@code -Daura.kernels}
 * set to {@code panama} and to {@code scalar}; this test reads the property to know which run it
 * is in.
 */
class KernelProviderTest {

  @Test
  void selectedKernelsFollowTheProperty() {
    String mode = System.getProperty(KernelProvider.PROPERTY, "auto");
    KernelSupport k = KernelProvider.get();
    switch (mode) {
      case "panama" -> assertThat(k.name()).startsWith("panama");
      case "scalar" -> assertThat(k.name()).isEqualTo("scalar");
      default -> assertThat(k.name()).matches("scalar|panama-\\d+");
    }
    assertThat(KernelProvider.get()).as("one selection per JVM").isSameAs(k);
  }

  @Test
  void scalarReferenceIsAlwaysAvailable() {
    assertThat(KernelProvider.scalar().name()).isEqualTo("scalar");
  }

  @Test
  void panamaNameCarriesTheVectorWidth() {
    KernelSupport p = KernelProvider.panamaOrNull();
    if ("panama".equals(System.getProperty(KernelProvider.PROPERTY))) {
      assertThat(p).as("forced panama run: the Vector API kernels must load").isNotNull();
    }
    if (p != null) {
      assertThat(p.name()).matches("panama-(128|256|512|1024|2048)");
    }
  }

  // select(String) is package-private: reached by reflection (the tests sit on the class path, so
  // no module boundary applies) rather than by widening the provider's API.

  private static KernelSupport select(String mode) throws Throwable {
    Method m = KernelProvider.class.getDeclaredMethod("select", String.class);
    m.setAccessible(true);
    try {
      return (KernelSupport) m.invoke(null, mode);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  @Test
  void unknownModeIsRejected() {
    assertThatThrownBy(() -> select("bogus"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bogus");
  }

  @Test
  void modesAreTrimmedAndCaseInsensitive() throws Throwable {
    assertThat(select(" SCALAR ").name()).isEqualTo("scalar");
    KernelSupport auto = select("auto");
    assertThat(auto.name()).matches("scalar|panama-\\d+");
    if (KernelProvider.panamaOrNull() != null) {
      assertThat(select("Panama").name()).startsWith("panama");
      assertThat(auto.name()).startsWith("panama");
    }
  }
}
