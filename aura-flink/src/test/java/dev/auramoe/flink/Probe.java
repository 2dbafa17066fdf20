package dev.auramoe.flink;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.state.CheckpointListener;

/**
 * Counts the records a job's source emits (across restarts, in this JVM: the MiniCluster runs here),
 * and, when asked, throws once in the middle of the input, after a checkpoint has completed, so that
 * the job must recover from that checkpoint. Optionally slows each record, so that checkpoints come
 * while the input is read.
 */
final class Probe implements MapFunction<LearnRecord, LearnRecord>, CheckpointListener {

  private static final long serialVersionUID = 1L;
  private static final Map<String, AtomicLong> SEEN = new ConcurrentHashMap<>();
  private static final Map<String, AtomicLong> CHECKPOINTS = new ConcurrentHashMap<>();
  private static final Map<String, AtomicLong> FAILURES = new ConcurrentHashMap<>();

  private final String name;
  private final long failAfter;
  private final long sleepMicros;

  /**
   * @param failAfter throw once at the first record after this many were seen and a checkpoint
   *     completed; {@code Long.MAX_VALUE} never
   */
  Probe(String name, long failAfter, long sleepMicros) {
    this.name = name;
    this.failAfter = failAfter;
    this.sleepMicros = sleepMicros;
    SEEN.put(name, new AtomicLong());
    CHECKPOINTS.put(name, new AtomicLong());
    FAILURES.put(name, new AtomicLong());
  }

  @Override
  public LearnRecord map(LearnRecord r) throws Exception {
    long n = SEEN.get(name).incrementAndGet();
    if (n > failAfter && CHECKPOINTS.get(name).get() > 0 && FAILURES.get(name).get() == 0) {
      FAILURES.get(name).incrementAndGet();
      throw new IllegalStateException("injected failure at record " + n);
    }
    if (sleepMicros > 0) {
      Thread.sleep(sleepMicros / 1000, (int) (sleepMicros % 1000) * 1000);
    }
    return r;
  }

  @Override
  public void notifyCheckpointComplete(long checkpointId) {
    CHECKPOINTS.get(name).incrementAndGet();
  }

  static long seen(String name) {
    return SEEN.get(name).get();
  }

  /** The checkpoints completed since the probe was made (every attempt of its job). */
  static long checkpoints(String name) {
    return CHECKPOINTS.get(name).get();
  }

  static long failures(String name) {
    return FAILURES.get(name).get();
  }
}
