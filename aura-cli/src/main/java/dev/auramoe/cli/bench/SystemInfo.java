package dev.auramoe.cli.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the benchmark ran on. */
public final class SystemInfo {

  private SystemInfo() {}

  /** The CPU model from /proc/cpuinfo, or {@code os.arch} when that file is absent. */
  public static String cpuModel() {
    Path p = Path.of("/proc/cpuinfo");
    if (Files.isReadable(p)) {
      try (var lines = Files.lines(p)) {
        return lines.filter(l -> l.startsWith("model name") || l.startsWith("Model") || l.startsWith("Hardware"))
            .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst()
            .orElse(System.getProperty("os.arch"));
      } catch (IOException | java.io.UncheckedIOException e) {
        // fall through
      }
    }
    return System.getProperty("os.arch");
  }

  /** JVM name, version and vendor. */
  public static String jvm() {
    return System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version") + " ("
        + System.getProperty("java.vendor") + ")";
  }
}
