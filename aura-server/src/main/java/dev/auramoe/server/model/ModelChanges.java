package dev.auramoe.server.model;

import dev.auramoe.MixtureOfExperts;
import dev.auramoe.experts.Expert;
import dev.auramoe.server.ServerLimits;
import dev.auramoe.server.journal.Operation;
import dev.auramoe.server.model.ModelEntry.Changed;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * The changes of one model that are answered once durable: its run-time settings, feedback's included (CONFIGURE), its
 * expert set (EXPERT_ADD, EXPERT_REMOVE, EXPERT_RENAME) and a restore from its snapshot (RESTORE).
 * A change of the expert set or a restore replaces the {@link MixtureOfExperts} as a whole: the new
 * one is built beside the old one, checked and logged under the sequencer, and only then takes its
 * place; the old one is closed outside the lock.
 *
 * <p>Lock order: the model's sequencer only (a restore's caller holds the snapshot lock before it).
 */
final class ModelChanges {

  private static final String NOT_DURABLE =
      "the operation log could not make the change durable; it is not acknowledged";

  private final ModelEntry entry;

  ModelChanges(ModelEntry entry) {
    this.entry = entry;
  }

  /**
   * See {@link ModelEntry#configure}. Feedback settings that let the route memory grow reserve the
   * growth first (CONFLICT past the model's parameter limit or the server's budget).
   */
  Changed<ModelSettings> configure(UnaryOperator<ModelSettings> change) {
    Sequencer sequencer = entry.sequencing();
    CompletableFuture<Long> durable;
    ModelSettings s;
    long reserved = 0;
    sequencer.lockParking();
    try {
      entry.requireLive();
      MixtureOfExperts model = entry.model();
      ModelFeedback feedback = entry.feedbackPart();
      ModelSettings now = ModelSettings.of(model, feedback.settings());
      s = change.apply(now).withFeedbackOr(now.feedback()).asFloats();
      s.validate();
      long growth = s.feedback().routeMemory(model.hidden(), model.inputDim(), model.expertCount(), model.topK())
          - feedback.routeMemory();
      if (growth > 0) {
        long after = entry.heldParameters() + growth;
        long most = entry.registry().limits().maxParameters();
        if (after > most && entry.registry().budgetEnforced()) {
          throw Refusal.conflict("with these feedback settings model '" + entry.name() + "' would hold about " + after
              + " parameters (its routes waiting for feedback, its open streams counted in), more than the limit of "
              + most + " per model; remember fewer routes (feedbackRememberedRoutes)");
        }
        entry.registry().reserve(growth);
        reserved = growth;
      }
      durable = sequencer.log(Operation.change(Operation.Type.CONFIGURE, entry.name(), OperationJson.write(s)));
      s.applyTo(model);
      feedback.configure(s.feedback());
    } catch (Error e) {
      throw sequencer.wedge(e);
    } finally {
      entry.share().settle(reserved);
      sequencer.unlock();
    }
    entry.after();
    return new Changed<>(awaitDurable(durable), s);
  }

  /** See {@link ModelEntry#restore}. */
  void restore(MixtureOfExperts loaded, long snapshotSeq) {
    // Answered only once durable, as learns and deletions are: a restore a client saw succeed must
    // survive a crash.
    replaceModel(() -> {
      // Recency is bookkeeping, not state: the streams in use before the restore stay the most
      // recently used ones; streams only the snapshot holds count as used now.
      loaded.copyStreamRecency(entry.model(), entry.registry().now());
      return new Replacement(Operation.restore(entry.name(), snapshotSeq), loaded, 0);
    });
  }

