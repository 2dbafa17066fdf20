package dev.auramoe.server.wal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Files and directories only their owner can read: a data directory holds every input and target
 * a server was sent. Files are created 0600 and directories 0700 where the file system has POSIX
 * permissions (elsewhere they get the platform's defaults); {@link #restrict} narrows what an
 * older version created more widely.
 */
public final class PrivateFiles {

  private static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> DIR = PosixFilePermissions.fromString("rwx------");

  private PrivateFiles() {}

  private static boolean posix(Path p) {
    return p.getFileSystem().supportedFileAttributeViews().contains("posix");
  }

  /** Creates a directory and any missing parents, each 0700; an existing one is left as it is. */
  public static Path createDirectories(Path dir) throws IOException {
    if (posix(dir)) {
      return Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(DIR));
    }
    return Files.createDirectories(dir);
  }

  /** Opens a file, creating it 0600 when {@code options} create it. */
  public static FileChannel open(Path file, OpenOption... options) throws IOException {
    Set<OpenOption> set = Set.of(options);
    if (posix(file)) {
      return FileChannel.open(file, set, PosixFilePermissions.asFileAttribute(FILE));
    }
    return FileChannel.open(file, set, new FileAttribute<?>[0]);
  }

  /**
   * Takes group and other permissions off an existing file or directory of this server's (written
   * 0644 or 0755 by an older version); does nothing where there are no POSIX permissions.
   */
  public static void restrict(Path p) throws IOException {
    if (!posix(p)) {
      return;
    }
    Set<PosixFilePermission> now = Files.getPosixFilePermissions(p);
    Set<PosixFilePermission> owner = Files.isDirectory(p) ? DIR : FILE;
    if (!owner.containsAll(now)) {
      now.retainAll(owner);
      Files.setPosixFilePermissions(p, now);
    }
  }
}
