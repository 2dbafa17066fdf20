package dev.auramoe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.cell.CellConfig;
import dev.auramoe.experts.Experts;
import dev.auramoe.routing.RouteBuffer;
import dev.auramoe.spiking.AttentionConfig;
import dev.auramoe.spiking.SpikingAttention;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.NoSuchElementException;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/**
 * One stream's state as bytes: a stream exported, dropped and imported back continues bit for bit
 * as if it had never left; equal states give equal bytes; damaged bytes, bytes of another version
 * and bytes of a model of another shape are refused with a clear error and change nothing.
 */
class StreamStateTest {

  static final AttentionConfig ATTENTION = new AttentionConfig(40, 3, 0.8f, 1.5f, 1e-3f);
  static final int HIDDEN = 6;
  static final int EXPERTS = 4;
  /**
   * Offsets in the v2 form with attention: magic 8, version 4, hidden 4, experts 4, expert set 4,
   * attention 1 + 20, routes 8, h (length 4, floats), recent errors (length 4, floats).
   */
  static final int VERSION_AT = 8;
  static final int EXPERTS_AT = 16;
  static final int ROUTES_AT = 45;
  static final int H_AT = 57;
  static final int RECENT_AT = H_AT + 4 * HIDDEN;

  static MixtureOfExperts.Builder builder(int hidden, AttentionConfig attention) {
    return MixtureOfExperts.builder(3, 2).experts(Experts.nlms("e", EXPERTS, 3, 2, 0.3)).topK(2)
        .cell(CellConfig.DEFAULT.withHidden(hidden)).attention(attention).seed(11);
  }

  /** The test model: 3 inputs, 2 outputs, 4 experts, hidden size 6, attention over 40 tokens. */
  static MixtureOfExperts.Builder builder() {
    return builder(HIDDEN, ATTENTION);
  }

  static MixtureOfExperts model(int hidden, AttentionConfig attention) {
    return builder(hidden, attention).build();
  }

  static MixtureOfExperts model() {
    return builder().build();
  }

