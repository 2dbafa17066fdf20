package dev.auramoe.server;

import dev.auramoe.server.wal.WalOptions;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The server {@link DurableCrashTest} kills: a {@link RoutingServer} on a free port over the data
 * directory {@code args[0]}, a snapshot every {@code args[1]} operations and log segments of
 * {@code args[2]} bytes, repairing the data directory when {@code args[3]} is {@code repair}; writes
 * {@code PORT <port>} on stdout once it listens, then runs until killed. A refused start ends the
 * process with the exception on stderr.
 */
public final class DurableServerChild {

  private DurableServerChild() {}

  /** Runs until killed. */
  public static void main(String[] args) throws Exception {
    RoutingServer server = RoutingServer.builder().port(0).dataDir(Path.of(args[0]))
        .snapshotEvery(Long.parseLong(args[1]))
        .walOptions(WalOptions.DEFAULTS.withSegmentBytes(Long.parseLong(args[2])))
        .repairWal(args.length > 3 && args[3].equals("repair"))
        .build().start();
    PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.US_ASCII);
    out.print("PORT " + server.port() + "\n");
    out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
