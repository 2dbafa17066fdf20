package dev.auramoe.snn;

/**
 * How a spiking model presents an image to its first convolution over its T time steps.
 *
 * <pre>
 * DIRECT   I_t = BN(conv(x))                 the same analogue current at every step; the first
 *                                            convolution runs once per image (multiply-accumulates)
 * RATE     s_t = [u(image, t, pixel) &lt; x]    Bernoulli spikes with the pixel's intensity x in [0, 1] as
 *          I_t = BN(conv(s_t))               their probability; the first convolution runs on spikes at
 *                                            every step (accumulates only)
 * </pre>
 *
 * Rate coding makes every operation of the network an accumulate at the price of sampling noise: the
 * spike count of a pixel over T steps estimates its intensity with a standard deviation of
 * sqrt(x (1 - x) / T), so it needs more steps than direct encoding for the same accuracy. Its
 * uniform numbers u are a counter-based hash of the model's seed, a pass number, the image's pixel
 * values, the step and the pixel: a prediction is a function of the image alone (the same in any
 * batch, after a save and load), and training draws new spikes at each step taken.
 */
public enum Encoding {
  /** Pixels (standardised) as an analogue current, the same at every step. */
  DIRECT,
  /** Pixels in [0, 1] as the probabilities of Bernoulli spikes, drawn anew at every step. */
  RATE;

  /**
   * The encoding of this name (as {@link #name()} writes it).
   *
   * @throws IllegalArgumentException naming the value read and the names known
   */
  public static Encoding named(String name) {
    for (Encoding e : values()) {
      if (e.name().equals(name)) {
        return e;
      }
    }
    throw new IllegalArgumentException("unknown encoding '" + name + "' (known: "
        + java.util.Arrays.toString(values()) + ")");
  }

  /**
   * A uniform number in [0, 1) for one pixel at one step: SplitMix64's finaliser over the key's parts,
   * so that nearby keys give independent numbers. Exact in float (24 bits).
   */
  static float uniform(long seed, long pass, long image, int step, int pixel) {
    long z = mix(seed + 0x9E3779B97F4A7C15L * (pass + 1));
    z = mix(z ^ image);
    z = mix(z + 0x9E3779B97F4A7C15L * ((long) step << 32 | (pixel & 0xFFFFFFFFL)));
    return (z >>> 40) * 0x1.0p-24f;
  }

  /**
   * A 64-bit hash of one image's pixel values, in order: of their values, not their bit patterns, so
   * that -0 hashes as 0 (adding +0 turns -0 into +0 and leaves every other value as it is).
   */
  static long imageKey(float[] x, int offset, int length) {
    long h = 0x6A09E667F3BCC909L;
    for (int i = 0; i < length; i++) {
      h = (h ^ Float.floatToRawIntBits(x[offset + i] + 0f)) * 0x100000001B3L;
    }
    return mix(h);
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
