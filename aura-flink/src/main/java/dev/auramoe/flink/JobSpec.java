package dev.auramoe.flink;

import java.io.Serializable;
import java.time.Duration;
import java.util.List;

/**
 * Everything a run is built from.
 *
 * @param inputs files or directories of records ({@link LearnRecords}); read one after another by one
 *     source reader
 * @param watch when not null, the inputs are directories watched for new files at this interval and
 *     the job runs until it is stopped (with a savepoint, which ends the input and writes the model);
 *     null reads what is there and ends
 * @param parallelism the learners' parallelism
 * @param shards learner shards (replicas of the shared weights), 1 to {@link Shards#MAX_SHARDS}; the
 *     model depends on it, not on the parallelism
 * @param model the model's settings
 * @param initialModel the snapshot bytes of a model to start from, or null
 * @param modelOut the snapshot file the combined model is written to when the input ends, or null
 * @param checkpointInterval the interval of exactly-once checkpoints, or null for none
 */
public record JobSpec(List<String> inputs, Duration watch, int parallelism, int shards, ModelOptions model,
    byte[] initialModel, String modelOut, Duration checkpointInterval) implements Serializable {

  /** Checks the counts. */
  public JobSpec {
    inputs = List.copyOf(inputs);
    if (inputs.isEmpty()) {
      throw new IllegalArgumentException("--input is required");
    }
    if (parallelism < 1 || parallelism > Shards.MAX_SHARDS) {
      throw new IllegalArgumentException("--parallelism must be in [1, " + Shards.MAX_SHARDS + "], got "
          + parallelism);
    }
    Shards.check(shards);
  }
}
