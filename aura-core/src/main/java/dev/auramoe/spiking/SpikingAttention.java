package dev.auramoe.spiking;

import java.util.Arrays;
import java.util.Objects;

/**
 * Spiking k-winners-take-all attention over token ids, one instance per stream.
 *
 * <p>Each call is one time step:
 * <pre>
 * a_v &lt;- decay * a_v                     for every active accumulator (pruned below pruneBelow)
 * a_v &lt;- a_v + count of token v in the call
 * winners = the k largest a_v             (ties: lower id first)
 * focus   = min(1, mean(a_winners) * (1 - decay))    in [0, 1]; 1 = a token spiking every step
 * gain    = 1 + gainStrength * focus      (the router divides its temperature by the gain)
 * </pre>
 *
 * Only accumulators that spiked recently are kept (a compact active list plus an open-addressing
 * index rebuilt each step), so a call costs O(tokens in the call + active accumulators), whatever
 * the vocabulary size. Storage grows only when the active set does; a steady stream allocates
 * nothing.
 *
 * <p>Not thread-safe; the model calls it under its lock.
 */
public final class SpikingAttention {

  private final AttentionConfig config;
  private int[] ids = new int[16];
  private float[] acc = new float[16];
  private int size;
  private int[] table = new int[64];
  private final int[] winners;
  private final float[] winnerValues;
  private int winnerCount;
  private float focus;
  private long steps;

  /** Empty attention state. */
  public SpikingAttention(AttentionConfig config) {
    this.config = Objects.requireNonNull(config, "config");
    this.winners = new int[config.winners()];
    this.winnerValues = new float[config.winners()];
  }

  /** The configuration. */
  public AttentionConfig config() {
    return config;
  }

  /**
   * Checks that every id lies in the vocabulary, without changing anything.
   *
   * @throws IllegalArgumentException naming the first bad id
   */
  public void validate(int[] tokens, int from, int to) {
    Objects.checkFromToIndex(from, to, tokens.length);
    int v = config.vocabularySize();
    for (int i = from; i < to; i++) {
      int t = tokens[i];
      if (t < 0 || t >= v) {
        throw new IllegalArgumentException("token id " + t + " at position " + i + " is outside the vocabulary [0, "
            + v + ")");
      }
    }
  }

  /**
   * Advances one step with the tokens {@code tokens[from..to)} (already validated).
   *
   * @return the multiply-accumulates spent: one per decayed accumulator plus one per spike
   */
  public long step(int[] tokens, int from, int to) {
    long macs = size;
    float decay = config.decay();
    float prune = config.pruneBelow();
    int kept = 0;
    for (int i = 0; i < size; i++) {
      float a = acc[i] * decay;
      if (a >= prune) {
        ids[kept] = ids[i];
        acc[kept] = a;
        kept++;
      }
    }
    size = kept;
    int n = to - from;
    ensureCapacity(size + n);
    rebuildIndex();
    int mask = table.length - 1;
    for (int i = from; i < to; i++) {
      int id = tokens[i];
      int slot = mix(id) & mask;
      while (true) {
        int e = table[slot];
        if (e == 0) {
          ids[size] = id;
          acc[size] = 1f;
          size++;
          table[slot] = size;
          break;
        }
        if (ids[e - 1] == id) {
          acc[e - 1] += 1f;
          break;
        }
        slot = (slot + 1) & mask;
      }
    }
    macs += n;
    selectWinners();
    steps++;
    return macs;
  }

  private void selectWinners() {
    int k = winners.length;
    int c = 0;
    for (int i = 0; i < size; i++) {
      float a = acc[i];
      int id = ids[i];
      if (c == k && !better(a, id, winnerValues[k - 1], winners[k - 1])) {
        continue;
      }
      int pos = c < k ? c++ : k - 1;
      while (pos > 0 && better(a, id, winnerValues[pos - 1], winners[pos - 1])) {
        winnerValues[pos] = winnerValues[pos - 1];
        winners[pos] = winners[pos - 1];
        pos--;
      }
      winnerValues[pos] = a;
      winners[pos] = id;
    }
    winnerCount = c;
    float sum = 0f;
    for (int i = 0; i < c; i++) {
      sum += winnerValues[i];
    }
    focus = c == 0 ? 0f : Math.min(1f, sum / c * (1f - config.decay()));
  }

