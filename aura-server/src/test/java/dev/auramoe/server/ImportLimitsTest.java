package dev.auramoe.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.MixtureOfExperts;
import dev.auramoe.Snapshots;
import dev.auramoe.cell.CellConfig;
import dev.auramoe.experts.Experts;
import dev.auramoe.io.SnapshotFormat;
import dev.auramoe.server.journal.Operation;
import dev.auramoe.server.journal.OperationJournal;
import dev.auramoe.server.journal.WalJournal;
import dev.auramoe.server.wal.WriteAheadLog;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What bounds an import: the snapshot limit cannot exceed what a snapshot and a record of the operation
 * log carry, an import whose record the log would refuse is refused as too large before anything is
 * written, and imports run one at a time, so that several at once cannot take the heap several times over.
 */
class ImportLimitsTest {

  private static final int IN = 4;

  private static byte[] snapshot(long seed, int hidden) {
    try {
      return Snapshots.toSavableBytes(MixtureOfExperts.builder(IN, 1).experts(Experts.nlms("n", 2, IN, 1, 0.3))
          .cell(CellConfig.DEFAULT.withHidden(hidden)).topK(1).seed(seed).build());
    } catch (dev.auramoe.io.SnapshotException e) {
      throw new AssertionError(e);
    }
  }

  /** An in-memory journal that keeps the operations it takes and, as the log does, refuses a record over its limit. */
  private static final class LimitedJournal implements OperationJournal {
    final long most;
    final List<Operation> taken = Collections.synchronizedList(new ArrayList<>());
    final AtomicLong seq = new AtomicLong();

    LimitedJournal(long most) {
      this.most = most;
    }

    @Override
    public CompletableFuture<Long> append(Operation op) {
      byte[] record = op.encode();
      if (record.length > most) {
        throw new IllegalArgumentException("payload of " + record.length + " bytes exceeds the limit of " + most);
      }
      taken.add(op);
      return CompletableFuture.completedFuture(seq.incrementAndGet());
    }

    @Override
    public long maxRecordBytes() {
      return most;
    }
  }

  @Test
  void theSnapshotLimitIsAtMostWhatASnapshotAndALogRecordCarry() {
    assertThat((long) ServerLimits.MAX_SNAPSHOT_BYTES).isLessThanOrEqualTo(SnapshotFormat.MAX_PAYLOAD)
        .isLessThanOrEqualTo(WriteAheadLog.MAX_PAYLOAD);
    assertThat(ServerLimits.DEFAULT.withMaxSnapshotBytes(ServerLimits.MAX_SNAPSHOT_BYTES).maxSnapshotBytes())
        .isEqualTo(ServerLimits.MAX_SNAPSHOT_BYTES);
    for (int over : new int[] {ServerLimits.MAX_SNAPSHOT_BYTES + 1, Integer.MAX_VALUE}) {
      assertThatThrownBy(() -> ServerLimits.DEFAULT.withMaxSnapshotBytes(over))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("maxSnapshotBytes must be at most " + ServerLimits.MAX_SNAPSHOT_BYTES + " (1 GiB, the most a"
              + " snapshot and a record of the operation log carry), got " + over);
    }
  }

  /**
   * The log refuses a record over its limit, and a refused record fails it for every model: an import
   * whose record would be over it used to be handed over, and answered that the log had failed.
   */
  @Test
  void anImportWhoseRecordTheLogWouldRefuseIsTooLargeAndChangesNothing() {
    byte[] small = snapshot(1, 4);
    byte[] large = snapshot(2, 64);
    LimitedJournal journal = new LimitedJournal(small.length + 4096L);
    assertThat(large.length).isGreaterThan(small.length + 4096);
    try (RoutingServer server = RoutingServer.builder().port(0).journal(journal).build().start()) {
      TestClient c = new TestClient(server.port());
      TestClient.Response refused = c.send("POST", "/v1/models/big/import", "application/octet-stream", large);
      assertThat(refused.status()).as(refused.body()).isEqualTo(413);
      assertThat(refused.json().get("error").asText()).startsWith("the import of model 'big' would be a record of ")
          .endsWith(" bytes in the operation log, over its limit of " + journal.most + "; import a smaller snapshot");
      assertThat(journal.taken).isEmpty();
      assertThat(server.registry().size()).isZero();
      assertThat(server.registry().heldParameters()).isZero();
      // The log is as it was: the next import is taken.
      TestClient.Response ok = c.send("POST", "/v1/models/small/import", "application/octet-stream", small);
      assertThat(ok.status()).as(ok.body()).isEqualTo(201);
      assertThat(journal.taken).extracting(Operation::type).containsExactly(Operation.Type.IMPORT_MODEL);
      assertThat(c.get("/health").json().get("status").asText()).isEqualTo("UP");
    }
  }

  /** So does a start that imports it: no model is registered, none logged. */
  @Test
  void aStartWhoseImportTheLogWouldRefuseChangesNothing() {
    byte[] small = snapshot(1, 4);
    byte[] large = snapshot(2, 64);
    LimitedJournal journal = new LimitedJournal(small.length + 4096L);
    RoutingServer server = RoutingServer.builder().port(0).journal(journal).importModel("a", small)
        .importModel("b", large).build();
    try {
      assertThatThrownBy(server::start).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("over its limit of " + journal.most);
      assertThat(journal.taken).isEmpty();
      assertThat(server.registry().size()).isZero();
    } finally {
      server.close();
    }
  }

