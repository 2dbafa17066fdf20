package dev.auramoe.server.persist;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.auramoe.MixtureOfExperts;
import dev.auramoe.server.ApiException;
import dev.auramoe.server.journal.Operation;
import dev.auramoe.server.journal.OperationJournal;
import dev.auramoe.server.journal.WalJournal;
import dev.auramoe.server.model.ExpertSpec;
import dev.auramoe.server.model.ModelEntry;
import dev.auramoe.server.model.ModelRegistry;
import dev.auramoe.server.model.ModelSettings;
import dev.auramoe.server.model.ModelSpec;
import dev.auramoe.server.wal.RecoveryReport;
import dev.auramoe.server.wal.WalOptions;
import dev.auramoe.server.wal.WriteAheadLog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The durable state of a server in a data directory:
 *
 * <pre>
 * &lt;dataDir&gt;/wal/                      the operation log ({@link WriteAheadLog}, one {@link Operation} per record)
 * &lt;dataDir&gt;/snapshots/&lt;name&gt;.&lt;seq&gt;.aura  a model's snapshot ({@link MixtureOfExperts#save}), covering its
 *                                     operations up to log sequence &lt;seq&gt;
 * &lt;dataDir&gt;/snapshots/&lt;name&gt;.meta      {"model", "seq", "file", "spec"}: the current snapshot (written
 *                                     atomically after the .aura file; older .aura files are then deleted)
 * </pre>
 *
 * <h2>Recovery</h2>
 * {@link #open} opens the log (which cuts a torn tail and reports it), loads every snapshot named by
 * a {@code .meta} file, then replays the whole log in sequence order: an operation of a model whose
 * snapshot covers its sequence number is skipped, a creation rebuilds the model from its spec, a
 * deletion drops it, a restore reloads the snapshot it names, any other operation is applied through the same {@link ModelEntry} method that
 * applied it live (operations of a model that no longer exists are skipped: it was deleted and its
 * creation trimmed). Learning is deterministic, so the registry ends bit-identical to the state the
 * durable prefix of the log describes.
 *
 * <h2>Snapshots and trimming</h2>
 * {@link #snapshot} holds the model's sequencing lock, waits until the model's last operation is
 * durable (its sequence S), saves the model and then the meta file naming S. Afterwards the log is
 * trimmed before {@code min over live models of (covered sequence + 1)}, where a model never
 * snapshotted is covered up to just before its creation, so every operation of every live model that
 * is not in a snapshot stays in the log. The bound is taken under the registry's creation lock. A
 * deletion removes the model's snapshot files once the deletion is durable and before the model leaves
 * the registry, so a trimmed deletion can never resurrect a snapshot.
 */
public final class DataStore implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(DataStore.class.getName());
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path snapDir;
  private final WriteAheadLog wal;
  private final WalJournal journal;
  private final ModelRegistry registry;
  private final long snapshotEvery;
  private final Map<String, Object> recovery = new LinkedHashMap<>();
  private final Set<String> scheduled = ConcurrentHashMap.newKeySet();
  /** Deleted models whose snapshot files could not be removed yet (see {@link #deleteFiles}). */
  private final Set<String> leftovers = ConcurrentHashMap.newKeySet();
  private final ExecutorService background = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "aura-snapshots");
    t.setDaemon(true);
    return t;
  });

  private DataStore(Path dataDir, WriteAheadLog wal, ModelRegistry registry, long snapshotEvery) {
    this.snapDir = dataDir.resolve("snapshots");
    this.wal = wal;
    this.journal = new WalJournal(wal);
    this.registry = registry;
    this.snapshotEvery = snapshotEvery;
  }

  /**
   * Opens (or creates) a data directory and rebuilds {@code registry} from it; afterwards every
   * operation of the registry goes to the log.
   *
   * @param dataDir the directory
   * @param registry an empty registry
   * @param options the log's options
   * @param snapshotEvery a model is snapshotted in the background after this many operations
   * @throws IOException when the log or a snapshot cannot be read
   */
  public static DataStore open(Path dataDir, ModelRegistry registry, WalOptions options, long snapshotEvery)
      throws IOException {
    Files.createDirectories(dataDir.resolve("snapshots"));
    WriteAheadLog wal = WriteAheadLog.open(dataDir.resolve("wal"), options);
    DataStore s = new DataStore(dataDir, wal, registry, snapshotEvery);
    try {
      s.recover();
    } catch (IOException | RuntimeException e) {
      try {
        wal.close();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    registry.journal(s.journal);
    registry.enforceBudget(true);
    registry.onDelete(s::deleteFiles);
    registry.afterOperation(s::maybeSnapshot);
    return s;
  }

  /** A journal for replay: every operation "gets" the sequence number being replayed. */
  private static final class ReplayJournal implements OperationJournal {
    long current;

    @Override
    public CompletableFuture<Long> append(Operation op) {
      return CompletableFuture.completedFuture(current);
    }
  }

  private void recover() throws IOException {
    long t0 = System.nanoTime();
    RecoveryReport torn = wal.recoveryReport().orElse(null);
    if (torn != null) {
      LOG.log(System.Logger.Level.WARNING, "the operation log had a torn tail, which was cut: " + torn);
    }
    int loaded = 0;
    try (Stream<Path> files = Files.list(snapDir)) {
      for (Path meta : files.filter(p -> p.getFileName().toString().endsWith(".meta")).sorted().toList()) {
        JsonNode m = JSON.readTree(Files.readAllBytes(meta));
        ModelSpec spec = ModelRegistry.spec(JSON.writeValueAsBytes(m.get("spec")));
        registry.restore(spec, loadModel(snapDir.resolve(m.get("file").asText()), spec), m.get("seq").asLong());
        loaded++;
      }
    }
    ReplayJournal rj = new ReplayJournal();
    registry.journal(rj);
    // The log holds what was accepted: a smaller heap now must not refuse an expert added then.
    registry.enforceBudget(false);
    long[] counts = new long[3]; // applied, skipped (covered), skipped (unknown model)
    wal.replay(wal.firstSequence(), (seq, payload) -> {
      rj.current = seq;
      Operation op = Operation.decode(payload);
      ModelEntry e = registry.find(op.model());
      if (op.type() == Operation.Type.CREATE_MODEL) {
        if (e != null && seq <= e.coveredSeq()) {
          counts[1]++;
          return;
        }
        ModelSpec spec = ModelRegistry.spec(op.json());
        ModelEntry created = registry.restore(spec, spec.build(), seq - 1);
        created.sequencer().lock();
        try {
          created.replayed(seq);
        } finally {
          created.sequencer().unlock();
        }
        counts[0]++;
        return;
      }
      if (e == null) {
        counts[2]++;
        return;
      }
      if (seq <= e.coveredSeq()) {
        counts[1]++;
        return;
      }
      counts[0]++;
      if (op.type() == Operation.Type.DELETE_MODEL) {
        registry.drop(op.model());
        return;
      }
      if (op.type() == Operation.Type.RESTORE) {
        Path file = snapDir.resolve(op.model() + "." + op.snapshot() + ".aura");
        if (!Files.exists(file)) {
          // A snapshot file goes only when a newer snapshot covers this operation (then it was
          // skipped above) or when this incarnation of the model was deleted, durably, later in
          // the log: its remaining operations do not matter.
          registry.drop(op.model());
          return;
        }
        try {
          e.restore(loadModel(file, e.spec()), op.snapshot());
        } catch (IOException ex) {
          throw new UncheckedIOException("cannot replay the restore of model '" + op.model() + "' from " + file, ex);
        }
        return;
      }
      try {
        apply(e, op);
      } catch (ApiException refused) {
        // Refused live too (the same state gives the same answer): it changed nothing then either.
      }
    });
    // Snapshots of models whose deletion was replayed.
    try (Stream<Path> files = Files.list(snapDir)) {
      for (Path f : files.toList()) {
        String n = f.getFileName().toString();
        String model = n.endsWith(".meta") ? n.substring(0, n.length() - 5) : null;
        if (model != null && registry.find(model) == null) {
          deleteFiles(model);
        }
      }
    }
    recovery.put("snapshotsLoaded", loaded);
    recovery.put("operationsReplayed", counts[0]);
    recovery.put("operationsCoveredBySnapshots", counts[1]);
    recovery.put("operationsOfDeletedModels", counts[2]);
    recovery.put("lastSequence", wal.lastSequence());
    recovery.put("models", registry.size());
    recovery.put("millis", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    if (torn != null) {
      Map<String, Object> t = new LinkedHashMap<>();
      t.put("file", torn.file().getFileName().toString());
      t.put("offset", torn.offset());
      t.put("bytesDropped", torn.bytesDropped());
      t.put("lastGoodSequence", torn.lastGoodSequence());
      t.put("problem", torn.problem().name());
      t.put("detail", torn.detail());
      recovery.put("tornTail", t);
    }
  }

  private static MixtureOfExperts loadModel(Path file, ModelSpec spec) throws IOException {
    MixtureOfExperts model = MixtureOfExperts.load(file);
    model.enableDiagnostics(spec.diagnosticsWindow(), spec.diagnosticsDecay());
    return model;
  }

  /**
   * Puts a model back to its latest snapshot ({@code POST /v1/models/{name}/restore}). The restore is
   * an operation of the log (RESTORE, naming the snapshot's sequence), so a replay restores at the
   * same point; the snapshot file it names stays until a newer snapshot covers the operation.
   *
   * @return {"model", "seq" (the snapshot's), "digest"}
   * @throws ApiException 404 for an unknown model or one without a snapshot, 503 when the log has
   *     failed or the snapshot cannot be read (nothing changed)
   */
  public Map<String, Object> restore(String name) {
    ModelEntry e = registry.get(name);
    long seq;
    e.snapshotLock().lock(); // not while a snapshot replaces the files it reads
    e.sequencer().lock();
    try {
      Path meta = snapDir.resolve(name + ".meta");
      if (e.deleted() || !Files.exists(meta)) {
        throw ApiException.notFound(e.deleted() ? "unknown model '" + name + "'"
            : "model '" + name + "' has no snapshot to restore");
      }
      MixtureOfExperts loaded;
      try {
        JsonNode m = JSON.readTree(Files.readAllBytes(meta));
        seq = m.get("seq").asLong();
        loaded = loadModel(snapDir.resolve(m.get("file").asText()), e.spec());
      } catch (IOException ex) {
        LOG.log(System.Logger.Level.ERROR, "cannot read the snapshot of model '" + name + "'", ex);
        throw new ApiException(503, "the snapshot could not be read; nothing was changed");
      }
      try {
        e.restore(loaded, seq);
      } catch (RuntimeException ex) {
        loaded.close();
        throw ex;
      }
    } finally {
      e.sequencer().unlock();
      e.snapshotLock().unlock();
    }
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("model", name);
    r.put("seq", seq);
    r.put("digest", e.digest());
    return r;
  }

  private static void apply(ModelEntry e, Operation op) {
    switch (op.type()) {
      case DELETE_MODEL -> throw new IllegalStateException("handled by the caller");
      case LEARN -> e.learn(op.stream(), op.learn().xs(), op.learn().ys(), op.learn().count());
      case ROUTE -> e.route(op.stream(), op.xs());
      case ROUTE_BATCH -> {
        int k = e.spec().topK();
        e.routeBatch(op.stream(), op.xs(), op.count(), new int[op.count() * k], new float[op.count() * k]);
      }
      case PREDICT -> e.predict(op.stream(), op.xs(), op.count());
      case STREAM_OPEN -> e.openStream(op.stream());
      case STREAM_CLOSE -> e.closeStream(op.stream());
      case STREAM_RESET -> e.resetStream(op.stream());
      case STREAM_EVICT -> e.evictStream(op.stream());
      case CONFIGURE -> {
        ModelSettings set = ModelRegistry.fromJson(op.json(), ModelSettings.class);
        e.configure(now -> set);
      }
      case EXPERT_ADD -> e.addExpert(ModelRegistry.fromJson(op.json(), ExpertSpec.class));
      case EXPERT_REMOVE -> e.removeExpert(ModelRegistry.fromJson(op.json(), ExpertNames.class).name());
      case EXPERT_RENAME -> {
        ExpertNames n = ModelRegistry.fromJson(op.json(), ExpertNames.class);
        e.renameExpert(n.name(), n.newName());
      }
      case CREATE_MODEL, RESTORE -> throw new IllegalStateException("handled by the caller");
    }
  }

  /** The body of EXPERT_REMOVE ({@code name}) and EXPERT_RENAME ({@code name}, {@code newName}). */
  private record ExpertNames(String name, String newName) {
  }

  /** What recovery found, for {@code GET /health}. */
  public Map<String, Object> recovery() {
    Map<String, Object> r = new LinkedHashMap<>(recovery);
    r.put("logFailed", journal.failed());
    return r;
  }

  /** The operation journal. */
  public WalJournal journal() {
    return journal;
  }

  /** The log. */
  public WriteAheadLog wal() {
    return wal;
  }

  /**
   * Snapshots a model, then trims the log.
   *
   * @return {"model", "seq" (covered), "trimmedSegments"}
   * @throws ApiException 404 for an unknown model, 503 when the log has failed or the snapshot
   *     cannot be written
   */
  public Map<String, Object> snapshot(String name) {
    ModelEntry e = registry.get(name);
    long seq;
    // The model is serialised in memory under the sequencer; waiting for the log and writing the
    // files happen outside it, so routes and learns go on meanwhile (they held every request of the
    // model for the whole fsync chain before). The snapshot lock keeps deletion and restore away
    // until the files are in place.
    e.snapshotLock().lock();
    try {
      byte[] bytes;
      CompletableFuture<Long> last;
      long operations;
      e.sequencer().lock();
      try {
        if (e.deleted()) {
          throw ApiException.notFound("unknown model '" + name + "'");
        }
        if (journal.failed()) {
          throw new ApiException(503, "the operation log has failed; no snapshot was taken");
        }
        if (e.wedged() != null) {
          // Its state may not be the log's: a snapshot of it would outlive the operations that
          // a restart would otherwise replay.
          throw new ApiException(503, e.wedged() + "; no snapshot was taken");
        }
        last = e.lastSequence();
        operations = e.sinceSnapshot();
        try {
          bytes = dev.auramoe.Snapshots.toSavableBytes(e.model());
        } catch (IOException ex) {
          LOG.log(System.Logger.Level.ERROR, "snapshot of model '" + name + "' refused", ex);
          throw new ApiException(503, "the snapshot could not be written: " + ex.getMessage());
        }
      } finally {
        e.sequencer().unlock();
      }
      try {
        // A snapshot must not cover an operation the log could still lose.
        seq = last.join();
      } catch (CompletionException | java.util.concurrent.CancellationException ex) {
        throw new ApiException(503, "the operation log has failed; no snapshot was taken");
      }
      String file = name + "." + seq + ".aura";
      try {
        writeAtomically(snapDir.resolve(file), bytes);
        ObjectNode meta = JSON.createObjectNode();
        meta.put("model", name);
        meta.put("seq", seq);
        meta.put("file", file);
        meta.set("spec", JSON.readTree(ModelRegistry.json(e.spec())));
        writeAtomically(snapDir.resolve(name + ".meta"), JSON.writeValueAsBytes(meta));
        e.sequencer().lock();
        try {
          e.covered(seq, operations);
        } finally {
          e.sequencer().unlock();
        }
        deleteSnapshotsExcept(name, file);
      } catch (IOException ex) {
        LOG.log(System.Logger.Level.ERROR, "snapshot of model '" + name + "' failed", ex);
        throw new ApiException(503, "the snapshot could not be written");
      }
    } finally {
      e.snapshotLock().unlock();
    }
    int trimmed;
    try {
      trimmed = trim();
    } catch (IOException ex) {
      LOG.log(System.Logger.Level.ERROR, "trimming the operation log failed", ex);
      trimmed = 0;
    }
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("model", name);
    r.put("seq", seq);
    r.put("trimmedSegments", trimmed);
    return r;
  }

  /**
   * Deletes every log segment that only holds operations in snapshots (or of deleted models).
   *
   * @return segments deleted
   */
  public int trim() throws IOException {
    long bound;
    synchronized (registry.creationLock()) {
      for (String name : List.copyOf(leftovers)) {
        // A name in use again: its new model's snapshot replaces the meta file, and its creation,
        // replayed after the old snapshot is loaded, replaces the old model.
        if (registry.find(name) != null || tryDeleteFiles(name)) {
          leftovers.remove(name);
        }
      }
      if (!leftovers.isEmpty()) {
        return 0;
      }
      bound = wal.lastSequence() + 1;
      for (ModelEntry e : registry.list()) {
        bound = Math.min(bound, e.coveredSeq() + 1);
      }
    }
    return bound > 1 ? wal.trimBefore(bound) : 0;
  }

  private void maybeSnapshot(ModelEntry e) {
    if (e.sinceSnapshot() < snapshotEvery || !scheduled.add(e.name())) {
      return;
    }
    try {
      background.execute(() -> {
        try {
          if (!e.deleted() && e.sinceSnapshot() >= snapshotEvery) {
            snapshot(e.name());
          }
        } catch (RuntimeException ex) {
          LOG.log(System.Logger.Level.WARNING, "periodic snapshot of model '" + e.name() + "' failed: " + ex);
        } finally {
          scheduled.remove(e.name());
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException closing) {
      scheduled.remove(e.name());
    }
  }

  /**
   * Removes a deleted model's snapshot files: the meta file first, so a crash half-way leaves no
   * snapshot. When that fails the model is deleted all the same (its deletion is durable); the
   * files are left for {@link #trim()} to retry, and until they are gone the log is not trimmed, so
   * that the deletion stays in it and a restart drops a model its leftover snapshot would bring back.
   */
  private void deleteFiles(String name) {
    if (!tryDeleteFiles(name)) {
      leftovers.add(name);
    }
  }

  private boolean tryDeleteFiles(String name) {
    try {
      Files.deleteIfExists(snapDir.resolve(name + ".meta"));
      syncDirectory(snapDir);
      deleteSnapshotsExcept(name, null);
      return true;
    } catch (IOException | UncheckedIOException ex) {
      LOG.log(System.Logger.Level.WARNING, "the snapshot files of deleted model '" + name + "' could not be"
          + " removed; the log is kept until they are: " + ex);
      return false;
    }
  }

  private void deleteSnapshotsExcept(String name, String keep) throws IOException {
    List<Path> doomed = new ArrayList<>();
    try (Stream<Path> files = Files.list(snapDir)) {
      for (Path f : files.toList()) {
        String n = f.getFileName().toString();
        if (n.startsWith(name + ".") && !n.equals(keep) && !n.equals(name + ".meta")
            && n.substring(name.length() + 1).matches("\\d+\\.aura(\\..*\\.tmp)?")) {
          doomed.add(f);
        }
      }
    }
    for (Path f : doomed) {
      Files.deleteIfExists(f);
    }
  }

  private static void writeAtomically(Path file, byte[] bytes) throws IOException {
    dev.auramoe.io.AtomicFiles.write(file, bytes);
  }

  private static void syncDirectory(Path dir) {
    dev.auramoe.io.AtomicFiles.syncDirectory(dir);
  }

  /** Stops background snapshots and closes the log (waiting for pending appends). */
  @Override
  public void close() {
    background.shutdown();
    try {
      background.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    journal.close();
  }
}
