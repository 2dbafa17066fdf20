package dev.auramoe;

import dev.auramoe.engine.SnapshotCodec;
import dev.auramoe.experts.FunctionExpert;
import dev.auramoe.io.SnapshotException;
import dev.auramoe.io.SnapshotFormat;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.function.Function;

/**
 * Saves and loads whole models in snapshot formats v1 and v2 (framing and version history in
 * {@link SnapshotFormat}). A model is written in v1 unless its router reads recent errors
 * ({@link RecentErrors}), which only v2 holds.
 *
 * <p>Payload v1, in order (big-endian, {@code f32[]} = int length then floats, strings as
 * modified UTF-8):
 * <pre>
 * config   inputDim i32, outputDim i32,
 *          cell: hidden i32, type utf, tauMin f32, tauMax f32, dt f32, unfolds i32, maxSteps i32,
 *                inputScale f32, recurrentScale f32,
 *          topK i32, temperature f32, routerUsesInput bool, routerLearningRate f32, credit utf,
 *          [v2: recent errors: weight f32, rate f32]
 *          balance: enabled bool, gamma f64, decay f64, biasCap f64, warmup i64, frozen bool,
 *          attention: present bool [vocab i32, winners i32, decay f32, gainStrength f32, pruneBelow f32],
 *          profile: name utf, pJ f64, basis utf, seed i64
 * cell     projection f32[], recurrent f32[], driveBias f32[], tauBias f32[]
 * router   readout f32[], bias f32[], errorScale f32, learnSteps i64
 * balance  bias f32[], load f32[], counts i64[], tokens i64, biasUpdates i64
 * experts  count i32, each: kind utf, name utf, in i32, out i32, hyper f64[], state present bool [f32[]]
 * streams  count i32, each: id utf, routes i64, h f32[], [v2: recent f32[] (empty when off)],
 *          attention present bool [ids i32[], acc f32[], steps i64]
 *          (the fields after the id are those of a stream's exported state, {@link MixtureOfExperts#exportStream})
 * energy   counters i64[]
 * </pre>
 *
 * Loading reads the whole file, verifies the frame and checksum, parses into a fresh model and
 * returns it only if every field is consistent; on any error nothing is returned and no existing
 * model is touched. The payload is written and read by the engine's {@code SnapshotCodec} from the
 * model's state as {@code ModelState} declares it.
 *
 * <p>Only models with the built-in gating cell can be stored: for a model with a custom
 * {@link dev.auramoe.cell.GatingCell}, saving, the snapshot bytes, the state copy and the digest
 * throw {@link UnsupportedOperationException}, and nothing is written.
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
    SnapshotCodec.Written w = write(m);
    if (!w.finite()) {
      throw new SnapshotException("the model holds a non-finite value, which a snapshot could not load back;"
          + " nothing was written");
    }
    return SnapshotFormat.frame(w.version(), w.payload());
  }

  /** The framed snapshot bytes of a model. */
  public static byte[] toBytes(MixtureOfExperts m) {
    SnapshotCodec.Written w = write(m);
    return SnapshotFormat.frame(w.version(), w.payload());
  }

  /**
   * Loads a snapshot file.
   *
   * @param functions supplies frozen function experts by name (may be null if there are none)
   * @throws SnapshotException when the file is not a valid v1 or v2 snapshot
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
      MixtureOfExperts m = new MixtureOfExperts(SnapshotCodec.read(in, SnapshotFormat.version(framed), functions));
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

  // ------------------------------------------------------------------ payload

  static byte[] payload(MixtureOfExperts m) {
    return write(m).payload();
  }

  private static SnapshotCodec.Written write(MixtureOfExperts m) {
    return m.locked(() -> SnapshotCodec.write(m.state()));
  }
}
