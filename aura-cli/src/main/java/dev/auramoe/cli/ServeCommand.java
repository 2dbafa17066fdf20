package dev.auramoe.cli;

import dev.auramoe.server.RoutingServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
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
          + "taken as it runs, and a restart loads them and replays the log. --in-memory keeps nothing. At start-up "
          + "it says where the data lives and what it recovered.",
      "Binding an address other than loopback without --token-file gets a warning: anyone who reaches the port "
          + "could change every model.",
      "--import NAME=FILE serves a snapshot file (aura flink --model-out, GET /v1/models/NAME/snapshot, "
          + "Snapshots.save) as model NAME, as POST /v1/models/NAME/import does; with --data it is logged, so a "
          + "restart keeps it and what it learns, and importing it again is refused while NAME exists.",
      "Route, predict and learn take a \"text\" instead of \"x\" for a model whose inputDim is the text "
          + "encoder's (384 for the bundled all-MiniLM-L6-v2, loaded on the first text request, so a server that "
          + "never sees text does not pay for it); --text-model DIR loads another at start, --no-text turns text off.",
      "Warnings and errors of the service and of Helidon, its web server, go to stderr, one line each (a fault "
          + "with its stack trace); INFO lines (start, recovery, snapshots) only with --log-level info, and one JSON "
          + "object per line with --log-format json. A logback file of your own replaces it all: "
          + "AURA_JAVA_OPTS=-Dlogback.configurationFile=FILE ./aura serve."
    })
public final class ServeCommand implements Callable<Integer> {

  /** The data directory when --data is not given, relative to the working directory. */
  static final String DEFAULT_DATA = "aura-data";

  /** Shorter tokens get a warning: 16 random base64 characters carry 96 bits. */
  static final int MIN_TOKEN_CHARS = 16;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--host", paramLabel = "HOST", description = "Address to bind (default: ${DEFAULT-VALUE}).")
  String host = "127.0.0.1";

