package dev.auramoe.flink;

import dev.auramoe.testing.ModuleTestsNeverPrint;

/** This module's tests run under the extension that fails a test which prints. */
class AuraFlinkTestsNeverPrintTest extends ModuleTestsNeverPrint {}
