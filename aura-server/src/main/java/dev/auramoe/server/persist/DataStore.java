package dev.auramoe.server.persist;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.auramoe.MixtureOfExperts;
import dev.auramoe.server.journal.Operation;
import dev.auramoe.server.journal.OperationJournal;
import dev.auramoe.server.journal.WalJournal;
import dev.auramoe.server.model.ExpertSpec;
import dev.auramoe.server.model.FeedbackSettings;
import dev.auramoe.server.model.ModelEntry;
import dev.auramoe.server.model.ModelImport;
import dev.auramoe.server.model.ModelRegistry;
import dev.auramoe.server.model.ModelSettings;
import dev.auramoe.server.model.ModelSpec;
import dev.auramoe.server.model.OperationJson;
import dev.auramoe.server.model.Refusal;
import dev.auramoe.server.wal.PrivateFiles;
import dev.auramoe.server.wal.RecoveryReport;
import dev.auramoe.server.wal.WalCorruptionException;
import dev.auramoe.server.wal.WalOptions;
import dev.auramoe.server.wal.WalRepair;
import dev.auramoe.server.wal.WriteAheadLog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
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
 * &lt;dataDir&gt;/snapshots/&lt;name&gt;.meta      {"model", "seq", "file", "spec", "feedback"}: the current snapshot
 *                                     (written atomically after the .aura file; older .aura files are then
 *                                     deleted); "feedback" holds the feedback settings and the anchor
 *                                     (base64 of its float bits, little-endian) at the same point
 * </pre>
 *
 * The directories are created 0700 and every file 0600 (where the file system has POSIX
 * permissions): the log holds every input and target the server was sent. The {@code wal} and
 * {@code snapshots} directories and the log's files, which an older version created 0755 and 0644,
 * are narrowed at start; the data directory itself is left as it is when it already existed (it may
 * be a directory the operator shares).
 *
 * <h2>Recovery</h2>
 * {@link #open} opens the log (which cuts a torn tail and reports it, and refuses damage: see
 * {@link WriteAheadLog}), removes the temporary files a killed snapshot left ({@code *.tmp} in
 * {@code snapshots/}), loads every snapshot named by a {@code .meta} file, checks that the snapshots
 * and the log fit together, then replays the whole log in sequence order: an operation of a model
 * whose snapshot covers its sequence number is skipped, a creation rebuilds the model from its
 * spec, an import from the snapshot its record carries, a deletion drops it, a restore reloads the snapshot it names, any other operation is applied
 * through the same {@link ModelEntry} method that applied it live (operations of a model that no
 * longer exists are skipped when a later deletion or creation of its name shows that it was deleted
 * and its creation trimmed). Learning is deterministic, so the registry ends bit-identical to the
 * state the durable prefix of the log describes. What recovery found is in {@link #recovery()}
 * ({@code GET /health}).
 *
 * <h2>Damage: refused, or repaired on request</h2>
 * Recovery never drops an acknowledged operation silently and never hands out a sequence number
 * twice. Without repair it refuses to start, with a message naming the file and what is wrong, and
 * changes nothing, when:
 * <ul>
 * <li>the log is damaged other than by a torn tail (a bad record followed by valid ones, damage in a
 *     segment but the last, a missing segment);
 * <li>the snapshots and the log do not fit: the log starts after {@code S + 1} for the oldest
 *     snapshot's sequence {@code S} (records in between are gone), or ends before the newest
 *     snapshot's sequence, as a meta file or the name of a {@code .aura} file states it (records
 *     were lost, and new operations would reuse numbers the snapshot covers, to be skipped as
 *     covered at the next restart);
 * <li>the log holds operations of a model whose creation and snapshot are both missing (a segment
 *     at the start of the log was deleted);
 * <li>a snapshot cannot be used (its meta file is not valid, or the {@code .aura} file is missing,
 *     unreadable or corrupt) and the log no longer holds the model's creation.
 * </ul>
 * A snapshot that cannot be used while the log still holds the model's creation (and so every later
 * operation) is not an error: the model is rebuilt from the log, a WARNING is logged and
 * {@code "snapshotsReplacedByTheLog"} in the recovery report names it and what was wrong; the next
 * snapshot replaces the bad files.
 *
 * <p>With {@code repair} (the server's {@code --repair-wal}), recovery repairs instead: the log is
 * repaired first ({@link WriteAheadLog#repair}: damaged segments are copied to
 * {@code wal-...log.damaged-<time>} and rewritten with every valid record, lost numbers become hole
 * records); a gap beside the snapshots becomes a hole ({@link WriteAheadLog#extendBackTo},
 * {@link WriteAheadLog#skipTo}), so new operations are numbered above every snapshot (when the log
 * lost its end, {@link WriteAheadLog#UNKNOWN_SPAN} numbers above the newest snapshot, since how many
 * were used after it is unknown); and the
 * deletion of each model whose creation is missing is logged. Everything dropped is logged as a
 * WARNING and reported under {@code "repair"} in the recovery report: the byte ranges, the sequence
 * numbers lost, the copies kept, the gaps and the models. Snapshot damage is never repaired: the
 * message says which file to restore or move away. The holes stay in the log (and under
 * {@code "holes"} in the report) until trimming removes them.
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

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(DataStore.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** A snapshot file, {@code <model>.<seq>.aura}; group 1 is the sequence it covers. */
  private static final java.util.regex.Pattern SNAPSHOT_FILE = java.util.regex.Pattern.compile(".+\\.(\\d+)\\.aura");

  private final Path snapDir;
  private final WriteAheadLog wal;
  private final WalJournal journal;
  private final ModelRegistry registry;
  private final long snapshotEvery;
  private final Map<String, Object> recovery = new LinkedHashMap<>();
  private final Set<String> scheduled = ConcurrentHashMap.newKeySet();
  /** Models whose periodic snapshots failed, since their last snapshot (see {@link #maybeSnapshot}). */
  private final Map<String, SnapshotFailure> snapshotFailures = new ConcurrentHashMap<>();

  /**
   * Periodic snapshots of a model that failed in a row: how many, when the last did and why, and
   * after how many operations not in a snapshot the next is tried.
   */
  private record SnapshotFailure(int times, java.time.Instant at, String why, long retryAfter) {}

  /** A model's periodic snapshot is retried after at most this many times snapshotEvery operations. */
  private static final int MAX_BACKOFF_SHIFT = 10;
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
   * Opens (or creates) a data directory and rebuilds {@code registry} from it, refusing damage
   * (see the class documentation); afterwards every operation of the registry goes to the log.
   *
   * @see #open(Path, ModelRegistry, WalOptions, long, boolean)
   */
  public static DataStore open(Path dataDir, ModelRegistry registry, WalOptions options, long snapshotEvery)
      throws IOException {
    return open(dataDir, registry, options, snapshotEvery, false);
  }

  /**
   * Opens (or creates) a data directory and rebuilds {@code registry} from it; afterwards every
   * operation of the registry goes to the log.
   *
   * @param dataDir the directory
   * @param registry an empty registry
   * @param options the log's options
   * @param snapshotEvery a model is snapshotted in the background after this many operations
   * @param repair false: refuse damage to the log, and gaps between the snapshots and the log, with
   *     a message that names the file and what is wrong (nothing is changed); true: repair them as
   *     the class documentation describes, and report what was dropped in {@link #recovery()}
   * @throws IOException when the log or a snapshot cannot be read, or recovery refuses damage; the
   *     message names the file and what is wrong
   */
  public static DataStore open(Path dataDir, ModelRegistry registry, WalOptions options, long snapshotEvery,
      boolean repair) throws IOException {
    WriteAheadLog wal;
    WalRepair repaired;
    try {
      PrivateFiles.createDirectories(dataDir);
      Path snaps = PrivateFiles.createDirectories(dataDir.resolve("snapshots"));
      PrivateFiles.restrict(snaps);
      repaired = repair ? WriteAheadLog.repair(dataDir.resolve("wal")) : null;
      try {
        wal = WriteAheadLog.open(dataDir.resolve("wal"), options);
      } catch (WalCorruptionException e) {
        throw new IOException(e.getMessage() + " (" + REPAIR_HINT + ")", e);
      }
    } catch (FileSystemException e) {
      throw new IOException(describe(e), e);
    }
    DataStore s = new DataStore(dataDir, wal, registry, snapshotEvery);
    try {
      s.recover(repair, repaired);
    } catch (IOException | RuntimeException e) {
      try {
        wal.close();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      if (e instanceof FileSystemException f) {
        throw new IOException(describe(f), f);
      }
      throw e;
    }
    registry.journal(s.journal);
    registry.enforceBudget(true);
    registry.onDelete(s::deleteFiles);
    registry.afterOperation(s::maybeSnapshot);
    return s;
  }

  /** How an operator asks for a repair, for the messages of refusals. */
  private static final String REPAIR_HINT = "start the server with --repair-wal to repair it: that keeps a copy of"
      + " every file it changes and reports every record it drops";

  /** A file system error as "file: what" (the JDK's message is often the file name alone). */
  static String describe(FileSystemException e) {
    String what = e instanceof java.nio.file.NoSuchFileException ? "no such file"
        : e instanceof java.nio.file.AccessDeniedException ? "permission denied"
        : e instanceof java.nio.file.NotDirectoryException ? "not a directory"
        : e instanceof java.nio.file.FileAlreadyExistsException ? "exists and is not a directory"
        : e.getReason() != null ? e.getReason() : e.getClass().getSimpleName();
    return (e.getFile() != null ? e.getFile() + ": " : "") + what
        + (e.getOtherFile() != null ? " (" + e.getOtherFile() + ")" : "");
  }

  /** A journal for replay: every operation "gets" the sequence number being replayed. */
  private static final class ReplayJournal implements OperationJournal {
    long current;

    @Override
    public CompletableFuture<Long> append(Operation op) {
      return CompletableFuture.completedFuture(current);
    }
  }

  /** A parsed, checked {@code <model>.meta} file; {@code feedback} is null in one written before it existed. */
  private record Meta(String model, long seq, String file, ModelSpec spec, ModelEntry.FeedbackState feedback) {}

  /**
   * Reads and checks a meta file: valid JSON naming this model, a sequence number, the snapshot
   * file {@code <model>.<seq>.aura} (so it can never point outside the directory) and a valid spec.
   *
   * @throws IOException naming the file and what is wrong with it
   */
  private static Meta readMeta(Path meta) throws IOException {
    String n = meta.getFileName().toString();
    String model = n.substring(0, n.length() - ".meta".length());
    JsonNode m;
    try {
      m = JSON.readTree(Files.readAllBytes(meta));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IOException("snapshot meta file " + meta + " is not valid JSON (" + e.getOriginalMessage() + ")", e);
    }
    String problem = null;
    if (m == null || !m.isObject()) {
      problem = "it holds no JSON object";
    } else if (!m.path("model").isTextual() || !m.path("model").asText().equals(model)) {
      problem = "\"model\" is " + m.get("model") + ", not \"" + model + "\" as its name says";
    } else if (!m.path("seq").isIntegralNumber() || !m.path("seq").canConvertToLong() || m.path("seq").asLong() < 0) {
      problem = "\"seq\" is " + m.get("seq") + ", not a sequence number";
    } else if (!m.path("file").asText("").equals(model + "." + m.get("seq").asLong() + ".aura")) {
      problem = "\"file\" is " + m.get("file") + ", not \"" + model + "." + m.get("seq").asLong() + ".aura\"";
    } else if (!m.path("spec").isObject()) {
      problem = "\"spec\" is " + m.get("spec") + ", not a model spec";
    }
    if (problem != null) {
      throw new IOException("snapshot meta file " + meta + " is damaged: " + problem);
    }
    ModelSpec spec;
    try {
      spec = OperationJson.spec(JSON.writeValueAsBytes(m.get("spec")));
    } catch (RuntimeException e) {
      throw new IOException("snapshot meta file " + meta + " holds an invalid model spec: " + e.getMessage(), e);
    }
    if (!spec.name().equals(model)) {
      throw new IOException("snapshot meta file " + meta + " holds the spec of model '" + spec.name() + "'");
    }
    return new Meta(model, m.get("seq").asLong(), m.get("file").asText(), spec, feedback(meta, m.get("feedback")));
  }

  /**
   * The feedback settings and anchor of a meta file, checked here (an anchor that is not finite
   * included), so that a damaged one makes the snapshot unusable rather than failing the start; null
   * when it has none.
   */
  private static ModelEntry.FeedbackState feedback(Path meta, JsonNode f) throws IOException {
    if (f == null) {
      return null;
    }
    String problem = null;
    FeedbackSettings settings = null;
    float[] anchor = null;
    if (!f.isObject() || !f.path("settings").isObject() || !f.path("anchor").isTextual()) {
      problem = "\"feedback\" is not {\"settings\": {...}, \"anchor\": \"<base64>\"}";
    } else {
      try {
        settings = OperationJson.read(JSON.writeValueAsBytes(f.get("settings")), FeedbackSettings.class);
        settings.validate();
        byte[] bits = java.util.Base64.getDecoder().decode(f.get("anchor").asText());
        if (bits.length == 0 || bits.length % 4 != 0) {
          throw new IllegalArgumentException("the anchor has " + bits.length + " bytes, not a whole number of floats");
        }
        anchor = new float[bits.length / 4];
        java.nio.ByteBuffer.wrap(bits).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(anchor);
        for (int i = 0; i < anchor.length; i++) {
          if (!Float.isFinite(anchor[i])) {
            throw new IllegalArgumentException("the anchor's value " + i + " is not finite: " + anchor[i]);
          }
        }
      } catch (RuntimeException e) {
        problem = "\"feedback\" is invalid: " + e.getMessage();
      }
    }
    if (problem != null) {
      throw new IOException("snapshot meta file " + meta + " is damaged: " + problem);
    }
    return new ModelEntry.FeedbackState(settings, anchor);
  }

  /**
   * Registers a model loaded from its snapshot, with the feedback settings and anchor its meta file
   * kept; checked first, so that a snapshot whose anchor does not fit its model registers nothing.
   */
  private void restoreModel(Path metaFile, Meta m, MixtureOfExperts model) throws IOException {
    ModelEntry.FeedbackState f = m.feedback();
    if (f != null && f.anchor().length != model.routerParameterCount()) {
      model.close();
      throw new IOException("snapshot meta file " + metaFile + " is damaged: its feedback anchor has "
          + f.anchor().length + " values but the model's router has " + model.routerParameterCount() + " parameters");
    }
    ModelEntry e = registry.restore(m.spec(), model, m.seq());
    if (f != null) {
      e.loadFeedback(f);
    }
  }

  private void recover(boolean repair, WalRepair repaired) throws IOException {
    long t0 = System.nanoTime();
    RecoveryReport torn = wal.recoveryReport().orElse(null);
    if (torn != null) {
      LOG.warn("the operation log had a torn tail, which was cut: " + torn);
    }
    if (repaired != null && !repaired.isEmpty()) {
      LOG.warn("the operation log was repaired; copies of the damaged files: "
          + repaired.copies() + "; dropped: " + repaired.dropped());
    }
    int removed = removeTemporaryFiles();
    // Snapshots. One that cannot be used is left on disk; its model is rebuilt from the log when
    // the log still holds the model's creation (checked after the replay), else recovery refuses.
    int loaded = 0;
    Map<String, Long> covered = new TreeMap<>();
    Map<String, String> unusable = new TreeMap<>();
    long highestSnapshot = 0;
    try (Stream<Path> files = Files.list(snapDir)) {
      for (Path meta : files.filter(p -> p.getFileName().toString().endsWith(".meta")).sorted().toList()) {
        String model = meta.getFileName().toString().replaceFirst("\\.meta$", "");
        try {
          Meta m = readMeta(meta);
          highestSnapshot = Math.max(highestSnapshot, m.seq());
          restoreModel(meta, m, loadModel(snapDir.resolve(m.file()), m.spec()));
          covered.put(model, m.seq());
          loaded++;
        } catch (IOException e) {
          unusable.put(model, e instanceof FileSystemException f ? describe(f) : e.getMessage());
        }
      }
    }
    // A snapshot file covers its sequence even when its meta file cannot be read (or was not
    // written yet when a snapshot was killed): numbers up to it were used.
    try (Stream<Path> files = Files.list(snapDir)) {
      for (Path f : files.toList()) {
        java.util.regex.Matcher m = SNAPSHOT_FILE.matcher(f.getFileName().toString());
        if (m.matches() && m.group(1).length() < 19) {
          highestSnapshot = Math.max(highestSnapshot, Long.parseLong(m.group(1)));
        }
      }
    }
    Map<String, Object> repairs = new LinkedHashMap<>();
    checkGaps(covered, highestSnapshot, repair, repairs);

    ReplayJournal rj = new ReplayJournal();
    registry.journal(rj);
    // The log holds what was accepted: a smaller heap now must not refuse an expert added then.
    registry.enforceBudget(false);
    long[] counts = new long[3]; // applied, skipped (covered), skipped (deleted model)
    // Operations of a model that is not there: a later deletion or creation of the name shows they
    // belonged to a deleted model; otherwise the model's creation or snapshot is missing.
    Map<String, Long> orphans = new HashMap<>();
    Set<String> deletedInLog = new HashSet<>();
    wal.replay(wal.firstSequence(), (seq, payload) -> {
      rj.current = seq;
      Operation op = Operation.decode(payload);
      ModelEntry e = registry.find(op.model());
      if (op.type() == Operation.Type.CREATE_MODEL || op.type() == Operation.Type.IMPORT_MODEL) {
        if (e != null && seq <= e.snapshotMarks().coveredSeq()) {
          counts[1]++;
          return;
        }
        // Operations of the name before it was created again belonged to an incarnation that was
        // deleted (its deletion is what went missing): nothing of the live model is lost.
        Long o = orphans.remove(op.model());
        counts[2] += o == null ? 0 : o;
        ModelSpec spec = OperationJson.spec(op.json());
        MixtureOfExperts model;
        if (op.type() == Operation.Type.CREATE_MODEL) {
          model = spec.build();
        } else {
          try {
            model = ModelImport.load(spec, op.image());
          } catch (IOException ex) {
            throw new UncheckedIOException("cannot replay the import of model '" + op.model() + "' (sequence " + seq
                + "): its snapshot cannot be read: " + ex.getMessage(), ex);
          }
        }
        ModelEntry created = registry.restore(spec, model, seq - 1);
        created.sequencer().lock();
        try {
          created.snapshotMarks().replayed(seq);
        } finally {
          created.sequencer().unlock();
        }
        counts[0]++;
        return;
      }
      if (e == null) {
        if (op.type() == Operation.Type.DELETE_MODEL) {
          Long o = orphans.remove(op.model());
          counts[2] += 1 + (o == null ? 0 : o);
          deletedInLog.add(op.model());
        } else {
          orphans.merge(op.model(), 1L, Long::sum);
        }
        return;
      }
      if (seq <= e.snapshotMarks().coveredSeq()) {
        counts[1]++;
        return;
      }
      counts[0]++;
      if (op.type() == Operation.Type.DELETE_MODEL) {
        registry.drop(op.model());
        deletedInLog.add(op.model());
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
          throw new UncheckedIOException("cannot replay the restore of model '" + op.model() + "' (sequence " + seq
              + ") from " + file + ": " + ex.getMessage(), ex);
        }
        return;
      }
      try {
        apply(e, op);
      } catch (Refusal refused) {
        // Refused live too (the same state gives the same answer): it changed nothing then either.
      }
    });
    Map<String, Long> lost = new TreeMap<>(orphans);
    List<Map<String, Object>> fromLog = checkUnusable(unusable, deletedInLog);
    if (!lost.isEmpty()) {
      String what = "the operation log holds operations of models whose creation and snapshot are both missing "
          + lost + " (model: operations); the log starts at sequence " + wal.firstSequence()
          + ", so a segment at its start was probably deleted";
      if (!repair) {
        throw new IOException(what + ". Nothing was changed; restore the missing segments from a backup, or "
            + REPAIR_HINT + " (it logs the deletion of those models)");
      }
      for (String model : lost.keySet()) {
        // Makes the loss part of the log: later starts see these operations end in a deletion.
        wal.appendAndWait(Operation.delete(model).encode());
      }
      LOG.warn(what + "; their deletion was logged");
      repairs.put("modelsWithoutCreation", lost);
    }
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
    if (removed > 0) {
      recovery.put("temporaryFilesRemoved", removed);
    }
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
    if (!fromLog.isEmpty()) {
      recovery.put("snapshotsReplacedByTheLog", fromLog);
    }
    if (repaired != null && !repaired.isEmpty()) {
      repairs.put("copies", repaired.copies().stream().map(p -> p.getFileName().toString()).toList());
      repairs.put("dropped", repaired.dropped().stream().map(DataStore::dropped).toList());
      repairs.put("recordsLost", repaired.lostRecords());
    }
    if (!repairs.isEmpty()) {
      recovery.put("repair", repairs);
    }
    List<WriteAheadLog.Hole> holes = wal.holes();
    if (!holes.isEmpty()) {
      recovery.put("holes", holes.stream().map(h -> {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("first", h.first());
        m.put("last", h.last());
        m.put("reason", h.reason());
        return m;
      }).toList());
    }
    LOG.info("recovered {} in {} ms: models {}, snapshots loaded {}, operations replayed {}, last sequence {}",
        snapDir.getParent(), recovery.get("millis"), registry.size(), loaded, counts[0], wal.lastSequence());
  }

  private static Map<String, Object> dropped(WalRepair.Dropped d) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("file", d.file().getFileName().toString());
    m.put("offset", d.offset());
    m.put("bytes", d.bytes());
    m.put("firstSequence", d.firstSequence());
    m.put("lastSequence", d.lastSequence());
    m.put("recordsLost", d.lostRecords());
    m.put("problem", d.problem().name());
    m.put("detail", d.detail());
    return m;
  }

  /**
   * The snapshots must and the log must fit together: every number after the oldest snapshot is in
   * the log (else the records between are lost), and the log reaches the newest snapshot (else it
   * lost records and would hand out their numbers again). A gap is refused; with repair it is
   * recorded in the log as a hole, so numbers resume above every snapshot.
   *
   * @param covered the sequence each loaded snapshot covers, by model
   * @param highestSnapshot the highest sequence any readable meta file or any snapshot file name names
   */
  private void checkGaps(Map<String, Long> covered, long highestSnapshot, boolean repair,
      Map<String, Object> repairs) throws IOException {
    long first = wal.firstSequence();
    long last = wal.lastSequence();
    List<String> gaps = new ArrayList<>();
    String oldest = null;
    for (Map.Entry<String, Long> c : covered.entrySet()) {
      if (oldest == null || c.getValue() < covered.get(oldest)) {
        oldest = c.getKey();
      }
    }
    long front = oldest == null ? first : covered.get(oldest) + 1;
    if (front < first) {
      gaps.add("the log starts at sequence " + first + " but the snapshot of model '" + oldest + "' covers only up to "
          + (front - 1) + ": records " + front + ".." + (first - 1) + " are missing");
    }
    if (last < highestSnapshot) {
      gaps.add("the log ends at sequence " + last + " but a snapshot covers up to " + highestSnapshot + ": records "
          + (last + 1) + ".." + highestSnapshot + " and any after them are missing, and their numbers would be"
          + " used again");
    }
    if (gaps.isEmpty()) {
      return;
    }
    String what = "the snapshots in " + snapDir + " and the operation log in " + wal.directory() + " do not fit: "
        + String.join("; ", gaps);
    if (!repair) {
      throw new IOException(what + ". Nothing was changed; restore the missing segments from a backup, or "
          + REPAIR_HINT + " (new operations then continue above every snapshot)");
    }
    String reason = "repair " + java.time.Instant.now() + ": lost beside snapshots";
    List<WriteAheadLog.Hole> written = new ArrayList<>();
    wal.extendBackTo(front, reason).ifPresent(written::add);
    // The log lost its end, and how many numbers were used after the snapshot is unknown: resume
    // above anything they can have been (as the log's own repair does for a lost last segment).
    wal.skipTo(last < highestSnapshot ? highestSnapshot + 1 + WriteAheadLog.UNKNOWN_SPAN : highestSnapshot + 1,
        reason).ifPresent(written::add);
    LOG.warn(what + "; repaired with holes " + written);
    repairs.put("gaps", gaps);
  }

  /**
   * What became of models whose snapshot could not be used: rebuilt from the log (reported), or
   * deleted later in the log (nothing lost); recovery refuses when the log no longer holds a
   * model's creation, since its state would be lost.
   *
   * @return one entry per model rebuilt from the log
   */
  private List<Map<String, Object>> checkUnusable(Map<String, String> unusable, Set<String> deletedInLog)
      throws IOException {
    List<Map<String, Object>> fromLog = new ArrayList<>();
    for (Map.Entry<String, String> u : unusable.entrySet()) {
      String model = u.getKey();
      if (registry.find(model) != null) {
        LOG.warn("the snapshot of model '" + model + "' cannot be used (" + u.getValue()
            + "); the model was rebuilt from the operation log, which still holds its creation and every later"
            + " operation");
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model);
        m.put("problem", u.getValue());
        fromLog.add(m);
      } else if (!deletedInLog.contains(model)) {
        throw new IOException("the snapshot of model '" + model + "' cannot be used (" + u.getValue()
            + ") and the operation log no longer holds the model's creation (it starts at sequence "
            + wal.firstSequence() + "), so the model cannot be rebuilt. Nothing was changed; restore the snapshot"
            + " from a backup, or move " + snapDir.resolve(model + ".meta") + " away to start without the model");
      }
    }
    return fromLog;
  }

  /** Removes what a killed snapshot left: its temporary files (the log's lock is held). */
  private int removeTemporaryFiles() throws IOException {
    int n = 0;
    try (Stream<Path> files = Files.list(snapDir)) {
      for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList()) {
        Files.deleteIfExists(f);
        n++;
      }
    }
    if (n > 0) {
      LOG.info("removed " + n + " temporary files left by an interrupted snapshot in "
          + snapDir);
    }
    return n;
  }

  /** Loads a snapshot file; an error names the file. */
  private static MixtureOfExperts loadModel(Path file, ModelSpec spec) throws IOException {
    MixtureOfExperts model;
    try {
      model = MixtureOfExperts.load(file);
    } catch (FileSystemException e) {
      throw new IOException("snapshot file " + describe(e), e);
    } catch (IOException e) {
      throw new IOException("snapshot file " + file + " cannot be read: " + e.getMessage(), e);
    }
    model.enableDiagnostics(spec.diagnosticsWindow(), spec.diagnosticsDecay());
    return model;
  }

  /**
   * Puts a model back to its latest snapshot ({@code POST /v1/models/{name}/restore}). The restore is
   * an operation of the log (RESTORE, naming the snapshot's sequence), so a replay restores at the
   * same point; the snapshot file it names stays until a newer snapshot covers the operation.
   *
   * @return {"model", "seq" (the snapshot's), "digest"}
   * @throws Refusal NOT_FOUND for an unknown model or one without a snapshot, UNAVAILABLE when the log has
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
        throw Refusal.notFound(e.deleted() ? "unknown model '" + name + "'"
            : "model '" + name + "' has no snapshot to restore");
      }
      MixtureOfExperts loaded;
      try {
        Meta m = readMeta(meta);
        seq = m.seq();
        loaded = loadModel(snapDir.resolve(m.file()), e.spec());
      } catch (IOException ex) {
        LOG.error("cannot read the snapshot of model '" + name + "'", ex);
        throw Refusal.unavailable("the snapshot could not be read; nothing was changed");
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
        ModelSettings set = OperationJson.read(op.json(), ModelSettings.class);
        e.configure(now -> set);
      }
      case EXPERT_ADD -> e.addExpert(OperationJson.read(op.json(), ExpertSpec.class));
      case ROUTER_CHANGE -> e.replayRouterChange(op);
      case FEEDBACK_ANCHOR -> e.feedbackAnchor();
      case EXPERT_REMOVE -> e.removeExpert(OperationJson.read(op.json(), ExpertNames.class).name());
      case EXPERT_RENAME -> {
        ExpertNames n = OperationJson.read(op.json(), ExpertNames.class);
        e.renameExpert(n.name(), n.newName());
      }
      case CREATE_MODEL, IMPORT_MODEL, RESTORE -> throw new IllegalStateException("handled by the caller");
    }
  }

  /** The body of EXPERT_REMOVE ({@code name}) and EXPERT_RENAME ({@code name}, {@code newName}). */
  private record ExpertNames(String name, String newName) {
  }

  /**
   * What recovery found, for {@code GET /health}: always {@code snapshotsLoaded},
   * {@code operationsReplayed}, {@code operationsCoveredBySnapshots}, {@code operationsOfDeletedModels},
   * {@code lastSequence}, {@code models}, {@code millis} and {@code logFailed}; when they apply,
   * {@code tornTail} (what the log cut), {@code temporaryFilesRemoved},
   * {@code snapshotsReplacedByTheLog} (models rebuilt from the log, each with what was wrong with its
   * snapshot), {@code repair} (what a repair dropped: {@code copies}, {@code dropped} byte ranges with
   * the sequence numbers lost, {@code recordsLost}, {@code gaps}, {@code modelsWithoutCreation}) and
   * {@code holes} (the sequence numbers the log records as lost, with the reason).
   */
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
   * @throws Refusal NOT_FOUND for an unknown model, UNAVAILABLE when the log has failed or the snapshot
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
      ModelEntry.FeedbackState feedback;
      CompletableFuture<Long> last;
      long operations;
      e.sequencer().lock();
      try {
        if (e.deleted()) {
          throw Refusal.notFound("unknown model '" + name + "'");
        }
        if (journal.failed()) {
          throw Refusal.unavailable("the operation log has failed; no snapshot was taken");
        }
        if (e.wedged() != null) {
          // Its state may not be the log's: a snapshot of it would outlive the operations that
          // a restart would otherwise replay.
          throw Refusal.unavailable(e.wedged() + "; no snapshot was taken");
        }
        last = e.snapshotMarks().lastSequence();
        operations = e.snapshotMarks().sinceSnapshot();
        try {
          bytes = dev.auramoe.Snapshots.toSavableBytes(e.model());
          feedback = e.feedbackState();
        } catch (IOException ex) {
          LOG.error("snapshot of model '" + name + "' refused", ex);
          throw Refusal.unavailable("the snapshot could not be written: " + ex.getMessage());
        }
      } finally {
        e.sequencer().unlock();
      }
      try {
        // A snapshot must not cover an operation the log could still lose.
        seq = last.join();
      } catch (CompletionException | java.util.concurrent.CancellationException ex) {
        throw Refusal.unavailable("the operation log has failed; no snapshot was taken");
      }
      String file = name + "." + seq + ".aura";
      try {
        writeAtomically(snapDir.resolve(file), bytes);
        ObjectNode meta = JSON.createObjectNode();
        meta.put("model", name);
        meta.put("seq", seq);
        meta.put("file", file);
        meta.set("spec", JSON.readTree(OperationJson.write(e.spec())));
        ObjectNode f = meta.putObject("feedback");
        f.set("settings", JSON.readTree(OperationJson.write(feedback.settings())));
        java.nio.ByteBuffer anchor = java.nio.ByteBuffer.allocate(4 * feedback.anchor().length)
            .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        anchor.asFloatBuffer().put(feedback.anchor());
        f.put("anchor", java.util.Base64.getEncoder().encodeToString(anchor.array()));
        writeAtomically(snapDir.resolve(name + ".meta"), JSON.writeValueAsBytes(meta));
        e.sequencer().lock();
        try {
          e.snapshotMarks().covered(seq, operations);
        } finally {
          e.sequencer().unlock();
        }
        deleteSnapshotsExcept(name, file);
        snapshotFailures.remove(name);
      } catch (IOException ex) {
        LOG.error("snapshot of model '" + name + "' failed", ex);
        throw Refusal.unavailable("the snapshot could not be written");
      }
    } finally {
      e.snapshotLock().unlock();
    }
    int trimmed;
    try {
      trimmed = trim();
    } catch (IOException ex) {
      LOG.error("trimming the operation log failed", ex);
      trimmed = 0;
    }
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("model", name);
    r.put("seq", seq);
    r.put("trimmedSegments", trimmed);
    LOG.info("snapshot of model '{}' written at sequence {}; {} log segments trimmed", name, seq, trimmed);
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
        bound = Math.min(bound, e.snapshotMarks().coveredSeq() + 1);
      }
    }
    return bound > 1 ? wal.trimBefore(bound) : 0;
  }

  /**
   * Takes a model's snapshot in the background once {@code snapshotEvery} of its operations are not
   * in one. A failed periodic snapshot (the disk, a full heap: an OutOfMemoryError is caught too,
   * and harms no model, as the state is only read) is logged, reported by {@link #snapshotTrouble()}
   * ({@code GET /health} says DEGRADED), and retried with an exponential back-off: after the k-th
   * failure in a row, once {@code snapshotEvery * 2^k} operations (2^10 at most) are not in a
   * snapshot, instead of after every operation, as each try copies the whole model under its lock.
   * A snapshot that succeeds, periodic or asked for, ends the trouble.
   */
  private void maybeSnapshot(ModelEntry e) {
    SnapshotFailure failed = snapshotFailures.get(e.name());
    long due = failed == null ? snapshotEvery : failed.retryAfter();
    if (e.snapshotMarks().sinceSnapshot() < due || !scheduled.add(e.name())) {
      return;
    }
    try {
      background.execute(() -> {
        Throwable failure = null;
        try {
          if (!e.deleted() && e.snapshotMarks().sinceSnapshot() >= due) {
            snapshot(e.name());
          }
        } catch (Refusal ex) {
          failure = e.deleted() ? null : ex;
        } catch (RuntimeException | OutOfMemoryError ex) {
          failure = ex;
        } finally {
          scheduled.remove(e.name());
        }
        if (failure != null) {
          snapshotFailed(e.name(), failure);
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException closing) {
      scheduled.remove(e.name());
    }
  }

  /** Records a failed periodic snapshot for {@link #snapshotTrouble()} and the back-off, and logs it. */
  private void snapshotFailed(String name, Throwable failure) {
    SnapshotFailure f;
    try {
      String why = failure instanceof Refusal a ? a.getMessage()
          : failure instanceof OutOfMemoryError ? "the server ran out of memory (" + failure + ")" : failure.toString();
      f = snapshotFailures.compute(name, (n, last) -> {
        int times = last == null ? 1 : last.times() + 1;
        int shift = Math.min(times, MAX_BACKOFF_SHIFT);
        long retry = snapshotEvery > Long.MAX_VALUE >> shift ? Long.MAX_VALUE : snapshotEvery << shift;
        return new SnapshotFailure(times, java.time.Instant.now(), why, retry);
      });
      LOG.warn("periodic snapshot of model '" + name + "' failed (" + f.times()
          + " in a row): " + why + "; the next try is once " + f.retryAfter() + " operations are not in a snapshot");
    } catch (OutOfMemoryError again) {
      // No memory left to record it with: the next operation tries again, and records it then.
    }
  }

  /**
   * Why periodic snapshots are failing, or null when none is: for each model whose last periodic
   * snapshot failed, how many failed in a row, when the last did and why, and when the next is
   * tried. Until a snapshot succeeds the log is not trimmed past the model's last snapshot, and a
   * restart replays more of it. {@code GET /health} reports it as DEGRADED.
   */
  public String snapshotTrouble() {
    if (snapshotFailures.isEmpty()) {
      return null;
    }
    List<String> r = new ArrayList<>();
    for (Map.Entry<String, SnapshotFailure> f : new TreeMap<>(snapshotFailures).entrySet()) {
      SnapshotFailure s = f.getValue();
      r.add("the periodic snapshot of model '" + f.getKey() + "' failed " + (s.times() == 1 ? "once" : s.times()
          + " times in a row") + ", last at " + s.at() + ": " + s.why() + "; it is tried again once " + s.retryAfter()
          + " operations of the model are not in a snapshot, and the log is kept until one is written");
    }
    return String.join("; ", r);
  }

  /**
   * Removes a deleted model's snapshot files: the meta file first, so a crash half-way leaves no
   * snapshot. When that fails the model is deleted all the same (its deletion is durable); the
   * files are left for {@link #trim()} to retry, and until they are gone the log is not trimmed, so
   * that the deletion stays in it and a restart drops a model its leftover snapshot would bring back.
   */
  private void deleteFiles(String name) {
    snapshotFailures.remove(name);
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
      LOG.warn("the snapshot files of deleted model '" + name + "' could not be"
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
