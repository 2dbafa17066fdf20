package dev.auramoe.cli;

import dev.auramoe.TextEmbedder;
import dev.auramoe.text.SentenceEncoder;
import java.util.function.Supplier;

/**
 * A {@link TextEmbedder} that loads its {@link SentenceEncoder} on first use: {@code aura serve} hands
 * one to the service, so that a server that never sees a text never pays for the encoder (about a
 * second to load and 100 MB of native memory), and the first text request waits for it once.
 * Loading happens once, under this object's lock; an encoder that cannot be loaded is not tried again,
 * and every call then throws an {@link IllegalStateException} that says why (the service answers 503).
 */
final class LazyTextEmbedder implements TextEmbedder, AutoCloseable {

  private final Supplier<SentenceEncoder> load;
  private volatile SentenceEncoder encoder;
  private RuntimeException failure;
  private boolean closed;

  /**
   * @param load makes the encoder (for example {@code SentenceEncoder::allMiniLmL6V2}); called once
   */
  LazyTextEmbedder(Supplier<SentenceEncoder> load) {
    this.load = load;
  }

  /** Whether the encoder was loaded. */
  boolean loaded() {
    return encoder != null;
  }

  @Override
  public int dimension() {
    return encoder().dimension();
  }

  @Override
  public int vocabularySize() {
    return encoder().vocabularySize();
  }

  @Override
  public Embedded embed(String text) {
    return encoder().embed(text);
  }

  private SentenceEncoder encoder() {
    SentenceEncoder e = encoder;
    return e != null ? e : load();
  }

  private synchronized SentenceEncoder load() {
    if (closed) {
      throw new IllegalStateException("the text encoder is closed");
    }
    if (encoder == null) {
      if (failure == null) {
        try {
          encoder = load.get();
        } catch (RuntimeException e) {
          failure = new IllegalStateException("the text encoder could not be loaded: " + e.getMessage(), e);
        }
      }
      if (failure != null) {
        throw failure;
      }
    }
    return encoder;
  }

  /** Closes the encoder if it was loaded; later calls throw. */
  @Override
  public synchronized void close() {
    closed = true;
    SentenceEncoder e = encoder;
    if (e != null) {
      e.close();
    }
  }
}
