package dev.auramoe;

import dev.auramoe.balance.BalanceConfig;
import dev.auramoe.balance.BalanceState;
import dev.auramoe.cell.CellConfig;
import dev.auramoe.cell.CellType;
import dev.auramoe.cell.LiquidCell;
import dev.auramoe.energy.DeviceProfile;
import dev.auramoe.experts.AdaptiveExpert;
import dev.auramoe.experts.Expert;
import dev.auramoe.experts.Experts;
import dev.auramoe.experts.FunctionExpert;
import dev.auramoe.io.SnapshotException;
import dev.auramoe.io.SnapshotFormat;
import dev.auramoe.spiking.AttentionConfig;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Function;

/**
 * Saves and loads whole models in snapshot format v1 (framing in {@link SnapshotFormat}).
 *
 * <p>Payload v1, in order (big-endian, {@code f32[]} = int length then floats, strings as
 * modified UTF-8):
 * <pre>
 * config   inputDim i32, outputDim i32,
 *          cell: hidden i32, type utf, tauMin f32, tauMax f32, dt f32, unfolds i32, maxSteps i32,
 *                inputScale f32, recurrentScale f32,
 *          topK i32, temperature f32, routerUsesInput bool, routerLearningRate f32, credit utf,
 *          balance: enabled bool, gamma f64, decay f64, biasCap f64, warmup i64, frozen bool,
 *          attention: present bool [vocab i32, winners i32, decay f32, gainStrength f32, pruneBelow f32],
 *          profile: name utf, pJ f64, basis utf, seed i64
 * cell     projection f32[], recurrent f32[], driveBias f32[], tauBias f32[]
 * router   readout f32[], bias f32[], errorScale f32, learnSteps i64
 * balance  bias f32[], load f32[], counts i64[], tokens i64, biasUpdates i64
 * experts  count i32, each: kind utf, name utf, in i32, out i32, hyper f64[], state present bool [f32[]]
 * streams  count i32, each: id utf, routes i64, h f32[], attention present bool [ids i32[], acc f32[], steps i64]
 *          (the fields after the id as {@link StreamStateCodec} writes them)
 * energy   counters i64[]
 * </pre>
 *
 * Loading reads the whole file, verifies the frame and checksum, parses into a fresh model and
 * returns it only if every field is consistent; on any error nothing is returned and no existing
 * model is touched.
 */
public final class Snapshots {

  private Snapshots() {}

  /**
   * Saves a model: temporary file, fsync, atomic rename, fsync of the directory.
   *
   * @throws SnapshotException (nothing written) when the model holds a non-finite value, which
   *     {@link #load} refuses: a snapshot that could not be loaded back is never written
   */
  public static void save(MixtureOfExperts m, Path file) throws IOException {
    dev.auramoe.io.AtomicFiles.write(file, toSavableBytes(m));
  }

  /**
   * The framed snapshot bytes of a model, as {@link #save} writes them: taken under the model's
   * lock, so a caller can write them to disk later without holding anything.
   *
   * @throws SnapshotException when the model holds a non-finite value, which {@link #load} refuses
   */
  public static byte[] toSavableBytes(MixtureOfExperts m) throws SnapshotException {
    Written w = write(m);
    if (!w.finite()) {
      throw new SnapshotException("the model holds a non-finite value, which a snapshot could not load back;"
          + " nothing was written");
    }
    return SnapshotFormat.frame(w.payload());
  }

  /** The framed snapshot bytes of a model. */
  public static byte[] toBytes(MixtureOfExperts m) {
    return SnapshotFormat.frame(payload(m));
  }

  /**
   * Loads a snapshot file.
   *
   * @param functions supplies frozen function experts by name (may be null if there are none)
   * @throws SnapshotException when the file is not a valid v1 snapshot
   */
  public static MixtureOfExperts load(Path file, Function<String, FunctionExpert.VectorFunction> functions)
      throws IOException {
    return fromBytes(Files.readAllBytes(file), functions);
  }

