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
