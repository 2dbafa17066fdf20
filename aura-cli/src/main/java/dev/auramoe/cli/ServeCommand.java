package dev.auramoe.cli;

import dev.auramoe.server.RoutingServer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code aura serve}: the routing service on HTTP until the process is stopped. */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = {
      "Starts the routing service: a JSON HTTP API to create models, route, predict and learn, with /health and "
          + "/metrics (Prometheus). Binds 127.0.0.1 unless --host says otherwise; stops on SIGINT or SIGTERM.",
      "Models are durable in --data DIR: every change is logged (a learn is answered once on disk), snapshots are "
          + "taken as it runs, and a restart loads them and replays the log. --in-memory keeps nothing."
    })
public final class ServeCommand implements Callable<Integer> {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--host", paramLabel = "HOST", description = "Address to bind (default: ${DEFAULT-VALUE}).")
  String host = "127.0.0.1";

  @Option(names = "--port", paramLabel = "PORT", description = "Port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
  int port = 8080;

  @Option(names = "--data", paramLabel = "DIR", description = "Data directory: write-ahead log and snapshots "
      + "(default: ${DEFAULT-VALUE}).")
  Path data = Path.of("aura-data");

  @Option(names = "--in-memory", description = "Keep models in memory only (nothing is written; a restart starts "
      + "empty).")
  boolean inMemory;

  @Option(names = "--snapshot-every", paramLabel = "N", description = "Snapshot a model after this many operations "
      + "(default: ${DEFAULT-VALUE}).")
  long snapshotEvery = 100_000;

  @Option(names = "--token-file", paramLabel = "FILE", description = "A file holding the bearer token that every "
      + "request changing state must carry (Authorization: Bearer <token>); reads need none unless --token-reads.")
  Path tokenFile;

  @Option(names = "--token-reads", description = "Reads need the token too (every request but GET /health, which "
      + "stays open for liveness probes). Needs --token-file.")
  boolean tokenReads;

  @Option(names = "--max-streams", paramLabel = "N", description = "Most open streams per model (default: as many "
      + "as memory allows; each stream counts hidden + 64 parameters against the model's and the server's limits).")
  int maxStreams;

  @Option(names = "--evict-idle-streams", paramLabel = "SECONDS|never", description = "When a model holds all the "
      + "streams it may, opening another evicts its least recently used stream if idle this long (default: "
      + "${DEFAULT-VALUE}; 0 evicts it whatever its age; never refuses the open instead).")
  String evictIdleStreams = "60";

  /** For tests: stop after this many milliseconds instead of waiting for a signal. */
  @Option(names = "--stop-after-ms", hidden = true)
  long stopAfterMs = -1;

  @Override
  public Integer call() throws Exception {
    if (port < 0 || port > 65535) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--port must lie in 0..65535, got " + port);
    }
    PrintWriter out = spec.commandLine().getOut();
    CountDownLatch stopped = new CountDownLatch(1);
    if (snapshotEvery < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--snapshot-every must be at least 1");
    }
    if (maxStreams < 0) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--max-streams must be at least 1");
    }
    java.time.Duration idle;
    try {
      idle = evictIdleStreams.equals("never") ? null : java.time.Duration.ofMillis(
          Math.round(1000 * Double.parseDouble(evictIdleStreams)));
      if (idle != null && idle.isNegative()) {
        throw new NumberFormatException();
      }
    } catch (NumberFormatException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--evict-idle-streams must be a number of seconds"
          + " >= 0 or 'never', got '" + evictIdleStreams + "'");
    }
    if (tokenReads && tokenFile == null) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--token-reads needs --token-file");
    }
    RoutingServer.Builder b = RoutingServer.builder().host(host).port(port).tokenReads(tokenReads)
        .limits(dev.auramoe.server.ServerLimits.DEFAULT.withMaxStreams(maxStreams).withStreamIdleEviction(idle));
    if (tokenFile != null) {
      String token;
      try {
        token = java.nio.file.Files.readString(tokenFile).strip();
        b.token(token);
      } catch (java.io.IOException | IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--token-file " + tokenFile + ": "
            + (e instanceof java.io.IOException ? "cannot be read (" + e.getMessage() + ")" : e.getMessage()));
      }
    }
    if (!inMemory) {
      b.dataDir(data).snapshotEvery(snapshotEvery);
    }
    RoutingServer server = b.build().start();
    Thread hook = new Thread(() -> {
      server.close();
      stopped.countDown();
    }, "aura-serve-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    out.printf("aura serve: listening on http://%s:%d (GET /health, /metrics, /v1/models); %s%n", host, server.port(),
        inMemory ? "in memory only" : "data in " + data.toAbsolutePath());
    out.flush();
    if (stopAfterMs >= 0) {
      stopped.await(stopAfterMs, TimeUnit.MILLISECONDS);
      Runtime.getRuntime().removeShutdownHook(hook);
      server.close();
      return 0;
    }
    stopped.await();
    return 0;
  }
}