  @Option(names = "--port", paramLabel = "PORT", description = "Port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
  int port = 8080;

  @Option(names = "--data", paramLabel = "DIR", description = "Data directory: write-ahead log and snapshots "
      + "(default: ${DEFAULT-VALUE} in the working directory, created when missing).")
  Path data = Path.of(DEFAULT_DATA);

  @Option(names = "--in-memory", description = "Keep models in memory only (nothing is written; a restart starts "
      + "empty).")
  boolean inMemory;

  @Option(names = "--snapshot-every", paramLabel = "N", description = "Snapshot a model after this many operations "
      + "(default: ${DEFAULT-VALUE}).")
  long snapshotEvery = 100_000;

  @Option(names = "--repair-wal", description = "Repair a damaged operation log instead of refusing to start: "
      + "damaged segments are copied aside (wal-...log.damaged-<time>) and rewritten with every valid record, "
      + "missing segments are recorded as lost numbers (numbering skips 2^32 when how many were lost is unknown), "
      + "and every record dropped is reported (on stderr and under \"repair\" in GET /health).")
  boolean repairWal;

  @Option(names = "--token-file", paramLabel = "FILE", description = "A file holding the bearer token that every "
      + "request changing state must carry (Authorization: Bearer <token>); reads need none unless --token-reads. "
      + "Refused when other users may read it, like ssh does with keys (chmod 600 FILE); a file its group may read, "
      + "or a token under " + MIN_TOKEN_CHARS + " characters, gets a warning.")
  Path tokenFile;

  @Option(names = "--token-reads", description = "Reads need the token too. GET /health stays open for liveness "
      + "probes, but without the token it answers only its status (UP, DEGRADED or DOWN; 503 when DOWN): the reason "
      + "and the recovery report, which name models and files, need the token. Needs --token-file.")
  boolean tokenReads;

  @Option(names = "--max-streams", paramLabel = "N", description = "Most open streams per model (default: as many "
      + "as memory allows; each stream counts hidden + 64 parameters against the model's and the server's limits).")
  int maxStreams;

  @Option(names = "--evict-idle-streams", paramLabel = "SECONDS|never", description = "When a model holds all the "
      + "streams it may, opening another evicts its least recently used stream if idle this long (default: "
      + "${DEFAULT-VALUE}; a decimal number of seconds, to the millisecond; exactly 0 evicts it whatever its age; "
      + "never refuses the open instead).")
  String evictIdleStreams = "60";

  /** A plain decimal number, optionally with an exponent: no sign, NaN, infinity, hex or type suffix. */
  private static final java.util.regex.Pattern SECONDS =
      java.util.regex.Pattern.compile("([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]{1,4})?");

  @Option(names = "--text-model", paramLabel = "DIR", description = "A sentence-embedding model exported from "
      + "Hugging Face to ONNX (model.onnx and tokenizer.json, see docs/text.md), loaded at start, instead of the "
      + "bundled all-MiniLM-L6-v2, which is loaded on the first text request.")
  Path textModel;

  @Option(names = "--no-text", description = "Read no text: bodies with \"text\" are refused with 501, and no "
      + "encoder is ever loaded.")
  boolean noText;

  @Option(names = "--import", paramLabel = "NAME=FILE", description = "Serve the snapshot in FILE as model NAME "
      + "(repeatable): read before the server starts, which a file that is not a snapshot the service can serve "
      + "(damaged, function experts, over the limits) refuses, and imported after recovery; refused too when --data "
      + "holds a model NAME already (an import makes a new model: delete the old one first).")
  List<String> imports = new ArrayList<>();

  /** For tests: stop after this many milliseconds instead of waiting for a signal. */
  @Option(names = "--stop-after-ms", hidden = true)
  long stopAfterMs = -1;

  @Override
  public Integer call() throws Exception {
    if (port < 0 || port > 65535) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--port must lie in 0..65535, got " + port);
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    CountDownLatch stopped = new CountDownLatch(1);
    if (snapshotEvery < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--snapshot-every must be at least 1");
    }
    if (maxStreams < 0) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--max-streams must be at least 1, or 0 for as "
          + "many as memory allows, got " + maxStreams);
    }
    java.time.Duration idle = idleEviction(evictIdleStreams);
    if (tokenReads && tokenFile == null) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--token-reads needs --token-file");
    }
    RoutingServer.Builder b = RoutingServer.builder().host(host).port(port).tokenReads(tokenReads)
        .limits(dev.auramoe.server.ServerLimits.DEFAULT.withMaxStreams(maxStreams).withStreamIdleEviction(idle));
    if (tokenFile != null) {
      String token;
      try {
        Set<PosixFilePermission> perms = posixPermissions(tokenFile);
        if (perms != null && perms.contains(PosixFilePermission.OTHERS_READ)) {
          throw new IllegalArgumentException("every user may read it (" + mode(perms) + "), and so the token; "
              + "run chmod 600 " + tokenFile);
        }
        token = Files.readString(tokenFile).strip();
        b.token(token);
        if (perms != null && perms.contains(PosixFilePermission.GROUP_READ)) {
          err.println("aura serve: warning: --token-file " + tokenFile + " may be read by its group (" + mode(perms)
              + "); chmod 600 " + tokenFile + " keeps the token to its owner");
        }
        if (token.length() < MIN_TOKEN_CHARS) {
          err.println("aura serve: warning: the token in " + tokenFile + " has " + token.length() + " characters, "
              + "too few to resist guessing; use " + MIN_TOKEN_CHARS + " random ones or more, e.g. "
              + "head -c 24 /dev/urandom | base64 | tr -d '/+=' > " + tokenFile);
        }
      } catch (IOException | IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--token-file " + tokenFile + ": "
            + (e instanceof IOException ? "cannot be read (" + e.getMessage() + ")" : e.getMessage()));
      }
    } else if (!isLoopback(host)) {
      err.println("aura serve: warning: --host " + host + " accepts connections from other machines, and without "
          + "--token-file anyone who reaches " + (port == 0 ? "the port" : "port " + port)
          + " can create, change and delete models");
    }
    boolean existed = false;
    if (!inMemory) {
      b.dataDir(data).snapshotEvery(snapshotEvery).repairWal(repairWal);
      existed = Files.isDirectory(data.resolve("wal"));
    }
    Map<String, String> imported = imports(b);
    AutoCloseable text = textEmbedder(b);
    err.flush();
    RoutingServer server;
    try {
      RoutingServer built;
      try {
        built = b.build();
      } catch (IllegalArgumentException e) {
        throw importRefused(imported, e);
      }
      server = built.start();
    } catch (RuntimeException e) {
      text.close();
      throw e;
    }
    Thread hook = new Thread(() -> {
      server.close();
      try {
        text.close();
      } catch (Exception ignored) {
        // The process is ending.
      }
      stopped.countDown();
    }, "aura-serve-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    out.println("aura serve: " + (inMemory ? "in memory only (--in-memory): nothing is written, a restart starts empty"
        : dataLine(existed, server.store().recovery())));
    for (Map.Entry<String, String> i : imported.entrySet()) {
      out.printf("aura serve: imported model '%s' from %s%n", i.getKey(), i.getValue());
    }
    out.printf("aura serve: listening on http://%s:%d (GET /health, /metrics, /v1/models)%n", host, server.port());
    out.println("aura serve: text: " + (noText ? "off (--no-text): bodies with \"text\" are refused"
        : textModel != null ? textModel + " (" + textDimension + " values per text)"
        : "all-MiniLM-L6-v2 (384 values per text), loaded on the first text request"));
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
      text.close();
      return 0;
    }
    stopped.await();
    return 0;
  }

  private int textDimension;

  /**
   * Reads the files of --import into the builder, refusing a value that is not NAME=FILE, a name given
   * twice, and a file that cannot be read or is over the server's snapshot limit (the builder reads
   * the snapshots themselves).
   *
   * @return each model's name and its file, in the order given
   */
  private Map<String, String> imports(RoutingServer.Builder b) {
    Map<String, String> files = new LinkedHashMap<>();
    int limit = dev.auramoe.server.ServerLimits.DEFAULT.maxSnapshotBytes();
    for (String i : imports) {
      int eq = i.indexOf('=');
      if (eq < 1 || eq == i.length() - 1) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--import must be NAME=FILE, got '" + i + "'");
      }
      String name = i.substring(0, eq);
      Path file = Path.of(i.substring(eq + 1));
      if (files.putIfAbsent(name, file.toString()) != null) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--import " + i + ": model '" + name
            + "' is imported twice");
      }
      byte[] bytes;
      try {
        long size = Files.size(file);
        if (size > limit) {
          throw new CommandLine.ParameterException(spec.commandLine(), "--import " + i + ": the file has " + size
              + " bytes, over the limit of " + limit + " for a snapshot");
        }
        bytes = Files.readAllBytes(file);
      } catch (IOException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--import " + i + ": cannot be read ("
            + (e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.getMessage()) + ")");
      }
      b.importModel(name, bytes);
    }
    return files;
  }

  /** The refusal of a snapshot by {@link RoutingServer.Builder#build()}, as the --import that named it. */
  private CommandLine.ParameterException importRefused(Map<String, String> imported, IllegalArgumentException e) {
    for (Map.Entry<String, String> i : imported.entrySet()) {
      String prefix = "model '" + i.getKey() + "' cannot be imported: ";
      if (e.getMessage() != null && e.getMessage().startsWith(prefix)) {
        return new CommandLine.ParameterException(spec.commandLine(), "--import " + i.getKey() + "=" + i.getValue()
            + ": " + e.getMessage().substring(prefix.length()));
      }
    }
    return new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
  }

  /**
   * Gives the server its text embedder, as --text-model and --no-text say: the bundled
   * all-MiniLM-L6-v2 loaded on first use (see {@link LazyTextEmbedder}), a Hugging Face export loaded
   * now (a directory it cannot load is refused here, naming the file), or none.
   *
   * @return what closes the embedder once the server is stopped
   */
  private AutoCloseable textEmbedder(RoutingServer.Builder b) {
    if (noText && textModel != null) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--no-text and --text-model exclude each other");
    }
    if (noText) {
      return () -> { };
    }
    if (textModel == null) {
      LazyTextEmbedder lazy = new LazyTextEmbedder(dev.auramoe.text.SentenceEncoder::allMiniLmL6V2);
      b.textEmbedder(lazy);
      return lazy;
    }
    dev.auramoe.text.SentenceEncoder encoder;
    try {
      encoder = dev.auramoe.text.SentenceEncoder.fromDirectory(textModel);
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--text-model " + textModel + ": " + e.getMessage());
    }
    textDimension = encoder.dimension();
    b.textEmbedder(encoder);
    return encoder;
  }

  /**
   * The value of --evict-idle-streams: null for "never", else a number of seconds to the
   * millisecond. Exactly zero means "whatever its age"; a number that is not zero but under half a
   * millisecond (it would round to zero) is refused, as are signs, NaN, infinities and more than
   * {@link dev.auramoe.server.ServerLimits#MAX_STREAM_IDLE_EVICTION}.
   */
  private java.time.Duration idleEviction(String text) {
    if (text.equals("never")) {
      return null;
    }
    String refused = null;
    java.time.Duration idle = null;
    if (!SECONDS.matcher(text).matches()) {
      refused = "must be a number of seconds >= 0 (such as 60, 0.5 or 0) or 'never'";
    } else {
      java.math.BigDecimal seconds = new java.math.BigDecimal(text);
      java.math.BigDecimal millis = seconds.movePointRight(3).setScale(0, java.math.RoundingMode.HALF_UP);
      long most = dev.auramoe.server.ServerLimits.MAX_STREAM_IDLE_EVICTION.toMillis();
      if (seconds.signum() != 0 && millis.signum() == 0) {
        refused = "is under a millisecond, which would mean 0; give 0 to evict the least recently used stream "
            + "whatever its age, or at least 0.001";
      } else if (millis.compareTo(java.math.BigDecimal.valueOf(most)) > 0) {
        refused = "must be at most " + most / 1000 + " seconds (about 292 years); give 'never' to turn eviction off";
      } else {
        idle = java.time.Duration.ofMillis(millis.longValueExact());
      }
    }
    if (refused != null) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--evict-idle-streams " + refused + ", got '"
          + text + "'");
    }
    return idle;
  }

  /** Where the data lives, whether --data chose it, and what start-up found there. */
  private String dataLine(boolean existed, Map<String, Object> recovery) {
    StringBuilder line = new StringBuilder("data in ").append(data.toAbsolutePath().normalize());
    if (!spec.commandLine().getParseResult().hasMatchedOption("--data")) {
      line.append(" (the default: ./").append(DEFAULT_DATA).append(" in the working directory; --data DIR to choose)");
    }
    if (!existed) {
      return line.append(": new, empty").toString();
    }
    line.append(": recovered ").append(count(recovery.get("models"), "model"));
    if (recovery.get("snapshotsLoaded") instanceof Number snapshots
        && recovery.get("operationsReplayed") instanceof Number replayed) {
      line.append(" (").append(count(snapshots, "snapshot")).append(" loaded, ").append(count(replayed, "operation"))
          .append(" replayed)");
    }
    if (recovery.containsKey("tornTail")) {
      line.append("; the log's torn tail was cut (GET /health tells more)");
    }
    return line.toString();
  }

  private static String count(Object n, String noun) {
    long v = n instanceof Number x ? x.longValue() : 0;
    return String.format(Locale.ROOT, "%,d %s%s", v, noun, v == 1 ? "" : "s");
  }

  /** True when {@code host} names this machine's loopback, so that no other machine can connect. */
  private static boolean isLoopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return true; // binding fails with its own message: no warning before it
    }
  }

  /** A file's POSIX permissions, or null where the file system has none. */
  private static Set<PosixFilePermission> posixPermissions(Path file) throws IOException {
    try {
      return Files.getPosixFilePermissions(file);
    } catch (UnsupportedOperationException e) {
      return null;
    }
  }

  /** Permissions as chmod writes them: "mode 644". */
  private static String mode(Set<PosixFilePermission> p) {
    int m = 0;
    for (PosixFilePermission x : p) {
      m |= 1 << (8 - x.ordinal()); // OWNER_READ (ordinal 0) is 0400 ... OTHERS_EXECUTE (8) is 0001
    }
    return String.format(Locale.ROOT, "mode %03o", m);
  }
}
