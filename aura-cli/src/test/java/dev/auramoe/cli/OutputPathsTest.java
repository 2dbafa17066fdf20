package dev.auramoe.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The output-path rule: a file that will be replaced must be writable, checked before the run. */
class OutputPathsTest {

  @Test
  void anExistingFileThatCannotBeWrittenIsRefusedAndLeftAsItWas(@TempDir Path dir) throws Exception {
    Path f = Files.writeString(dir.resolve("r.json"), "{}");
    Assumptions.assumeTrue(Files.getFileStore(f).supportsFileAttributeView("posix"), "POSIX permissions");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("r--r--r--"));
    // root writes any file whatever its mode: nothing to refuse there.
    Assumptions.assumeFalse(Files.isWritable(f), "this user may write read-only files (root)");
    assertThatThrownBy(() -> OutputPaths.checkFile("--json", f)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("--json " + f + ": exists and cannot be written (permission denied)");
    assertThat(Files.readString(f)).isEqualTo("{}");
  }

  @Test
  void anExistingWritableFilePassesUnchanged(@TempDir Path dir) throws Exception {
    Path f = Files.writeString(dir.resolve("r.json"), "{\"a\":1}");
    OutputPaths.checkFile("--json", f);
    assertThat(Files.readString(f)).isEqualTo("{\"a\":1}");
  }
}
