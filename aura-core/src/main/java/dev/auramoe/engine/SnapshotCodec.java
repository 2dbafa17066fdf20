package dev.auramoe.engine;

import dev.auramoe.Credit;
import dev.auramoe.MixtureOfExperts;
import dev.auramoe.MoeConfig;
import dev.auramoe.RecentErrors;
import dev.auramoe.balance.BalanceConfig;
import dev.auramoe.cell.CellConfig;
import dev.auramoe.cell.CellType;
import dev.auramoe.energy.DeviceProfile;
import dev.auramoe.experts.AdaptiveExpert;
import dev.auramoe.experts.Expert;
import dev.auramoe.experts.Experts;
import dev.auramoe.experts.FunctionExpert;
import dev.auramoe.io.SnapshotException;
import dev.auramoe.spiking.AttentionConfig;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The payload of snapshot formats v1 and v2 (layout in {@link dev.auramoe.Snapshots}), written from and read
 * into a {@link ModelState}: the configuration with the live settings, then the state's
 * {@linkplain ModelState#PARTS parts} before the experts, the experts, the streams, and the parts
 * after them. The parts' values are written and read by their kind, so the codec knows nothing of
 * what they mean; the sections of their own (configuration, experts, streams) are here, each
 * stream's fields after its id written and read by {@link StreamStateCodec}, which exports one
 * stream's state in the same fields.
 *
 * <p>Reading checks every size it allocates from against the payload before allocating: each array's
 * length against the bytes that remain, the arrays' lengths against the configuration before a model
 * is built, each expert's state against what its kind and shape hold before the expert is built (it
 * allocates that much), the experts' outputs against {@link #MAX_OUTPUTS}, and the stream count against
 * the smallest stream the remaining bytes could hold. A damaged or crafted size field is refused with
 * a {@link SnapshotException} that names it, rather than allocating gigabytes.
 */
public final class SnapshotCodec {

  /**
   * The most output values a model's experts may have together ({@code experts * outputDim}, 1 GiB of
   * floats): more than any payload of adaptive experts can hold state for (each holds at least its
   * outputs), so that only a damaged size, or function experts declaring absurd outputs, meets it.
   */
  static final long MAX_OUTPUTS = 1L << 28;

  private SnapshotCodec() {}

  /**
   * A payload, whether every float value the loader checks for finiteness is finite, and its format
   * version.
   */
  public record Written(byte[] payload, boolean finite, int version) {}

  /** The oldest format that holds a model's state: 2 when its router reads recent errors, else 1. */
  static int version(ModelState m) {
    return StreamStateCodec.version(m.config.recentErrors().enabled());
  }

  /** The payload writer (and that of one stream's state): notes whether a float value was non-finite. */
  static final class PayloadOut extends DataOutputStream {
    boolean finite = true;
    /** Big-endian bytes of a run of floats, written to the stream in one call. */
    final byte[] chunk;

    PayloadOut(java.io.OutputStream out, int chunkBytes) {
      super(out);
      this.chunk = new byte[Math.min(1 << 13, chunkBytes)];
    }
  }

  // ------------------------------------------------------------------ write

