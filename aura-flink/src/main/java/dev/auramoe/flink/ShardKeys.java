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

  /**
   * The indices of {@code keys} whose key groups this subtask holds, ascending: the shards (or expert
   * instances) whose keyed state it owns at the running parallelism.
   */
  public static java.util.List<Integer> owned(org.apache.flink.api.common.functions.RuntimeContext ctx, int[] keys) {
    int maxParallelism = ctx.getTaskInfo().getMaxNumberOfParallelSubtasks();
    int parallelism = ctx.getTaskInfo().getNumberOfParallelSubtasks();
    int subtask = ctx.getTaskInfo().getIndexOfThisSubtask();
    java.util.List<Integer> own = new java.util.ArrayList<>();
    for (int i = 0; i < keys.length; i++) {
      int group = KeyGroupRangeAssignment.assignToKeyGroup(keys[i], maxParallelism);
      if (KeyGroupRangeAssignment.computeOperatorIndexForKeyGroup(maxParallelism, parallelism, group) == subtask) {
        own.add(i);
      }
    }
    return own;
  }
}
