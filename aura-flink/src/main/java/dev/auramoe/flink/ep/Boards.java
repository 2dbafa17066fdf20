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
 * the end of each epoch it had records in, and how far the combine stage has come. So attempts of a
 * job that restore the same checkpoint may share a board (they publish the same values), and they do:
 * a board is named by the job and the checkpoint its subtasks restored ({@link #run}). A board forgets
 * an epoch's values only once a checkpoint that no restore will go behind has completed after it
 * ({@link Board#prune}); without checkpoints it keeps them all (a restart without a checkpoint starts
 * from the first record and asks for the first epochs again).
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

    /** The router as learned through {@code epoch}. */
    synchronized void publish(long epoch, float[] params) {
      versions.put(epoch, params);
    }

    /** A stream's recent errors at the end of {@code epoch}. */
    synchronized void publish(String stream, long epoch, float[] recent) {
      recents.computeIfAbsent(stream, s -> new TreeMap<>()).put(epoch, recent);
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

    /** Forgets what no reader will ask for: every entry older than the latest one at or before {@code epoch}. */
    synchronized void prune(long epoch) {
      prune(versions, epoch);
      for (TreeMap<Long, float[]> h : recents.values()) {
        prune(h, epoch);
      }
    }

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
