package dev.auramoe.server;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * The server {@link StreamLimitsTest} floods with streams in a JVM of its own, with a small heap:
 * a {@link RoutingServer} with the default limits but an idle time of a day before a stream may be
 * evicted (so the flood is refused by the budget however slowly it runs), on a free port over the
 * data directory {@code args[0]}, stopped by SIGTERM through a shutdown hook as {@code aura serve} is; writes
 * {@code PORT <port>} on stdout once it listens.
 */
public final class StreamFloodChild {

  private StreamFloodChild() {}

  /** Runs until SIGTERM. */
  public static void main(String[] args) throws Exception {
    RoutingServer server = RoutingServer.builder().port(0).dataDir(Path.of(args[0]))
        .limits(ServerLimits.DEFAULT.withStreamIdleEviction(Duration.ofDays(1))).build().start();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
    }));
    PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.US_ASCII);
    out.print("PORT " + server.port() + "\n");
    out.flush();
    stopped.await();
  }
}
