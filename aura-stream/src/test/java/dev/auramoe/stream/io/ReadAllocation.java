package dev.auramoe.stream.io;

import static org.assertj.core.api.Assertions.assertThat;

import dev.auramoe.stream.data.Instance;
import dev.auramoe.stream.data.InstanceStream;
import java.io.IOException;

/** The readers' shared check that reading a row allocates nothing once warm. */
final class ReadAllocation {

  private ReadAllocation() {}

  /**
   * Reads 10,000 rows to warm up, then 50,000 rows, and asserts that those allocated less than a
   * byte per row; closes the stream. It must hold at least 60,000 rows.
   */
  static void assertReadingARowAllocatesNothing(InstanceStream in) throws IOException {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    try (in) {
      Instance row = new Instance(in.schema());
      for (int i = 0; i < 10_000; i++) {
        in.next(row);
      }
      long before = threads.getCurrentThreadAllocatedBytes();
      for (int i = 0; i < 50_000; i++) {
        in.next(row);
      }
      long allocated = threads.getCurrentThreadAllocatedBytes() - before;
      assertThat(allocated).as("bytes allocated by reading 50,000 rows").isLessThan(50_000);
    }
  }
}
