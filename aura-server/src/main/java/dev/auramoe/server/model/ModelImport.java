package dev.auramoe.server.model;

import dev.auramoe.MixtureOfExperts;
import dev.auramoe.Snapshots;
import dev.auramoe.experts.Expert;
import dev.auramoe.io.SnapshotException;
import dev.auramoe.server.ServerLimits;
import java.util.ArrayList;
import java.util.List;

/**
 * A model read from a single-JVM snapshot ({@link Snapshots}: what {@code Snapshots.save}, the Flink
 * job's {@code --model-out} and {@code GET /v1/models/{name}/snapshot} write), checked against the
 * server's limits and not yet registered: {@link ModelRegistry#importModel} registers it and logs it
 * as one IMPORT_MODEL operation that carries the snapshot, so that a replay rebuilds the same model.
 *
 * <p>The model is served under a {@link ModelSpec} read from the model itself: its dimensions,
 * experts, {@code topK}, cell size, seed, temperature and router learning rate; {@code mu} (the
 * default step of experts added later) is that of its first NLMS expert, or the default when it
 * has none; diagnostics and feedback take the defaults of a created model. Whatever else the
 * snapshot holds (cell type and time constants, balancing, credit, recent errors, experts of every
 * kind with their state, open streams with theirs, counters) is the model's and stays as it is.
 *
 * <p>Refused, with a message that says why (nothing changes): bytes that are not a snapshot
 * (truncated, damaged, another format), a snapshot with function experts (Java functions, which a
 * snapshot names but cannot carry) or other experts than the API's nlms and rls, one whose model is
 * over the server's limits (size, experts, open streams per model) and one with a stream id or an
 * expert name the API cannot address ({@link ModelEntry#checkStreamId}, {@link ExpertSpec#checkName}).
 */
public final class ModelImport {

  private final ModelSpec spec;
  private final MixtureOfExperts model;
  private final byte[] snapshot;

  private ModelImport(ModelSpec spec, MixtureOfExperts model, byte[] snapshot) {
    this.spec = spec;
    this.model = model;
    this.snapshot = snapshot;
  }

  /**
   * Reads a snapshot as a model to be served under {@code name}.
   *
   * @param snapshot the framed snapshot bytes (kept, not copied: they go to the log as they are)
   * @throws Refusal INVALID for a malformed name, bytes that are not a snapshot, function experts, or a
   *     model over the limits; the message says which
   */
  public static ModelImport read(String name, byte[] snapshot, ServerLimits limits) {
    ModelSpec.checkName(name);
    if (snapshot.length > limits.maxSnapshotBytes()) {
      throw Refusal.invalid("the snapshot has " + snapshot.length + " bytes, over this server's limit of "
          + limits.maxSnapshotBytes());
    }
    List<String> functions = new ArrayList<>();
    MixtureOfExperts m;
    try {
      m = Snapshots.fromBytes(snapshot, expert -> {
        functions.add(expert);
        return null;
      });
    } catch (SnapshotException e) {
      if (!functions.isEmpty()) {
        throw Refusal.invalid("the snapshot has function expert '" + functions.getFirst() + "': its Java function is"
            + " not in the snapshot, so the service cannot rebuild it; serve the model in the JVM that has the"
            + " function, or replace the expert by an nlms or rls one before saving");
      }
      throw Refusal.invalid("not a valid snapshot: " + e.getMessage());
    }
    try {
      ModelSpec spec = specOf(name, m);
      check(spec, m, limits);
      m.enableDiagnostics(spec.diagnosticsWindow(), spec.diagnosticsDecay());
      return new ModelImport(spec, m, snapshot);
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
  }

  /**
   * Rebuilds the model of an IMPORT_MODEL operation (recovery): the snapshot it carries, with the
   * diagnostics of its spec, as {@link #read} made it.
   *
   * @throws SnapshotException when the snapshot cannot be read (the record was written from one that could)
   */
  public static MixtureOfExperts load(ModelSpec spec, byte[] snapshot) throws SnapshotException {
    MixtureOfExperts m = Snapshots.fromBytes(snapshot, null);
    m.enableDiagnostics(spec.diagnosticsWindow(), spec.diagnosticsDecay());
    return m;
  }

  /** The spec the model is served under. */
  public ModelSpec spec() {
    return spec;
  }

  /** The model, until it is registered or {@linkplain #discard() discarded}. */
  MixtureOfExperts model() {
    return model;
  }

  /** The snapshot as it was read. */
  byte[] snapshot() {
    return snapshot;
  }

  /** What the model holds against the memory limits, as {@link ModelEntry#heldParameters()} counts it. */
  long heldParameters() {
    return model.parameterCount() + (long) model.streamCount() * spec.streamParameters() + spec.routeMemory();
  }

  /** Closes the model of an import that was refused, or never registered. */
  public void discard() {
    model.close();
  }

  private static ModelSpec specOf(String name, MixtureOfExperts m) {
    double mu = ModelSpec.DEFAULT_MU;
    for (int i = 0; i < m.expertCount(); i++) {
      Expert e = m.expert(i);
      if (e.kind().equals("nlms")) {
        double first = e.hyperParameters()[0];
        mu = first > 0 && first < 2 ? first : mu;
        break;
      }
    }
    return new ModelSpec(name, m.inputDim(), m.outputDim(), m.expertCount(), m.topK(), m.hidden(), m.config().seed(),
        mu, m.routerLearningRate(), m.temperature(), ModelSpec.DEFAULT_DIAGNOSTICS_WINDOW,
        ModelSpec.DEFAULT_DIAGNOSTICS_DECAY, FeedbackSettings.DEFAULT);
  }

  private static void check(ModelSpec spec, MixtureOfExperts m, ServerLimits limits) {
    for (int i = 0; i < m.expertCount(); i++) {
      Expert e = m.expert(i);
      if (!e.kind().equals("nlms") && !e.kind().equals("rls")) {
        throw Refusal.invalid("the snapshot has expert '" + e.name() + "' of kind '" + e.kind() + "'; the service"
            + " serves experts of kind nlms and rls");
      }
      try {
        ExpertSpec.checkName(e.name());
      } catch (Refusal r) {
        // The API names experts in paths (/v1/models/{name}/experts/{expert}): one it cannot name could
        // be neither renamed nor removed.
        throw Refusal.invalid("the snapshot has an expert whose name the service cannot address, '"
            + (e.name().length() > 64 ? e.name().substring(0, 64) + "..." : e.name()) + "': " + r.getMessage());
      }
    }
    try {
      spec.checkFields();
      spec.checkSize(m.parameterCount() + (long) m.streamCount() * spec.streamParameters(), limits);
    } catch (Refusal r) {
      throw Refusal.invalid("the snapshot's model does not fit this server: " + r.getMessage());
    }
    if (limits.maxStreams() > 0 && m.streamCount() > limits.maxStreams()) {
      throw Refusal.invalid("the snapshot has " + m.streamCount() + " open streams, over this server's limit of "
          + limits.maxStreams() + " per model; close streams before saving, or raise the limit (--max-streams)");
    }
    for (String stream : m.streams()) {
      try {
        ModelEntry.checkStreamId(stream);
      } catch (Refusal r) {
        throw Refusal.invalid("the snapshot has a stream whose id the service cannot address, '"
            + (stream.length() > 64 ? stream.substring(0, 64) + "..." : stream) + "': " + r.getMessage());
      }
    }
  }
}
