package dev.auramoe.flink.ep;

import java.io.Serializable;

/**
 * Settings of the expert-parallel layout ({@code aura flink --expert-parallel}).
 *
 * @param epoch records per epoch: the router a shard routes with changes only between epochs, to the
 *     version its combine stage learned through the epoch before ({@link #LAG}); at least 1
 * @param instances expert instances: expert {@code e} lives on instance {@code e mod instances}, and a
 *     spilled token of it goes to a replica on another instance; like the number of shards, it stays
 *     the same across savepoints
 * @param spill how far above the mean load (a fraction) an expert's home instance may be, in a shard's
 *     counts of its dispatches, before that shard sends the expert's tokens to the least-loaded
 *     instance instead; 0 turns spilling off
 */
public record EpOptions(int epoch, int instances, double spill) implements Serializable {

  /**
   * Epochs between the records the combine stage learns from and the router they reach: a record of
   * epoch n is routed with what was learned through epoch n - 1, so a record {@code j} records into its
   * epoch is routed with everything learned but its epoch's first {@code j} records.
   */
  public static final int LAG = 1;

  /** Default records per epoch. */
  public static final int DEFAULT_EPOCH = 64;

  /** Default spill threshold: 25% above the mean. */
  public static final double DEFAULT_SPILL = 0.25;

  /** Checks the ranges; {@link IllegalArgumentException} naming the option. */
  public EpOptions {
    if (epoch < 1) {
      throw new IllegalArgumentException("--epoch must be >= 1, got " + epoch);
    }
    if (instances < 1 || instances > dev.auramoe.flink.Shards.MAX_SHARDS) {
      throw new IllegalArgumentException("--expert-instances must be in [1, " + dev.auramoe.flink.Shards.MAX_SHARDS
          + "], got " + instances);
    }
    if (!(spill >= 0) || Double.isInfinite(spill)) {
      throw new IllegalArgumentException("--spill must be a finite number >= 0, got " + spill);
    }
  }

  /** The epoch of a record's sequence number. */
  public long epochOf(long seq) {
    return seq / epoch;
  }

  /** The sequence number of an epoch's last record (its end, as an event time). */
  public long endOf(long epoch) {
    return (epoch + 1) * this.epoch - 1;
  }

  /** The home instance of an expert. */
  public int home(int expert) {
    return expert % instances;
  }
}
