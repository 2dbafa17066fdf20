package dev.auramoe.text;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** onnxruntime loads its libraries from a cache copied once, not from a new /tmp folder at every start. */
class OnnxNativesTest {

  @Test
  void anEncoderLoadsOnnxruntimeFromTheCache() {
    try (SentenceEncoder enc = SentenceEncoder.allMiniLmL6V2()) {
      assertThat(enc.encode("hello")).hasSize(384);
    }
    String dir = System.getProperty("onnxruntime.native.path");
    assertThat(dir).as("set by the encoder unless the user set it").isNotNull();
    if (System.getenv("ONNXRUNTIME_NATIVE_PATH") == null) {
      Path p = Path.of(dir);
      assertThat(p.toString()).contains("onnxruntime-1.29.0").endsWith(OnnxNatives.platform());
      assertThat(p.resolve(System.mapLibraryName("onnxruntime"))).isRegularFile();
      assertThat(p.resolve(System.mapLibraryName("onnxruntime4j_jni"))).isRegularFile();
    }
  }

  @Test
  void thePlatformIsNamedAsOnnxruntimesJarNamesIt() {
    String p = OnnxNatives.platform();
    assertThat(p).isIn("linux-x64", "linux-aarch64", "osx-x64", "osx-aarch64", "win-x64", "win-aarch64");
    assertThat(OnnxNativesTest.class.getClassLoader()
        .getResource("ai/onnxruntime/native/" + p + "/" + System.mapLibraryName("onnxruntime"))).isNotNull();
  }
}
