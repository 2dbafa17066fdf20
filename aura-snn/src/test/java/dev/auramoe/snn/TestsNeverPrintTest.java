package dev.auramoe.snn;

import dev.auramoe.testing.ModuleTestsNeverPrint;

/** Every test of this module fails when it prints: aura-test-support's extension is auto-detected here. */
class TestsNeverPrintTest extends ModuleTestsNeverPrint {}
