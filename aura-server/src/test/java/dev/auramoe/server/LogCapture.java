package dev.auramoe.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * The log events of a block of code, in memory (tests never print): attaches an appender to the
 * root logger at the given level, and puts the tests' silent set-up back when closed.
 */
public final class LogCapture implements AutoCloseable {

  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  private final Level before = root.getLevel();
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  /** Captures the events at {@code level} and above. */
  public LogCapture(Level level) {
    appender.setContext(root.getLoggerContext());
    appender.start();
    root.addAppender(appender);
    root.setLevel(level);
  }

  /** The events so far, in order. */
  public List<ILoggingEvent> events() {
    return List.copyOf(appender.list);
  }

  /** The events so far as "LEVEL logger: message" lines. */
  public List<String> lines() {
    return events().stream().map(e -> e.getLevel() + " " + e.getLoggerName() + ": " + e.getFormattedMessage()).toList();
  }

  @Override
  public void close() {
    root.detachAppender(appender);
    appender.stop();
    root.setLevel(before);
  }
}
