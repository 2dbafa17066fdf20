package dev.auramoe.cli;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The rule of every command's output paths ({@code --json FILE}, {@code --plot DIR},
 * {@code generate --out FILE}): checked before the run, so that a typo does not cost the whole run,
 * and a command creates at most the one thing it was asked to write (the file, or the
 * {@code --plot} directory), never the folders above it.
 */
public final class OutputPaths {

  /** What the help of an output file option says of the rule. */
  public static final String FILE_RULE = "Its folder must exist (it is not created); checked before the run.";

  /** What the help of an output directory option says of the rule. */
  public static final String DIRECTORY_RULE = "DIR is created if missing, its parent is not; checked before the run.";

  private OutputPaths() {}

  /**
   * An output file such as {@code --json FILE}: its folder must exist and take a new file; an
   * existing {@code FILE} must be a regular file that can be written (it is replaced). Nothing to check when the option
   * was not given ({@code file} null).
   *
   * @throws IllegalArgumentException naming the option and what is wrong
   */
  public static void checkFile(String option, Path file) {
    if (file == null) {
      return;
    }
    Path absolute = file.toAbsolutePath();
    if (Files.isDirectory(absolute)) {
      throw new IllegalArgumentException(option + " " + file + ": is a directory; give a file name");
    }
    if (Files.exists(absolute) && !Files.isRegularFile(absolute)) {
      throw new IllegalArgumentException(option + " " + file + ": is not a regular file");
    }
    checkFolder(option, file, absolute.getParent());
    if (Files.exists(absolute)) {
      // It will be replaced: opened for writing (appending nothing, so it stays as it is) it proves that it can be.
      try (var ch = java.nio.channels.FileChannel.open(absolute, java.nio.file.StandardOpenOption.WRITE,
          java.nio.file.StandardOpenOption.APPEND)) {
        // nothing written
      } catch (IOException | SecurityException e) {
        throw new IllegalArgumentException(option + " " + file + ": exists and cannot be written ("
            + (e instanceof java.nio.file.AccessDeniedException ? "permission denied"
                : e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()) + ")");
      }
    }
  }

  /**
   * An output directory such as {@code --plot DIR}: an existing one must take new files; a missing
   * one is created at the end ({@link #createDirectory}), so its parent must exist and take it.
   * Nothing to check when the option was not given ({@code dir} null).
   *
   * @throws IllegalArgumentException naming the option and what is wrong
   */
  public static void checkDirectory(String option, Path dir) {
    if (dir == null) {
      return;
    }
    Path absolute = dir.toAbsolutePath();
    if (Files.isDirectory(absolute)) {
      checkFolder(option, dir, absolute);
    } else if (Files.exists(absolute)) {
      throw new IllegalArgumentException(option + " " + dir + ": is a file, not a directory");
    } else {
      checkFolder(option, dir, absolute.getParent());
    }
  }

  /**
   * Creates an output directory that {@link #checkDirectory} passed, when it is missing: the
   * directory alone, never a folder above it.
   *
   * @return {@code dir}
   * @throws IOException when it cannot be created (its parent went away meanwhile, say)
   */
  public static Path createDirectory(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      try {
        Files.createDirectory(dir);
      } catch (FileAlreadyExistsException e) {
        if (!Files.isDirectory(dir)) {
          throw e;
        }
      }
    }
    return dir;
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
