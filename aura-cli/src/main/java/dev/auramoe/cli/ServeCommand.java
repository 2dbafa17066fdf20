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

  @Option(names = "--repair-wal", description = "Repair a damaged operation log instead of refusing to start: "
      + "damaged segments are copied aside (wal-...log.damaged-<time>) and rewritten with every valid record, and "
      + "every record dropped is reported (on stderr and under \"repair\" in GET /health).")
  boolean repairWal;

  @Option(names = "--token-file", paramLabel = "FILE", description = "A file holding the bearer token that every "
      + "request changing state must carry (Authorization: Bearer <token>); reads need none.")
  Path tokenFile;

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
    RoutingServer.Builder b = RoutingServer.builder().host(host).port(port);
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
      b.dataDir(data).snapshotEvery(snapshotEvery).repairWal(repairWal);
    }
    RoutingServer server = b.build().start();
    Thread hook = new Thread(() -> {
      server.close();
      stopped.countDown();
    }, "aura-serve-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    out.printf("aura serve: listening on http://%s:%d (GET /health, /metrics, /v1/models); %s%n", host, server.port(),
        inMemory ? "in memory only" : "data in " + data.toAbsolutePath());
    if (repairWal && server.store() != null) {
      Object repair = server.store().recovery().get("repair");
      out.printf("aura serve: --repair-wal: %s%n", repair == null ? "the data directory needed no repair"
          : Json.mapper().writer().without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT)
          .writeValueAsString(repair));
    }
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
