package dev.auramoe.testing;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Tests never print: every test runs with System.out and System.err redirected to a buffer, and
 * fails if anything was written to them (from any thread) while it ran. A test that checks what a
 * command prints gives the command a stream of its own and is not affected.
 *
 * <p>Listed in {@code META-INF/services/org.junit.jupiter.api.extension.Extension} of this jar; a
 * module that has this jar in test scope turns JUnit's extension auto-detection on in its
 * {@code src/test/resources/junit-platform.properties}, and then every test of the module has it.
 */
public final class NoOutputExtension implements BeforeEachCallback, AfterEachCallback {

  private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(NoOutputExtension.class);

  private record Saved(PrintStream out, PrintStream err, ByteArrayOutputStream buffer) {}

  /** System.out and System.err while a test runs: a type of its own, so that {@link #isWatching} can tell. */
  private static final class Capture extends PrintStream {
    Capture(ByteArrayOutputStream buffer) {
      super(buffer, true, StandardCharsets.UTF_8);
    }
  }

  /**
   * Whether the calling test runs under this extension, that is, whether its module turned
   * auto-detection on (a module's own test of its set-up asks this).
   */
  public static boolean isWatching() {
    return System.out instanceof Capture && System.err instanceof Capture;
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    PrintStream capture = new Capture(buffer);
    context.getStore(NS).put("saved", new Saved(System.out, System.err, buffer));
    System.setOut(capture);
    System.setErr(capture);
  }

  @Override
  public void afterEach(ExtensionContext context) {
    Saved s = context.getStore(NS).remove("saved", Saved.class);
    if (s == null) {
      return;
    }
    System.setOut(s.out());
    System.setErr(s.err());
    String written = s.buffer().toString(StandardCharsets.UTF_8);
    if (!written.isEmpty()) {
      throw new AssertionError("test printed to System.out/System.err (tests must not print): "
          + (written.length() > 500 ? written.substring(0, 500) + "..." : written));
    }
  }
}
