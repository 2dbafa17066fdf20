package dev.auramoe.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.auramoe.server.wal.WalFixtures;
import dev.auramoe.server.wal.WalOptions;
import dev.auramoe.server.wal.WriteAheadLog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A damaged data directory: corruption in the middle of the log, a deleted segment beside a
 * snapshot, corrupt meta and snapshot files, leftovers of a killed snapshot. Each is refused with a
 * message naming the file and what is wrong, or recovered without loss and reported; the repair
 * option reports exactly what it drops; sequence numbers never go back. And what a restart must
 * keep besides the models: the counters, the privacy of the files.
 */
class DataDirectoryDamageTest {

  private static final WalOptions SMALL = WalOptions.DEFAULTS.withSegmentBytes(2048);

  @TempDir
  Path tmp;

  private static RoutingServer start(Path data, boolean repair) {
    return RoutingServer.builder().port(0).dataDir(data).walOptions(SMALL).repairWal(repair).build().start();
  }

  /** A server whose log keeps one segment (64 MiB), so the whole log is the last segment. */
  private static RoutingServer startWithOneSegment(Path data, boolean repair) {
    return RoutingServer.builder().port(0).dataDir(data).repairWal(repair).build().start();
  }

  private static void create(TestClient c, String name) {
    assertThat(c.postJson("/v1/models", Map.of("name", name, "inputDim", 2, "experts", 3, "hidden", 6)).status())
        .isEqualTo(201);
  }

  private static TestClient.Response learn(TestClient c, String model, int i) {
    TestClient.Response r = c.postJson("/v1/models/" + model + "/learn", Map.of("x", List.of(i % 5, i % 3),
        "y", List.of(i % 4)));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r;
  }

  /** The digest of a model that learned {@code learns} in order, in a server without a data directory. */
  private static String reference(List<Integer> learns) {
    try (RoutingServer s = RoutingServer.builder().port(0).build().start()) {
      TestClient c = new TestClient(s.port());
      create(c, "m");
      learns.forEach(i -> learn(c, "m", i));
      return c.digest("m");
    }
  }

