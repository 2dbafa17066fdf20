package dev.auramoe.flink.ep;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What each shard's combine stage publishes to its route stage, in the JVM both run in: the flow of
 * learning runs against the flow of records here, which a Flink job graph cannot have (no cycles), so
 * the job places a shard's route and combine subtasks in the same slot (a co-location group) and they
 * meet on a board of this JVM. Everything on a board is a function of the input and the settings
 * (the combine stage learns epoch by epoch in input order); still, each attempt of the job has boards
 * of its own (a restarted attempt starts from a checkpoint behind what the failed one published, and
 * boards keep the newest versions only), keyed by the job and the attempt number, which a shard's two
 * subtasks share because every failure restarts the whole job graph (its exchanges are all-to-all).
 */
final class Boards {

  private static final Map<String, Map<Integer, Board>> JOBS = new ConcurrentHashMap<>();

  private Boards() {}

  /** The name of an attempt's boards. */
  static String run(String job, int attempt) {
    return job + "#" + attempt;
  }

  /** A shard's board in an attempt of a job ({@link #run}). */
  static Board of(String run, int shard) {
    return JOBS.computeIfAbsent(run, j -> new ConcurrentHashMap<>()).computeIfAbsent(shard, s -> new Board());
  }

  /** Forgets the boards of a job's attempts before {@code attempt} (all of them for Integer.MAX_VALUE). */
  static void forget(String job, int attempt) {
    String prefix = job + "#";
    JOBS.keySet().removeIf(k -> k.startsWith(prefix) && Integer.parseInt(k.substring(prefix.length())) < attempt);
  }

  /** One shard's board. */
  static final class Board {
    private long progress = -1;
    private final TreeMap<Long, float[]> versions = new TreeMap<>();
    private final Map<String, RecentHistory> recents = new ConcurrentHashMap<>();

    /** The combine stage has finished every epoch up to {@code epoch}. */
    synchronized void progress(long epoch) {
      if (epoch > progress) {
        progress = epoch;
        notifyAll();
      }
    }

    /** The router as learned through {@code epoch}. */
    synchronized void publish(long epoch, float[] params) {
      versions.put(epoch, params);
      while (versions.size() > EpOptions.LAG + 1) {
        versions.pollFirstEntry();
      }
    }

    /** A stream's recent errors. */
    void publish(String stream, RecentHistory h) {
      recents.put(stream, h);
    }

    /** Waits until {@code epoch} is finished; the latest version at or before it, or null. */
    synchronized RouterVersions.Version await(long epoch) throws InterruptedException {
      while (progress < epoch) {
        wait(100);
      }
      Map.Entry<Long, float[]> e = versions.floorEntry(epoch);
      return e == null ? null : new RouterVersions.Version(e.getKey(), e.getValue());
    }

    float[] recent(String stream, long epoch) {
      RecentHistory h = recents.get(stream);
      return h == null ? null : h.asOf(epoch);
    }
  }

  /** The route stages' view of a job's boards. */
  static RouterVersions versions(String job) {
    return new RouterVersions() {
      @Override
      public Version await(int shard, long epoch) throws InterruptedException {
        return of(job, shard).await(epoch);
      }

      @Override
      public float[] recentErrors(int shard, String stream, long epoch) {
        return of(job, shard).recent(stream, epoch);
      }
    };
  }
}
