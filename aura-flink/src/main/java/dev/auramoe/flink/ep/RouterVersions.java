package dev.auramoe.flink.ep;

/**
 * Where a shard's route stage finds the router its combine stage learned: the version of the latest
 * epoch at or before the one asked for, once the combine stage has finished that epoch.
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
}
