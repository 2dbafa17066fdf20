package dev.auramoe.server;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** Fails a test that writes anything to stdout or stderr (from any thread) while it runs. */
public final class NoOutputExtension implements BeforeEachCallback, AfterEachCallback {

  private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(NoOutputExtension.class);

  private record Saved(PrintStream out, PrintStream err, ByteArrayOutputStream captured) {}

  @Override
  public void beforeEach(ExtensionContext context) {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream p = new PrintStream(captured, true, StandardCharsets.UTF_8);
    context.getStore(NS).put("saved", new Saved(System.out, System.err, captured));
    System.setOut(p);
    System.setErr(p);
  }

  @Override
  public void afterEach(ExtensionContext context) {
    Saved s = context.getStore(NS).remove("saved", Saved.class);
    System.setOut(s.out());
    System.setErr(s.err());
    String text = s.captured().toString(StandardCharsets.UTF_8);
    if (!text.isEmpty()) {
      throw new AssertionError("the test printed (tests must not print):\n" + text);
    }
  }
}
