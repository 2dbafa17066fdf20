package dev.auramoe.testing;

/** A module's set-up check, run by {@link NoOutputExtensionTest} with auto-detection off and on. */
class UnwatchedModuleSample extends ModuleTestsNeverPrint {}
