package dev.auramoe.testing;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Tests that print, and tests that do not, run by {@link NoOutputExtensionTest} through the JUnit
 * launcher (the build's test run leaves them out: the name does not end in Test).
 */
class PrintingSamples {

  @Test
  void printsToStdout() {
    System.out.println("hello from a test");
  }

  @Test
  void printsToStderrFromAnotherThread() throws InterruptedException {
    Thread t = new Thread(() -> System.err.println("hello from a thread"));
    t.start();
    t.join();
  }

  @Test
  void writesToAStreamOfItsOwn() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (PrintStream own = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      own.println("what a command printed, captured to be checked");
    }
    if (bytes.size() == 0) {
      throw new AssertionError("nothing captured");
    }
  }

  @Test
  void printsNothing() {}
}
