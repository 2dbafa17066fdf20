import dev.auramoe.cli.Logging;
import dev.auramoe.server.metrics.ServerMetrics;
import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Recorder;

/**
 * What recording one request in the metrics costs on the request thread: ServerMetrics.record (the
 * Micrometer registry behind /metrics) against the work the hand-written metrics did before it (an
 * endpoint map, a map of boxed statuses, two LongAdders and an HdrHistogram Recorder), in the same
 * run, one thread, an endpoint and status already seen. Prints ns and bytes allocated per call for
 * each round, then the best round of each and their ratio. Run by metrics.sh.
 */
public final class MetricsBench {

  /** The per-request work of the metrics before Micrometer, for comparison. */
  static final class HandWritten {
    final ConcurrentMap<String, Endpoint> endpoints = new ConcurrentHashMap<>();

    static final class Endpoint {
      final Recorder recorder = new Recorder(3);
      final ConcurrentMap<Integer, LongAdder> byStatus = new ConcurrentHashMap<>();
      final LongAdder count = new LongAdder();
      final LongAdder nanos = new LongAdder();
    }

    void record(String endpoint, int status, long nanos) {
      Endpoint e = endpoints.computeIfAbsent(endpoint, k -> new Endpoint());
      e.byStatus.computeIfAbsent(status, k -> new LongAdder()).increment();
      e.count.increment();
      e.nanos.add(nanos);
      e.recorder.recordValue(nanos);
    }
  }

  public static void main(String[] args) {
    Logging.configure(Logging.Level.WARN, Logging.Format.TEXT, System.err);
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
    int calls = 5_000_000;
    String[] endpoints = {"POST /v1/models/{name}/route", "POST /v1/models/{name}/learn"};
    var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    HandWritten before = new HandWritten();
    double[] best = {Double.MAX_VALUE, Double.MAX_VALUE};
    double[] bytes = new double[2];
    try (ServerMetrics metrics = new ServerMetrics(() -> 1)) {
      for (int round = 0; round < rounds; round++) {
        for (int which = 0; which < 2; which++) {
          long b0 = threads.getCurrentThreadAllocatedBytes();
          long t0 = System.nanoTime();
          for (int i = 0; i < calls; i++) {
            long nanos = 10_000 + (i & 1023) * 17;
            if (which == 0) {
              before.record(endpoints[i & 1], 200, nanos);
            } else {
              metrics.record(endpoints[i & 1], 200, nanos);
            }
          }
          double ns = (System.nanoTime() - t0) / (double) calls;
          bytes[which] = (threads.getCurrentThreadAllocatedBytes() - b0) / (double) calls;
          best[which] = Math.min(best[which], ns);
          System.out.printf(Locale.ROOT, "round %d %-12s %7.1f ns/call %6.2f bytes/call%n", round,
              which == 0 ? "hand-written" : "ServerMetrics", ns, bytes[which]);
        }
      }
      if (metrics.exposition().isEmpty()) {
        throw new IllegalStateException("no exposition");
      }
    }
    System.out.printf(Locale.ROOT, "best round: hand-written %.1f ns (%.2f bytes), ServerMetrics %.1f ns (%.2f bytes);"
        + " ratio %.2f, %+.1f ns per request%n", best[0], bytes[0], best[1], bytes[1], best[1] / best[0],
        best[1] - best[0]);
  }
}
