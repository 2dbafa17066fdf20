package dev.auramoe.engine;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A model's learning thread: one daemon thread, started on the first {@link #submit}, that applies
 * queued updates one at a time in submission order. {@link #close} drains the queue and stops the
 * thread; a later submission starts a new one. Thread-safe; its lock is private, so no caller can
 * hold it.
 */
public final class AsyncLearner {

  private final Object lock = new Object();
  /** Guarded by {@link #lock}. */
  private ExecutorService executor;
  private volatile Thread thread;

  /** Queues an update behind every update submitted before it. */
  public <T> CompletableFuture<T> submit(Supplier<T> update) {
    while (true) {
      try {
        return CompletableFuture.supplyAsync(update, executor());
      } catch (RejectedExecutionException e) {
        // close() shut this executor down between executor() and the submission: the queued
        // updates drain there, and this one goes to a fresh executor.
        synchronized (lock) {
          if (executor != null && executor.isShutdown()) {
            executor = null;
          }
        }
      }
    }
  }

  private ExecutorService executor() {
    synchronized (lock) {
      if (executor == null) {
        executor = Executors.newSingleThreadExecutor(r -> {
          Thread t = new Thread(r, "aura-learner");
          t.setDaemon(true);
          thread = t;
          return t;
        });
      }
      return executor;
    }
  }

  /**
   * Waits until every update queued before this call has been applied; called from the learning
   * thread itself it returns at once (the updates queued behind the current one cannot run first).
   */
  public void await() {
    ExecutorService l;
    synchronized (lock) {
      l = executor;
    }
    if (l != null && Thread.currentThread() != thread) {
      CompletableFuture.runAsync(() -> { }, l).join();
    }
  }

  /**
   * Drains the queued updates and stops the thread (waiting up to a minute); called from the
   * learning thread itself it only stops accepting updates.
   */
  public void close() {
    ExecutorService l;
    synchronized (lock) {
      l = executor;
      executor = null;
    }
    if (l == null) {
      return;
    }
    l.shutdown();
    if (Thread.currentThread() != thread) {
      try {
        l.awaitTermination(1, TimeUnit.MINUTES);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
