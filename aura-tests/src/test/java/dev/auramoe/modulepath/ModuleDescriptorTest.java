package dev.auramoe.modulepath;

import static org.assertj.core.api.Assertions.assertThat;

import dev.auramoe.MixtureOfExperts;
import dev.auramoe.internal.vector.KernelProvider;
import java.io.IOException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * aura-core's module descriptor: every package is exported except the internal ones, of which only
 * the kernel SPI is open, to aura-simd (its Vector API implementation) and aura-seq (which trains
 * on it); and the library works on the module path, with and without the Vector API kernels,
 * computing what it computes on the class path.
 */
class ModuleDescriptorTest {

  private static final String CORE = "dev.auramoe.core";
  private static final String SIMD = "dev.auramoe.simd";
  private static final String SEQ = "dev.auramoe.seq";
  private static final String SNN = "dev.auramoe.snn";

  private static Path location(Class<?> c) throws URISyntaxException {
    return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
  }

  private static ModuleDescriptor descriptor(String module, Class<?> member) throws URISyntaxException {
    return ModuleFinder.of(location(member)).find(module).orElseThrow().descriptor();
  }

  /** The packages of a jar or class folder that hold at least one class. */
  private static Set<String> packages(Path where) throws IOException {
    if (Files.isDirectory(where)) {
      return packagesUnder(where);
    }
    try (FileSystem jar = FileSystems.newFileSystem(where)) {
      return packagesUnder(jar.getPath("/"));
    }
  }

  private static Set<String> packagesUnder(Path root) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      return files.filter(p -> p.toString().endsWith(".class") && root.relativize(p).getNameCount() > 1)
          .map(p -> root.relativize(p.getParent()).toString().replace('/', '.').replace('\\', '.'))
          .collect(Collectors.toCollection(TreeSet::new));
    }
  }

  /** The kernel SPI ({@code internal.*}) and the engine behind the facade are not API. */
  private static boolean internal(String pkg) {
    return pkg.contains(".internal") || pkg.equals("dev.auramoe.engine");
  }

  @Test
  void everyPublicPackageIsExportedAndTheKernelSpiOnlyToTheKernelsAndTheTrainers() throws Exception {
    ModuleDescriptor d = descriptor(CORE, MixtureOfExperts.class);
    Set<String> all = packages(location(MixtureOfExperts.class));
    assertThat(d.packages()).containsExactlyInAnyOrderElementsOf(all);
    Map<String, Set<String>> exports = new TreeMap<>();
    for (ModuleDescriptor.Exports e : d.exports()) {
      exports.put(e.source(), e.targets());
    }
    for (String p : all) {
      if (internal(p)) {
        assertThat(exports.get(p)).as("internal package %s", p)
            .isEqualTo(p.equals("dev.auramoe.internal.vector") ? Set.of(SIMD, SEQ, SNN) : null);
      } else {
        assertThat(exports).as("public package %s", p).containsEntry(p, Set.of());
      }
    }
    assertThat(d.requires().stream().map(ModuleDescriptor.Requires::name))
        .as("the core reads only the JDK's base and logging modules")
        .containsExactlyInAnyOrder("java.base", "java.logging");
  }

  private static String runOnModulePath(boolean withSimd) throws Exception {
    String modulePath = location(MixtureOfExperts.class).toString();
    String modules = CORE;
    if (withSimd) {
      modulePath += java.io.File.pathSeparator + location(Class.forName("dev.auramoe.simd.PanamaKernelSupport"));
      modules += "," + SIMD + ",jdk.incubator.vector";
    }
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(List.of("--module-path", modulePath, "--add-modules", modules, "-cp",
        location(ModulePathProbe.class).toString(), ModulePathProbe.class.getName()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }

  @Test
  void onTheModulePathTheInternalPackagesAreClosedAndTheScalarKernelsComputeAsOnTheClassPath() throws Exception {
    String out = runOnModulePath(false);
    assertThat(out).contains("module=" + CORE + " internal=refused digest=scalar ");
    if ("scalar".equals(KernelProvider.get().name())) {
      assertThat(out).contains("digest=" + ModulePathProbe.digest());
    }
  }

  @Test
  void onTheModulePathTheVectorKernelsLoadFromTheSimdModule() throws Exception {
    String out = runOnModulePath(true);
    assertThat(out).contains("module=" + CORE + " internal=refused");
    if (KernelProvider.get().name().startsWith("panama")) {
      assertThat(out).contains("digest=" + ModulePathProbe.digest());
    }
  }
}
