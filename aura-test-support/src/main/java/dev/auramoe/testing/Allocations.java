package dev.auramoe.testing;

import java.lang.management.ManagementFactory;

/**
 * What a piece of code allocates on the calling thread once it has run warm: the check behind each
 * module's "a hot path does not allocate" tests.
 */
public final class Allocations {

  private Allocations() {}

  /**
   * Runs {@code step} {@code warmUp} times, then rounds of {@code measured} runs until one allocates
   * less than 1 KiB or {@code maxRounds} rounds have run (the Vector API kernels box their vectors
   * until C2 has compiled their callers, which on a busy machine may take longer than any fixed
   * warm-up).
   *
   * @return the bytes the last round allocated
   */
  public static long ofSteadyState(Runnable step, int warmUp, int measured, int maxRounds) {
    var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    for (int i = 0; i < warmUp; i++) {
      step.run();
    }
    long allocated = Long.MAX_VALUE;
    for (int round = 0; round < maxRounds && allocated >= 1_024; round++) {
      long before = threads.getCurrentThreadAllocatedBytes();
      for (int i = 0; i < measured; i++) {
        step.run();
      }
      allocated = threads.getCurrentThreadAllocatedBytes() - before;
    }
    return allocated;
  }
}
