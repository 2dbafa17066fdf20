package dev.auramoe.testing;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Tests never print (STYLE.md E6): every test runs with System.out and System.err redirected to a
 * buffer, and fails if anything was written. Registered for every test through JUnit's extension
 * auto-detection (see {@code junit-platform.properties}).
 */
public final class NoOutputExtension implements BeforeEachCallback, AfterEachCallback {

  private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(NoOutputExtension.class);

  private record Saved(PrintStream out, PrintStream err, ByteArrayOutputStream buffer) {}

  @Override
  public void beforeEach(ExtensionContext context) {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    PrintStream capture = new PrintStream(buffer, true, StandardCharsets.UTF_8);
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
