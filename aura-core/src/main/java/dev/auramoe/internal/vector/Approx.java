package dev.auramoe.internal.vector;

/**
 * The transcendental functions of the kernels, as fixed sequences of IEEE float operations.
 *
 * <p>Why not {@link Math#tanh} and friends: the Vector API's {@code lanewise(EXP)} and
 * {@code lanewise(TANH)} give different bits in the interpreter, in C1 and in C2 (a Java fallback
 * versus an SVML stub), so a model's trajectory would depend on when the JIT kicked in, and a
 * replayed log would not reproduce a model bit for bit. Multiplication, addition, division, fused
 * multiply-add, min/max and the float-to-int cast are exactly rounded everywhere, so these
 * functions return the same bits in every tier and in every lane; the Vector API kernels spell out
 * the same operation sequences, which makes every element-wise kernel bit-identical between the
 * scalar and the vector implementation.
 *
 * <pre>
 * tanh(x):  [13/6] rational function of x on [-7.905, 7.905] (Eigen's float coefficients),
 *           x itself below |x| &lt; 4e-4; max error 6 ulp, |tanh| &lt;= 1
 * exp(x):   x clamped to [-87, 88]; n = round(x log2 e); r = x - n ln 2 (two-part Cody-Waite);
 *           exp(r) by its degree-6 Taylor polynomial (|r| &lt;= 0.347, truncation &lt; 1.3e-7);
 *           times 2^n built from the exponent bits (no float-to-int conversion)
 * log1p(y): for y in [0, 1]: s = y / (2 + y), log1p(y) = 2 atanh(s) = 2 s (1 + s^2/3 + ... + s^10/11)
 * softplus(v) = max(v, 0) + log1p(exp(-|v|))
 * </pre>
 *
 * NaN propagates through every function.
 */
public final class Approx {

  private Approx() {}

  /** Beyond this tanh rounds to +-1 in float. */
  public static final float TANH_CLAMP = 7.90531110763549805f;
  /** Below this tanh(x) rounds to x in float. */
  public static final float TANH_TINY = 0.0004f;
  public static final float TA1 = 4.89352455891786e-03f;
  public static final float TA3 = 6.37261928875436e-04f;
  public static final float TA5 = 1.48572235717979e-05f;
  public static final float TA7 = 5.12229709037114e-08f;
  public static final float TA9 = -8.60467152213735e-11f;
  public static final float TA11 = 2.00018790482477e-13f;
  public static final float TA13 = -2.76076847742355e-16f;
  public static final float TB0 = 4.89352518554385e-03f;
  public static final float TB2 = 2.26843463243900e-03f;
  public static final float TB4 = 1.18534705686654e-04f;
  public static final float TB6 = 1.19825839466702e-06f;

  /** exp arguments are clamped to [EXP_LO, EXP_HI], so 2^n stays a normal float. */
  public static final float EXP_LO = -87f;
  public static final float EXP_HI = 88f;
  public static final float LOG2E = 1.44269504088896341f;
  /** ln 2 split so that n * LN2_HI is exact for |n| &lt;= 2^9. */
  public static final float LN2_HI = 0.693359375f;
  public static final float LN2_LO = -2.12194440e-4f;
  /**
   * 1.5 * 2^23 + 127. Adding it to a float of magnitude &lt; 2^21 rounds that float to an integer n
   * and leaves n + 127 in the low mantissa bits; shifting those bits left by 23 makes the float 2^n
   * without a float-to-int conversion.
   */
  public static final float ROUND = 12583039f;
  public static final float E2 = 1f / 2;
  public static final float E3 = 1f / 6;
  public static final float E4 = 1f / 24;
  public static final float E5 = 1f / 120;
  public static final float E6 = 1f / 720;
  public static final float L3 = 1f / 3;
  public static final float L5 = 1f / 5;
  public static final float L7 = 1f / 7;
  public static final float L9 = 1f / 9;
  public static final float L11 = 1f / 11;

  /** tanh(v). */
  public static float tanh(float v) {
    float x = Math.max(Math.min(v, TANH_CLAMP), -TANH_CLAMP);
    float x2 = x * x;
    float p = ((((((x2 * TA13 + TA11) * x2 + TA9) * x2 + TA7) * x2 + TA5) * x2 + TA3) * x2 + TA1) * x;
    float q = ((x2 * TB6 + TB4) * x2 + TB2) * x2 + TB0;
    float t = p / q;
    return Math.abs(v) < TANH_TINY ? v : t;
  }

  /** exp(v), with v clamped to [-87, 88]. */
  public static float exp(float v) {
    float x = Math.max(Math.min(v, EXP_HI), EXP_LO);
    float t = x * LOG2E + ROUND;
    float nf = t - ROUND;
    float r = Math.fma(nf, -LN2_HI, x);
    r = Math.fma(nf, -LN2_LO, r);
    float p = Math.fma(E6, r, E5);
    p = Math.fma(p, r, E4);
    p = Math.fma(p, r, E3);
    p = Math.fma(p, r, E2);
    p = Math.fma(p, r, 1f);
    p = Math.fma(p, r, 1f);
    return p * Float.intBitsToFloat(Float.floatToRawIntBits(t) << 23);
  }

  /** log1p(y) for y in [0, 1] (the range softplus needs). */
  public static float log1pUnit(float y) {
    float s = y / (2f + y);
    float s2 = s * s;
    float p = Math.fma(L11, s2, L9);
    p = Math.fma(p, s2, L7);
    p = Math.fma(p, s2, L5);
    p = Math.fma(p, s2, L3);
    p = Math.fma(p, s2, 1f);
    return 2f * s * p;
  }

  /** softplus(v) = log(1 + e^v), stable for any v. */
  public static float softplus(float v) {
    return Math.max(v, 0f) + log1pUnit(exp(-Math.abs(v)));
  }
}
