package dev.auramoe.flink.ep;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What each shard's combine stage publishes to its route stage, in the JVM both run in: the flow of
 * learning runs against the flow of records here, which a Flink job graph cannot have (no cycles), so
 * the job places a shard's route and combine subtasks in the same slot (a co-location group) and they
 * meet on a board of this JVM.
 *
 * <p>Everything on a board is a function of the input and the settings (the combine stage learns epoch
 * by epoch in input order): the router as learned through each epoch, each stream's recent errors at
 * the end of each epoch it had records in, and how far the combine stage has come. A board is named by
 * the job and the checkpoint its subtasks restored ({@link #run}), and lives no longer than the
 * attempt that made it: the combine stage forgets its job's boards when it closes (the job ended,
 * failed or was cancelled), and an attempt that restarts opens after the failed one closed, on a board
 * of its own that its combine stage fills with what it restored. So a board is read only by route
 * stages at or after the epoch its combine stage has come to, and it keeps, per stream and for the
 * router, the values of the latest epoch at or before {@link EpOptions#LAG} epochs before the newest,
 * and those after: at most two ({@link Board#publish}), whatever the checkpoints.
 */
final class Boards {

  private static final Map<String, Map<Integer, Board>> RUNS = new ConcurrentHashMap<>();

  private Boards() {}

  /** The name of the boards of a job's subtasks that restored {@code checkpoint} (-1: none). */
  static String run(String job, long checkpoint) {
    return job + "#" + checkpoint;
  }

  /** A shard's board in a run ({@link #run}). */
  static Board of(String run, int shard) {
    return RUNS.computeIfAbsent(run, j -> new ConcurrentHashMap<>()).computeIfAbsent(shard, s -> new Board());
  }

  /** Whether this JVM holds a board of {@code job}. */
  static boolean holds(String job) {
    return RUNS.keySet().stream().anyMatch(k -> k.startsWith(job + "#"));
  }

  /** Forgets every board of a job but those of {@code keep} (null: all of them). */
  static void forget(String job, String keep) {
    RUNS.keySet().removeIf(k -> k.startsWith(job + "#") && !k.equals(keep));
  }

  /** One shard's board. */
  static final class Board {
    private long progress = -1;
    private final TreeMap<Long, float[]> versions = new TreeMap<>();
    private final Map<String, TreeMap<Long, float[]>> recents = new HashMap<>();

    /** The combine stage has finished every epoch up to {@code epoch}. */
    synchronized void progress(long epoch) {
      if (epoch > progress) {
        progress = epoch;
        notifyAll();
      }
    }

    /**
     * The router as learned through {@code epoch}. Older versions go but the one a route stage at the
     * epoch before may still read: the combine stage publishes an epoch once every route stage of its
     * shard has routed all of it, so they read only this epoch's values or later ones from then on.
     */
    synchronized void publish(long epoch, float[] params) {
      versions.put(epoch, params);
      prune(versions, epoch - EpOptions.LAG);
    }

    /** A stream's recent errors at the end of {@code epoch}; older ones go as the router's versions do. */
    synchronized void publish(String stream, long epoch, float[] recent) {
      TreeMap<Long, float[]> h = recents.computeIfAbsent(stream, s -> new TreeMap<>());
      h.put(epoch, recent);
      prune(h, epoch - EpOptions.LAG);
    }

    /** Waits until {@code epoch} is finished; the latest version at or before it, or null. */
    synchronized RouterVersions.Version await(long epoch) throws InterruptedException {
      while (progress < epoch) {
        wait(100);
      }
      Map.Entry<Long, float[]> e = versions.floorEntry(epoch);
      return e == null ? null : new RouterVersions.Version(e.getKey(), e.getValue());
    }

    /** A stream's recent errors as of the end of the latest epoch {@code <= epoch} it had records in, or null. */
    synchronized float[] recent(String stream, long epoch) {
      TreeMap<Long, float[]> h = recents.get(stream);
      Map.Entry<Long, float[]> e = h == null ? null : h.floorEntry(epoch);
      return e == null ? null : e.getValue();
    }

    /** The values held, over the router's versions and every stream. */
    synchronized int entries() {
      int n = versions.size();
      for (TreeMap<Long, float[]> h : recents.values()) {
        n += h.size();
      }
      return n;
    }

    /** Forgets every entry older than the latest one at or before {@code epoch}. */
    private static void prune(TreeMap<Long, float[]> m, long epoch) {
      Long floor = m.floorKey(epoch);
      if (floor != null) {
        m.headMap(floor, false).clear();
      }
    }
  }

  /** The route stages' view of a run's boards. */
  static RouterVersions versions(String run) {
    return new RouterVersions() {
      @Override
      public Version await(int shard, long epoch) throws InterruptedException {
        return of(run, shard).await(epoch);
      }

      @Override
      public float[] recentErrors(int shard, String stream, long epoch) {
        return of(run, shard).recent(stream, epoch);
      }
    };
  }
}
