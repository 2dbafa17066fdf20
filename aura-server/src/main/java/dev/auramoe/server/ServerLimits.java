package dev.auramoe.server;

/**
 * Limits every request is checked against before any state changes.
 *
 * @param maxBodyBytes largest request body accepted, in bytes (default 1 MiB); a larger body is
 *     refused with 413 before it is parsed
 * @param maxBatch most rows one batch request may carry (default 4096); more is refused with 413
 * @param maxModels most models the registry holds at once (default 256); creating one more is
 *     refused with 409
 * @param maxParameters most float parameters one model may have, cell, router and experts together
 *     (default 16M, 64 MiB); a larger configuration is refused with 400, an expert that would take
 *     a model past it with 409
 */
public record ServerLimits(int maxBodyBytes, int maxBatch, int maxModels, long maxParameters) {

  /** The defaults: 1 MiB bodies, 4096 rows per batch, 256 models, 16M parameters per model. */
  public static final ServerLimits DEFAULT = new ServerLimits(1 << 20, 4096, 256, 16L << 20);

  /** Validates. */
  public ServerLimits {
    if (maxBodyBytes < 1 || maxBatch < 1 || maxModels < 1 || maxParameters < 1) {
      throw new IllegalArgumentException("every limit must be >= 1");
    }
  }

  /** Copy with another body limit. */
  public ServerLimits withMaxBodyBytes(int bytes) {
    return new ServerLimits(bytes, maxBatch, maxModels, maxParameters);
  }

  /** Copy with another batch limit. */
  public ServerLimits withMaxBatch(int rows) {
    return new ServerLimits(maxBodyBytes, rows, maxModels, maxParameters);
  }

  /** Copy with another per-model parameter limit. */
  public ServerLimits withMaxParameters(long parameters) {
    return new ServerLimits(maxBodyBytes, maxBatch, maxModels, parameters);
  }

  /** Copy with another model limit. */
  public ServerLimits withMaxModels(int models) {
    return new ServerLimits(maxBodyBytes, maxBatch, models, maxParameters);
  }
}