  /** One step of a seeded workload: learns (so the shared weights move) or routes, with tokens and timing. */
  static void step(MixtureOfExperts m, String stream, Random r, RouteBuffer out) {
    float[] x = {(float) r.nextGaussian(), (float) r.nextGaussian(), (float) r.nextGaussian()};
    int[] tokens = new int[r.nextInt(4)];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = r.nextInt(12);
    }
    float elapsed = r.nextBoolean() ? Float.NaN : (float) r.nextDouble() * 2f;
    if (r.nextInt(3) == 0) {
      m.route(stream, x, elapsed, tokens, out);
    } else {
      m.learn(stream, x, elapsed, tokens, new float[] {x[0] - x[1], x[2]}, new float[2], out);
    }
  }

  static void assertSameDecision(RouteBuffer a, RouteBuffer b, String what) {
    assertThat(a.k()).as(what).isEqualTo(b.k());
    for (int i = 0; i < a.k(); i++) {
      assertThat(a.expert(i)).as(what).isEqualTo(b.expert(i));
      assertThat(Float.floatToIntBits(a.weight(i))).as(what).isEqualTo(Float.floatToIntBits(b.weight(i)));
    }
    assertThat(Float.floatToIntBits(a.temperature())).as(what).isEqualTo(Float.floatToIntBits(b.temperature()));
    assertThat(a.steps()).as(what).isEqualTo(b.steps());
    assertThat(Arrays.copyOf(a.probabilitiesArray(), 4)).as(what).isEqualTo(Arrays.copyOf(b.probabilitiesArray(), 4));
  }

  static void assertSameStream(MixtureOfExperts a, MixtureOfExperts b, String id) {
    assertThat(a.state(id)).isEqualTo(b.state(id));
    SpikingAttention x = a.attention(id);
    SpikingAttention y = b.attention(id);
    assertThat(x.activeIds()).isEqualTo(y.activeIds());
    assertThat(x.activePotentials()).isEqualTo(y.activePotentials());
    assertThat(x.steps()).isEqualTo(y.steps());
    assertThat(x.winners()).isEqualTo(y.winners());
    assertThat(Float.floatToIntBits(x.focus())).isEqualTo(Float.floatToIntBits(y.focus()));
    assertThat(a.exportStream(id)).isEqualTo(b.exportStream(id));
  }

  @Test
  void aStreamExportedClosedAndImportedContinuesBitForBitLikeAnUninterruptedTwin() {
    MixtureOfExperts m = model();
    MixtureOfExperts twin = model();
    for (MixtureOfExperts x : new MixtureOfExperts[] {m, twin}) {
      x.openStream("s");
      x.openStream("other");
    }
    Random rm = new Random(5);
    Random rt = new Random(5);
    RouteBuffer bm = m.newRouteBuffer();
    RouteBuffer bt = twin.newRouteBuffer();
    for (int i = 0; i < 40; i++) {
      step(m, "s", rm, bm);
      step(twin, "s", rt, bt);
      assertSameDecision(bm, bt, "before the export, input " + i);
    }
    byte[] state = m.exportStream("s");
    m.closeStream("s");
    // The shared weights move on while the stream is away.
    for (int i = 0; i < 10; i++) {
      step(m, "other", rm, bm);
      step(twin, "other", rt, bt);
    }
    m.importStream("s", state);
    assertSameStream(m, twin, "s");
    for (int i = 0; i < 60; i++) {
      step(m, "s", rm, bm);
      step(twin, "s", rt, bt);
      assertSameDecision(bm, bt, "after the import, input " + i);
      assertSameStream(m, twin, "s");
    }
    assertThat(m.attention("s").steps()).as("the tokens reached the attention").isGreaterThan(50);
    // Everything else is untouched: with the stream closed in both, the models are bit-identical.
    m.closeStream("s");
    twin.closeStream("s");
    assertThat(m.digest()).isEqualTo(twin.digest());
  }

  @Test
  void equalStatesGiveEqualBytesAndAnImportedStreamExportsTheSameBytes() {
    MixtureOfExperts m = model();
    MixtureOfExperts twin = model();
    Random rm = new Random(9);
    Random rt = new Random(9);
    for (int i = 0; i < 25; i++) {
      step(m, MixtureOfExperts.DEFAULT_STREAM, rm, m.newRouteBuffer());
      step(twin, MixtureOfExperts.DEFAULT_STREAM, rt, twin.newRouteBuffer());
    }
    byte[] a = m.exportStream(MixtureOfExperts.DEFAULT_STREAM);
    assertThat(m.exportStream(MixtureOfExperts.DEFAULT_STREAM)).isEqualTo(a);
    assertThat(twin.exportStream(MixtureOfExperts.DEFAULT_STREAM)).isEqualTo(a);
    m.touchStream(MixtureOfExperts.DEFAULT_STREAM, 77);
    assertThat(m.exportStream(MixtureOfExperts.DEFAULT_STREAM)).as("the recency stamp does not travel").isEqualTo(a);
    MixtureOfExperts other = model();
    other.importStream("copy", a);
    assertThat(other.exportStream("copy")).as("the id does not travel either").isEqualTo(a);
    assertThat(other.state("copy")).isEqualTo(m.state(MixtureOfExperts.DEFAULT_STREAM));
    // Small: the cell state, the recent errors, a few active tokens and fixed fields.
    int active = m.attention(MixtureOfExperts.DEFAULT_STREAM).activeCount();
    assertThat(a).hasSize(RECENT_AT + 4 + 4 * EXPERTS + 1 + 4 + 4 * active + 4 + 4 * active + 8 + 4);
  }

  @Test
  void importReplacesAnOpenStreamAndOpensAnAbsentOne() {
    MixtureOfExperts m = model();
    m.openStream("a");
    m.route("a", new float[] {1, 2, 3}, Float.NaN, new int[] {4, 4}, m.newRouteBuffer());
    byte[] routed = m.exportStream("a");
    m.openStream("b");
    byte[] fresh = m.exportStream("b");
    m.importStream("a", fresh);
    assertThat(m.state("a")).containsOnly(0f);
    assertThat(m.attention("a").activeCount()).isZero();
    assertThat(m.streamCount()).isEqualTo(3);
    m.importStream("c", routed);
    assertThat(m.streams()).containsExactly("default", "a", "b", "c");
    assertThat(m.exportStream("c")).isEqualTo(routed);
    assertThat(m.attention("c").potential(4)).isEqualTo(2f);
    m.importStream(MixtureOfExperts.DEFAULT_STREAM, routed);
    assertThat(m.exportStream(MixtureOfExperts.DEFAULT_STREAM)).isEqualTo(routed);
    assertThatThrownBy(() -> m.importStream(" ", routed)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("blank");
    assertThatThrownBy(() -> m.exportStream("nope")).isInstanceOf(NoSuchElementException.class);
  }

  /** A valid export with one field changed and the checksum made right again, so only the field is wrong. */
  static byte[] withField(byte[] state, java.util.function.Consumer<ByteBuffer> change) {
    byte[] b = state.clone();
    change.accept(ByteBuffer.wrap(b));
    CRC32C crc = new CRC32C();
    crc.update(b, 0, b.length - 4);
    ByteBuffer.wrap(b).putInt(b.length - 4, (int) crc.getValue());
    return b;
  }

  /** Imports that must be refused: each leaves the model's streams exactly as they were. */
  static void assertRefused(MixtureOfExperts m, byte[] bad, String message) {
    String digest = m.digest();
    byte[] before = m.exportStream("s");
    for (String id : new String[] {"s", "absent"}) {
      assertThatThrownBy(() -> m.importStream(id, bad)).as(message).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(message);
    }
    assertThat(m.exportStream("s")).isEqualTo(before);
    assertThat(m.hasStream("absent")).isFalse();
    assertThat(m.digest()).isEqualTo(digest);
  }

  @Test
  void everyDamagedTruncatedOrForeignFormIsRefusedAndChangesNothing() {
    MixtureOfExperts m = model();
    m.openStream("s");
    Random r = new Random(3);
    for (int i = 0; i < 20; i++) {
      step(m, "s", r, m.newRouteBuffer());
    }
    byte[] good = m.exportStream("s");
    assertThat(m.attention("s").activeCount()).isPositive();

    for (int n = 0; n < good.length; n++) {
      byte[] cut = Arrays.copyOf(good, n);
      String digest = m.digest();
      assertThatThrownBy(() -> m.importStream("s", cut)).as("truncated to %d bytes", n)
          .isInstanceOf(IllegalArgumentException.class);
      assertThat(m.digest()).isEqualTo(digest);
    }
    assertRefused(m, Arrays.copyOf(good, 34 - 1), "truncated");
    for (int bit = 0; bit < good.length * 8; bit++) {
      byte[] flipped = good.clone();
      flipped[bit / 8] ^= (byte) (1 << (bit % 8));
      assertThatThrownBy(() -> m.importStream("s", flipped)).as("bit %d flipped", bit)
          .isInstanceOf(IllegalArgumentException.class);
    }
    byte[] longer = Arrays.copyOf(good, good.length + 1);
    assertRefused(m, longer, "checksum mismatch");
    byte[] magic = good.clone();
    magic[0] = 'X';
    assertRefused(m, magic, "bad magic");
    assertRefused(m, withField(good, b -> b.putInt(VERSION_AT, 3)), "unsupported stream state format version 3");
    assertRefused(m, withField(good, b -> b.putInt(VERSION_AT, 0)), "unsupported stream state format version 0");
    assertRefused(m, withField(good, b -> b.putInt(EXPERTS_AT, EXPERTS + 1)), "recent errors of stream");
    assertRefused(m, withField(good, b -> b.putInt(EXPERTS_AT, -1)), "expert count -1");
    assertRefused(m, withField(good, b -> b.putInt(EXPERTS_AT, Integer.MAX_VALUE)), "does not fit");
    assertRefused(m, withField(good, b -> b.putInt(RECENT_AT, EXPERTS - 1)), "recent errors of stream");
    assertRefused(m, withField(good, b -> b.putFloat(RECENT_AT + 4, -1f)), "negative recent error");
    assertRefused(m, withField(good, b -> b.putFloat(RECENT_AT + 4, Float.NaN)), "non-finite value NaN");
    assertRefused(m, withField(good, b -> b.putLong(ROUTES_AT, -1)), "negative route count");
    assertRefused(m, withField(good, b -> b.putFloat(H_AT + 4, Float.NaN)), "non-finite value NaN");
    assertRefused(m, withField(good, b -> b.putFloat(H_AT + 4, Float.POSITIVE_INFINITY)), "non-finite value");
    assertRefused(m, withField(good, b -> b.putInt(H_AT - 4, HIDDEN - 1)), "corrupt stream state");
    assertRefused(m, withField(good, b -> b.putInt(H_AT - 4, Integer.MAX_VALUE)), "exceeds the remaining");
    int ids = RECENT_AT + 4 + 4 * EXPERTS + 1;
    int active = m.attention("s").activeCount();
    int acc = ids + 4 + 4 * active;
    assertRefused(m, withField(good, b -> b.putInt(ids + 4, 40)), "outside the vocabulary");
    assertRefused(m, withField(good, b -> b.putFloat(acc + 4, -1f)), "not a finite positive number");
    assertRefused(m, withField(good, b -> b.putLong(acc + 4 + 4 * active, -3)), "negative attention step count");
    if (active > 1) {
      int first = ByteBuffer.wrap(good).getInt(ids + 4);
      assertRefused(m, withField(good, b -> b.putInt(ids + 8, first)), "appears twice");
    }
    assertThatThrownBy(() -> m.importStream("s", null)).isInstanceOf(NullPointerException.class);
    assertThat(m.exportStream("s")).isEqualTo(good);
  }

  @Test
  void aStateOfAModelOfAnotherShapeIsRefusedNamingBothShapes() {
    byte[] small = model(4, ATTENTION).exportStream(MixtureOfExperts.DEFAULT_STREAM);
    MixtureOfExperts m = model();
    m.openStream("s");
    assertRefused(m, small, "hidden size 4");
    assertRefused(m, small, "this model, which has hidden size " + HIDDEN);
    assertRefused(m, model(HIDDEN, null).exportStream(MixtureOfExperts.DEFAULT_STREAM), "no attention");
    AttentionConfig slower = new AttentionConfig(40, 3, 0.9f, 1.5f, 1e-3f);
    assertRefused(m, model(HIDDEN, slower).exportStream(MixtureOfExperts.DEFAULT_STREAM), "decay=0.9");
    MixtureOfExperts plain = model(HIDDEN, null);
    assertThatThrownBy(() -> plain.importStream("s", m.exportStream("s"))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("attention AttentionConfig[vocabularySize=40").hasMessageContaining("no attention");
    // A model of the same shape takes it, whatever its weights: a replica, a restart, another seed.
    MixtureOfExperts replica = builder().seed(12).build();
    replica.importStream("t", m.exportStream("s"));
    assertThat(replica.exportStream("t")).isEqualTo(m.exportStream("s"));
    // After an expert change the recent errors are of other experts: the change itself carries them
    // ({@code withExpert}); a state exported before it brings its cell state and attention, and its
    // recent errors start at 0.
    MixtureOfExperts added = m.withExpert(new dev.auramoe.experts.NlmsExpert("x", 3, 2, 0.3));
    assertThat(added.exportStream("s")).hasSize(m.exportStream("s").length + 4);
    added.importStream("t", m.exportStream("s"));
    assertThat(added.state("t")).containsExactly(m.state("s"));
    assertThat(dev.auramoe.testing.StreamBytes.recentErrors(added.exportStream("t"))).hasSize(5).containsOnly(0f);
  }

  @Test
  void aVersionOneStateImportsWithItsRecentErrorsAtZero() {
    // A model without recent errors writes v1, as builds before them did.
    MixtureOfExperts old = builder().recentErrors(RecentErrors.OFF).build();
    Random r = new Random(5);
    for (int i = 0; i < 10; i++) {
      step(old, MixtureOfExperts.DEFAULT_STREAM, r, old.newRouteBuffer());
    }
    byte[] v1 = old.exportStream(MixtureOfExperts.DEFAULT_STREAM);
    assertThat(ByteBuffer.wrap(v1).getInt(VERSION_AT)).isEqualTo(1);
    MixtureOfExperts m = model();
    m.importStream("s", v1);
    byte[] v2 = m.exportStream("s");
    assertThat(ByteBuffer.wrap(v2).getInt(VERSION_AT)).isEqualTo(2);
    assertThat(m.state("s")).containsExactly(old.state(MixtureOfExperts.DEFAULT_STREAM));
    ByteBuffer b = ByteBuffer.wrap(v2);
    assertThat(b.getInt(RECENT_AT)).isEqualTo(EXPERTS);
    for (int e = 0; e < EXPERTS; e++) {
      assertThat(b.getFloat(RECENT_AT + 4 + 4 * e)).isZero();
    }
    // The other way, a model that keeps no recent errors takes a v2 state without them.
    old.importStream("t", v2);
    assertThat(old.exportStream("t")).isEqualTo(v1);
  }
}