  private static boolean better(float a, int id, float b, int idB) {
    return a > b || (a == b && id < idB);
  }

  private static int mix(int id) {
    int h = id * 0x9E3779B9;
    return h ^ (h >>> 16);
  }

  private void ensureCapacity(int need) {
    if (need > ids.length) {
      int cap = Math.max(need, ids.length * 2);
      ids = Arrays.copyOf(ids, cap);
      acc = Arrays.copyOf(acc, cap);
    }
    int tcap = table.length;
    while (tcap < 2 * need) {
      tcap <<= 1;
    }
    if (tcap != table.length) {
      table = new int[tcap];
    }
  }

  private void rebuildIndex() {
    Arrays.fill(table, 0);
    int mask = table.length - 1;
    for (int i = 0; i < size; i++) {
      int slot = mix(ids[i]) & mask;
      while (table[slot] != 0) {
        slot = (slot + 1) & mask;
      }
      table[slot] = i + 1;
    }
  }

  /** Focus in [0, 1] after the last step. */
  public float focus() {
    return focus;
  }

  /** The temperature gain after the last step: {@code 1 + gainStrength * focus}. */
  public float gain() {
    return 1f + config.gainStrength() * focus;
  }

  /** Number of winners after the last step: min(k, active accumulators). */
  public int winnerCount() {
    return winnerCount;
  }

  /** Winning token ids after the last step, strongest first (copy). */
  public int[] winners() {
    return Arrays.copyOf(winners, winnerCount);
  }

  /** Potentials of the winners, strongest first (copy). */
  public float[] winnerPotentials() {
    return Arrays.copyOf(winnerValues, winnerCount);
  }

  /** Number of live accumulators. */
  public int activeCount() {
    return size;
  }

  /** Steps taken. */
  public long steps() {
    return steps;
  }

  /** The potential of one token id (0 when not active). */
  public float potential(int id) {
    for (int i = 0; i < size; i++) {
      if (ids[i] == id) {
        return acc[i];
      }
    }
    return 0f;
  }

  /** Forgets every accumulator. */
  public void reset() {
    size = 0;
    winnerCount = 0;
    focus = 0f;
    steps = 0;
  }

  /** Active ids (copy), for snapshots. */
  public int[] activeIds() {
    return Arrays.copyOf(ids, size);
  }

  /** Active potentials (copy), aligned with {@link #activeIds()}. */
  public float[] activePotentials() {
    return Arrays.copyOf(acc, size);
  }

  /** Restores a state saved with {@link #activeIds()}, {@link #activePotentials()} and {@link #steps()}. */
  public void restore(int[] activeIds, float[] potentials, long stepCount) {
    if (activeIds.length != potentials.length) {
      throw new IllegalArgumentException("ids and potentials differ in length");
    }
    if (stepCount < 0) {
      throw new IllegalArgumentException("negative step count " + stepCount);
    }
    validate(activeIds, 0, activeIds.length);
    java.util.HashSet<Integer> seen = new java.util.HashSet<>();
    for (int i = 0; i < activeIds.length; i++) {
      if (!seen.add(activeIds[i])) {
        throw new IllegalArgumentException("token id " + activeIds[i] + " appears twice");
      }
      if (!(potentials[i] > 0f) || !Float.isFinite(potentials[i])) {
        throw new IllegalArgumentException("potential " + potentials[i] + " of token " + activeIds[i]
            + " is not a finite positive number");
      }
    }
    size = 0;
    ensureCapacity(activeIds.length);
    System.arraycopy(activeIds, 0, ids, 0, activeIds.length);
    System.arraycopy(potentials, 0, acc, 0, potentials.length);
    size = activeIds.length;
    steps = stepCount;
    selectWinners();
  }

  /** A deep copy. */
  public SpikingAttention copy() {
    SpikingAttention c = new SpikingAttention(config);
    c.restore(activeIds(), activePotentials(), steps);
    return c;
  }
}
