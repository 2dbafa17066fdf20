package dev.auramoe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.auramoe.internal.vector.KernelProvider;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Without {@code --add-modules jdk.incubator.vector} the provider falls back to the scalar kernels
 * (auto mode) and the library works, with the same results as the scalar kernels in this JVM;
 * forcing panama without the module fails with a message saying how to enable it.
 */
class FallbackWithoutVectorModuleTest {

  private static String runChild(String kernels) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Daura.kernels=" + kernels);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(ReproducibilityProbe.class.getName());
    cmd.add("1");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    return "exit=" + p.exitValue() + "\n" + out;
  }

  @Test
  void autoFallsBackToScalarAndComputesWhatTheScalarKernelsCompute() throws Exception {
    String out = runChild("auto");
    assertThat(out).as(out).startsWith("exit=0").contains("kernels=scalar ");
    assertThat(out).as("one warning says how to enable the fast path").contains("--add-modules jdk.incubator.vector");
    if ("scalar".equals(KernelProvider.get().name())) {
      String here = ReproducibilityProbe.run(1);
      assertThat(out).contains("digest=" + here);
    }
  }

  @Test
  void forcingPanamaWithoutTheModuleFailsClearly() throws Exception {
    String out = runChild("panama");
    assertThat(out).doesNotStartWith("exit=0");
    assertThat(out).contains("aura.kernels=panama but the Vector API kernels cannot be loaded")
        .contains("--add-modules jdk.incubator.vector");
  }
}
