package dev.auramoe.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.auramoe.MixtureOfExperts;
import dev.auramoe.server.journal.LearnEvent;
import dev.auramoe.server.journal.Operation;
import dev.auramoe.server.model.ModelSpec;
import dev.auramoe.server.wal.WalFixtures;
import dev.auramoe.server.wal.WalOptions;
import dev.auramoe.server.wal.WriteAheadLog;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 5's acceptance: the server runs as a separate JVM over a data directory, client threads
 * learn (inputs derived from a counter) and record every acknowledged learn with its log sequence
 * number while another thread routes (routes change the stream's state and the balancer, so they are
 * logged too, without waiting for the disk), and the server is killed with SIGKILL at a random moment; 20 rounds over the same
 * directory. After each kill the test reads the log itself: every acknowledged learn must be in it,
 * with its inputs. The next server recovers from the directory and its model's digest must equal
 * the digest of a fresh model of the same spec that applied exactly the log's learns and routes in
 * sequence order: nothing acknowledged is lost and nothing is half-applied. A further thread keeps
 * changing the model: it adds an expert, renames it, removes it and switches the temperature; each
 * acknowledged change must be in the log too, and the reference replays the changes with the core's
 * own methods ({@code withExpert}, {@code withExpertRenamed}, {@code withoutExpert},
 * {@code setTemperature}).
 */
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class DurableCrashTest {

  private static final int ROUNDS = 20;
  private static final int THREADS = 4;
  /** Acknowledged learns a damage round waits for before its kill, so the log has records to damage. */
  private static final int LEARNS_BEFORE_KILL = 40;
  /** How long a child may take to start (or to refuse to) before the test gives up on it. */
  private static final Duration CHILD_START = Duration.ofSeconds(120);
  private static final ModelSpec SPEC = new ModelSpec("crash", 3, 1, 4, 2, 8, 7, 0.5, 0.5, 1.0, 1024, 0.99);

  @TempDir
  Path tmp;

  private record Ack(long seq, long i) {}

  /** An acknowledged change of the model: its log sequence number and its operation type. */
  private record Change(long seq, Operation.Type type) {}

  /** Dyadic values with few bits: exact through JSON text and back. */
  static float[] x(long i) {
    return new float[] {((i * 37) % 64 - 32) / 16f, ((i * 11) % 32) / 32f, (i % 7) / 8f};
  }

  static float[] y(long i) {
    float[] x = x(i);
    return new float[] {0.5f * x[0] - 0.25f * x[1] + x[2] * x[0]};
  }

  @Test
  void noAcknowledgedLearnIsLostOverTwentyKills() throws Exception {
    long[] stats = rounds(ROUNDS, 1_000_000, WalOptions.DEFAULTS.segmentBytes());
    report("kills", ROUNDS, stats);
    assertThat(stats[0]).as("acknowledged learns").isGreaterThanOrEqualTo(ROUNDS);
    assertThat(stats[1]).as("routes in the log").isPositive();
    assertThat(stats[4]).as("acknowledged expert and settings changes").isGreaterThanOrEqualTo(ROUNDS);
  }

  /**
   * The same with a snapshot every 40 operations and 4 KiB log segments, so the kills land during
   * snapshots and trims too: the reference is then the model's snapshot plus the log after it, and
   * the log must still hold every operation the snapshot does not cover.
   */
  @Test
  void snapshotsAndTrimmingSurviveKills() throws Exception {
    long[] stats = rounds(8, 40, 4096);
    report("kills-with-snapshots", 8, stats);
    assertThat(stats[0]).as("acknowledged learns").isGreaterThanOrEqualTo(8);
    assertThat(stats[2]).as("rounds that recovered from a snapshot").isPositive();
    assertThat(stats[3]).as("rounds whose log was trimmed").isPositive();
  }

  /**
   * Writes what a run did to {@code target/durable-crash-<name>.txt} (tests do not print): the
   * figures a closing note or the README quotes come from there.
   */
  private static void report(String name, int rounds, long[] stats) throws IOException {
    Path dir = Path.of("target");
    if (Files.isDirectory(dir)) {
      Files.writeString(dir.resolve("durable-crash-" + name + ".txt"), String.format(java.util.Locale.ROOT,
          "rounds %d%nacknowledged learns %d (none lost)%nacknowledged expert and settings changes %d (none lost)%n"
              + "routes in the last log %d%nrounds recovered from a snapshot %d%nrounds with a trimmed log %d%n",
          rounds, stats[0], stats[4], stats[1], stats[2], stats[3]));
    }
  }

  /**
   * Runs the rounds; returns {acknowledged learns, routes in the last log, rounds with a snapshot,
   * rounds trimmed, acknowledged changes}.
   */
  private long[] rounds(int rounds, long snapshotEvery, long segmentBytes) throws Exception {
    Path data = tmp.resolve("data");
    Random rnd = new Random(5_2026L);
    AtomicLong counter = new AtomicLong();
    String expectedDigest = null;
    long totalAcked = 0;
    long changesAcked = 0;
    long routesLogged = 0;
    long fromSnapshot = 0;
    long trimmed = 0;
    for (int round = 0; round <= rounds; round++) {
      try (Child child = start(data, snapshotEvery, segmentBytes, false, "round-" + round)) {
        if (round == 0) {
          create(child.client);
        } else {
          assertThat(child.client.digest(SPEC.name())).as("round %d: recovered digest", round).isEqualTo(expectedDigest);
        }
        if (round == rounds) {
          break;
        }
        Load load = new Load(child.client, counter, round);
        load.awaitProgress();
        Thread.sleep(100 + rnd.nextInt(400));
        child.kill();
        load.stop();
        assertThat(load.acked).as("round %d acknowledged learns", round).isNotEmpty();
        totalAcked += load.acked.size();

        Durable d = readDurable(data, segmentBytes, round);
        if (d.snapshot() != null) {
          fromSnapshot++;
        }
        if (d.firstSeq() > 1) {
          trimmed++;
        }
        checkDurable(round, d, load.acked, load.changes, Set.of());
        changesAcked += load.changes.size();
        expectedDigest = replay(d.snapshot(), d.ops().values());
        routesLogged = d.ops().values().stream().filter(o -> o.type() == Operation.Type.ROUTE).count();
      }
    }
    return new long[] {totalAcked, routesLogged, fromSnapshot, trimmed, changesAcked};
  }

  /**
   * Issue 10's rounds. A server learns and is killed; one byte of an acknowledged learn in the
   * middle of the (only) log segment is flipped: the next start is refused with the file and the
   * record's byte offset, and the file is untouched. A start with repair drops exactly that record
   * and reports it (sequence number, offset, length, the kept copy); every other acknowledged
   * operation survives it and the next kill. Then a snapshot is taken and the log segment beside it
   * deleted: the start is refused, naming what is missing; a start with repair resumes the numbers
   * above anything the lost segment can have used, so the learns it acknowledges survive the next
   * kill (before the fix they reused numbers the snapshot covers and were lost at the restart after).
   */
  @Test
  void aDamagedRecordAndADeletedSegmentBesideASnapshotLoseNothingSilently() throws Exception {
    Path data = tmp.resolve("data");
    long every = 1_000_000;
    long segmentBytes = WalOptions.DEFAULTS.segmentBytes();
    AtomicLong counter = new AtomicLong();
    List<Ack> acked = new ArrayList<>();
    List<Change> changes = new ArrayList<>();
    Set<Long> dropped = new TreeSet<>();

    try (Child child = start(data, every, segmentBytes, false, "first")) {
      create(child.client);
      runUntilKilled(child, counter, 0, acked, changes);
    }
    Durable d = readDurable(data, segmentBytes, 0);
    checkDurable(0, d, acked, changes, dropped);

    // One flipped byte inside an acknowledged learn that acknowledged records follow.
    Path segment = WalFixtures.segments(data.resolve("wal")).getLast();
    byte[] bytes = Files.readAllBytes(segment);
    List<WalFixtures.Frame> records = WalFixtures.records(bytes);
    Set<Long> ackedSeqs = new TreeSet<>();
    acked.forEach(a -> ackedSeqs.add(a.seq()));
    List<WalFixtures.Frame> candidates = new ArrayList<>();
    for (int i = 0; i + 3 < records.size(); i++) {
      if (ackedSeqs.contains(records.get(i).seq())) {
        candidates.add(records.get(i));
      }
    }
    assertThat(candidates).as("acknowledged learns with at least 3 records after them in %s (%d records, %d"
        + " acknowledged learns)", segment, records.size(), ackedSeqs.size()).isNotEmpty();
    WalFixtures.Frame victim = candidates.get(candidates.size() / 2);
    long victimSeq = victim.seq();
    long offset = victim.offset();
    long length = victim.end() - offset;
    bytes[(int) offset + 20] ^= 0x04;
    Files.write(segment, bytes);
    String refused = refusedStart(data, every, segmentBytes, "damaged");
    assertThat(refused).contains(segment.getFileName().toString()).contains("byte offset " + offset)
        .contains("not a torn tail");
    assertThat(Files.readAllBytes(segment)).as("the refused start changed nothing").isEqualTo(bytes);

    dropped.add(victimSeq);
    TreeMap<Long, Operation> kept = new TreeMap<>(d.ops());
    kept.remove(victimSeq);
    try (Child child = start(data, every, segmentBytes, true, "repair")) {
      JsonNode repair = child.client.get("/health").json().get("recovery").get("repair");
      assertThat(repair.get("recordsLost").asLong()).isEqualTo(1);
      JsonNode x = repair.get("dropped").get(0);
      assertThat(x.get("file").asText()).isEqualTo(segment.getFileName().toString());
      assertThat(x.get("offset").asLong()).isEqualTo(offset);
      assertThat(x.get("bytes").asLong()).isEqualTo(length);
      assertThat(x.get("firstSequence").asLong()).isEqualTo(victimSeq);
      assertThat(x.get("lastSequence").asLong()).isEqualTo(victimSeq);
      assertThat(Files.readAllBytes(data.resolve("wal").resolve(repair.get("copies").get(0).asText())))
          .isEqualTo(bytes);
      assertThat(child.client.digest(SPEC.name())).as("every other operation was replayed")
          .isEqualTo(replay(null, kept.values()));
      runUntilKilled(child, counter, 1, acked, changes);
    }
    d = readDurable(data, segmentBytes, 1);
    checkDurable(1, d, acked, changes, dropped);
    String expected = replay(d.snapshot(), d.ops().values());

    // A snapshot, then the log segment beside it deleted.
    long covered;
    try (Child child = start(data, every, segmentBytes, false, "snapshot")) {
      assertThat(child.client.digest(SPEC.name())).isEqualTo(expected);
      Load load = new Load(child.client, counter, 2);
      load.awaitProgress();
      Thread.sleep(100);
      load.stop();
      acked.addAll(load.acked);
      changes.addAll(load.changes);
      covered = child.client.post("/v1/models/" + SPEC.name() + "/snapshot", "").json().get("seq").asLong();
      assertThat(acked).allSatisfy(a -> assertThat(a.seq()).isLessThanOrEqualTo(covered));
      expected = child.client.digest(SPEC.name());
      child.kill();
    }
    for (Path p : WalFixtures.segments(data.resolve("wal"))) {
      Files.delete(p);
    }
    assertThat(refusedStart(data, every, segmentBytes, "deleted")).contains("every segment was deleted");
    int before = acked.size();
    try (Child child = start(data, every, segmentBytes, true, "resume")) {
      assertThat(child.client.digest(SPEC.name())).isEqualTo(expected);
      assertThat(child.client.get("/health").json().get("recovery").get("repair").get("dropped").get(0)
          .get("problem").asText()).isEqualTo("MISSING_SEGMENT");
      runUntilKilled(child, counter, 3, acked, changes);
    }
    assertThat(acked.subList(before, acked.size())).as("numbers resume above the snapshot")
        .isNotEmpty().allSatisfy(a -> assertThat(a.seq()).isGreaterThan(covered));
    d = readDurable(data, segmentBytes, 3);
    assertThat(d.covered()).isEqualTo(covered);
    checkDurable(3, d, acked, changes, dropped);
    expected = replay(d.snapshot(), d.ops().values());
    try (Child child = start(data, every, segmentBytes, false, "last")) {
      assertThat(child.client.digest(SPEC.name())).isEqualTo(expected);
    }
    Path dir = Path.of("target");
    if (Files.isDirectory(dir)) {
      Files.writeString(dir.resolve("durable-crash-damage.txt"), String.format(java.util.Locale.ROOT,
          "acknowledged learns %d, acknowledged expert and settings changes %d%n"
              + "dropped by the repair of a damaged record, and reported: sequence %d (%d bytes at offset %d)%n"
              + "sequence numbers resumed above the snapshot at %d after its log segment was deleted%n"
              + "lost or dropped without a report: 0%n", acked.size(), changes.size(), victimSeq, length, offset,
          covered));
    }
  }

  private static void create(TestClient client) {
    // Every field of the spec is sent, so that the model does not depend on the service's defaults.
    assertThat(client.postJson("/v1/models", Map.of("name", SPEC.name(), "inputDim", SPEC.inputDim(),
        "outputDim", SPEC.outputDim(), "experts", SPEC.experts(), "topK", SPEC.topK(), "hidden",
        SPEC.hidden(), "seed", SPEC.seed(), "mu", SPEC.mu(), "routerLearningRate", SPEC.routerLearningRate(),
        "temperature", SPEC.temperature())).status()).isEqualTo(201);
  }

  /** Runs the load on a child, kills it once the load has made progress, and keeps what was acknowledged. */
  private static void runUntilKilled(Child child, AtomicLong counter, int round, List<Ack> acked,
      List<Change> changes) throws Exception {
    Load load = new Load(child.client, counter, round);
    load.awaitAcked(LEARNS_BEFORE_KILL);
    child.kill();
    load.stop();
    assertThat(load.acked).as("round %d acknowledged learns", round).isNotEmpty();
    acked.addAll(load.acked);
    changes.addAll(load.changes);
  }

  /** A server child: started, answering on {@link #client}; killed (SIGKILL) when closed. */
  private static final class Child implements AutoCloseable {
    final Process process;
    final TestClient client;

    Child(Process process, int port) {
      this.process = process;
      this.client = new TestClient(port);
    }

    void kill() throws InterruptedException {
      assertThat(process.toHandle().destroyForcibly()).isTrue();
      assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }

    @Override
    public void close() throws InterruptedException {
      process.toHandle().destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }

  private Process launch(Path data, long snapshotEvery, long segmentBytes, boolean repair, Path err)
      throws IOException {
    List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow()));
    String logging = System.getProperty("java.util.logging.config.file");
    if (logging != null) {
      cmd.add("-Djava.util.logging.config.file=" + logging);
    }
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), DurableServerChild.class.getName(),
        data.toString(), Long.toString(snapshotEvery), Long.toString(segmentBytes), repair ? "repair" : "plain"));
    return new ProcessBuilder(cmd).redirectError(err.toFile()).start();
  }

  /** Starts a server child and waits until it listens. */
  private Child start(Path data, long snapshotEvery, long segmentBytes, boolean repair, String name)
      throws IOException {
    Path err = tmp.resolve("child-" + name + ".err");
    Process p = launch(data, snapshotEvery, segmentBytes, repair, err);
    try {
      String line = firstLine(p, err, name);
      assertThat(line).as("%s started; stderr: %s", name, read(err)).startsWith("PORT ");
      return new Child(p, Integer.parseInt(line.substring(5).trim()));
    } catch (IOException | RuntimeException | Error e) {
      p.toHandle().destroyForcibly();
      throw e;
    }
  }

  /**
   * The first line the child writes on stdout, or null when it ends without one; a child that does
   * neither within {@link #CHILD_START} is killed and the test fails, instead of hanging the build.
   */
  private static String firstLine(Process p, Path err, String name) throws IOException {
    CompletableFuture<String> line = new CompletableFuture<>();
    Thread.ofPlatform().daemon().start(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(),
          StandardCharsets.US_ASCII))) {
        line.complete(in.readLine());
      } catch (IOException | RuntimeException e) {
        line.completeExceptionally(e);
      }
    });
    try {
      return line.get(CHILD_START.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      p.toHandle().destroyForcibly();
      throw new AssertionError(name + ": the child neither started nor ended within " + CHILD_START + "; stderr: "
          + read(err), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.toHandle().destroyForcibly();
      throw new AssertionError(name + ": interrupted while waiting for the child", e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IOException(name + ": cannot read the child's output", e.getCause());
    }
  }

  /** Starts a server child that must refuse to start; returns what it wrote on stderr. */
  private String refusedStart(Path data, long snapshotEvery, long segmentBytes, String name) throws Exception {
    Path err = tmp.resolve("child-" + name + ".err");
    Process p = launch(data, snapshotEvery, segmentBytes, false, err);
    try {
      // A started server writes its port and runs on; a refused start ends the process.
      String line = firstLine(p, err, name);
      assertThat(line).as("%s: the start is refused", name).isNull();
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).isNotZero();
      return read(err);
    } finally {
      p.toHandle().destroyForcibly();
    }
  }

  /**
   * Learners (recording every acknowledged learn with its sequence number), a thread that changes
   * the experts and settings (recording every acknowledged change) and a router, until stopped.
   */
  private static final class Load {
    final ConcurrentLinkedQueue<Ack> acked = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<Change> changes = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Thread> threads = new ArrayList<>();

    Load(TestClient client, AtomicLong counter, int round) {
      for (int t = 0; t < THREADS; t++) {
        threads.add(Thread.ofPlatform().start(() -> {
          while (!stop.get()) {
            long i = counter.getAndIncrement();
            TestClient.Response r;
            try {
              r = client.postJson("/v1/models/" + SPEC.name() + "/learn", Map.of("x", x(i), "y", y(i)));
            } catch (RuntimeException killed) {
              return;
            }
            if (r.status() == 200) {
              acked.add(new Ack(r.json().get("seq").asLong(), i));
            }
          }
        }));
      }
      AtomicLong expertCounter = new AtomicLong(round * 1_000_000L);
      threads.add(Thread.ofPlatform().start(() -> {
        String base = "/v1/models/" + SPEC.name();
        while (!stop.get()) {
          long j = expertCounter.getAndIncrement();
          try {
            change(changes, Operation.Type.EXPERT_ADD, client.postJson(base + "/experts", Map.of("name", "x" + j,
                "mu", 0.25)));
            change(changes, Operation.Type.EXPERT_RENAME, client.send("PATCH", base + "/experts/x" + j,
                "{\"name\":\"y" + j + "\"}"));
            change(changes, Operation.Type.CONFIGURE, client.send("PATCH", base,
                "{\"temperature\":" + (j % 2 == 0 ? "0.75" : "1.0") + "}"));
            change(changes, Operation.Type.EXPERT_REMOVE, client.delete(base + "/experts/y" + j));
            Thread.sleep(5);
          } catch (RuntimeException | InterruptedException killed) {
            return;
          }
        }
      }));
      threads.add(Thread.ofPlatform().start(() -> {
        for (long j = 0; !stop.get(); j++) {
          try {
            client.postJson("/v1/models/" + SPEC.name() + "/route", Map.of("x", x(1_000_000 + j)));
          } catch (RuntimeException killed) {
            return;
          }
        }
      }));
    }

    /** Waits until a learn was acknowledged (a cold JVM on a busy machine can take a while). */
    void awaitProgress() throws InterruptedException {
      awaitAcked(1);
    }

    /** Waits until {@code n} learns were acknowledged; fails after a minute. */
    void awaitAcked(int n) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (acked.size() < n && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(acked.size()).as("learns acknowledged within a minute").isGreaterThanOrEqualTo(n);
    }

    /** Stops the threads and waits for them (after a kill, their requests fail and they end). */
    void stop() throws InterruptedException {
      stop.set(true);
      for (Thread t : threads) {
        t.join(30_000);
      }
    }
  }

  /**
   * The durable state, read with the server down: the snapshot (null when none) covering the
   * operations up to {@code covered}, and the log's operations after it (creations left out).
   */
  private record Durable(long covered, Path snapshot, TreeMap<Long, Operation> ops, long firstSeq) {}

  private static Durable readDurable(Path data, long segmentBytes, int round) throws IOException {
    Path meta = data.resolve("snapshots/" + SPEC.name() + ".meta");
    long covered = 0;
    Path snapshot = null;
    if (Files.exists(meta)) {
      JsonNode m = TestClient.MAPPER.readTree(meta.toFile());
      covered = m.get("seq").asLong();
      snapshot = data.resolve("snapshots").resolve(m.get("file").asText());
    }
    TreeMap<Long, Operation> ops = new TreeMap<>();
    long coveredSeq = covered;
    long first;
    try (WriteAheadLog wal = WriteAheadLog.open(data.resolve("wal"),
        WalOptions.DEFAULTS.withSegmentBytes(segmentBytes))) {
      first = wal.firstSequence();
      assertThat(first).as("round %d: the log keeps what the snapshot lacks", round)
          .isLessThanOrEqualTo(covered + 1);
      wal.replay(first, (seq, payload) -> {
        Operation op = Operation.decode(payload);
        if (seq > coveredSeq && op.type() != Operation.Type.CREATE_MODEL) {
          ops.put(seq, op);
        }
      });
    }
    return new Durable(covered, snapshot, ops, first);
  }

  /**
   * Every acknowledged learn and change after the snapshot is in the log, with its inputs; those the
   * snapshot covers are checked through the digests; {@code dropped} are the numbers a repair
   * reported as dropped, which must be gone.
   */
  private static void checkDurable(int round, Durable d, Iterable<Ack> acked, Iterable<Change> changes,
      Set<Long> dropped) {
    for (Ack a : acked) {
      if (a.seq() <= d.covered()) {
        continue; // in the snapshot, which the digest comparison checks
      }
      Operation op = d.ops().get(a.seq());
      if (dropped.contains(a.seq())) {
        assertThat(op).as("round %d: seq %d was reported dropped", round, a.seq()).isNull();
        continue;
      }
      assertThat(op).as("round %d: acknowledged learn %d (seq %d) is durable", round, a.i(), a.seq()).isNotNull();
      LearnEvent e = op.learn();
      assertThat(e).as("round %d: acknowledged learn %d (seq %d) is durable", round, a.i(), a.seq()).isNotNull();
      assertThat(e.xs()).containsExactly(x(a.i()));
      assertThat(e.ys()).containsExactly(y(a.i()));
    }
    for (Change c : changes) {
      if (c.seq() > d.covered() && !dropped.contains(c.seq())) {
        Operation op = d.ops().get(c.seq());
        assertThat(op).as("round %d: acknowledged %s (seq %d) is durable", round, c.type(), c.seq()).isNotNull();
        assertThat(op.type()).isEqualTo(c.type());
      }
    }
  }

  /** Records an acknowledged change (a refusal or a failure to answer is not one). */
  private static void change(ConcurrentLinkedQueue<Change> changes, Operation.Type type, TestClient.Response r) {
    if (r.status() == 200 || r.status() == 201) {
      changes.add(new Change(r.json().get("seq").asLong(), type));
    }
  }

  /**
   * A fresh model of the spec (or the snapshot, when there is one) that routes and learns in log
   * order, as the server does.
   */
  private static String replay(Path snapshot, Iterable<Operation> ops) throws IOException {
    MixtureOfExperts m = snapshot == null ? SPEC.build() : MixtureOfExperts.load(snapshot);
    try {
      for (Operation op : ops) {
        switch (op.type()) {
          case ROUTE -> m.route(op.stream(), op.xs());
          case LEARN -> {
            LearnEvent e = op.learn();
            for (int r = 0; r < e.count(); r++) {
              m.learn(e.stream(), java.util.Arrays.copyOfRange(e.xs(), r * e.inputDim(), (r + 1) * e.inputDim()),
                  java.util.Arrays.copyOfRange(e.ys(), r * e.outputDim(), (r + 1) * e.outputDim()));
            }
          }
          case CONFIGURE -> {
            JsonNode j = TestClient.MAPPER.readTree(op.json());
            m.setTemperature(j.get("temperature").floatValue());
            m.setRouterLearningRate(j.get("routerLearningRate").floatValue());
            m.setBalance(new dev.auramoe.balance.BalanceConfig(j.get("balance").asBoolean(),
                j.get("balanceGamma").asDouble(), j.get("balanceDecay").asDouble(), j.get("balanceBiasCap").asDouble(),
                j.get("balanceWarmupTokens").asLong(), j.get("balanceFrozen").asBoolean()));
          }
          case EXPERT_ADD, EXPERT_RENAME, EXPERT_REMOVE -> {
            JsonNode j = TestClient.MAPPER.readTree(op.json());
            String name = j.get("name").asText();
            MixtureOfExperts next = switch (op.type()) {
              case EXPERT_ADD -> m.withExpert(new dev.auramoe.experts.NlmsExpert(name, SPEC.inputDim(),
                  SPEC.outputDim(), j.get("mu").asDouble()));
              case EXPERT_RENAME -> m.withExpertRenamed(m.expertIndex(name), j.get("newName").asText());
              default -> m.withoutExpert(m.expertIndex(name));
            };
            m.close();
            m = next;
          }
          default -> throw new AssertionError("unexpected operation in the log: " + op);
        }
      }
      return m.digest();
    } finally {
      m.close();
    }
  }


  private static String read(Path p) throws IOException {
    return Files.exists(p) ? Files.readString(p) : "";
  }
}