  /** Parses framed snapshot bytes into a new model. */
  public static MixtureOfExperts fromBytes(byte[] framed, Function<String, FunctionExpert.VectorFunction> functions)
      throws SnapshotException {
    byte[] payload = SnapshotFormat.unframe(framed);
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(payload))) {
      MixtureOfExperts m = read(in, functions);
      if (in.read() != -1) {
        throw new SnapshotException("corrupt snapshot: payload has trailing bytes");
      }
      return m;
    } catch (SnapshotException e) {
      throw e;
    } catch (EOFException e) {
      throw SnapshotFormat.corrupt("payload ends early", e);
    } catch (IOException | RuntimeException e) {
      throw new SnapshotException("corrupt snapshot: " + e.getMessage(), e);
    }
  }

  /** SHA-256 (hex) of the payload: equal for bit-identical models. */
  public static String digest(MixtureOfExperts m) {
    return digest(payload(m));
  }

  /**
   * A copy of the model's complete state (the snapshot payload), taken under its lock; hash it with
   * {@link #digest(byte[])} after the lock is released. A caller that must not hold its own locks
   * while a large model is hashed holds them only for this copy.
   */
  public static byte[] state(MixtureOfExperts m) {
    return payload(m);
  }

  /** The digest of a state copied by {@link #state}: equal to {@link #digest(MixtureOfExperts)} then. */
  public static String digest(byte[] state) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(state));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  // ------------------------------------------------------------------ write

  static byte[] payload(MixtureOfExperts m) {
    return write(m).payload();
  }

  /** A payload, and whether every value the loader checks for finiteness is finite. */
  private record Written(byte[] payload, boolean finite) {}

  /** The payload writer: notes whether an f32[] array held a non-finite value. */
  private static final class PayloadOut extends DataOutputStream {
    boolean finite = true;
    /** Big-endian bytes of a run of floats, written to the stream in one call. */
    final byte[] chunk = new byte[1 << 13];

    PayloadOut(java.io.OutputStream out) {
      super(out);
    }
  }

  private static Written write(MixtureOfExperts m) {
    m.lock().lock();
    try {
      LiquidCell cell = m.cell();
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(payloadEstimate(m, cell));
      PayloadOut o = new PayloadOut(bytes);
      writeConfig(o, m);
      writeFloats(o, cell.projection());
      writeFloats(o, cell.recurrent());
      writeFloats(o, cell.driveBias());
      writeFloats(o, cell.tauBias());
      writeFloats(o, m.readout);
      writeFloats(o, m.routerBias);
      o.writeFloat(m.errorScale);
      o.writeLong(m.learnSteps);
      BalanceState bs = m.balancer.state();
      writeFloats(o, bs.bias());
      writeFloats(o, bs.load());
      writeLongs(o, bs.counts());
      o.writeLong(bs.tokens());
      o.writeLong(bs.biasUpdates());
      o.writeInt(m.experts.length);
      for (Expert e : m.experts) {
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
      for (MixtureOfExperts.StreamState s : m.streams.values()) {
        o.writeUTF(s.id);
        StreamStateCodec.writeFields(o, s);
      }
      writeLongs(o, m.meter.rawCounters());
      o.flush();
      return new Written(bytes.toByteArray(), o.finite && Float.isFinite(m.errorScale));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      m.lock().unlock();
    }
  }

  /**
   * The payload's size in bytes, from its largest parts (the cell, the router, the streams' states;
   * experts are left out, as their sizes are not known without copying them): the initial capacity
   * of the payload buffer, so that a large model is not copied again each time the buffer doubles.
   */
  private static int payloadEstimate(MixtureOfExperts m, LiquidCell cell) {
    long floats = (long) cell.projection().length + cell.recurrent().length + cell.driveBias().length
        + cell.tauBias().length + m.readout.length + m.routerBias.length
        + (long) m.streams.size() * (m.hidden() + 16);
    return (int) Math.min(Integer.MAX_VALUE - 16, Float.BYTES * floats + (1 << 16));
  }

  private static void writeConfig(DataOutputStream o, MixtureOfExperts m) throws IOException {
    MoeConfig c = m.config();
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
    o.writeFloat(m.temperature);
    o.writeBoolean(c.routerUsesInput());
    o.writeFloat(m.routerLearningRate);
    o.writeUTF(c.credit().name());
    BalanceConfig b = m.balancer.config();
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
    DeviceProfile p = m.meter.profile();
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
  static void writeFloats(DataOutputStream o, float[] v) throws IOException {
    o.writeInt(v.length);
    boolean finite = true;
    // One stream's state is exported on its own: a chunk of its size, not of a model's.
    byte[] chunk = o instanceof PayloadOut p ? p.chunk
        : new byte[Math.min(1 << 13, Float.BYTES * Math.max(1, v.length))];
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
    if (!finite && o instanceof PayloadOut p) {
      p.finite = false;
    }
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

  private static MixtureOfExperts read(DataInputStream in, Function<String, FunctionExpert.VectorFunction> functions)
      throws IOException {
    int inputDim = in.readInt();
    int outputDim = in.readInt();
    CellConfig cc = new CellConfig(in.readInt(), CellType.valueOf(in.readUTF()), in.readFloat(), in.readFloat(),
        in.readFloat(), in.readInt(), in.readInt(), in.readFloat(), in.readFloat());
    int topK = in.readInt();
    float temperature = in.readFloat();
    boolean routerUsesInput = in.readBoolean();
    float routerLr = in.readFloat();
    Credit credit = Credit.valueOf(in.readUTF());
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
    MoeConfig config = new MoeConfig(inputDim, outputDim, cc, topK, temperature, routerUsesInput, routerLr, credit, bc,
        ac, profile, seed);

    float[] proj = readFloats(in, true);
    float[] rec = readFloats(in, true);
    float[] driveBias = readFloats(in, true);
    float[] tauBias = readFloats(in, true);
    float[] readout = readFloats(in, true);
    float[] routerBias = readFloats(in, true);
    float errorScale = in.readFloat();
    long learnSteps = in.readLong();
    float[] bias = readFloats(in, true);
    float[] load = readFloats(in, true);
    long[] counts = readLongs(in);
    long tokens = in.readLong();
    long biasUpdates = in.readLong();

    int nExperts = in.readInt();
    if (nExperts <= 0 || nExperts > 1 << 20) {
      throw new SnapshotException("corrupt snapshot: expert count " + nExperts);
    }
    // Sizes the model allocates must match the arrays already read (each bounded by the payload),
    // so that a damaged size field is refused here rather than allocating gigabytes.
    int h = cc.hidden();
    checkShape(proj.length, (long) inputDim * (2L * h + (routerUsesInput ? nExperts : 0)), "cell projection");
    checkShape(rec.length, (long) h * h, "recurrent weights");
    checkShape(driveBias.length, h, "drive bias");
    checkShape(tauBias.length, h, "time-constant bias");
    checkShape(readout.length, (long) h * nExperts, "router readout");
    checkShape(routerBias.length, nExperts, "router bias");
    checkShape(bias.length, nExperts, "balance bias");
    checkShape(load.length, nExperts, "balance load");
    checkShape(counts.length, nExperts, "balance counts");
    List<Expert> experts = new ArrayList<>(nExperts);
    List<float[]> states = new ArrayList<>(nExperts);
    for (int i = 0; i < nExperts; i++) {
      String kind = in.readUTF();
      String name = in.readUTF();
      int ein = in.readInt();
      int eout = in.readInt();
      if (ein != inputDim || eout != outputDim) {
        throw new SnapshotException("corrupt snapshot: expert '" + name + "' is " + ein + " -> " + eout
            + " but the mixture is " + inputDim + " -> " + outputDim);
      }
      int nh = in.readInt();
      if (nh < 0 || nh > 64) {
        throw new SnapshotException("corrupt snapshot: " + nh + " hyper-parameters");
      }
      double[] hyper = new double[nh];
      for (int j = 0; j < nh; j++) {
        hyper[j] = in.readDouble();
      }
      experts.add(Experts.create(kind, name, ein, eout, hyper, functions));
      states.add(in.readBoolean() ? readFloats(in, true) : null);
    }
    MixtureOfExperts m = new MixtureOfExperts(config, experts);
    for (int i = 0; i < nExperts; i++) {
      float[] st = states.get(i);
      Expert e = m.experts[i];
      if ((st != null) != (e instanceof AdaptiveExpert)) {
        throw new SnapshotException("corrupt snapshot: state presence does not match expert '" + e.name() + "'");
      }
      if (st != null) {
        ((AdaptiveExpert) e).setState(st);
      }
    }
    m.cell().setWeights(proj, rec, driveBias, tauBias);
    copyExact(readout, m.readout, "router readout");
    copyExact(routerBias, m.routerBias, "router bias");
    if (!Float.isFinite(errorScale) || errorScale < 0) {
      throw new SnapshotException("corrupt snapshot: error scale " + errorScale);
    }
    m.errorScale = errorScale;
    requireNonNegative(learnSteps, "learn step count");
    m.learnSteps = learnSteps;
    requireNonNegative(tokens, "balancer token count");
    requireNonNegative(biasUpdates, "bias update count");
    for (long c : counts) {
      requireNonNegative(c, "expert selection count");
    }
    for (float l : load) {
      if (!(l >= 0f && l <= 1f)) {
        throw new SnapshotException("corrupt snapshot: expert load " + l + " outside [0, 1]");
      }
    }
    for (float b : bias) {
      // The balancer clamps to the cap as a float (0.1f > 0.1).
      if (Math.abs(b) > (float) bc.biasCap()) {
        throw new SnapshotException("corrupt snapshot: selection bias " + b + " beyond the cap " + bc.biasCap());
      }
    }
    m.balancer.restore(bias, load, counts, tokens, biasUpdates);

    int nStreams = in.readInt();
    if (nStreams <= 0 || nStreams > 1 << 24) {
      throw new SnapshotException("corrupt snapshot: stream count " + nStreams);
    }
    m.streams.clear();
    for (int i = 0; i < nStreams; i++) {
      String id = in.readUTF();
      MixtureOfExperts.StreamState s = StreamStateCodec.readFields(in, id, cc.hidden(), ac);
      if (m.streams.put(id, s) != null) {
        throw new SnapshotException("corrupt snapshot: stream '" + id + "' appears twice");
      }
    }
    if (!m.streams.containsKey(MixtureOfExperts.DEFAULT_STREAM)) {
      throw new SnapshotException("corrupt snapshot: the default stream is missing");
    }
    long[] counters = readLongs(in);
    for (long c : counters) {
      requireNonNegative(c, "energy counter");
    }
    m.meter.restoreCounters(counters);
    return m;
  }

  static void requireNonNegative(long v, String what) throws SnapshotException {
    if (v < 0) {
      throw new SnapshotException("corrupt snapshot: negative " + what + " (" + v + ")");
    }
  }

  private static void checkShape(int length, long expected, String what) throws SnapshotException {
    if (length != expected) {
      throw new SnapshotException("corrupt snapshot: " + what + " has " + length + " values, the configuration needs "
          + expected);
    }
  }

  static void copyExact(float[] src, float[] dst, String what) throws SnapshotException {
    if (src.length != dst.length) {
      throw new SnapshotException("corrupt snapshot: " + what + " has " + src.length + " values, expected " + dst.length);
    }
    System.arraycopy(src, 0, dst, 0, src.length);
  }

  private static int readLength(DataInputStream in, int elementBytes) throws IOException {
    int n = in.readInt();
    if (n < 0 || (long) n * elementBytes > in.available()) {
      throw new SnapshotException("corrupt snapshot: array length " + n + " exceeds the remaining payload");
    }
    return n;
  }

  static float[] readFloats(DataInputStream in, boolean finite) throws IOException {
    int n = readLength(in, Float.BYTES);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = in.readFloat();
      if (finite && !Float.isFinite(v[i])) {
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
