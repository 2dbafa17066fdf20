package dev.auramoe;

/**
 * Told of each stream a model evicts to make room under its {@link StreamLimits}, or that
 * {@link MixtureOfExperts#evictStream} evicts, before the stream is removed: a service logs the
 * eviction ahead of it, a job keeps the state to {@linkplain MixtureOfExperts#importStream restore}
 * the stream when it comes back.
 *
 * <p>Called on the thread that opens (or evicts), under the model's lock: it must be quick and must
 * not use the model from another thread (which would wait for the lock). If it throws, the stream
 * is not evicted and the exception propagates out of the call that evicted it (an open that had to
 * evict several streams keeps the evictions already made and does not open).
 *
 * <p>On its own thread it may read the model (export any stream's state, the stream being evicted
 * included, which is still open while it runs; ask which streams are open, how many, their stamps
 * and what an open would evict; save a snapshot) but must not change the model's streams: opening,
 * ensuring, closing, evicting, importing, resetting, touching or stamping streams, copying their
 * recency, setting the stream limits or the listener, and routing, predicting or learning on any
 * stream each throw {@link IllegalStateException} ("the stream eviction listener must not change the
 * model's streams") and change nothing. An open from the listener would evict the stream being
 * evicted again without end, and a close, eviction or use would take or change a stream under the
 * eviction that is running. A listener that catches the exception lets the eviction go on.
 */
@FunctionalInterface
public interface StreamEvictionListener {

  /**
   * A stream is about to be evicted.
   *
   * @param id the stream's id
   * @param state its state as {@link MixtureOfExperts#exportStream} gives it, or null when the state
   *     holds a non-finite value (which could not be imported back)
   */
  void evicting(String id, byte[] state);
}