  /** See {@link ModelEntry#addExpert}. */
  Changed<List<String>> addExpert(ExpertSpec spec) {
    spec.validate();
    ModelSpec modelSpec = entry.spec();
    int in = modelSpec.inputDim();
    int out = modelSpec.outputDim();
    // With feedback on, every remembered route holds one more probability.
    long added = spec.parameters(in, out) + entry.feedbackPart().routeMemoryPerExpert();
    ModelRegistry registry = entry.registry();
    ServerLimits limits = registry.limits();
    String name = entry.name();
    return replaceModel(() -> {
      List<String> names = entry.expertNames();
      if (names.contains(spec.name())) {
        throw Refusal.conflict("model '" + name + "' already has an expert named '" + spec.name() + "'");
      }
      if (names.size() >= ModelSpec.MAX_EXPERTS) {
        throw Refusal.conflict("model '" + name + "' has " + names.size() + " experts, the most a model"
            + " may have; remove one first");
      }
      long after = entry.heldParameters() + added;
      if (after > limits.maxParameters()) {
        throw Refusal.conflict("with this expert model '" + name + "' would hold about " + after
            + " parameters (its open streams counted in), more than the limit of " + limits.maxParameters()
            + " per model");
      }
      // Reserved before anything is allocated; settled by swap, given back here if it fails first.
      registry.reserve(added);
      try {
        Expert e;
        try {
          e = spec.build(in, out);
        } catch (IllegalArgumentException ex) {
          throw Refusal.invalid("invalid expert: " + ex.getMessage());
        }
        return new Replacement(Operation.change(Operation.Type.EXPERT_ADD, name, OperationJson.write(spec)),
            entry.model().withExpert(e), added);
      } catch (RuntimeException | Error ex) {
        registry.release(added);
        throw ex;
      }
    });
  }

  /** See {@link ModelEntry#removeExpert}. */
  Changed<List<String>> removeExpert(String expert) {
    return replaceModel(() -> {
      int i = requireExpert(expert);
      MixtureOfExperts model = entry.model();
      if (model.expertCount() - 1 < model.topK()) {
        throw Refusal.conflict("cannot remove expert '" + expert + "': model '" + entry.name() + "' routes each input"
            + " to " + model.topK() + " experts and would have " + (model.expertCount() - 1));
      }
      return new Replacement(Operation.change(Operation.Type.EXPERT_REMOVE, entry.name(),
          OperationJson.write(Map.of("name", expert))), model.withoutExpert(i), 0);
    });
  }

  /** See {@link ModelEntry#renameExpert}. */
  Changed<List<String>> renameExpert(String expert, String newName) {
    ExpertSpec.checkName(newName);
    return replaceModel(() -> {
      int i = requireExpert(expert);
      if (entry.expertNames().contains(newName)) {
        throw Refusal.conflict("model '" + entry.name() + "' already has an expert named '" + newName + "'");
      }
      return new Replacement(Operation.change(Operation.Type.EXPERT_RENAME, entry.name(),
          OperationJson.write(Map.of("name", expert, "newName", newName))),
          entry.model().withExpertRenamed(i, newName), 0);
    });
  }

  private int requireExpert(String expert) {
    int i = entry.expertNames().indexOf(expert);
    if (i < 0) {
      throw Refusal.notFound("model '" + entry.name() + "' has no expert named '" + expert + "'");
    }
    return i;
  }

  /**
   * A replacement of the model (a change of the expert set, a restore): its operation, the new model
   * and the parameters reserved for it in the registry's budget.
   */
  private record Replacement(Operation op, MixtureOfExperts next, long reserved) {}

  /**
   * Replaces the model. Under the sequencer, {@code change} checks the request against the live
   * model (throwing to refuse it, which changes nothing) and gives the new model; the operation is
   * logged (the new model is closed if the log refuses it), then the new model takes the old one's
   * place. Outside the lock the old model is closed and the operation awaited until durable.
   *
   * <p>A change that adds parameters reserves them in {@code change} (giving them back if it throws);
   * the model's share of the budget is settled once the new model is in place, or the old one kept.
   *
   * @return the sequence number and the expert names right after the change
   */
  private Changed<List<String>> replaceModel(Supplier<Replacement> change) {
    Swapped s = swap(change);
    s.old().close();
    entry.after();
    return new Changed<>(awaitDurable(s.durable()), s.names());
  }

  private record Swapped(MixtureOfExperts old, CompletableFuture<Long> durable, List<String> names) {}

  private Swapped swap(Supplier<Replacement> change) {
    Sequencer sequencer = entry.sequencing();
    Replacement c = null;
    sequencer.lockParking();
    try {
      entry.requireLive();
      c = change.get();
      CompletableFuture<Long> durable;
      try {
        durable = sequencer.log(c.op());
      } catch (RuntimeException e) {
        c.next().close();
        throw e;
      }
      MixtureOfExperts old = entry.model();
      return new Swapped(old, durable, entry.replace(c.next()));
    } catch (Error e) {
      throw sequencer.wedge(e);
    } finally {
      entry.share().settle(c == null ? 0 : c.reserved());
      sequencer.unlock();
    }
  }

  private static long awaitDurable(CompletableFuture<Long> durable) {
    try {
      return durable.join();
    } catch (CompletionException | CancellationException e) {
      throw Refusal.unavailable(NOT_DURABLE);
    }
  }
}