  private static String startError(Path data) {
    Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> startWithOneSegment(data, false).close());
    assertThat(t).as("the start is refused").isInstanceOf(UncheckedIOException.class);
    return t.getMessage();
  }

  /**
   * Before the fix the server took a flipped byte in the middle of the only segment for a torn
   * tail, truncated the file there and started without the twenty acknowledged learns after it.
   */
  @Test
  void aDamagedRecordInTheMiddleIsRefusedThenRepairDropsOnlyIt() throws IOException {
    Path data = tmp.resolve("data");
    try (RoutingServer server = startWithOneSegment(data, false)) {
      TestClient c = new TestClient(server.port());
      create(c, "m");
      for (int i = 0; i < 30; i++) {
        learn(c, "m", i);
      }
    }
    // Sequence 1 is the creation, so learn i has sequence i + 2; damage learn 10 (sequence 12).
    Path seg = WalFixtures.segments(data.resolve("wal")).getFirst();
    byte[] b = Files.readAllBytes(seg);
    WalFixtures.Frame victim = WalFixtures.records(b).stream().filter(r -> r.seq() == 12).findFirst().orElseThrow();
    b[(int) victim.offset() + 30] ^= 0x10;
    Files.write(seg, b);
    String refused = startError(data);
    assertThat(refused).contains(seg.toString()).contains("byte offset " + victim.offset())
        .contains("CHECKSUM_MISMATCH")
        .contains("not a torn tail").contains("--repair-wal");
    assertThat(Files.readAllBytes(seg)).as("nothing was cut").isEqualTo(b);

    List<Integer> kept = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      if (i != 10) {
        kept.add(i);
      }
    }
    try (RoutingServer server = startWithOneSegment(data, true)) {
      TestClient c = new TestClient(server.port());
      assertThat(c.digest("m")).isEqualTo(reference(kept));
      JsonNode repair = c.get("/health").json().get("recovery").get("repair");
      assertThat(repair.get("recordsLost").asLong()).isEqualTo(1);
      JsonNode dropped = repair.get("dropped").get(0);
      assertThat(dropped.get("file").asText()).isEqualTo(seg.getFileName().toString());
      assertThat(dropped.get("offset").asLong()).isEqualTo(victim.offset());
      assertThat(dropped.get("bytes").asLong()).isEqualTo(victim.end() - victim.offset());
      assertThat(dropped.get("firstSequence").asLong()).isEqualTo(12);
      assertThat(dropped.get("lastSequence").asLong()).isEqualTo(12);
      String copy = repair.get("copies").get(0).asText();
      assertThat(Files.readAllBytes(data.resolve("wal").resolve(copy))).as("the damaged file is kept").isEqualTo(b);
      assertThat(learn(c, "m", 30).json().get("seq").asLong()).isEqualTo(32);
      kept.add(30);
    }
    try (RoutingServer server = startWithOneSegment(data, false)) {
      TestClient c = new TestClient(server.port());
      assertThat(c.digest("m")).isEqualTo(reference(kept));
      JsonNode rec = c.get("/health").json().get("recovery");
      assertThat(rec.has("repair")).isFalse();
      assertThat(rec.get("holes").get(0).get("first").asLong()).isEqualTo(12);
      assertThat(rec.get("holes").get(0).get("reason").asText()).contains("CHECKSUM_MISMATCH");
    }
  }

  /**
   * Before the fix a deleted segment beside a snapshot started the log again at sequence 1: new
   * learns were acknowledged with numbers the snapshot covers and were skipped at the next restart.
   * With every segment deleted the log itself refuses (its header says where it starts); with the
   * whole log directory deleted, header included, the snapshots do. Either repair resumes numbering
   * above anything the lost records can have used.
   */
  @Test
  void deletedSegmentsBesideASnapshotAreRefusedAndNumbersResumeAboveAnythingUsed() throws IOException {
    for (boolean wholeDirectory : new boolean[] {false, true}) {
      Path data = tmp.resolve("data-" + wholeDirectory);
      long covered;
      String digest;
      try (RoutingServer server = start(data, false)) {
        TestClient c = new TestClient(server.port());
        create(c, "m");
        for (int i = 0; i < 40; i++) {
          learn(c, "m", i);
        }
        covered = c.post("/v1/models/m/snapshot", "").json().get("seq").asLong();
        assertThat(covered).isEqualTo(41);
        digest = c.digest("m");
      }
      if (wholeDirectory) {
        try (Stream<Path> files = Files.list(data.resolve("wal"))) {
          for (Path p : files.toList()) {
            Files.delete(p);
          }
        }
        Files.delete(data.resolve("wal"));
        assertThat(startError(data)).contains("the log ends at sequence 0 but a snapshot covers up to 41")
            .contains("--repair-wal");
      } else {
        for (Path p : WalFixtures.segments(data.resolve("wal"))) {
          Files.delete(p);
        }
        assertThat(startError(data)).contains("has no segment").contains("every segment was deleted")
            .contains("--repair-wal");
      }
      long seq;
      try (RoutingServer server = start(data, true)) {
        TestClient c = new TestClient(server.port());
        assertThat(c.digest("m")).isEqualTo(digest);
        JsonNode repair = c.get("/health").json().get("recovery").get("repair");
        if (wholeDirectory) {
          assertThat(repair.get("gaps").get(0).asText()).contains("up to 41");
        } else {
          assertThat(repair.get("dropped").get(0).get("problem").asText()).isEqualTo("MISSING_SEGMENT");
        }
        seq = learn(c, "m", 40).json().get("seq").asLong();
        assertThat(seq).as("numbers resume above anything the lost records can have used")
            .isGreaterThan(covered).isGreaterThan(WriteAheadLog.UNKNOWN_SPAN);
        digest = c.digest("m");
      }
      try (RoutingServer server = start(data, false)) {
        TestClient c = new TestClient(server.port());
        assertThat(c.digest("m")).as("the learn after the repair survives a restart").isEqualTo(digest);
        assertThat(c.get("/v1/models/m").json().get("counters").get("learns").asLong()).isEqualTo(41);
      }
    }
  }

  /**
   * The first segment deleted while a model created and learned only in it was never snapshotted,
   * beside a snapshotted model. Before the fix the start succeeded and the model was gone without a
   * word; now the log refuses (its header says it starts at 1), and the repair reports the numbers
   * lost with it.
   */
  @Test
  void aDeletedFirstSegmentIsRefusedAndRepairReportsTheModelItHeld() throws IOException {
    Path data = tmp.resolve("data");
    try (RoutingServer s = start(data, false)) {
      TestClient c = new TestClient(s.port());
      create(c, "a");
      create(c, "b");
      for (int i = 0; i < 5; i++) {
        learn(c, "b", i);
      }
      for (int i = 0; i < 80; i++) {
        learn(c, "a", i);
      }
      assertThat(c.post("/v1/models/a/snapshot", "").status()).isEqualTo(200);
    }
    List<Path> segs = WalFixtures.segments(data.resolve("wal"));
    assertThat(segs.size()).isGreaterThan(2);
    Files.delete(segs.getFirst());
    assertThat(startError(data)).contains(segs.get(1).toString()).contains("holds every record from sequence 1")
        .contains("--repair-wal");
    try (RoutingServer s = start(data, true)) {
      TestClient c = new TestClient(s.port());
      // Nothing in the log names b any more: the report names the numbers its operations had.
      JsonNode repair = c.get("/health").json().get("recovery").get("repair");
      long second = Long.parseLong(segs.get(1).getFileName().toString().substring(4, 24));
      JsonNode hole = repair.get("dropped").get(0);
      assertThat(hole.get("problem").asText()).isEqualTo("MISSING_SEGMENT");
      assertThat(hole.get("firstSequence").asLong()).isEqualTo(1);
      assertThat(hole.get("lastSequence").asLong()).isEqualTo(second - 1);
      assertThat(repair.get("recordsLost").asLong()).isEqualTo(second - 1);
      assertThat(c.get("/v1/models/b").status()).isEqualTo(404);
      assertThat(c.get("/v1/models/a").status()).isEqualTo(200);
    }
  }

  /**
   * The last segment deleted after 100 acknowledged learns beside a snapshot. Before the fix the
   * start succeeded and the next learn got a number already acknowledged for another learn.
   */
  @Test
  void aDeletedLastSegmentIsRefusedAndRepairNeverReusesAnAcknowledgedNumber() throws IOException {
    Path data = tmp.resolve("data");
    long lastAcked = 0;
    try (RoutingServer s = start(data, false)) {
      TestClient c = new TestClient(s.port());
      create(c, "a");
      for (int i = 0; i < 20; i++) {
        learn(c, "a", i);
      }
      assertThat(c.post("/v1/models/a/snapshot", "").status()).isEqualTo(200);
      for (int i = 20; i < 120; i++) {
        lastAcked = learn(c, "a", i).json().get("seq").asLong();
      }
    }
    List<Path> segs = WalFixtures.segments(data.resolve("wal"));
    assertThat(segs.size()).isGreaterThan(1);
    Files.delete(segs.getLast());
    assertThat(startError(data)).contains("is sealed").contains(segs.getLast().getFileName().toString())
        .contains("--repair-wal");
    try (RoutingServer s = start(data, true)) {
      TestClient c = new TestClient(s.port());
      assertThat(learn(c, "a", 999).json().get("seq").asLong()).as("above every acknowledged number")
          .isGreaterThan(lastAcked);
      assertThat(c.get("/health").json().get("recovery").get("repair").get("dropped").get(0).get("problem")
          .asText()).isEqualTo("MISSING_SEGMENT");
    }
  }

  @Test
  void aMissingFrontOfTheLogIsRefusedAndRepairRecordsTheGapAndTheLostModel() throws IOException {
    Path data = tmp.resolve("data");
    String a;
    try (RoutingServer server = start(data, false)) {
      TestClient c = new TestClient(server.port());
      create(c, "a");
      create(c, "b");
      for (int i = 0; i < 30; i++) {
        learn(c, "a", i);
        learn(c, "b", i);
      }
      assertThat(c.post("/v1/models/a/snapshot", "").json().get("seq").asLong()).isEqualTo(61);
      for (int i = 30; i < 60; i++) {
        learn(c, "a", i);
        learn(c, "b", i);
      }
      a = c.digest("a");
    }
    List<Path> segs = WalFixtures.segments(data.resolve("wal"));
    assertThat(segs.size()).isGreaterThan(3);
    // Everything up to well past the snapshot: b's creation and a's operations after the snapshot.
    long firstKept = Long.parseLong(segs.get(3).getFileName().toString().substring(4, 24));
    assertThat(firstKept).isGreaterThan(62);
    for (Path p : segs.subList(0, 3)) {
      Files.delete(p);
    }
    assertThat(startError(data)).contains("starts at sequence " + firstKept)
        .contains("holds every record from sequence 1").contains("1.." + (firstKept - 1));
    try (RoutingServer server = start(data, true)) {
      TestClient c = new TestClient(server.port());
      JsonNode repair = c.get("/health").json().get("recovery").get("repair");
      JsonNode hole = repair.get("dropped").get(0);
      assertThat(hole.get("problem").asText()).isEqualTo("MISSING_SEGMENT");
      assertThat(hole.get("firstSequence").asLong()).isEqualTo(1);
      assertThat(hole.get("lastSequence").asLong()).isEqualTo(firstKept - 1);
      assertThat(repair.get("modelsWithoutCreation").get("b").asLong()).isPositive();
      assertThat(c.get("/v1/models/b").status()).isEqualTo(404);
      assertThat(c.digest("a")).as("a lost operations: it is not what it was").isNotEqualTo(a);
    }
    try (RoutingServer server = start(data, false)) {
      TestClient c = new TestClient(server.port());
      assertThat(c.get("/health").json().get("recovery").has("repair")).as("the repair was recorded").isFalse();
      assertThat(c.get("/v1/models/b").status()).isEqualTo(404);
    }
  }

  /**
   * The end of the log lost (cut at a record boundary, which no check of the log can tell from a
   * clean end) while the model's meta file is unreadable: the snapshot file's name still says which
   * numbers were used. Before the fix recovery looked only at meta files, rebuilt the model from
   * the log that was left and handed out numbers the snapshot covers again.
   */
  @Test
  void aSnapshotFileWhoseMetaFileIsUnreadableStillBoundsTheLog() throws IOException {
    Path data = tmp.resolve("data");
    try (RoutingServer server = RoutingServer.builder().port(0).dataDir(data).build().start()) {
      TestClient c = new TestClient(server.port());
      create(c, "m");
      for (int i = 0; i < 40; i++) {
        learn(c, "m", i);
      }
      assertThat(c.post("/v1/models/m/snapshot", "").json().get("seq").asLong()).isEqualTo(41);
    }
    Path seg = WalFixtures.segments(data.resolve("wal")).getLast();
    byte[] b = Files.readAllBytes(seg);
    WalFixtures.Frame thirtieth = WalFixtures.records(b).stream().filter(r -> r.seq() == 30).findFirst()
        .orElseThrow();
    Files.write(seg, java.util.Arrays.copyOf(b, (int) thirtieth.end()));
    Files.writeString(data.resolve("snapshots/m.meta"), "{");
    Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> RoutingServer.builder().port(0).dataDir(data)
        .build().start().close());
    assertThat(t).isInstanceOf(UncheckedIOException.class).hasMessageContaining("the log ends at sequence 30 but a"
        + " snapshot covers up to 41");
  }

  @Test
  void aCorruptSnapshotOrMetaFileIsReplacedByTheLogWhenItStillHoldsEverything() throws IOException {
    Path data = tmp.resolve("data");
    String m;
    String n;
    // One segment, which trimming never deletes: the log holds every operation.
    try (RoutingServer server = startWithOneSegment(data, false)) {
      TestClient c = new TestClient(server.port());
      create(c, "m");
      create(c, "n");
      for (int i = 0; i < 10; i++) {
        learn(c, "m", i);
        learn(c, "n", i);
      }
      assertThat(c.post("/v1/models/m/snapshot", "").status()).isEqualTo(200);
      assertThat(c.post("/v1/models/n/snapshot", "").status()).isEqualTo(200);
      learn(c, "m", 10);
      m = c.digest("m");
      n = c.digest("n");
      assertThat(c.get("/v1/models/m").json().get("counters").get("learns").asLong()).isEqualTo(11);
    }
    Path snaps = data.resolve("snapshots");
    Path snapshot;
    try (Stream<Path> s = Files.list(snaps)) {
      snapshot = s.filter(p -> p.getFileName().toString().matches("m\\.\\d+\\.aura")).findFirst().orElseThrow();
    }
    byte[] sb = Files.readAllBytes(snapshot);
    sb[sb.length / 2] ^= 1;
    Files.write(snapshot, sb);
    // Invalid UTF-8, as a torn write of another file system could leave it.
    Files.write(snaps.resolve("n.meta"), new byte[] {'{', '"', (byte) 0xE2, (byte) 0x28, (byte) 0xA1, '"'});
    try (RoutingServer server = start(data, false)) {
      TestClient c = new TestClient(server.port());
      assertThat(c.digest("m")).isEqualTo(m);
      assertThat(c.digest("n")).isEqualTo(n);
      assertThat(c.get("/v1/models/m").json().get("counters").get("learns").asLong()).as("learns survive")
          .isEqualTo(11);
      JsonNode fromLog = c.get("/health").json().get("recovery").get("snapshotsReplacedByTheLog");
      assertThat(fromLog).hasSize(2);
      assertThat(fromLog.get(0).get("model").asText()).isEqualTo("m");
      assertThat(fromLog.get(0).get("problem").asText()).contains(snapshot.toString()).contains("corrupt snapshot");
      assertThat(fromLog.get(1).get("problem").asText()).contains(snaps.resolve("n.meta").toString())
          .contains("not valid JSON");
    }
  }

  @Test
  void aCorruptSnapshotTheLogCannotReplaceIsRefusedByName() throws IOException {
    Path data = tmp.resolve("data");
    try (RoutingServer server = start(data, false)) {
      TestClient c = new TestClient(server.port());
      create(c, "m");
      for (int i = 0; i < 100; i++) {
        learn(c, "m", i);
      }
      assertThat(c.post("/v1/models/m/snapshot", "").json().get("trimmedSegments").asInt()).isPositive();
    }
    Path meta = data.resolve("snapshots/m.meta");
    String original = Files.readString(meta);
    Files.writeString(meta, original.replace("\"seq\":", "\"seq\":\"x\",\"old\":"));
    assertThat(startError(data)).contains(meta.toString()).contains("\"seq\" is \"x\"")
        .contains("cannot be rebuilt");
    Files.writeString(meta, original.replace("\"file\":\"m.", "\"file\":\"../m."));
    assertThat(startError(data)).contains(meta.toString()).contains("\"file\" is \"../m.");
    Files.writeString(meta, original);
    Path snapshot = data.resolve("snapshots").resolve(TestClient.MAPPER.readTree(original).get("file").asText());
    Files.write(snapshot, new byte[] {1, 2, 3});
    assertThat(startError(data)).contains(snapshot.toString()).contains("cannot be rebuilt")
        .contains("move " + meta + " away");
    Files.delete(snapshot);
    assertThat(startError(data)).contains(snapshot + ": no such file");
  }

  @Test
  void leftoversOfAKilledSnapshotAreRemovedAndTheDirectoryIsPrivate() throws IOException {
    Path data = tmp.resolve("data");
    try (RoutingServer server = start(data, false)) {
      TestClient c = new TestClient(server.port());
      create(c, "m");
      learn(c, "m", 1);
      assertThat(c.post("/v1/models/m/snapshot", "").status()).isEqualTo(200);
    }
    Path snaps = data.resolve("snapshots");
    Files.write(snaps.resolve("m.meta.123456.tmp"), new byte[] {'{'});
    Files.write(snaps.resolve("m.9.aura.987.tmp"), new byte[10]);
    try (RoutingServer server = start(data, false)) {
      TestClient c = new TestClient(server.port());
      assertThat(c.get("/health").json().get("recovery").get("temporaryFilesRemoved").asInt()).isEqualTo(2);
      learn(c, "m", 2);
    }
    try (Stream<Path> s = Files.list(snaps)) {
      assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
    }
    if (data.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      for (Path d : List.of(data, data.resolve("wal"), snaps)) {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(d))).as(d.toString())
            .isEqualTo("rwx------");
      }
      try (Stream<Path> s = Stream.concat(Files.list(data.resolve("wal")), Files.list(snaps))) {
        for (Path f : s.toList()) {
          assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).as(f.toString())
              .isEqualTo("rw-------");
        }
      }
    }
  }

  @Test
  void aFileWhereTheLogShouldBeIsNamedInTheError() throws IOException {
    Path data = tmp.resolve("data");
    Files.createDirectories(data);
    Files.writeString(data.resolve("wal"), "not a directory");
    // Before: "cannot recover from DIR: DIR/wal", the JDK's message being the file name alone.
    assertThatThrownBy(() -> start(data, false)).isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining(data.resolve("wal") + ": exists and is not a directory");
  }

  /** Before the fix the learns counter started at 0 after every restart while learnSteps went on. */
  @Test
  void theLearnsCounterSurvivesRestartsAndSnapshots() {
    Path data = tmp.resolve("data");
    try (RoutingServer server = start(data, false)) {
      TestClient c = new TestClient(server.port());
      create(c, "m");
      for (int i = 0; i < 5; i++) {
        learn(c, "m", i);
      }
      assertThat(c.postJson("/v1/models/m/learn/batch", Map.of("xs", List.of(List.of(1, 2), List.of(3, 4),
          List.of(5, 6)), "ys", List.of(List.of(1), List.of(0), List.of(1)))).status()).isEqualTo(200);
      assertCounters(c, 8);
    }
    try (RoutingServer server = start(data, false)) {
      TestClient c = new TestClient(server.port());
      assertCounters(c, 8);
      assertThat(c.post("/v1/models/m/snapshot", "").status()).isEqualTo(200);
      learn(c, "m", 9);
    }
    try (RoutingServer server = start(data, false)) {
      assertCounters(new TestClient(server.port()), 9);
    }
  }

  private static void assertCounters(TestClient c, long learns) {
    JsonNode counters = c.get("/v1/models/m").json().get("counters");
    assertThat(counters.get("learns").asLong()).isEqualTo(learns);
    assertThat(counters.get("learnSteps").asLong()).isEqualTo(learns);
  }
}
