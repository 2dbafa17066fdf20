package dev.auramoe.stream.io;

import java.util.List;

/**
 * Looks nominal values up by a slice of a char buffer, so that reading a row allocates no strings.
 * Open addressing with linear probing over a power-of-two table at most half full.
 */
final class NominalIndex {

  private final char[][] keys;
  private final int[] indices;
  private final int mask;

  NominalIndex(List<String> values) {
    int size = Integer.highestOneBit(Math.max(2, values.size()) * 2) * 2;
    keys = new char[size][];
    indices = new int[size];
    mask = size - 1;
    for (int v = 0; v < values.size(); v++) {
      char[] key = values.get(v).toCharArray();
      int slot = hash(key, 0, key.length) & mask;
      while (keys[slot] != null) {
        slot = (slot + 1) & mask;
      }
      keys[slot] = key;
      indices[slot] = v;
    }
  }

  /** The index of the value {@code buf[from, to)}, or -1. */
  int indexOf(char[] buf, int from, int to) {
    int slot = hash(buf, from, to) & mask;
    for (char[] key = keys[slot]; key != null; slot = (slot + 1) & mask, key = keys[slot]) {
      if (key.length == to - from && java.util.Arrays.equals(key, 0, key.length, buf, from, to)) {
        return indices[slot];
      }
    }
    return -1;
  }

  private static int hash(char[] buf, int from, int to) {
    int h = 0;
    for (int i = from; i < to; i++) {
      h = 31 * h + buf[i];
    }
    return h ^ (h >>> 16);
  }
}
