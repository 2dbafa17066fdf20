package dev.auramoe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.auramoe.balance.BalanceConfig;
import dev.auramoe.cell.CellConfig;
import dev.auramoe.energy.Component;
import dev.auramoe.energy.DeviceProfile;
import dev.auramoe.experts.FunctionExpert;
import dev.auramoe.io.SnapshotException;
import dev.auramoe.io.SnapshotFormat;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Snapshots written by hand, small files whose size fields declare more than they hold: each is
 * refused with a {@link SnapshotException} that names the field, before the reader allocates what it
 * declares (regression: a 100-byte file made the reader build an expert of gigabytes and die with
 * OutOfMemoryError).
 */
class CraftedSnapshotTest {

  /** One expert as a snapshot records it; {@code state} is the number of state values written, -1 for none. */
  record Ex(String kind, String name, int in, int out, double[] hyper, int state) {
    static Ex nlms(String name, int in, int out, int state) {
      return new Ex("nlms", name, in, out, new double[] {0.5, 1e-3, 0}, state);
    }

    static Ex rls(String name, int in, int out, int state) {
      return new Ex("rls", name, in, out, new double[] {0.99, 1}, state);
    }
  }

  /** A version-1 payload: one expert layout, {@code declaredStreams} in the count and {@code streams} written. */
  private static byte[] payload(int in, int out, int hidden, List<Ex> experts, int declaredStreams, int streams,
      int attentionWinners) {
    int e = experts.size();
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream o = new DataOutputStream(bytes);
      CellConfig c = CellConfig.DEFAULT;
      o.writeInt(in);
      o.writeInt(out);
      o.writeInt(hidden);
      o.writeUTF(c.type().name());
      o.writeFloat(c.tauMin());
      o.writeFloat(c.tauMax());
      o.writeFloat(c.dt());
      o.writeInt(c.unfolds());
      o.writeInt(c.maxStepsPerInput());
      o.writeFloat(c.inputScale());
      o.writeFloat(c.recurrentScale());
      o.writeInt(1); // topK
      o.writeFloat(1f);
      o.writeBoolean(false); // the router does not read the input
      o.writeFloat(0.05f);
      o.writeUTF(Credit.GATE_WEIGHT.name());
      BalanceConfig b = BalanceConfig.DEFAULT;
      o.writeBoolean(b.enabled());
      o.writeDouble(b.gamma());
      o.writeDouble(b.decay());
      o.writeDouble(b.biasCap());
      o.writeLong(b.warmupTokens());
      o.writeBoolean(b.frozen());
      o.writeBoolean(attentionWinners > 0);
      if (attentionWinners > 0) {
        o.writeInt(1 << 20);
        o.writeInt(attentionWinners);
        o.writeFloat(0.7f);
        o.writeFloat(1f);
        o.writeFloat(1e-3f);
      }
      DeviceProfile p = DeviceProfile.DEFAULT;
      o.writeUTF(p.name());
      o.writeDouble(p.picojoulesPerMac());
      o.writeUTF(p.basis());
      o.writeLong(7);
      floats(o, (long) in * 2 * hidden); // cell projection
      floats(o, (long) hidden * hidden);
      floats(o, hidden);
      floats(o, hidden);
      floats(o, (long) hidden * e); // router readout
      floats(o, e);
      o.writeFloat(0f); // error scale
      o.writeLong(0);
      floats(o, e); // balance bias, load, counts
      floats(o, e);
      o.writeInt(e);
      for (int i = 0; i < e; i++) {
        o.writeLong(0);
      }
      o.writeLong(0);
      o.writeLong(0);
      o.writeInt(e);
      for (Ex x : experts) {
        o.writeUTF(x.kind());
        o.writeUTF(x.name());
        o.writeInt(x.in());
        o.writeInt(x.out());
        o.writeInt(x.hyper().length);
        for (double d : x.hyper()) {
          o.writeDouble(d);
        }
        o.writeBoolean(x.state() >= 0);
        if (x.state() >= 0) {
          floats(o, x.state());
        }
      }
      o.writeInt(declaredStreams);
      for (int s = 0; s < streams; s++) {
        o.writeUTF(s == 0 ? MixtureOfExperts.DEFAULT_STREAM : "s" + s);
        o.writeLong(0);
        floats(o, hidden);
        o.writeBoolean(attentionWinners > 0);
        if (attentionWinners > 0) {
          o.writeInt(0);
          o.writeInt(0);
          o.writeLong(0);
        }
      }
      o.writeInt(Component.values().length + 1);
      for (int i = 0; i <= Component.values().length; i++) {
        o.writeLong(0);
      }
      o.flush();
      return bytes.toByteArray();
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
  }

