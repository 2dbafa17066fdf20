package dev.auramoe.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks, before a long run starts, that the files it will write at its end can be written, so that
 * a typo in {@code --json} does not cost the whole run. The rule: a command creates at most the
 * one thing it was asked to write (the file, or the {@code --plot} directory), never the folders
 * above it.
 */
final class OutputPaths {

  private OutputPaths() {}

  /**
   * An output file such as {@code --json FILE}: its folder must exist and take a new file; an
   * existing {@code FILE} must be a regular file (it is replaced).
   *
   * @throws IllegalArgumentException naming the option and what is wrong
   */
  static void checkFile(String option, Path file) {
    Path absolute = file.toAbsolutePath();
    if (Files.isDirectory(absolute)) {
      throw new IllegalArgumentException(option + " " + file + ": is a directory; give a file name");
    }
    if (Files.exists(absolute) && !Files.isRegularFile(absolute)) {
      throw new IllegalArgumentException(option + " " + file + ": is not a regular file");
    }
    checkFolder(option, file, absolute.getParent());
  }

  /**
   * An output directory such as {@code --plot DIR}: an existing one must take new files; a missing
   * one is created at the end, so its parent must exist and take it.
   *
   * @throws IllegalArgumentException naming the option and what is wrong
   */
  static void checkDirectory(String option, Path dir) {
    Path absolute = dir.toAbsolutePath();
    if (Files.isDirectory(absolute)) {
      checkFolder(option, dir, absolute);
    } else if (Files.exists(absolute)) {
      throw new IllegalArgumentException(option + " " + dir + ": is a file, not a directory");
    } else {
      checkFolder(option, dir, absolute.getParent());
    }
  }

  private static void checkFolder(String option, Path given, Path folder) {
    if (folder == null) {
      return;
    }
    if (!Files.isDirectory(folder)) {
      throw new IllegalArgumentException(option + " " + given + ": the folder " + folder
          + (Files.exists(folder) ? " is not a directory" : " does not exist (it is not created: create it first)"));
    }
    // Permissions alone do not tell (root, ACLs, read-only mounts): write and remove a probe.
    try {
      Files.delete(Files.createTempFile(folder, ".aura-write-check-", ".tmp"));
    } catch (IOException | SecurityException e) {
      throw new IllegalArgumentException(option + " " + given + ": cannot write in " + folder + " ("
          + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()) + ")");
    }
  }
}
