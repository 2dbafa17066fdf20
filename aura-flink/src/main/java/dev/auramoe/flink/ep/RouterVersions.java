package dev.auramoe.flink.ep;

/**
 * Where a shard's route stage finds what its combine stage learned: the router, and each stream's
 * experts' recent errors, as of the end of an epoch.
 */
public interface RouterVersions {

  /** A router's parameters ({@code MixtureOfExperts#routerParameters} layout) as learned through an epoch. */
  record Version(long epoch, float[] params) {}

  /**
   * The shard's version of the latest epoch {@code <= epoch} in which it learned anything, or null when
   * it learned nothing up to there (the initial router). Waits until the combine stage has finished
   * {@code epoch}.
   */
  Version await(int shard, long epoch) throws InterruptedException;

  /**
   * A stream's recent errors as of the end of the latest epoch {@code <= epoch} in which it had a
   * record, or null when it had none up to there (its initial ones); after {@link #await} of that epoch.
   */
  float[] recentErrors(int shard, String stream, long epoch);
}
