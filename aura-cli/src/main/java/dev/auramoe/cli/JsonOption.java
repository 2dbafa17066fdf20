package dev.auramoe.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * {@code --json FILE} of the commands that report a run, a picocli mixin: the path is checked before
 * the run ({@link OutputPaths}), the document written after it and the file named on stderr.
 */
public final class JsonOption {

  @Option(names = "--json", paramLabel = "FILE", description = "Also write the results as JSON. "
      + OutputPaths.FILE_RULE)
  Path file;

  /** Whether the option was given. */
  boolean given() {
    return file != null;
  }

  /**
   * Checks the path before the run; nothing to check when the option was not given.
   *
   * @throws IllegalArgumentException naming the option and what is wrong
   */
  void checkPath() {
    OutputPaths.checkFile("--json", file);
  }

  /** Writes {@code doc} to the file, when the option was given, and says so on {@code err}. */
  void write(Map<String, Object> doc, PrintWriter err) throws IOException {
    if (file != null) {
      Json.write(doc, file);
      err.println("wrote " + file);
    }
  }
}
