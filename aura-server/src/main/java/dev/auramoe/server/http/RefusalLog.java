package dev.auramoe.server.http;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log lines of refused requests. A client's mistake (400, 404, 409, ...) is the client's to
 * read in its answer, so it is logged at DEBUG only; a refusal that says the service itself is short
 * of something (429: a model holds all the streams it may; 503: the log failed, a model is wedged,
 * memory ran out) is logged at WARN, at most once a second, so that a storm of them cannot flood
 * the log: the next line says how many were left out. A 500 is logged where it happens, with its
 * stack trace.
 */
public final class RefusalLog {

  private static final Logger LOG = LoggerFactory.getLogger(RefusalLog.class);
  private static final long INTERVAL_NANOS = 1_000_000_000L;

  private final LongSupplier clock;
  private final AtomicLong nextWarn;
  private final AtomicLong notLogged = new AtomicLong();

  /** A log of refusals on the JVM's nano clock. */
  public RefusalLog() {
    this(System::nanoTime);
  }

  /** A log of refusals on the given nano clock (tests). */
  RefusalLog(LongSupplier clock) {
    this.clock = clock;
    this.nextWarn = new AtomicLong(clock.getAsLong());
  }

  /**
   * Logs a refused request, as the class says; costs a comparison when it is not logged.
   *
   * @param endpoint the endpoint's metrics label
   * @param status the status answered
   * @param body the answer's body (the JSON error)
   */
  public void refused(String endpoint, int status, byte[] body) {
    if (status == 429 || status == 503) {
      long now = clock.getAsLong();
      long next = nextWarn.get();
      if (now - next < 0 || !nextWarn.compareAndSet(next, now + INTERVAL_NANOS)) {
        notLogged.incrementAndGet();
        return;
      }
      long left = notLogged.getAndSet(0);
      if (LOG.isWarnEnabled()) {
        try {
          LOG.warn("{} refused with {}: {}{}", endpoint, status, new String(body, StandardCharsets.UTF_8),
              left == 0 ? "" : " (" + left + " such refusals in the last second were not logged)");
        } catch (OutOfMemoryError e) {
          // A 503 may answer an out-of-memory: with no memory to log it, /health reports it.
        }
      }
    } else if (status >= 400 && status < 500 && LOG.isDebugEnabled()) {
      LOG.debug("{} refused with {}: {}", endpoint, status, new String(body, StandardCharsets.UTF_8));
    }
  }
}
