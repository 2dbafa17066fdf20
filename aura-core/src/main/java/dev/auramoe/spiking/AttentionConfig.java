package dev.auramoe.spiking;

/**
 * Knobs of spiking k-winners-take-all attention.
 *
 * @param vocabularySize token ids must lie in [0, vocabularySize); memory and per-call cost do not
 *     grow with it
 * @param winners k, the number of accumulators that win each step, in [1, min(vocabularySize, 4096)]
 * @param decay per-step retention of every accumulator, in (0, 1): 0.7 by default; near 0 forgets
 *     at once (only the current call's tokens matter), near 1 integrates over a long history
 * @param gainStrength how strongly focus sharpens routing, &gt;= 0: the routing temperature is
 *     divided by {@code 1 + gainStrength * focus}; 0 turns the modulation off
 * @param pruneBelow accumulators that decay below this are dropped, which bounds the active set by
 *     the tokens of the last ~log(pruneBelow)/log(decay) calls
 */
public record AttentionConfig(int vocabularySize, int winners, float decay, float gainStrength, float pruneBelow) {

  /** Largest number of winners (k of k-WTA). */
  public static final int MAX_WINNERS = 4096;

  /** Default decay, 0.7 per step. */
  public static final float DEFAULT_DECAY = 0.7f;

  /** Validates. */
  public AttentionConfig {
    if (vocabularySize <= 0) {
      throw new IllegalArgumentException("vocabularySize must be > 0, got " + vocabularySize);
    }
    if (winners <= 0 || winners > MAX_WINNERS || winners > vocabularySize) {
      throw new IllegalArgumentException("winners must lie in [1, min(vocabularySize, " + MAX_WINNERS + ")], got "
          + winners);
    }
    if (!(decay > 0 && decay < 1)) {
      throw new IllegalArgumentException("decay must lie in (0, 1), got " + decay);
    }
    if (!(gainStrength >= 0) || !Float.isFinite(gainStrength)) {
      throw new IllegalArgumentException("gainStrength must be finite and >= 0, got " + gainStrength);
    }
    if (!(pruneBelow > 0 && pruneBelow < 1)) {
      throw new IllegalArgumentException("pruneBelow must lie in (0, 1), got " + pruneBelow);
    }
  }

  /** Defaults for a vocabulary: 4 winners, decay 0.7, gain strength 1, prune below 1e-3. */
  public static AttentionConfig of(int vocabularySize) {
    return new AttentionConfig(vocabularySize, 4, DEFAULT_DECAY, 1f, 1e-3f);
  }
}
