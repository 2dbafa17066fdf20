package dev.auramoe.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.auramoe.MixtureOfExperts;
import dev.auramoe.server.journal.LearnEvent;
import dev.auramoe.server.journal.Operation;
import dev.auramoe.server.model.ModelSpec;
import dev.auramoe.server.wal.WalOptions;
import dev.auramoe.server.wal.WriteAheadLog;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
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
class DurableCrashTest {

  private static final int ROUNDS = 20;
  private static final int THREADS = 4;
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
    String java = ProcessHandle.current().info().command().orElseThrow();
    String logging = System.getProperty("java.util.logging.config.file");
    Random rnd = new Random(5_2026L);
    AtomicLong counter = new AtomicLong();
    String expectedDigest = null;
    long totalAcked = 0;
    long changesAcked = 0;
    long routesLogged = 0;
    long fromSnapshot = 0;
    long trimmed = 0;
    for (int round = 0; round <= rounds; round++) {
      Path err = tmp.resolve("child-" + round + ".err");
      List<String> cmd = new ArrayList<>(List.of(java));
      if (logging != null) {
        cmd.add("-Djava.util.logging.config.file=" + logging);
      }
      cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), DurableServerChild.class.getName(),
          data.toString(), Long.toString(snapshotEvery), Long.toString(segmentBytes)));
      Process child = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
      try {
        int port;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(),
            StandardCharsets.US_ASCII))) {
          String line = in.readLine();
          assertThat(line).as("round %d started; stderr: %s", round, read(err)).startsWith("PORT ");
          port = Integer.parseInt(line.substring(5).trim());
        }
        TestClient client = new TestClient(port);
        if (round == 0) {
          assertThat(client.postJson("/v1/models", Map.of("name", SPEC.name(), "inputDim", SPEC.inputDim(),
              "outputDim", SPEC.outputDim(), "experts", SPEC.experts(), "topK", SPEC.topK(), "hidden",
              SPEC.hidden(), "seed", SPEC.seed())).status()).isEqualTo(201);
        } else {
          assertThat(client.digest(SPEC.name())).as("round %d: recovered digest", round).isEqualTo(expectedDigest);
        }
        if (round == rounds) {
          break;
        }
        ConcurrentLinkedQueue<Ack> acked = new ConcurrentLinkedQueue<>();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
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
        ConcurrentLinkedQueue<Change> changes = new ConcurrentLinkedQueue<>();
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
        // A random moment once the round has made progress (a cold JVM on a busy machine can take
        // longer than the window to answer its first learn).
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (acked.isEmpty() && System.nanoTime() < deadline) {
          Thread.sleep(5);
        }
        Thread.sleep(100 + rnd.nextInt(400));
        assertThat(child.toHandle().destroyForcibly()).isTrue();
        assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        stop.set(true);
        for (Thread t : threads) {
          t.join(30_000);
        }
        assertThat(acked).as("round %d acknowledged learns", round).isNotEmpty();
        totalAcked += acked.size();

        // The durable log, read with the server down: every acknowledged learn is in it.
        // With a snapshot, it covers the operations up to its sequence and the log holds the rest.
        Path meta = data.resolve("snapshots/" + SPEC.name() + ".meta");
        long covered = 0;
        Path snapshot = null;
        if (Files.exists(meta)) {
          JsonNode m = TestClient.MAPPER.readTree(meta.toFile());
          covered = m.get("seq").asLong();
          snapshot = data.resolve("snapshots").resolve(m.get("file").asText());
          fromSnapshot++;
        }
        TreeMap<Long, Operation> ops = new TreeMap<>();
        long coveredSeq = covered;
        try (WriteAheadLog wal = WriteAheadLog.open(data.resolve("wal"),
            WalOptions.DEFAULTS.withSegmentBytes(segmentBytes))) {
          assertThat(wal.firstSequence()).as("round %d: the log keeps what the snapshot lacks", round)
              .isLessThanOrEqualTo(covered + 1);
          if (wal.firstSequence() > 1) {
            trimmed++;
          }
          wal.replay(wal.firstSequence(), (seq, payload) -> {
            Operation op = Operation.decode(payload);
            if (seq <= coveredSeq) {
              return;
            }
            if (op.type() != Operation.Type.CREATE_MODEL) {
              ops.put(seq, op);
            } else {
              assertThat(op.type()).isEqualTo(Operation.Type.CREATE_MODEL);
            }
          });
        }
        for (Ack a : acked) {
          if (a.seq() <= covered) {
            continue; // in the snapshot, which the digest comparison checks
          }
          Operation op = ops.get(a.seq());
          assertThat(op).as("round %d: acknowledged learn %d (seq %d) is durable", round, a.i(), a.seq()).isNotNull();
          LearnEvent e = op.learn();
          assertThat(e).as("round %d: acknowledged learn %d (seq %d) is durable", round, a.i(), a.seq()).isNotNull();
          assertThat(e.xs()).containsExactly(x(a.i()));
          assertThat(e.ys()).containsExactly(y(a.i()));
        }
        for (Change c : changes) {
          if (c.seq() > covered) {
            Operation op = ops.get(c.seq());
            assertThat(op).as("round %d: acknowledged %s (seq %d) is durable", round, c.type(), c.seq()).isNotNull();
            assertThat(op.type()).isEqualTo(c.type());
          }
        }
        changesAcked += changes.size();
        expectedDigest = replay(snapshot, ops.values());
        routesLogged = ops.values().stream().filter(o -> o.type() == Operation.Type.ROUTE).count();
      } finally {
        child.toHandle().destroyForcibly();
        child.waitFor(30, TimeUnit.SECONDS);
      }
    }
    return new long[] {totalAcked, routesLogged, fromSnapshot, trimmed, changesAcked};
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
