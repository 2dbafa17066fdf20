package dev.auramoe.flink;

import org.apache.flink.runtime.state.KeyGroupRangeAssignment;

/**
 * The key of each shard: for shard {@code j} of {@code S}, the smallest non-negative integer that
 * Flink puts in key group {@code j * MAX_SHARDS / S}. The shards are thus spread evenly over the key
 * groups, so that any parallelism that divides {@code S} gives every subtask the same number of
 * shards (hashing the shard numbers themselves would not).
 */
public final class ShardKeys {

  private ShardKeys() {}

  /** The keys of {@code shards} shards, by shard. */
  public static int[] keys(int shards) {
    int[] keys = new int[shards];
    for (int j = 0; j < shards; j++) {
      int group = (int) ((long) j * Shards.MAX_SHARDS / shards);
      int k = 0;
      while (KeyGroupRangeAssignment.assignToKeyGroup(k, Shards.MAX_SHARDS) != group) {
        k++;
      }
      keys[j] = k;
    }
    return keys;
  }
}
