package dev.auramoe.routing.policy;

import java.util.Arrays;

/**
 * Where a window of tokens goes: for each token a variable number of slots, each an expert and a
 * mixing weight. A slot whose expert is {@link #NULL_EXPERT} is a null expert: it costs nothing and
 * contributes nothing. Stored in compressed rows, reusable across calls (grows, never shrinks).
 *
 * <pre>{@code
 * for (int t = 0; t < a.tokens(); t++) {
 *   for (int s = a.start(t); s < a.end(t); s++) {
 *     if (a.expert(s) != Assignment.NULL_EXPERT) { use(a.expert(s), a.weight(s)); }
 *   }
 * }
 * }</pre>
 */
public final class Assignment {

  /** Expert index of a null-expert slot. */
  public static final int NULL_EXPERT = -1;

  private int tokens;
  private int experts;
  private int[] start = new int[1];
  private int[] expert = new int[16];
  private float[] weight = new float[16];
  private int size;

  /** An empty assignment; it grows to the windows it is filled with. */
  public Assignment() {}

  /** Clears the assignment for a new window. */
  void reset(int tokenCount, int expertCount) {
    tokens = 0;
    experts = expertCount;
    size = 0;
    if (start.length < tokenCount + 1) {
      start = new int[tokenCount + 1];
    }
    start[0] = 0;
    this.tokens = tokenCount;
    Arrays.fill(start, 0, tokenCount + 1, 0);
  }

  /** Appends a slot to the token being built; tokens are built in order with {@link #endToken}. */
  void add(int e, float w) {
    if (size == expert.length) {
      expert = Arrays.copyOf(expert, size * 2);
      weight = Arrays.copyOf(weight, size * 2);
    }
    expert[size] = e;
    weight[size] = w;
    size++;
  }

  /** Closes token t: its slots are those added since token t - 1 was closed. */
  void endToken(int t) {
    start[t + 1] = size;
  }

  /**
   * Rescales the weights of token t's real slots to sum to 1; when they sum to 0 (or overflow) the
   * real slots share equally. Null slots get weight 0.
   */
  void normalise(int t) {
    float sum = 0f;
    int real = 0;
    for (int s = start[t]; s < start[t + 1]; s++) {
      if (expert[s] != NULL_EXPERT) {
        sum += weight[s];
        real++;
      }
    }
    boolean ok = sum > 0f && Float.isFinite(sum);
    for (int s = start[t]; s < start[t + 1]; s++) {
      weight[s] = expert[s] == NULL_EXPERT ? 0f : (ok ? weight[s] / sum : 1f / real);
    }
  }

  /** Makes this a copy of {@code other} (arrays grown as needed). */
  void copyFrom(Assignment other) {
    reset(other.tokens, other.experts);
    System.arraycopy(other.start, 0, start, 0, other.tokens + 1);
    if (expert.length < other.size) {
      expert = new int[other.size];
      weight = new float[other.size];
    }
    System.arraycopy(other.expert, 0, expert, 0, other.size);
    System.arraycopy(other.weight, 0, weight, 0, other.size);
    size = other.size;
  }

  /** Tokens in the window. */
  public int tokens() {
    return tokens;
  }

  /** First slot of token t. */
  public int start(int t) {
    return start[t];
  }

  /** One past the last slot of token t. */
  public int end(int t) {
    return start[t + 1];
  }

  /** Expert of slot s, or {@link #NULL_EXPERT}. */
  public int expert(int s) {
    return expert[s];
  }

  /** Mixing weight of slot s (0 for a null expert). */
  public float weight(int s) {
    return weight[s];
  }

  /** Real (non-null) experts chosen for token t. */
  public int realExperts(int t) {
    int n = 0;
    for (int s = start[t]; s < start[t + 1]; s++) {
      if (expert[s] != NULL_EXPERT) {
        n++;
      }
    }
    return n;
  }

  /** Adds each expert's number of assigned tokens in this window to {@code load} (length experts). */
  public void addLoad(long[] load) {
    for (int s = 0; s < size; s++) {
      if (expert[s] != NULL_EXPERT) {
        load[expert[s]]++;
      }
    }
  }

  /** Total real slots in the window: the number of expert evaluations it costs. */
  public int realSlots() {
    int n = 0;
    for (int s = 0; s < size; s++) {
      if (expert[s] != NULL_EXPERT) {
        n++;
      }
    }
    return n;
  }

  /** Experts of the window's problem. */
  public int experts() {
    return experts;
  }
}
