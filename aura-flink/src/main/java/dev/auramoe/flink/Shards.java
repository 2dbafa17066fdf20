package dev.auramoe.flink;

/**
 * Which learner shard a stream belongs to: a fixed function of its id and the number of shards, the
 * same in every JVM and at every parallelism, so that a stream's records always meet the same replica
 * of the shared weights.
 */
public final class Shards {

  /** Most shards a job may have: its operators' maximum parallelism. */
  public static final int MAX_SHARDS = 128;

  private Shards() {}

  /** The shard of a stream, in {@code [0, shards)}. */
  public static int shardOf(String stream, int shards) {
    int h = stream.hashCode() * 0x9E3779B9;
    return Math.floorMod(h ^ (h >>> 16), shards);
  }

  /** Checks a number of shards. */
  public static int check(int shards) {
    if (shards < 1 || shards > MAX_SHARDS) {
      throw new IllegalArgumentException("--shards must be in [1, " + MAX_SHARDS + "], got " + shards);
    }
    return shards;
  }
}
