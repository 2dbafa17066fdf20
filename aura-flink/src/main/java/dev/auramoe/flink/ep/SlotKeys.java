package dev.auramoe.flink.ep;

import dev.auramoe.flink.Shards;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;

/**
 * The keys of the expert replicas: replica {@code (e, j)} (expert e on instance j) is slot
 * {@code e * instances + j}, and its key is one that Flink puts in instance j's key groups when the
 * expert stage runs with one subtask per instance, so that each instance's replicas share a subtask.
 */
final class SlotKeys {

  private final int[] keys;
  private final Map<Integer, Integer> slots = new HashMap<>();

  SlotKeys(int experts, int instances) {
    keys = new int[experts * instances];
    int k = 0;
    int[] found = new int[instances];
    int placed = 0;
    while (placed < keys.length) {
      int group = KeyGroupRangeAssignment.assignToKeyGroup(k, Shards.MAX_SHARDS);
      int j = KeyGroupRangeAssignment.computeOperatorIndexForKeyGroup(Shards.MAX_SHARDS, instances, group);
      if (found[j] < experts) {
        int slot = found[j] * instances + j;
        keys[slot] = k;
        slots.put(k, slot);
        found[j]++;
        placed++;
      }
      k++;
    }
  }

  /** The slot of a key. */
  int slot(int key) {
    return slots.get(key);
  }

  /** Every key, by slot. */
  int[] keys() {
    return keys.clone();
  }
}
