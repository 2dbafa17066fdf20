package dev.auramoe;

import dev.auramoe.cell.CellConfig;
import dev.auramoe.experts.Experts;
import dev.auramoe.internal.vector.KernelProvider;
import dev.auramoe.routing.RouteBuffer;
import dev.auramoe.spiking.AttentionConfig;
import java.util.Random;

/**
 * Runs a fixed recipe and prints {@code kernels=... digest=...}: {@link ReproducibilityTest} runs it
 * in child JVMs restricted to the interpreter, to C1, and with C2, and compares the digests. Shapes
 * are wide enough (d = 32, H = 64, E = 16) that the Vector API kernels take their vector paths at
 * every width, not only their scalar tails.
 */
public final class ReproducibilityProbe {

  private ReproducibilityProbe() {}

  static String run(int rounds) {
    String digest = null;
    for (int round = 0; round < rounds; round++) {
      MixtureOfExperts m = MixtureOfExperts.builder(32, 2).experts(Experts.nlms("e", 16, 32, 2, 0.5)).topK(2)
          .cell(CellConfig.DEFAULT).attention(AttentionConfig.of(1000)).seed(5).build();
      Random r = new Random(5);
      RouteBuffer b = m.newRouteBuffer();
      for (int t = 0; t < 150; t++) {
        float[] x = new float[32];
        for (int i = 0; i < 32; i++) {
          x[i] = (float) r.nextGaussian();
        }
        if (t % 3 == 0) {
          m.route(MixtureOfExperts.DEFAULT_STREAM, x, 0.05f, new int[] {r.nextInt(1000), 7}, b);
        } else {
          m.learn(MixtureOfExperts.DEFAULT_STREAM, x, new float[] {x[0] - x[5], 2 * x[9]});
        }
      }
      String d = m.digest();
      if (digest != null && !digest.equals(d)) {
        return "digest-changed-between-rounds " + digest + " " + d;
      }
      digest = d;
    }
    return digest;
  }

  /** Prints the kernels and the digest of the recipe, run {@code args[0]} times (later runs warm). */
  public static void main(String[] args) {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 1;
    System.out.println("kernels=" + KernelProvider.get().name() + " digest=" + run(rounds));
  }
}
