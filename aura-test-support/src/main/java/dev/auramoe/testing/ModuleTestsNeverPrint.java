package dev.auramoe.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * A module's test of its own set-up: extended by one test class in each module that has this jar,
 * it fails when the module's tests do not run under {@link NoOutputExtension}, that is, when the
 * module's {@code src/test/resources/junit-platform.properties} does not turn auto-detection on.
 * The check must run inside each module, since each module's tests run apart; this class keeps it in
 * one place.
 */
public abstract class ModuleTestsNeverPrint {

  /** Fails unless the calling module's tests are watched. */
  @Test
  public void everyTestOfThisModuleIsWatched() {
    assertTrue(NoOutputExtension.isWatching(), "this module's tests run without NoOutputExtension: turn "
        + "junit.jupiter.extensions.autodetection.enabled on in src/test/resources/junit-platform.properties");
  }
}
