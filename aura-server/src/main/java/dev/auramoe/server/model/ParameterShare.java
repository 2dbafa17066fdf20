package dev.auramoe.server.model;

import dev.auramoe.MixtureOfExperts;

/**
 * What one model holds against the server's parameter budget: its share of the registry's running
 * total (see {@link ModelRegistry}). A change that adds parameters reserves them in the registry
 * first; every change that may alter the model's parameters or streams then {@linkplain #settle
 * settles} the share under the model's sequencer, recounted from this model alone (its parameters,
 * its open streams and its route memory for feedback), so no operation of one model reads another
 * model or takes its locks.
 */
final class ParameterShare {

  private final ModelEntry entry;
  /** The share, in parameters (written under the sequencer). */
  private volatile long held;

  /** The share of a model just made: its parameters and its open streams. */
  ParameterShare(ModelEntry entry) {
    this.entry = entry;
    this.held = count();
  }

  /** Float parameters the model holds now ({@link MixtureOfExperts#parameterCount()}). */
  long parameters() {
    return entry.model().parameterCount();
  }

  /** The share as last settled (exact whenever no change of the model is under way); takes no lock. */
  long held() {
    return held;
  }

  /**
   * Settles the share after a change, under the sequencer: the change's reservation becomes part of
   * the share, and the share is recounted from this model alone. A deleted model's share was given
   * back, so the reservation goes back too.
   *
   * @param reserved what the change reserved in the registry (0 for none)
   */
  void settle(long reserved) {
    ModelRegistry registry = entry.registry();
    if (entry.deleted()) {
      registry.release(reserved);
      return;
    }
    long now = count();
    registry.release(held + reserved - now);
    held = now;
  }

  /** Gives the share back (the model left the registry); under the sequencer. */
  void drop() {
    entry.registry().release(held);
    held = 0;
  }

  /** The model's parameters, its open streams and what its routes waiting for feedback may take. */
  private long count() {
    return parameters() + (long) entry.model().streamCount() * entry.spec().streamParameters()
        + entry.feedbackPart().routeMemory();
  }
}
