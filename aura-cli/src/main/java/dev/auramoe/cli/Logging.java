package dev.auramoe.cli;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.jul.LevelChangePropagator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * The logging of the {@code aura} command and of the service it runs: SLF4J with logback as its one
 * binding, and java.util.logging (Helidon's, through {@link System.Logger}, and the core's) routed
 * into it, so that every line has the same level and form.
 *
 * <p>Quiet by default: warnings and errors only, so that a command's own output is not buried under
 * its libraries' INFO lines ({@code --log-level info} or {@code AURA_LOG_LEVEL=info} shows them).
 * One line per event on stderr, {@code LEVEL: message} (a fault's stack trace follows), or one JSON
 * object per line ({@code --log-format json}, logback's {@link JsonEncoder}: timestamp, level,
 * threadName, loggerName, formattedMessage, throwable). A logback configuration file of one's own
 * ({@code -Dlogback.configurationFile=FILE}, e.g. through {@code AURA_JAVA_OPTS}) replaces all of it.
 */
public final class Logging {

  /** How much is logged: this level and the ones above it. */
  public enum Level {
    ERROR, WARN, INFO, DEBUG, TRACE
  }

  /** How each event is written. */
  public enum Format {
    /** {@code LEVEL: message}, one line (a fault's stack trace follows it). */
    TEXT,
    /** One JSON object per line. */
    JSON
  }

  /** The environment variables that choose the level and the format when the options do not. */
  static final String LEVEL_VARIABLE = "AURA_LOG_LEVEL";
  static final String FORMAT_VARIABLE = "AURA_LOG_FORMAT";

  /** The system property of logback's own configuration file, which, when given, wins. */
  static final String CONFIGURATION_FILE = "logback.configurationFile";

  /** The logger of DJL's GPU probe (see {@link #configure(Level, Format, OutputStream)}). */
  static final String GPU_PROBE = "ai.djl.util.cuda.CudaUtils";

  private Logging() {}

  /**
   * Sets up logging for the process: every event at {@code level} and above goes to {@code out} in
   * {@code format}, java.util.logging included. Replaces any earlier set-up; {@code out} is never
   * closed.
   */
  public static void configure(Level level, Format format, OutputStream out) {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    context.reset();
    // java.util.logging's loggers take logback's levels, so that what is not logged is not even
    // made into a record and bridged.
    LevelChangePropagator levels = new LevelChangePropagator();
    levels.setContext(context);
    levels.setResetJUL(true);
    levels.start();
    context.addListener(levels);

    Encoder<ILoggingEvent> encoder = format == Format.JSON ? json() : text();
    encoder.setContext(context);
    encoder.start();
    OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();
    appender.setName("aura");
    appender.setContext(context);
    appender.setEncoder(encoder);
    appender.setOutputStream(new Unclosed(out));
    appender.start();
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(ch.qos.logback.classic.Level.toLevel(level.name()));
    root.addAppender(appender);
    if (level == Level.WARN) {
      // The tokenizer's library probes for GPUs as it loads and warns where a CUDA runtime is
      // installed without a matching driver; the text stack runs on the CPU by design, so by default
      // that is not news (--log-level info shows it).
      context.getLogger(GPU_PROBE).setLevel(ch.qos.logback.classic.Level.ERROR);
    }
    routeJavaUtilLogging();
  }

  /**
   * Sets up the process's logging from the options and the environment, onto stderr, unless a
   * logback configuration file was given; java.util.logging is routed to SLF4J in both cases.
   */
  static void configure(Level level, Format format) {
    if (System.getProperty(CONFIGURATION_FILE) != null) {
      routeJavaUtilLogging();
      return;
    }
    configure(level, format, System.err);
  }

  /** java.util.logging's records go to SLF4J, and no longer to its own console handler. */
  private static void routeJavaUtilLogging() {
    if (!SLF4JBridgeHandler.isInstalled()) {
      SLF4JBridgeHandler.removeHandlersForRootLogger();
      SLF4JBridgeHandler.install();
    }
  }

  private static Encoder<ILoggingEvent> text() {
    PatternLayoutEncoder e = new PatternLayoutEncoder();
    e.setPattern("%level: %msg%n");
    return e;
  }

  private static Encoder<ILoggingEvent> json() {
    JsonEncoder e = new JsonEncoder();
    e.setWithSequenceNumber(false);
    e.setWithNanoseconds(false);
    e.setWithContext(false);
    e.setWithMarkers(false);
    e.setWithMDC(false);
    e.setWithKVPList(false);
    e.setWithArguments(false);
    e.setWithMessage(false);
    e.setWithFormattedMessage(true);
    return e;
  }

  /** Leaves the stream open when logback stops the appender (stderr outlives every set-up). */
  private static final class Unclosed extends FilterOutputStream {
    Unclosed(OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
    }

    @Override
    public void close() throws IOException {
      flush();
    }
  }
}
