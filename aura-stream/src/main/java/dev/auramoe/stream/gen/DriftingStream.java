package dev.auramoe.stream.gen;

import dev.auramoe.stream.data.InstanceStream;
import java.util.List;

/**
 * A stream that knows where its concept drifts are, so that a drift-detection harness can compare the drifts it
 * detects with the true ones. Continuous drift (a rotating hyperplane, moving centroids) has no point and is not
 * listed.
 */
public interface DriftingStream extends InstanceStream {

  /** The known drifts in order of position; positions are 0-based instance indices of this stream. */
  List<Drift> drifts();

  /** The positions of {@link #drifts()}, in order. */
  default List<Long> driftPoints() {
    return drifts().stream().map(Drift::position).toList();
  }
}
