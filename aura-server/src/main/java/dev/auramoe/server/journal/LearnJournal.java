package dev.auramoe.server.journal;

import java.util.concurrent.CompletableFuture;

/**
 * The durability hook of the learn path: every learn request is handed to the journal before the
 * model changes, and the client is answered only once the returned future completes.
 *
 * <h2>Call order and threading</h2>
 * For one model, {@link #record} is called under that model's sequencing lock, in exactly the order
 * in which the events are applied to the model, so a journal that appends in call order can replay
 * the events and reproduce the learned state. {@code record} must not block on I/O: it should queue
 * the event (for example for a group commit) and complete the future when the event is durable.
 * Events of different models may be recorded concurrently from different threads.
 *
 * <pre>{@code
 * // under the model's sequencing lock
 * CompletableFuture<Void> durable = journal.record("sensors", event);  // queues, returns at once
 * model.learn(...);                                                     // apply in the same order
 * // after the lock is released
 * durable.join();                                                       // then answer the client
 * }</pre>
 *
 * <p>A future that completes exceptionally, or a {@code record} call that throws, makes the server
 * refuse the request as unavailable: when {@code record} throws the model is left unchanged; when the future fails the model
 * has already learned the event in memory, but the client is not told it was acknowledged.
 */
public interface LearnJournal extends AutoCloseable {

  /**
   * Hands one event to the journal.
   *
   * @param model the model's name
   * @param event the encoded event (see {@link LearnEvent#encode()}); not modified, owned by the
   *     journal afterwards
   * @return a future completed when the event is durable (or at once, for a journal that keeps nothing)
   */
  CompletableFuture<Void> record(String model, byte[] event);

  /** Releases the journal's resources; the default does nothing. */
  @Override
  default void close() {}

  /** A journal that keeps nothing and acknowledges every event at once. */
  static LearnJournal noop() {
    return NoopLearnJournal.INSTANCE;
  }
}