  @Test
  void theOperationLogTakesRecordsUpToItsPayloadLimit(@TempDir Path data) {
    try (RoutingServer server = RoutingServer.builder().port(0).dataDir(data).build().start()) {
      assertThat(server.registry().journal()).isInstanceOf(WalJournal.class);
      assertThat(server.registry().journal().maxRecordBytes()).isEqualTo(WriteAheadLog.MAX_PAYLOAD);
    }
  }

  /** An import whose body is still coming: the request and half its body are sent, the rest on {@link #finish}. */
  private static final class SlowImport implements AutoCloseable {
    final Socket socket;
    final byte[] body;
    final int sent;

    SlowImport(int port, String name, byte[] body) throws IOException {
      this.socket = new Socket(InetAddress.getLoopbackAddress(), port);
      socket.setSoTimeout(60_000);
      this.body = body;
      this.sent = body.length / 2;
      OutputStream out = socket.getOutputStream();
      out.write(("POST /v1/models/" + name + "/import HTTP/1.1\r\nHost: localhost\r\nContent-Type:"
          + " application/octet-stream\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.write(body, 0, sent);
      out.flush();
    }

    /** Sends the rest of the body and reads the status of the answer. */
    int finish() throws IOException {
      OutputStream out = socket.getOutputStream();
      out.write(body, sent, body.length - sent);
      out.flush();
      InputStream in = socket.getInputStream();
      StringBuilder line = new StringBuilder();
      for (int ch = in.read(); ch >= 0 && ch != '\n'; ch = in.read()) {
        line.append((char) ch);
      }
      return Integer.parseInt(line.toString().split(" ")[1]);
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  /** Waits, without a deadline that is asserted, for what another thread does. */
  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    for (int i = 0; !condition.getAsBoolean(); i++) {
      if (i > 60_000) {
        throw new AssertionError("gave up waiting: " + what);
      }
      Thread.sleep(1);
    }
  }

  /**
   * While an import holds its turn (its body still coming), another one is refused at once with 429 and
   * Retry-After when the server does not wait, and changes nothing; a refused import gives its turn back.
   */
  @Test
  void anImportWhileAnotherRunsIsRefusedAsBusyAndChangesNothing(@TempDir Path data) throws Exception {
    byte[] first = snapshot(1, 8);
    byte[] second = snapshot(2, 8);
    try (RoutingServer server = RoutingServer.builder().port(0).dataDir(data).importWait(Duration.ZERO).build()
        .start()) {
      TestClient c = new TestClient(server.port());
      long logged = server.store().wal().lastSequence();
      try (SlowImport slow = new SlowImport(server.port(), "first", first)) {
        await(server::importing, "the first import to take its turn");
        TestClient.Response busy = c.send("POST", "/v1/models/second/import", "application/octet-stream", second);
        assertThat(busy.status()).as(busy.body()).isEqualTo(429);
        assertThat(busy.header("Retry-After")).isEqualTo("1");
        assertThat(busy.json().get("error").asText())
            .isEqualTo("another import is in progress; imports run one at a time");
        assertThat(server.registry().size()).isZero();
        assertThat(server.store().wal().lastSequence()).isEqualTo(logged);
        assertThat(slow.finish()).isEqualTo(201);
      }
      assertThat(server.importing()).isFalse();
      // A refused import gives its turn back too.
      assertThat(c.send("POST", "/v1/models/bad/import", "application/octet-stream", new byte[10]).status())
          .isEqualTo(400);
      assertThat(c.send("POST", "/v1/models/second/import", "application/octet-stream", second).status())
          .isEqualTo(201);
      assertThat(server.registry().find("first")).isNotNull();
      assertThat(server.registry().find("second")).isNotNull();
    }
  }

  /**
   * Imports at once run one after the other: the second waits, unregistered and unlogged, until the
   * first (its body still coming) is registered and logged, then goes on.
   */
  @Test
  void importsAtOnceRunOneAfterTheOther() throws Exception {
    byte[] first = snapshot(1, 8);
    byte[] second = snapshot(2, 8);
    LimitedJournal journal = new LimitedJournal(WriteAheadLog.MAX_PAYLOAD);
    try (RoutingServer server = RoutingServer.builder().port(0).journal(journal).importWait(Duration.ofMinutes(5))
        .build().start()) {
      TestClient c = new TestClient(server.port());
      try (SlowImport slow = new SlowImport(server.port(), "first", first)) {
        await(server::importing, "the first import to take its turn");
        CompletableFuture<TestClient.Response> waiting = CompletableFuture.supplyAsync(
            () -> c.send("POST", "/v1/models/second/import", "application/octet-stream", second));
        await(() -> server.importsWaiting() == 1, "the second import to wait for its turn");
        assertThat(waiting).isNotDone();
        assertThat(journal.taken).isEmpty();
        assertThat(server.registry().size()).isZero();
        assertThat(slow.finish()).isEqualTo(201);
        assertThat(waiting.get().status()).isEqualTo(201);
      }
      assertThat(journal.taken).extracting(Operation::model).containsExactly("first", "second");
    }
  }
}
