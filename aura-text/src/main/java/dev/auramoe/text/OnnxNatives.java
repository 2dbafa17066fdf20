package dev.auramoe.text;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Where onnxruntime loads its native libraries from. Left to itself, onnxruntime copies them (about
 * 28 MB) out of its jar into a new {@code /tmp/onnxruntime-java*} folder at every start, and the
 * folder stays behind, empty, after the JVM exits. Instead they are copied once into
 * {@code ~/.cache/aura-moe/onnxruntime-VERSION/OS-ARCH} (or under {@code $XDG_CACHE_HOME}), and
 * {@code onnxruntime.native.path} points there: nothing is copied at later starts and nothing is left
 * in {@code /tmp}. A user's own {@code onnxruntime.native.path} (or {@code ONNXRUNTIME_NATIVE_PATH})
 * wins, and any failure (no home, a read-only disk, a platform the jar has no libraries for) leaves
 * onnxruntime to its own way, as before.
 */
final class OnnxNatives {

  private static final String[] LIBRARIES = {"onnxruntime", "onnxruntime4j_jni"};

  private OnnxNatives() {}

  /** Points onnxruntime at the cached copies of its libraries, copying them there first if needed. */
  static synchronized void useCache() {
    if (System.getProperty("onnxruntime.native.path") != null || System.getenv("ONNXRUNTIME_NATIVE_PATH") != null) {
      return;
    }
    String platform = platform();
    String version = ai.onnxruntime.OrtEnvironment.class.getPackage().getImplementationVersion();
    if (platform == null || version == null || version.isBlank()) {
      return;
    }
    try {
      Path dir = cacheRoot().resolve("onnxruntime-" + version).resolve(platform);
      for (String name : LIBRARIES) {
        String file = System.mapLibraryName(name);
        if (!copy("ai/onnxruntime/native/" + platform + "/" + file, dir.resolve(file))) {
          return;
        }
      }
      System.setProperty("onnxruntime.native.path", dir.toString());
    } catch (IOException | RuntimeException e) {
      // onnxruntime extracts its libraries itself, as it always did
    }
  }

  /** The cache folder: $XDG_CACHE_HOME/aura-moe, else ~/.cache/aura-moe. */
  private static Path cacheRoot() {
    String xdg = System.getenv("XDG_CACHE_HOME");
    if (xdg != null && !xdg.isBlank()) {
      return Path.of(xdg, "aura-moe");
    }
    return Path.of(System.getProperty("user.home"), ".cache", "aura-moe");
  }

  /** onnxruntime's name for this platform's folder in its jar, or null for one it has none for. */
  static String platform() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    String a = switch (arch) {
      case "amd64", "x86_64" -> "x64";
      case "aarch64", "arm64" -> "aarch64";
      default -> null;
    };
    if (a == null) {
      return null;
    }
    if (os.contains("linux")) {
      return "linux-" + a;
    }
    if (os.contains("mac")) {
      return "osx-" + a;
    }
    if (os.contains("win")) {
      return "win-" + a;
    }
    return null;
  }

  /**
   * Copies a resource to {@code target} unless it is there already: the folder is named by
   * onnxruntime's version, and a copy is written to a temporary file and renamed atomically, so that a
   * file there is always a whole copy of this version's library (and two JVMs starting together never
   * see half a one).
   *
   * @return false when the jar has no such resource
   */
  private static boolean copy(String resource, Path target) throws IOException {
    if (Files.isRegularFile(target) && Files.size(target) > 0) {
      return true;
    }
    try (InputStream in = OnnxNatives.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        return false;
      }
      byte[] bytes = in.readAllBytes();
      Files.createDirectories(target.getParent());
      Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".tmp");
      try {
        Files.write(tmp, bytes);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(tmp);
      }
      return true;
    }
  }
}
