package dev.auramoe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.auramoe.internal.vector.KernelProvider;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The same model fed the same inputs ends in the same bits whenever it runs: interpreted, compiled
 * by C1, or by C2 after warm-up. The replay-based tests (concurrency, snapshots) rely on this, and
 * so does anyone who replays a log to reproduce a model. Each run happens in a child JVM with the
 * kernels of this execution.
 */
class ReproducibilityTest {

  private static String digestIn(int rounds, String... vmFlags) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("--add-modules");
    cmd.add("jdk.incubator.vector");
    cmd.add("-Daura.kernels=" + System.getProperty("aura.kernels", "auto"));
    cmd.addAll(List.of(vmFlags));
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(ReproducibilityProbe.class.getName());
    cmd.add(Integer.toString(rounds));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("child JVM output: %s", out).isZero();
    String line = out.lines().filter(l -> l.startsWith("kernels=")).findFirst().orElseThrow(() -> new AssertionError(out));
    assertThat(line).startsWith("kernels=" + KernelProvider.get().name() + " ");
    return line.substring(line.indexOf("digest=") + 7);
  }

  @Test
  void theSameRecipeEndsInTheSameBitsInTheInterpreterC1AndC2() throws Exception {
    String here = ReproducibilityProbe.run(1);
    String interpreted = digestIn(1, "-Xint");
    String c1 = digestIn(1, "-XX:TieredStopAtLevel=1");
    // C2 only, compiled in the foreground after 500 calls: the switch happens at the same point in
    // every run, however loaded the machine (background compilation could postpone it past the recipe).
    // Six rounds: the later ones run entirely compiled, and each must match the first.
    String c2 = digestIn(6, "-XX:-TieredCompilation", "-Xbatch", "-XX:CompileThreshold=500");
    assertThat(c2).as("C2, later rounds against the first: the same recipe gave other bits once C2 had compiled"
        + " the kernels, so some kernel's result depends on the JIT tier (for example FloatVector.reduceLanes(ADD),"
        + " whose lane order differs between the Java fallback and the C2 intrinsic)").doesNotStartWith("digest-changed");
    assertThat(List.of(interpreted, c1, c2)).as("interpreter, C1, C2 (and this JVM: %s)", here).containsOnly(here);
  }
}
