package dev.auramoe.server.journal;

import java.util.concurrent.CompletableFuture;

/** The in-memory default: keeps nothing and acknowledges every event at once (no durability). */
final class NoopLearnJournal implements LearnJournal {

  static final NoopLearnJournal INSTANCE = new NoopLearnJournal();

  private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

  private NoopLearnJournal() {}

  @Override
  public CompletableFuture<Void> record(String model, byte[] event) {
    return DONE;
  }
}
