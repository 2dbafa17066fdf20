package dev.auramoe.flink;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * A seeded sample input: {@code streams} streams (sensors {@code s0, s1, ...}, one record in
 * {@code defaultEvery} on the default stream, which names none), each switching between four noisy
 * linear regimes of its own, the streams' records interleaved at random. The same arguments give the same
 * file.
 */
public final class SampleRecords {

  private SampleRecords() {}

  /**
   * Writes the sample.
   *
   * @param defaultEvery one record in this many has no stream (the default one); 0 for none
   */
  public static void write(Path file, long records, int streams, int inputDim, long seed, int defaultEvery)
      throws IOException {
    if (records < 0 || streams < 1 || inputDim < 1) {
      throw new IllegalArgumentException("records >= 0, streams >= 1 and inputDim >= 1 are required");
    }
    Random rnd = new Random(seed);
    float[][] regimes = new float[4][inputDim];
    for (float[] w : regimes) {
      for (int i = 0; i < inputDim; i++) {
        w[i] = (float) rnd.nextGaussian();
      }
    }
    int[] regime = new int[streams + 1];
    StringBuilder sb = new StringBuilder(64 + 12 * inputDim);
    try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (long n = 0; n < records; n++) {
        boolean dflt = defaultEvery > 0 && rnd.nextInt(defaultEvery) == 0;
        int s = dflt ? streams : rnd.nextInt(streams);
        if (rnd.nextInt(50) == 0) {
          regime[s] = rnd.nextInt(4);
        }
        sb.setLength(0);
        sb.append('{');
        if (!dflt) {
          sb.append("\"stream\":\"s").append(s).append("\",");
        }
        sb.append("\"x\":[");
        double y = 0;
        for (int i = 0; i < inputDim; i++) {
          float x = (float) (rnd.nextGaussian() + regime[s] - 1.5);
          y += regimes[regime[s]][i] * x;
          sb.append(i == 0 ? "" : ",").append(x);
        }
        sb.append("],\"y\":[").append((float) (y + 0.1 * rnd.nextGaussian())).append("]}\n");
        out.write(sb.toString());
      }
    }
  }
}
