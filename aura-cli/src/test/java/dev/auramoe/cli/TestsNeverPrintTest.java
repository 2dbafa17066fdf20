package dev.auramoe.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.auramoe.testing.NoOutputExtension;
import org.junit.jupiter.api.Test;

/** Every test of this module fails when it prints: aura-test-support's extension is auto-detected here. */
class TestsNeverPrintTest {

  @Test
  void everyTestOfThisModuleIsWatched() {
    assertThat(NoOutputExtension.isWatching()).isTrue();
  }
}
