package dev.auramoe.server.model;

import dev.auramoe.MixtureOfExperts;
import dev.auramoe.server.ServerLimits;
import dev.auramoe.server.journal.Operation;
import dev.auramoe.server.journal.OperationJournal;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The server's named models. Thread-safe: creation, lookup and removal may race freely; a request
 * that looked a model up before it was removed is refused as not found (it changes nothing).
 *
 * <p>Creation and deletion are operations of the registry's {@link OperationJournal}: both are
 * logged under the creation lock (deletion also under the model's sequencing lock, so it follows every
 * operation of the model in the log). Deletion waits until its operation is durable.
 *
 * <h2>Parameter budget</h2>
 * What every model holds against the {@linkplain #parameterBudget() budget} (its parameters and its
 * open streams, see {@link ModelEntry#heldParameters()}) is kept in one running total: a change that
 * adds parameters reserves them first ({@link #reserve}, a compare-and-set that fails when the budget
 * has no room, so two changes cannot both take the same room), and every change of a model settles
 * the model's share under its own sequencing lock. No change reads another model's state or takes
 * another model's lock, so opening a stream on one model never waits for another model, nor for the
 * creation lock.
 */
public final class ModelRegistry implements AutoCloseable {

  private final ConcurrentMap<String, ModelEntry> models = new ConcurrentHashMap<>();
  private final ServerLimits limits;
  private final long budget;
  private final LongSupplier clock;
  /** Parameters every model holds together (see the class documentation). */
  private final AtomicLong held = new AtomicLong();
  private final Object createLock = new Object();
  private volatile OperationJournal journal = OperationJournal.noop();
  private volatile Consumer<ModelEntry> afterOperation = e -> {};
  private volatile Consumer<String> onDelete = n -> {};
  private volatile boolean enforceBudget = true;
  /**
   * This registry's epoch, random: route ids carry it, so that one issued before a restart of the
   * server is told from one issued after (see {@link ModelFeedback}).
   */
  private final String feedbackEpoch = java.util.HexFormat.of().toHexDigits(new java.security.SecureRandom().nextLong());
  /** Route memories started so far, over every model (see {@link ModelFeedback}). */
  private final AtomicLong routeMemories = new AtomicLong();

  /**
   * An empty registry.
   *
   * @param limits the model count and size limits
   */
  public ModelRegistry(ServerLimits limits) {
    this(limits, parameterBudget(), System::nanoTime);
  }

  /**
   * An empty registry with its own budget and clock.
   *
   * @param limits the model count and size limits
   * @param budget the most parameters all models may hold together (see {@link #parameterBudget()})
   * @param clock nanoseconds of a monotonic clock ({@link System#nanoTime()}): when streams were used,
   *     for their eviction, and when a model's digest may copy its state again (see
   *     {@link ModelEntry#digest()})
   */
  public ModelRegistry(ServerLimits limits, long budget, LongSupplier clock) {
    if (budget < 1) {
      throw new IllegalArgumentException("budget must be >= 1, got " + budget);
    }
    this.limits = Objects.requireNonNull(limits, "limits");
    this.budget = budget;
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** The epoch route ids carry: 16 hex digits, new at every start. */
  String feedbackEpoch() {
    return feedbackEpoch;
  }

  /** The number of a new route memory, unique within this registry. */
  long nextRouteMemory() {
    return routeMemories.incrementAndGet();
  }

  /** Now, in the registry's clock (nanoseconds, monotonic). */
  long now() {
    return clock.getAsLong();
  }

  /** The model count and size limits. */
  public ServerLimits limits() {
    return limits;
  }

  /** The journal every operation goes to (default: {@link OperationJournal#noop()}). */
  public OperationJournal journal() {
    return journal;
  }

  /** Sets the journal operations go to from now on. */
  public void journal(OperationJournal j) {
    this.journal = Objects.requireNonNull(j, "journal");
  }

  /** Called after every operation on a model, outside its lock (the snapshot policy hooks in here). */
  public void afterOperation(Consumer<ModelEntry> hook) {
    this.afterOperation = Objects.requireNonNull(hook, "hook");
  }

  /**
   * Called when a model is deleted, under the creation lock and the model's sequencing lock, after
   * the deletion is durable and before the model leaves the registry (its snapshot files go here).
   */
  public void onDelete(Consumer<String> hook) {
    this.onDelete = Objects.requireNonNull(hook, "hook");
  }

  void operationApplied(ModelEntry e) {
    afterOperation.accept(e);
  }

  /** The creation lock: held, no model is created or deleted. */
  public Object creationLock() {
    return createLock;
  }

  /**
   * The most float parameters all models together may hold: one per 32 bytes of the JVM's maximum
   * heap. A model takes several times its parameters' 4 bytes while it is built and served
   * (initialisation, packed copies, buffers, stream states), and the server needs room beside them.
   */
  public static long parameterBudget() {
    return Runtime.getRuntime().maxMemory() / 32;
  }

  /**
   * Validates a spec, builds its model, logs its creation and registers it.
   *
   * @throws Refusal INVALID for a bad spec, CONFLICT for a taken name, a full registry or a model that
   *     would take the server over its {@linkplain #parameterBudget() parameter budget}, UNAVAILABLE
   *     when the journal has failed
   */
  public ModelEntry create(ModelSpec spec) {
    spec.validate(limits);
    // The model and its default stream; the entry settles the exact figure once it is made.
    return register(spec, spec.parameters() + spec.streamParameters() + spec.routeMemory(), () -> {
      try {
        return spec.build();
      } catch (IllegalArgumentException ex) {
        throw Refusal.invalid("invalid model configuration: " + ex.getMessage());
      }
    }, () -> Operation.create(spec.name(), OperationJson.write(spec))).entry();
  }

  /**
   * Registers a model read from a snapshot and logs it as one IMPORT_MODEL operation that carries
   * the snapshot, as {@link #create} registers and logs a new one; the budget counts its parameters
   * and its open streams. Answered once the operation is durable. A refused import closes the
   * import's model.
   *
   * @return the new entry
   * @throws Refusal TOO_LARGE when the operation would be a larger record than the journal takes
   *     ({@link OperationJournal#maxRecordBytes()}; nothing changed), CONFLICT for a taken name, a full
   *     registry or a model that would take the server over its {@linkplain #parameterBudget() parameter
   *     budget}, UNAVAILABLE when the journal has failed (nothing changed) or failed to make the import durable
   */
  public ModelEntry importModel(ModelImport imported) {
    ModelSpec spec = imported.spec();
    Registered r;
    try {
      Operation op = importOperation(imported);
      r = register(spec, imported.heldParameters(), imported::model, () -> op);
    } catch (RuntimeException ex) {
      imported.discard();
      throw ex;
    }
    try {
      // Outside the creation lock: a large snapshot's write must not hold up other models' creation.
      r.logged().join();
    } catch (java.util.concurrent.CompletionException | java.util.concurrent.CancellationException ex) {
      throw Refusal.unavailable("the operation log failed to make the import durable; a restart may not keep"
          + " model '" + spec.name() + "'");
    }
    return r.entry();
  }

  /**
   * Checks that these imports fit together, without registering any: the journal takes each one's
   * record, and the model limit and the parameter budget have room for all of them. A start that imports several models checks this
   * first, so that one that does not fit refuses the start before another is registered and logged
   * (which a restart would then recover, and refuse to import again).
   *
   * @throws Refusal CONFLICT when the registry or the budget has no room for all of them, TOO_LARGE when
   *     the journal would not take one's record
   */
  public void checkRoom(List<ModelImport> imports) {
    imports.forEach(this::importOperation);
    synchronized (createLock) {
      int after = models.size() + imports.size();
      if (after > limits.maxModels()) {
        throw Refusal.conflict("the server would hold " + after + " models, over its limit of " + limits.maxModels());
      }
      long total = imports.stream().mapToLong(ModelImport::heldParameters).sum();
      reserve(total);
      release(total);
    }
  }

  /**
   * The IMPORT_MODEL operation of an import, refused when the journal would not take its record: the
   * log refuses a record over its limit only once it is handed over, and a refused record fails the
   * log for every model.
   *
   * @throws Refusal TOO_LARGE when the record would be larger than {@link OperationJournal#maxRecordBytes()}
   */
  private Operation importOperation(ModelImport imported) {
    ModelSpec spec = imported.spec();
    Operation op = Operation.importModel(spec.name(), OperationJson.write(spec), imported.snapshot());
    long size = op.encodedSize();
    long most = journal.maxRecordBytes();
    if (size > most) {
      throw Refusal.tooLarge("the import of model '" + spec.name() + "' would be a record of " + size
          + " bytes in the operation log, over its limit of " + most + "; import a smaller snapshot");
    }
    return op;
  }

  /** A registered entry and the future of its creation's log sequence number. */
  private record Registered(ModelEntry entry, CompletableFuture<Long> logged) {}

  /**
   * Registers a model under the creation lock: refuses a taken name and a full registry, reserves
   * {@code reserved} parameters of the budget, makes the model, logs its operation (without waiting)
   * and registers it; the entry settles its exact share once it is made.
   */
  private Registered register(ModelSpec spec, long reserved, java.util.function.Supplier<MixtureOfExperts> make,
      java.util.function.Supplier<Operation> operation) {
    synchronized (createLock) {
      if (models.containsKey(spec.name())) {
        throw Refusal.conflict("model '" + spec.name() + "' already exists");
      }
      if (models.size() >= limits.maxModels()) {
        throw Refusal.conflict("the server holds " + limits.maxModels() + " models, its limit; delete one first");
      }
      reserve(reserved);
      // The entry's share, once registered. Read before the entry is visible: a stream opened or
      // closed on it right after settles its own change, which must not be counted twice.
      long kept = 0;
      try {
        MixtureOfExperts m = make.get();
        CompletableFuture<Long> f;
        try {
          f = journal.append(operation.get());
        } catch (RuntimeException ex) {
          m.close();
          throw Refusal.unavailable("the operation log has failed; nothing was changed");
        }
        // Nothing of the new model is in a snapshot: it is covered up to just before its creation.
        // The creation's sequence is known once durable; until then the previous durable one bounds it.
        ModelEntry e = new ModelEntry(spec, m, this, -1);
        long share = e.heldParameters();
        e.snapshotMarks().creating(f);
        models.put(spec.name(), e);
        kept = share;
        return new Registered(e, f);
      } finally {
        // Registered: the entry's share replaces the reservation; refused: the reservation goes.
        release(reserved - kept);
      }
    }
  }

  /**
   * Whether {@link #reserve} refuses and the models carry the stream limits of their caps (default
   * true). Recovery turns it off while it replays the log, which holds only changes that were
   * accepted and evicts streams only where it logged their eviction.
   */
  public void enforceBudget(boolean on) {
    synchronized (createLock) {
      enforceBudget = on;
      for (ModelEntry e : models.values()) {
        e.sequencer().lock();
        try {
          e.streams.limit();
        } finally {
          e.sequencer().unlock();
        }
      }
    }
  }

  /**
   * Whether the budget and the stream caps are enforced: false while recovery replays the log,
   * which holds only accepted changes (and the stream evictions that made room for them).
   */
  public boolean budgetEnforced() {
    return enforceBudget;
  }

  /** The most parameters all models may hold together (default {@link #parameterBudget()}). */
  public long budget() {
    return budget;
  }

  /**
   * The parameters all models hold now, open streams counted in: the running total of the class
   * documentation, which equals the sum of every model's {@link ModelEntry#heldParameters()} whenever
   * no change is under way. Constant time, lock-free.
   */
  public long heldParameters() {
    return held.get();
  }

  /**
   * The parameters the models may still take before the {@linkplain #budget() budget} is spent
   * (negative when it is overspent: recovery and restores do not refuse what the log holds). Open
   * streams count (see {@link ModelEntry#heldParameters()}). Constant time, lock-free.
   */
  public long budgetRoom() {
    return budget - held.get();
  }

  /**
   * Reserves room in the {@linkplain #budget() budget} for a change that adds parameters, before
   * anything is allocated (valid requests must not be able to exhaust the heap). The reservation
   * is added to the running total at once, so two changes cannot both take the same room; the change
   * gives it back with {@link #release} when it is refused, or lets its model settle it.
   *
   * @param extra the parameters the change adds
   * @throws Refusal CONFLICT when the budget would be exceeded (never while recovery replays the log)
   */
  public void reserve(long extra) {
    if (!tryReserve(extra)) {
      long now = held.get();
      throw Refusal.conflict("the models would hold " + (now + extra) + " parameters (open streams"
          + " counted in), over this server's budget of " + budget + " (one per 32 bytes of heap); delete a"
          + " model, close streams or give the JVM more memory (-Xmx)");
    }
  }

  /** As {@link #reserve}, answering false instead of throwing when there is no room. */
  boolean tryReserve(long extra) {
    if (!enforceBudget) {
      held.addAndGet(extra);
      return true;
    }
    for (long now = held.get();; now = held.get()) {
      if (now + extra > budget) {
        return false;
      }
      if (held.compareAndSet(now, now + extra)) {
        return true;
      }
    }
  }

  /** Gives back parameters (a refused change's reservation, a model's share that went). */
  void release(long parameters) {
    held.addAndGet(-parameters);
  }

  /**
   * Registers a model rebuilt by recovery (from a snapshot or a replayed creation); nothing is logged.
   *
   * @param coveredSeq every operation of the model up to this log sequence number is in its state
   */
  public ModelEntry restore(ModelSpec spec, MixtureOfExperts model, long coveredSeq) {
    synchronized (createLock) {
      ModelEntry e = new ModelEntry(spec, model, this, coveredSeq);
      held.addAndGet(e.heldParameters());
      ModelEntry old = models.put(spec.name(), e);
      if (old != null) {
        old.sequencer().lock();
        try {
          old.dropped();
        } finally {
          old.sequencer().unlock();
        }
        old.model().close();
      }
      return e;
    }
  }

  /**
   * The model with a name.
   *
   * @throws Refusal NOT_FOUND when there is none
   */
  public ModelEntry get(String name) {
    ModelEntry e = models.get(name);
    if (e == null) {
      throw Refusal.notFound("unknown model '" + name + "'");
    }
    return e;
  }

  /** The model with a name, or null. */
  public ModelEntry find(String name) {
    return models.get(name);
  }

  /**
   * Logs a model's deletion, waits until it is durable, then removes and closes the model.
   *
   * @throws Refusal NOT_FOUND when there is none, UNAVAILABLE when the journal has failed
   */
  public void remove(String name) {
    ModelEntry found = get(name);
    // Not while a snapshot of it is being written: its files would outlive the deletion.
    found.snapshotLock().lock();
    try {
      remove(name, found);
    } finally {
      found.snapshotLock().unlock();
    }
  }

  private void remove(String name, ModelEntry found) {
    synchronized (createLock) {
      ModelEntry e = get(name);
      if (e != found) {
        throw Refusal.notFound("unknown model '" + name + "'");
      }
      e.sequencer().lock();
      try {
        try {
          journal.append(Operation.delete(name)).join();
        } catch (RuntimeException ex) {
          throw Refusal.unavailable("the operation log has failed; the model was not deleted");
        }
        try {
          onDelete.accept(name);
        } finally {
          // The deletion is durable: the model is gone whatever became of its files, so that no later
          // request is acknowledged on a model a restart would drop.
          e.dropped();
          models.remove(name);
        }
      } finally {
        e.sequencer().unlock();
      }
      e.model().close();
    }
  }

  /** Removes a model without logging (recovery replaying a deletion). */
  public void drop(String name) {
    synchronized (createLock) {
      ModelEntry e = models.remove(name);
      if (e != null) {
        e.sequencer().lock();
        try {
          e.dropped();
        } finally {
          e.sequencer().unlock();
        }
        e.model().close();
      }
    }
  }

  /** Every model, by name. */
  public List<ModelEntry> list() {
    return models.values().stream().sorted(Comparator.comparing(ModelEntry::name)).toList();
  }

  /** Number of models. */
  public int size() {
    return models.size();
  }

  /** Closes every model. */
  @Override
  public void close() {
    for (ModelEntry e : models.values()) {
      e.model().close();
    }
    models.clear();
    held.set(0);
  }
}
