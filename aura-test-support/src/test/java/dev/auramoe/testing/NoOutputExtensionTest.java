package dev.auramoe.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/** A test that prints fails, from any thread; one that writes to a stream of its own does not. */
class NoOutputExtensionTest {

  @Test
  void theExtensionIsFoundByAutoDetectionAndFailsEveryTestThatPrints() {
    PrintStream out = System.out;
    PrintStream err = System.err;
    Map<String, TestExecutionResult> results = run(PrintingSamples.class, true);

    assertThat(results).containsOnlyKeys("printsToStdout()", "printsToStderrFromAnotherThread()",
        "writesToAStreamOfItsOwn()", "printsNothing()");
    assertFailed(results.get("printsToStdout()"), "hello from a test");
    assertFailed(results.get("printsToStderrFromAnotherThread()"), "hello from a thread");
    assertThat(results.get("writesToAStreamOfItsOwn()").getStatus()).isEqualTo(TestExecutionResult.Status.SUCCESSFUL);
    assertThat(results.get("printsNothing()").getStatus()).isEqualTo(TestExecutionResult.Status.SUCCESSFUL);
    assertThat(System.out).as("System.out given back").isSameAs(out);
    assertThat(System.err).as("System.err given back").isSameAs(err);
  }

  @Test
  void thisModuleTurnsAutoDetectionOn() {
    assertThat(NoOutputExtension.isWatching()).isTrue();
  }

  @Test
  void theModuleCheckFailsWhereAutoDetectionIsOffAndPassesWhereItIsOn() {
    PrintStream out = System.out;
    PrintStream err = System.err;
    TestExecutionResult off;
    // This test itself runs watched: a module without the extension has plain streams.
    System.setOut(new PrintStream(OutputStream.nullOutputStream()));
    System.setErr(new PrintStream(OutputStream.nullOutputStream()));
    try {
      off = run(UnwatchedModuleSample.class, false).get("everyTestOfThisModuleIsWatched()");
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
    assertThat(off.getStatus()).isEqualTo(TestExecutionResult.Status.FAILED);
    assertThat(off.getThrowable()).get().asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.THROWABLE)
        .hasMessageContaining("junit.jupiter.extensions.autodetection.enabled");
    assertThat(run(UnwatchedModuleSample.class, true).get("everyTestOfThisModuleIsWatched()").getStatus())
        .isEqualTo(TestExecutionResult.Status.SUCCESSFUL);
  }

  /** Runs the tests of {@code sample} through the launcher; the result of each by its display name. */
  private static Map<String, TestExecutionResult> run(Class<?> sample, boolean autodetection) {
    Map<String, TestExecutionResult> results = new ConcurrentHashMap<>();
    LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request()
        .selectors(DiscoverySelectors.selectClass(sample))
        .configurationParameter("junit.jupiter.extensions.autodetection.enabled", String.valueOf(autodetection))
        .build(),
        new TestExecutionListener() {
          @Override
          public void executionFinished(TestIdentifier id, TestExecutionResult result) {
            if (id.isTest()) {
              results.put(id.getDisplayName(), result);
            }
          }
        });
    return results;
  }

  private static void assertFailed(TestExecutionResult r, String printed) {
    assertThat(r.getStatus()).isEqualTo(TestExecutionResult.Status.FAILED);
    assertThat(r.getThrowable()).get().asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.THROWABLE)
        .isInstanceOf(AssertionError.class).hasMessageContaining("tests must not print").hasMessageContaining(printed);
  }
}