  /**
   * The payload of a model's state; the caller holds the model's lock.
   *
   * @throws UnsupportedOperationException when the model's gating cell is not the built-in one
   */
  public static Written write(ModelState m) {
    m.liquidCell();
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(payloadEstimate(m));
      PayloadOut o = new PayloadOut(bytes, 1 << 13);
      int version = version(m);
      writeConfig(o, m.liveConfig(), version);
      writeParts(o, m, ModelState.BEFORE_EXPERTS);
      o.writeInt(m.experts);
      for (int i = 0; i < m.experts; i++) {
        Expert e = m.pool.get(i);
        o.writeUTF(e.kind());
        o.writeUTF(e.name());
        o.writeInt(e.inputDim());
        o.writeInt(e.outputDim());
        double[] h = e.hyperParameters();
        o.writeInt(h.length);
        for (double d : h) {
          o.writeDouble(d);
        }
        if (e instanceof AdaptiveExpert a) {
          o.writeBoolean(true);
          writeFloats(o, a.state());
        } else {
          o.writeBoolean(false);
        }
      }
      o.writeInt(m.streams.size());
      for (StreamState s : m.streams.values()) {
        o.writeUTF(s.id);
        StreamStateCodec.writeFields(o, s, version);
      }
      writeParts(o, m, ModelState.AFTER_STREAMS);
      o.flush();
      return new Written(bytes.toByteArray(), o.finite, version);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void writeParts(PayloadOut o, ModelState m, List<ModelState.Part> parts) throws IOException {
    for (ModelState.Part p : parts) {
      Object[] v = p.capture().read(m);
      for (int i = 0; i < v.length; i++) {
        switch (p.values().get(i).kind()) {
          case F32 -> {
            float f = (Float) v[i];
            o.writeFloat(f);
            o.finite &= Float.isFinite(f);
          }
          case I64 -> o.writeLong((Long) v[i]);
          case F32S -> writeFloats(o, (float[]) v[i]);
          case I64S -> writeLongs(o, (long[]) v[i]);
        }
      }
    }
  }

  /**
   * The payload's size in bytes, from its largest parts (the cell, the router, the streams' states;
   * experts are left out, as their sizes are not known without copying them): the initial capacity
   * of the payload buffer, so that a large model is not copied again each time the buffer doubles.
   */
  private static int payloadEstimate(ModelState m) {
    var cell = m.liquidCell();
    long floats = (long) cell.projection().length + cell.recurrent().length + cell.driveBias().length
        + cell.tauBias().length + m.router.readout().length + m.router.bias().length;
    long streams = 0;
    for (StreamState s : m.streams.values()) {
      streams += 2 + s.id.length() + StreamStateCodec.fieldBytes(s, version(m));
    }
    return (int) Math.min(Integer.MAX_VALUE - 16, Float.BYTES * floats + streams + (1 << 16));
  }

  private static void writeConfig(DataOutputStream o, MoeConfig c, int version) throws IOException {
    o.writeInt(c.inputDim());
    o.writeInt(c.outputDim());
    CellConfig cc = c.cell();
    o.writeInt(cc.hidden());
    o.writeUTF(cc.type().name());
    o.writeFloat(cc.tauMin());
    o.writeFloat(cc.tauMax());
    o.writeFloat(cc.dt());
    o.writeInt(cc.unfolds());
    o.writeInt(cc.maxStepsPerInput());
    o.writeFloat(cc.inputScale());
    o.writeFloat(cc.recurrentScale());
    o.writeInt(c.topK());
    o.writeFloat(c.temperature());
    o.writeBoolean(c.routerUsesInput());
    o.writeFloat(c.routerLearningRate());
    o.writeUTF(c.credit().name());
    if (version > 1) {
      o.writeFloat(c.recentErrors().weight());
      o.writeFloat(c.recentErrors().rate());
    }
    BalanceConfig b = c.balance();
    o.writeBoolean(b.enabled());
    o.writeDouble(b.gamma());
    o.writeDouble(b.decay());
    o.writeDouble(b.biasCap());
    o.writeLong(b.warmupTokens());
    o.writeBoolean(b.frozen());
    AttentionConfig a = c.attention();
    o.writeBoolean(a != null);
    if (a != null) {
      o.writeInt(a.vocabularySize());
      o.writeInt(a.winners());
      o.writeFloat(a.decay());
      o.writeFloat(a.gainStrength());
      o.writeFloat(a.pruneBelow());
    }
    DeviceProfile p = c.profile();
    o.writeUTF(p.name());
    o.writeDouble(p.picojoulesPerMac());
    o.writeUTF(p.basis());
    o.writeLong(c.seed());
  }

  /** Writes an int into a byte array big-endian, as {@link DataOutputStream#writeInt} does. */
  private static final java.lang.invoke.VarHandle BIG_ENDIAN_INT =
      java.lang.invoke.MethodHandles.byteArrayViewVarHandle(int[].class, java.nio.ByteOrder.BIG_ENDIAN);

  /**
   * The same bytes as {@link DataOutputStream#writeFloat} per value, converted a chunk at a time: one
   * call per value made serialising a large model (and so a digest or a snapshot, which hold the
   * model's lock while they copy it) several times slower than copying its arrays.
   */
  static void writeFloats(PayloadOut o, float[] v) throws IOException {
    o.writeInt(v.length);
    boolean finite = true;
    byte[] chunk = o.chunk;
    int per = chunk.length / Float.BYTES;
    for (int from = 0; from < v.length; from += per) {
      int n = Math.min(per, v.length - from);
      for (int i = 0; i < n; i++) {
        float f = v[from + i];
        BIG_ENDIAN_INT.set(chunk, i * Float.BYTES, Float.floatToIntBits(f));
        finite &= Float.isFinite(f);
      }
      o.write(chunk, 0, n * Float.BYTES);
    }
    o.finite &= finite;
  }

  static void writeInts(DataOutputStream o, int[] v) throws IOException {
    o.writeInt(v.length);
    for (int f : v) {
      o.writeInt(f);
    }
  }

  private static void writeLongs(DataOutputStream o, long[] v) throws IOException {
    o.writeInt(v.length);
    for (long f : v) {
      o.writeLong(f);
    }
  }

  // ------------------------------------------------------------------ read

  /**
   * Parses a payload of format {@code version} into a new model state, checking every field.
   *
   * @param functions supplies frozen function experts by name (may be null if there are none)
   * @throws SnapshotException (or another exception the caller reports as corrupt) on any inconsistency
   */
  public static ModelState read(DataInputStream in, int version,
      Function<String, FunctionExpert.VectorFunction> functions) throws IOException {
    MoeConfig config = readConfig(in, version);
    List<Object[]> before = readParts(in, ModelState.BEFORE_EXPERTS);

    int nExperts = in.readInt();
    if (nExperts <= 0 || nExperts > 1 << 20) {
      throw new SnapshotException("corrupt snapshot: expert count " + nExperts);
    }
    // Sizes the model allocates must match the arrays already read (each bounded by the payload),
    // so that a damaged size field is refused here rather than allocating gigabytes.
    for (int p = 0; p < before.size(); p++) {
      List<ModelState.Value> values = ModelState.BEFORE_EXPERTS.get(p).values();
      for (int i = 0; i < values.size(); i++) {
        ModelState.Value v = values.get(i);
        if (v.shape() != null) {
          Object a = before.get(p)[i];
          checkShape(a instanceof float[] f ? f.length : ((long[]) a).length, v.shape().expected(config, nExperts),
              v.name());
        }
      }
    }
    List<Expert> experts = new ArrayList<>(nExperts);
    List<float[]> states = new ArrayList<>(nExperts);
    for (int i = 0; i < nExperts; i++) {
      String kind = in.readUTF();
      String name = in.readUTF();
      int ein = in.readInt();
      int eout = in.readInt();
      if (ein != config.inputDim() || eout != config.outputDim()) {
        throw new SnapshotException("corrupt snapshot: expert '" + name + "' is " + ein + " -> " + eout
            + " but the mixture is " + config.inputDim() + " -> " + config.outputDim());
      }
      int nh = in.readInt();
      if (nh < 0 || nh > 64) {
        throw new SnapshotException("corrupt snapshot: " + nh + " hyper-parameters");
      }
      double[] hyper = new double[nh];
      for (int j = 0; j < nh; j++) {
        hyper[j] = in.readDouble();
      }
      // The state first (bounded by the payload), then the expert, which allocates as much as its kind
      // and shape declare: a shape the state does not fill is refused before anything of its size exists.
      float[] state = in.readBoolean() ? readFloats(in) : null;
      long needs = Experts.stateLength(kind, ein, eout);
      if (needs > 0 && (state == null || state.length != needs)) {
        throw new SnapshotException("corrupt snapshot: expert '" + name + "' (" + kind + ", " + ein + " -> " + eout
            + ") has " + (state == null ? "no state; its kind holds " + needs + " values"
            : state.length + " state values; its kind holds " + needs));
      }
      experts.add(Experts.create(kind, name, ein, eout, hyper, functions));
      states.add(state);
    }
    // The model keeps outputDim values per expert. An adaptive expert's state, checked above against
    // the payload, bounds them; a function expert has no state to bound them by.
    long outputs = (long) nExperts * config.outputDim();
    if (outputs > MAX_OUTPUTS) {
      throw new SnapshotException("corrupt snapshot: outputDim " + config.outputDim() + " with " + nExperts
          + " experts needs " + outputs + " output values, more than the limit of " + MAX_OUTPUTS);
    }
    ModelState m = new ModelState(config, experts, null);
    for (int i = 0; i < nExperts; i++) {
      float[] st = states.get(i);
      Expert e = m.pool.get(i);
      if ((st != null) != (e instanceof AdaptiveExpert)) {
        throw new SnapshotException("corrupt snapshot: state presence does not match expert '" + e.name() + "'");
      }
      if (st != null) {
        ((AdaptiveExpert) e).setState(st);
      }
    }
    install(m, ModelState.BEFORE_EXPERTS, before);

    int nStreams = in.readInt();
    if (nStreams <= 0 || nStreams > 1 << 24) {
      throw new SnapshotException("corrupt snapshot: stream count " + nStreams);
    }
    // Each stream allocates its state before its fields are read: the count must fit what is left.
    long smallest = 2 + StreamStateCodec.fieldBytes(version, m.hidden,
        config.recentErrors().enabled() ? nExperts : 0, config.attention() != null, 0);
    if (nStreams * smallest > in.available()) {
      throw new SnapshotException("corrupt snapshot: stream count " + nStreams + " needs at least "
          + nStreams * smallest + " bytes, the payload has " + in.available() + " left");
    }
    m.streams.clear();
    for (int i = 0; i < nStreams; i++) {
      String id = in.readUTF();
      StreamState s = m.streams.newStream(id);
      StreamStateCodec.readFields(in, s, version);
      if (m.streams.put(s) != null) {
        throw new SnapshotException("corrupt snapshot: stream '" + id + "' appears twice");
      }
    }
    if (!m.streams.contains(MixtureOfExperts.DEFAULT_STREAM)) {
      throw new SnapshotException("corrupt snapshot: the default stream is missing");
    }
    install(m, ModelState.AFTER_STREAMS, readParts(in, ModelState.AFTER_STREAMS));
    return m;
  }

  private static List<Object[]> readParts(DataInputStream in, List<ModelState.Part> parts) throws IOException {
    List<Object[]> l = new ArrayList<>(parts.size());
    for (ModelState.Part p : parts) {
      Object[] v = new Object[p.values().size()];
      for (int i = 0; i < v.length; i++) {
        v[i] = switch (p.values().get(i).kind()) {
          case F32 -> in.readFloat();
          case I64 -> in.readLong();
          case F32S -> readFloats(in);
          case I64S -> readLongs(in);
        };
      }
      l.add(v);
    }
    return l;
  }

  private static void install(ModelState m, List<ModelState.Part> parts, List<Object[]> values)
      throws SnapshotException {
    for (int p = 0; p < parts.size(); p++) {
      parts.get(p).install().write(m, values.get(p));
    }
  }

  private static MoeConfig readConfig(DataInputStream in, int version) throws IOException {
    int inputDim = in.readInt();
    int outputDim = in.readInt();
    CellConfig cc = new CellConfig(in.readInt(), CellType.valueOf(in.readUTF()), in.readFloat(), in.readFloat(),
        in.readFloat(), in.readInt(), in.readInt(), in.readFloat(), in.readFloat());
    int topK = in.readInt();
    float temperature = in.readFloat();
    boolean routerUsesInput = in.readBoolean();
    float routerLr = in.readFloat();
    Credit credit = Credit.valueOf(in.readUTF());
    // Version 1 predates recent errors: its models route without them.
    RecentErrors recent = version > 1 ? new RecentErrors(in.readFloat(), in.readFloat()) : RecentErrors.OFF;
    BalanceConfig bc = new BalanceConfig(in.readBoolean(), in.readDouble(), in.readDouble(), in.readDouble(),
        in.readLong(), in.readBoolean());
    AttentionConfig ac = null;
    if (in.readBoolean()) {
      ac = new AttentionConfig(in.readInt(), in.readInt(), in.readFloat(), in.readFloat(), in.readFloat());
    }
    String pname = in.readUTF();
    double pj = in.readDouble();
    String basis = in.readUTF();
    DeviceProfile profile = new DeviceProfile(pname, pj, basis);
    long seed = in.readLong();
    return new MoeConfig(inputDim, outputDim, cc, topK, temperature, routerUsesInput, routerLr, credit, recent, bc, ac,
        profile, seed);
  }

  private static void checkShape(int length, long expected, String what) throws SnapshotException {
    if (length != expected) {
      throw new SnapshotException("corrupt snapshot: " + what + " has " + length + " values, the configuration needs "
          + expected);
    }
  }

  private static int readLength(DataInputStream in, int elementBytes) throws IOException {
    int n = in.readInt();
    if (n < 0 || (long) n * elementBytes > in.available()) {
      throw new SnapshotException("corrupt snapshot: array length " + n + " exceeds the remaining payload");
    }
    return n;
  }

  /** An array of finite floats. */
  static float[] readFloats(DataInputStream in) throws IOException {
    int n = readLength(in, Float.BYTES);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = in.readFloat();
      if (!Float.isFinite(v[i])) {
        throw new SnapshotException("corrupt snapshot: non-finite value " + v[i]);
      }
    }
    return v;
  }

  static int[] readInts(DataInputStream in) throws IOException {
    int n = readLength(in, Integer.BYTES);
    int[] v = new int[n];
    for (int i = 0; i < n; i++) {
      v[i] = in.readInt();
    }
    return v;
  }

  private static long[] readLongs(DataInputStream in) throws IOException {
    int n = readLength(in, Long.BYTES);
    long[] v = new long[n];
    for (int i = 0; i < n; i++) {
      v[i] = in.readLong();
    }
    return v;
  }
}