  private static void floats(DataOutputStream o, long n) throws IOException {
    o.writeInt((int) n);
    for (long i = 0; i < n; i++) {
      o.writeFloat(0f);
    }
  }

  private static final Function<String, FunctionExpert.VectorFunction> FUNCTIONS = name -> (x, y) -> y[0] = x[0];

  private static MixtureOfExperts load(byte[] payload) throws SnapshotException {
    return Snapshots.fromBytes(SnapshotFormat.frame(1, payload), FUNCTIONS);
  }

  private static String refused(byte[] payload) {
    try {
      load(payload);
    } catch (SnapshotException e) {
      return e.getMessage();
    }
    throw new AssertionError("a crafted snapshot was accepted");
  }

  @Test
  void theCraftedLayoutIsASnapshotWhenItsSizesAreTrue() throws Exception {
    // So that each refusal below is for the one field it changes.
    MixtureOfExperts m = load(payload(3, 2, 4, List.of(Ex.nlms("a", 3, 2, 2 * 4), Ex.rls("b", 3, 2, 2 * 4 + 16)),
        1, 1, 0));
    assertThat(m.expertCount()).isEqualTo(2);
    assertThat(m.outputDim()).isEqualTo(2);
    MixtureOfExperts withAttention = load(payload(1, 1, 1, List.of(Ex.nlms("a", 1, 1, 2)), 3, 3, 4096));
    assertThat(withAttention.streamCount()).isEqualTo(3);
  }

  @Test
  void anExpertWhoseStateIsNotInTheFileIsRefusedBeforeItIsBuilt() {
    // Some 400 bytes declaring an NLMS expert of 1 -> 2^30 - 1: 8 GiB of weights, and no state.
    byte[] nlms = payload(1, (1 << 30) - 1, 1, List.of(Ex.nlms("big", 1, (1 << 30) - 1, -1)), 1, 1, 0);
    assertThat(nlms.length).isLessThan(512);
    assertThat(refused(nlms)).isEqualTo("corrupt snapshot: expert 'big' (nlms, 1 -> 1073741823) has no state;"
        + " its kind holds 2147483646 values");
    // The same with a state that is too short for it.
    assertThat(refused(payload(1, (1 << 30) - 1, 1, List.of(Ex.nlms("big", 1, (1 << 30) - 1, 3)), 1, 1, 0)))
        .isEqualTo("corrupt snapshot: expert 'big' (nlms, 1 -> 1073741823) has 3 state values; its kind holds"
            + " 2147483646");
    // RLS: (in + 1)^2 values for its matrix P; an input of 46339 is 8 GiB of P.
    assertThat(refused(payload(46_339, 1, 1, List.of(Ex.rls("p", 46_339, 1, 5)), 1, 1, 0)))
        .isEqualTo("corrupt snapshot: expert 'p' (rls, 46339 -> 1) has 5 state values; its kind holds 2147441940");
    // Beyond the int range, where the expert's own arithmetic would overflow.
    assertThat(refused(payload(1, 1 << 30, 1, List.of(Ex.nlms("o", 1, 1 << 30, 0)), 1, 1, 0)))
        .isEqualTo("corrupt snapshot: expert 'o' (nlms, 1 -> 1073741824) has 0 state values; its kind holds"
            + " 2147483648");
  }

  @Test
  void functionExpertsCannotDeclareOutputsBeyondReason() {
    // A function expert has no state to measure its size by: its outputs are bounded instead.
    byte[] f = payload(1, Integer.MAX_VALUE - 8, 1,
        List.of(new Ex("function", "f", 1, Integer.MAX_VALUE - 8, new double[] {1}, -1)), 1, 1, 0);
    assertThat(refused(f)).isEqualTo("corrupt snapshot: outputDim " + (Integer.MAX_VALUE - 8) + " with 1 experts"
        + " needs " + (Integer.MAX_VALUE - 8) + " output values, more than the limit of " + (1 << 28));
  }

  @Test
  void aStreamCountTheRemainingBytesCannotHoldIsRefused() {
    // A stream of this model takes at least 2 (its id) + 8 (routes) + 4 + 4 (its cell state) + 1 bytes,
    // and 16 more with attention; the energy counters (52 bytes) follow.
    assertThat(refused(payload(1, 1, 1, List.of(Ex.nlms("a", 1, 1, 2)), 1 << 24, 1, 4096)))
        .isEqualTo("corrupt snapshot: stream count 16777216 needs at least 587202560 bytes, the payload has 94 left");
    assertThat(refused(payload(1, 1, 1, List.of(Ex.nlms("a", 1, 1, 2)), 5, 1, 0)))
        .isEqualTo("corrupt snapshot: stream count 5 needs at least 95 bytes, the payload has 78 left");
  }
}
