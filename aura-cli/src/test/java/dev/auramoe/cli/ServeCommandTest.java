package dev.auramoe.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.auramoe.server.RoutingServer;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code aura serve} starts the real server on loopback and answers /health; at start-up it says
 * where the data lives and what it recovered, and warns about an open address or a weak token.
 */
class ServeCommandTest {

  @Test
  void serveAnswersHealthOnLoopback(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    CompletableFuture<CliTest.Run> run = CompletableFuture.supplyAsync(
        () -> CliTest.run("serve", "--port", Integer.toString(port), "--data", dir.resolve("data").toString(),
            "--stop-after-ms", "2000"));
    HttpClient client = HttpClient.newHttpClient();
    HttpResponse<String> health = null;
    // The server answers for 2 s once it listens; polling covers a slow start-up too.
    for (int i = 0; i < 200 && health == null && !run.isDone(); i++) {
      try {
        health = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(),
            HttpResponse.BodyHandlers.ofString());
      } catch (java.io.IOException notYet) {
        Thread.sleep(100);
      }
    }
    assertThat(health).isNotNull();
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).contains("UP");
    CliTest.Run r = run.get();
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("listening on http://127.0.0.1:" + port).contains("data in");
    assertThat(dir.resolve("data/wal")).isDirectory();
    assertThat(CliTest.run("serve", "--port", "70000").exitCode()).isNotZero();
    try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      CliTest.Run busy = CliTest.run("serve", "--port", Integer.toString(taken.getLocalPort()), "--in-memory");
      assertThat(busy.exitCode()).as("a taken port ends the command instead of hanging").isEqualTo(1);
      assertThat(busy.err()).contains("cannot listen on");
    }
    java.nio.file.Path empty = java.nio.file.Files.writeString(dir.resolve("token"), "  \n");
    CliTest.Run bad = CliTest.run("serve", "--port", "0", "--in-memory", "--token-file", empty.toString(),
        "--stop-after-ms", "0");
    assertThat(bad.exitCode()).isNotZero();
    assertThat(bad.err()).contains("--token-file");
    for (List<String> args : List.of(List.of("--evict-idle-streams", "soon"), List.of("--evict-idle-streams", "-1"),
        List.of("--max-streams", "-3"), List.of("--token-reads"))) {
      List<String> cmd = new java.util.ArrayList<>(List.of("serve", "--port", "0", "--in-memory", "--stop-after-ms",
          "0"));
      cmd.addAll(args);
      CliTest.Run refused = CliTest.run(cmd.toArray(String[]::new));
      assertThat(refused.exitCode()).as("%s", args).isNotZero();
      assertThat(refused.err()).contains(args.getFirst());
    }
  }

  /**
   * --evict-idle-streams takes a plain number of seconds to the millisecond: exactly 0 means
   * "whatever its age"; NaN, infinities, signs, and numbers that are not 0 but would round to 0 ms
   * are refused (they used to be taken as 0), and so is more than the longest the server can count.
   * --max-streams says that 0 is allowed.
   */
  @Test
  void idleEvictionAndStreamCapsAreRefusedWithTheRightMessage() {
    Map<String, String> refusals = new java.util.LinkedHashMap<>();
    refusals.put("NaN", "must be a number of seconds");
    refusals.put("Infinity", "must be a number of seconds");
    refusals.put("-0.0004", "must be a number of seconds");
    refusals.put("-0", "must be a number of seconds");
    refusals.put("5d", "must be a number of seconds");
    refusals.put("0x10", "must be a number of seconds");
    refusals.put("1e-9", "is under a millisecond");
    refusals.put("0.0004", "is under a millisecond");
    refusals.put("1e300", "must be at most 9223372036 seconds");
    for (Map.Entry<String, String> r : refusals.entrySet()) {
      CliTest.Run refused = CliTest.run("serve", "--port", "0", "--in-memory", "--stop-after-ms", "0",
          "--evict-idle-streams", r.getKey());
      assertThat(refused.exitCode()).as(r.getKey()).isNotZero();
      assertThat(refused.err()).as(r.getKey()).contains("--evict-idle-streams " + r.getValue())
          .contains("'" + r.getKey() + "'");
    }
    for (String fine : List.of("0", "0.0", "0.001", "0.5", "60", "1e3", "never")) {
      CliTest.Run ok = CliTest.run("serve", "--port", "0", "--in-memory", "--stop-after-ms", "0",
          "--evict-idle-streams", fine);
      assertThat(ok.exitCode()).as("%s: %s", fine, ok.err()).isZero();
    }
    CliTest.Run streams = CliTest.run("serve", "--port", "0", "--in-memory", "--stop-after-ms", "0", "--max-streams",
        "-3");
    assertThat(streams.err()).contains("--max-streams must be at least 1, or 0 for as many as memory allows, got -3");
  }

  @Test
  void aServerThatCannotStartSaysWhyInOneLine(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    String nl = System.lineSeparator();
    try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      int port = taken.getLocalPort();
      CliTest.Run busy = CliTest.run("serve", "--port", Integer.toString(port), "--data", dir.resolve("d").toString());
      assertThat(busy.exitCode()).isEqualTo(1);
      assertThat(busy.err()).isEqualTo("aura serve: cannot listen on 127.0.0.1:" + port + ": address already in use" + nl);
      assertThat(dir.resolve("d")).as("refused before any recovery").doesNotExist();
    }
    CliTest.Run host = CliTest.run("serve", "--host", "no-such-host.invalid", "--port", "0", "--in-memory");
    assertThat(host.exitCode()).isEqualTo(1);
    assertThat(host.err()).isEqualTo("aura serve: cannot listen on no-such-host.invalid:0: unknown host" + nl);
    java.nio.file.Path file = java.nio.file.Files.writeString(dir.resolve("a-file"), "x");
    CliTest.Run data = CliTest.run("serve", "--port", "0", "--data", file.toString());
    assertThat(data.exitCode()).isEqualTo(1);
    assertThat(data.err()).startsWith("aura serve: cannot recover from " + file + ": ").contains(file + ": exists and is not a directory")
        .endsWith(nl).hasLineCount(1);
  }

  @Test
  void startUpSaysWhereTheDataLivesAndWhatItRecovered(@TempDir Path dir) throws Exception {
    Path data = dir.resolve("data");
    CliTest.Run fresh = serveOnce("--data", data.toString());
    assertThat(fresh.exitCode()).as(fresh.err()).isZero();
    assertThat(fresh.out()).contains("aura serve: data in " + data.toAbsolutePath() + ": new, empty\n")
        .doesNotContain("the default");

    createModelIn(data);
    CliTest.Run again = serveOnce("--data", data.toString());
    assertThat(again.exitCode()).as(again.err()).isZero();
    assertThat(again.out()).contains("aura serve: data in " + data.toAbsolutePath() + ": recovered 1 model (0 "
        + "snapshots loaded, 1 operation replayed)\n");
    assertThat(again.err()).isEmpty();
  }

  @Test
  void withoutDataTheDefaultDirectoryIsNamedAndLiesInTheWorkingDirectory(@TempDir Path dir) throws Exception {
    // The default is relative to the working directory, which only a process of its own can have.
    Path cwd = Files.createDirectory(dir.resolve("cwd"));
    CliTest.Run r = serveInItsOwnProcess(cwd, true, "--port", "0", "--stop-after-ms", "0");
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("aura serve: data in " + cwd.toRealPath().resolve("aura-data") + " (the default: "
        + "./aura-data in the working directory; --data DIR to choose): new, empty\n");
    assertThat(cwd.resolve("aura-data/wal")).isDirectory();
  }

  @Test
  void helidonsInfoLinesAreLeftOutAndAWarningIsOneLine(@TempDir Path dir) throws Exception {
    Path data = dir.resolve("data");
    createModelIn(data);
    // A crash in the middle of a write leaves a few bytes of a record behind: the server warns.
    Path segment;
    try (Stream<Path> files = Files.list(data.resolve("wal"))) {
      segment = files.filter(f -> f.getFileName().toString().endsWith(".log")).sorted().reduce((a, b) -> b)
          .orElseThrow();
    }
    Files.write(segment, new byte[] {1, 2, 3}, StandardOpenOption.APPEND);

    // The process's own logging set-up, not the tests' (which turns logging off).
    CliTest.Run r = serveInItsOwnProcess(dir, false, "--port", "0", "--stop-after-ms", "0", "--data", data.toString());
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("listening on http://127.0.0.1:");
    assertThat(r.err()).doesNotContain("INFO").doesNotContain("io.helidon");
    assertThat(r.err().lines().toList()).as(r.err()).allMatch(l -> l.startsWith("WARN: "))
        .anyMatch(l -> l.contains("torn tail") && l.contains(segment.toString()));

    // Asked for: INFO lines too, the web server's among them, and in JSON one object per line.
    CliTest.Run json = serveInItsOwnProcess(dir, false, Map.of(), "--port", "0", "--stop-after-ms", "0", "--data",
        data.toString(), "--log-level", "info", "--log-format", "json");
    assertThat(json.exitCode()).as(json.err()).isZero();
    List<com.fasterxml.jackson.databind.JsonNode> events = jsonLines(json.err());
    assertThat(events).anyMatch(e -> e.path("level").asText().equals("INFO")
            && e.path("loggerName").asText().startsWith("io.helidon."))
        .anyMatch(e -> e.path("loggerName").asText().equals("dev.auramoe.server.RoutingServer")
            && e.path("formattedMessage").asText().startsWith("listening on http://127.0.0.1:"))
        .anyMatch(e -> e.path("loggerName").asText().equals("dev.auramoe.server.persist.DataStore")
            && e.path("formattedMessage").asText().startsWith("recovered " + data));

    // The environment chooses them when the options do not (a torn tail again, for a warning).
    try (Stream<Path> files = Files.list(data.resolve("wal"))) {
      Files.write(files.filter(f -> f.getFileName().toString().endsWith(".log")).sorted().reduce((a, b) -> b)
          .orElseThrow(), new byte[] {1, 2, 3}, StandardOpenOption.APPEND);
    }
    CliTest.Run env = serveInItsOwnProcess(dir, false, Map.of("AURA_LOG_FORMAT", "json", "AURA_LOG_LEVEL", "warn"),
        "--port", "0", "--stop-after-ms", "0", "--data", data.toString());
    assertThat(env.exitCode()).as(env.err()).isZero();
    assertThat(jsonLines(env.err())).isNotEmpty().allMatch(e -> e.path("level").asText().equals("WARN"));
  }

  /** Each line of a process's stderr as JSON; fails on a line that is not one JSON object. */
  private static List<com.fasterxml.jackson.databind.JsonNode> jsonLines(String err) throws Exception {
    var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
    List<com.fasterxml.jackson.databind.JsonNode> events = new ArrayList<>();
    for (String line : err.lines().toList()) {
      if (line.startsWith("WARNING: Using incubator modules")) {
        continue; // the JVM's own notice, before any logging exists
      }
      com.fasterxml.jackson.databind.JsonNode e = mapper.readTree(line);
      assertThat(e != null && e.isObject()).as("one JSON object per line: %s", line).isTrue();
      events.add(e);
    }
    return events;
  }

  /**
   * Runs {@code aura} in a JVM of its own (with the test JVM's class path), in {@code cwd}; with
   * {@code testLogging}, under the tests' java.util.logging set-up, else under its own.
   */
  private static CliTest.Run serveInItsOwnProcess(Path cwd, boolean testLogging, String... args) throws Exception {
    return serveInItsOwnProcess(cwd, testLogging, Map.of(), args);
  }

  /** As above, with these environment variables set. */
  private static CliTest.Run serveInItsOwnProcess(Path cwd, boolean testLogging, Map<String, String> env,
      String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow()));
    String logging = System.getProperty("java.util.logging.config.file");
    if (testLogging && logging != null) {
      cmd.add("-Djava.util.logging.config.file=" + logging);
    }
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), AuraCli.class.getName(), "serve"));
    cmd.addAll(List.of(args));
    Path out = Files.createTempFile(cwd, "out", ".txt");
    Path err = Files.createTempFile(cwd, "err", ".txt");
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectOutput(out.toFile())
        .redirectError(err.toFile());
    pb.environment().remove("AURA_LOG_LEVEL");
    pb.environment().remove("AURA_LOG_FORMAT");
    pb.environment().putAll(env);
    Process p = pb.start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("serve stops by itself").isTrue();
    CliTest.Run r = new CliTest.Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
    Files.delete(out);
    Files.delete(err);
    return r;
  }

  @Test
  void anAddressOtherMachinesReachWithoutATokenGetsOneWarningLine(@TempDir Path dir) throws Exception {
    CliTest.Run open = serveOnce("--host", "0.0.0.0", "--in-memory");
    assertThat(open.exitCode()).as(open.err()).isZero();
    assertThat(open.err()).isEqualTo("aura serve: warning: --host 0.0.0.0 accepts connections from other machines, "
        + "and without --token-file anyone who reaches the port can create, change and delete models\n");
    assertThat(open.out()).contains("listening on http://0.0.0.0:");

    for (String loopback : List.of("127.0.0.1", "localhost")) {
      CliTest.Run local = serveOnce("--host", loopback, "--in-memory");
      assertThat(local.err()).as(loopback).isEmpty();
    }
    CliTest.Run guarded = serveOnce("--host", "0.0.0.0", "--in-memory", "--token-file",
        privateToken(dir, "tok", "k7Qp2xVn9LmR4sTw8yZb").toString());
    assertThat(guarded.err()).isEmpty();
  }

  @Test
  void aTokenFileOthersMayReadIsRefusedAndAGroupReadableOrShortTokenIsWarnedAbout(@TempDir Path dir)
      throws Exception {
    Path token = privateToken(dir, "token", "k7Qp2xVn9LmR4sTw8yZb");
    CliTest.Run ok = serveOnce("--in-memory", "--token-file", token.toString());
    assertThat(ok.exitCode()).as(ok.err()).isZero();
    assertThat(ok.err()).isEmpty();

    Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-r--r--"));
    CliTest.Run world = serveOnce("--in-memory", "--token-file", token.toString());
    assertThat(world.exitCode()).isNotZero();
    assertThat(world.err()).contains("--token-file " + token + ": every user may read it (mode 644), and so the "
        + "token; run chmod 600 " + token);
    assertThat(world.out()).as("nothing started").doesNotContain("listening");

    Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-r-----"));
    CliTest.Run group = serveOnce("--in-memory", "--token-file", token.toString());
    assertThat(group.exitCode()).as(group.err()).isZero();
    assertThat(group.err()).isEqualTo("aura serve: warning: --token-file " + token + " may be read by its group "
        + "(mode 640); chmod 600 " + token + " keeps the token to its owner\n");

    Path shortToken = privateToken(dir, "short", "abc123");
    CliTest.Run weak = serveOnce("--in-memory", "--token-file", shortToken.toString());
    assertThat(weak.exitCode()).as(weak.err()).isZero();
    assertThat(weak.err()).startsWith("aura serve: warning: the token in " + shortToken + " has 6 characters, too "
        + "few to resist guessing; use 16 random ones or more").hasLineCount(1);
  }

  /** Runs serve on a free loopback port (unless told otherwise), stopping as soon as it listens. */
  private static CliTest.Run serveOnce(String... args) {
    List<String> all = new ArrayList<>(List.of("serve", "--port", "0", "--stop-after-ms", "0"));
    all.addAll(List.of(args));
    return CliTest.run(all.toArray(String[]::new));
  }

  /** A token file only its owner may read. */
  private static Path privateToken(Path dir, String name, String token) throws Exception {
    Path f = dir.resolve(name);
    Files.writeString(f, token + "\n");
    Assumptions.assumeTrue(Files.getFileStore(f).supportsFileAttributeView("posix"), "POSIX permissions");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
    return f;
  }

  /** Model 'm' created in a data directory by a server that is then closed. */
  @Test
  void importServesASnapshotFileAndRefusesABadOneBeforeTheServerStarts(@TempDir Path dir) throws Exception {
    dev.auramoe.MixtureOfExperts m = dev.auramoe.MixtureOfExperts.builder(4, 1)
        .experts(dev.auramoe.experts.Experts.nlms("e", 3, 4, 1, 0.4)).topK(2).seed(5).build();
    java.util.Random r = new java.util.Random(5);
    for (int i = 0; i < 100; i++) {
      float[] x = {(float) r.nextGaussian(), (float) r.nextGaussian(), 1, 0};
      m.learn("default", x, new float[] {x[0] - x[1]});
    }
    Path file = dir.resolve("trained.aura");
    dev.auramoe.Snapshots.save(m, file);
    byte[] bytes = Files.readAllBytes(file);
    Path damaged = Files.write(dir.resolve("damaged.aura"), java.util.Arrays.copyOf(bytes, bytes.length - 3));
    Path data = dir.resolve("data");
    for (List<String> args : List.of(List.of("--import", "m"), List.of("--import", "=" + file),
        List.of("--import", "m=" + dir.resolve("missing.aura")), List.of("--import", "m=" + damaged),
        List.of("--import", "m=" + file, "--import", "m=" + file), List.of("--import", "-m=" + file))) {
      List<String> cmd = new ArrayList<>(List.of("--data", data.toString()));
      cmd.addAll(args);
      CliTest.Run refused = serveOnce(cmd.toArray(String[]::new));
      assertThat(refused.exitCode()).as("%s", args).isNotZero();
      assertThat(refused.err()).as("%s", args).startsWith("--import ");
      assertThat(data).as("refused before the server starts: %s", args).doesNotExist();
    }
    assertThat(serveOnce("--data", data.toString(), "--import", "m=" + damaged).err())
        .contains("--import m=" + damaged + ": not a valid snapshot");

    CliTest.Run served = serveOnce("--data", data.toString(), "--import", "m=" + file, "--import", "n=" + file);
    assertThat(served.exitCode()).as(served.err()).isZero();
    assertThat(served.out()).contains("aura serve: imported model 'm' from " + file + "\n")
        .contains("aura serve: imported model 'n' from " + file + "\n");
    // Logged: a restart recovers both, and importing one again is refused, changing nothing.
    CliTest.Run again = serveOnce("--data", data.toString(), "--import", "m=" + file);
    assertThat(again.exitCode()).isEqualTo(1);
    assertThat(again.err()).contains("cannot import model 'm': a model of that name was recovered from " + data);
    try (RoutingServer server = RoutingServer.builder().port(0).dataDir(data).build().start()) {
      assertThat(server.registry().size()).isEqualTo(2);
      assertThat(server.registry().get("m").digest()).isEqualTo(dev.auramoe.Snapshots.digest(m));
    }
  }

  private static void createModelIn(Path data) throws Exception {
    try (RoutingServer server = RoutingServer.builder().port(0).dataDir(data).build().start()) {
      HttpResponse<String> created = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/models"))
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"m\",\"inputDim\":4}")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    }
  }

  @Test
  void theTextEncoderIsNamedAtStartAndItsOptionsAreChecked(@TempDir Path dir) {
    CliTest.Run lazy = CliTest.run("serve", "--port", "0", "--in-memory", "--stop-after-ms", "0");
    assertThat(lazy.exitCode()).as(lazy.err()).isZero();
    assertThat(lazy.out()).contains("aura serve: text: all-MiniLM-L6-v2 (384 values per text), loaded on the first "
        + "text request");
    CliTest.Run off = CliTest.run("serve", "--port", "0", "--in-memory", "--no-text", "--stop-after-ms", "0");
    assertThat(off.exitCode()).as(off.err()).isZero();
    assertThat(off.out()).contains("aura serve: text: off (--no-text)");
    CliTest.Run both = CliTest.run("serve", "--port", "0", "--in-memory", "--no-text", "--text-model",
        dir.toString(), "--stop-after-ms", "0");
    assertThat(both.exitCode()).isEqualTo(2);
    assertThat(both.err()).contains("--no-text and --text-model exclude each other");
    CliTest.Run missing = CliTest.run("serve", "--port", "0", "--in-memory", "--text-model",
        dir.resolve("nope").toString(), "--stop-after-ms", "0");
    assertThat(missing.exitCode()).isEqualTo(2);
    assertThat(missing.err()).contains("--text-model " + dir.resolve("nope")).contains("nope");
  }
}
