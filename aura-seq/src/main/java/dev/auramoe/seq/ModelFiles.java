package dev.auramoe.seq;

import dev.auramoe.balance.BalanceState;
import dev.auramoe.balance.LoadBalancer;
import dev.auramoe.io.SnapshotException;
import dev.auramoe.io.SnapshotFormat;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The sections every trained model's file shares, written once: a model's parameters, a top-k
 * balancer's state and lists of names, big-endian as {@link DataOutputStream} writes them. Each
 * reader checks what it reads against the model rebuilt from the file's configuration and refuses,
 * with a {@link SnapshotException} naming the file's kind, anything that does not fit.
 */
public final class ModelFiles {

  private ModelFiles() {}

  /** Reads a model from a file's payload. */
  @FunctionalInterface
  public interface Parser<T> {
    /**
     * @param in the payload, positioned at its start
     * @param payload the payload's length in bytes (a bound for counts read from it)
     */
    T parse(DataInputStream in, int payload) throws IOException;
  }

  /**
   * Unframes a file's bytes and parses its payload, which must be read to its end: a wrong frame, a
   * payload that ends early, trailing bytes, or anything the parser or the model's constructors
   * refuse is a {@link SnapshotException} naming the file's kind, and nothing is returned.
   */
  public static <T> T read(SnapshotFormat.Framing frame, byte[] framed, String file, Parser<T> parser)
      throws SnapshotException {
    byte[] payload = frame.unframe(framed);
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(payload))) {
      T t = parser.parse(in, payload.length);
      if (in.read() != -1) {
        throw corrupt(file, "trailing bytes after the model");
      }
      return t;
    } catch (SnapshotException e) {
      throw e;
    } catch (EOFException e) {
      throw new SnapshotException("corrupt " + file + ": payload ends early", e);
    } catch (IOException | RuntimeException e) {
      // A configuration or part the model's constructors refuse (their messages name the knob).
      throw new SnapshotException("corrupt " + file + ": " + e.getMessage(), e);
    }
  }

  /** Reads a file with {@code reader}, naming the file in a refusal. */
  public static <T> T load(Path file, Reader<T> reader) throws IOException {
    try {
      return reader.read(Files.readAllBytes(file));
    } catch (SnapshotException e) {
      throw new SnapshotException(file + ": " + e.getMessage(), e);
    }
  }

  /** Parses a whole file's bytes. */
  @FunctionalInterface
  public interface Reader<T> {
    T read(byte[] bytes) throws SnapshotException;
  }

  /** Refuses a model holding a non-finite value, naming the parameter, before anything is written. */
  public static void checkFinite(List<Parameter> ps) throws SnapshotException {
    for (Parameter p : ps) {
      float[] v = p.values();
      for (int i = 0; i < v.length; i++) {
        if (!Float.isFinite(v[i])) {
          throw new SnapshotException("cannot save the model: parameter " + p.name() + " holds " + v[i] + " at " + i);
        }
      }
    }
  }

  /** count, then per parameter in order: name, shape (count, dimensions), values (floats). */
  public static void writeParameters(DataOutputStream out, List<Parameter> ps) throws IOException {
    out.writeInt(ps.size());
    for (Parameter p : ps) {
      out.writeUTF(p.name());
      int[] shape = p.shape();
      out.writeInt(shape.length);
      for (int d : shape) {
        out.writeInt(d);
      }
      for (float v : p.values()) {
        out.writeFloat(v);
      }
    }
  }

  /**
   * Fills the parameters of a rebuilt model, checking the count, each name and shape, and that every
   * value is finite.
   *
   * @param file the kind of file, for messages ("sequence model file")
   */
  public static void readParameters(DataInputStream in, List<Parameter> ps, String file) throws IOException {
    int count = in.readInt();
    if (count != ps.size()) {
      throw corrupt(file, count + " parameters, the model of its configuration has " + ps.size());
    }
    for (Parameter p : ps) {
      String name = in.readUTF();
      int dims = checkedLength(in.readInt(), 8, file);
      int[] shape = new int[dims];
      for (int d = 0; d < dims; d++) {
        shape[d] = in.readInt();
      }
      if (!name.equals(p.name()) || !Arrays.equals(shape, p.shape())) {
        throw corrupt(file, "parameter " + name + Arrays.toString(shape) + " where the model has " + p);
      }
      float[] v = p.values();
      for (int i = 0; i < v.length; i++) {
        v[i] = in.readFloat();
        if (!Float.isFinite(v[i])) {
          throw corrupt(file, "parameter " + name + " holds " + v[i] + " at " + i);
        }
      }
    }
  }

  /** Per expert its bias, load and count, then the tokens and bias updates. */
  public static void writeBalancer(DataOutputStream out, LoadBalancer balancer) throws IOException {
    BalanceState b = balancer.state();
    for (int i = 0; i < b.bias().length; i++) {
      if (!Float.isFinite(b.bias()[i]) || !Float.isFinite(b.load()[i])) {
        throw new SnapshotException("cannot save the model: the gate's balancer holds a non-finite bias or load "
            + "at expert " + i);
      }
      out.writeFloat(b.bias()[i]);
      out.writeFloat(b.load()[i]);
      out.writeLong(b.counts()[i]);
    }
    out.writeLong(b.tokens());
    out.writeLong(b.biasUpdates());
  }

  /** Restores a balancer of {@code experts} experts written by {@link #writeBalancer}. */
  public static void readBalancer(DataInputStream in, LoadBalancer balancer, int experts, String file)
      throws IOException {
    float[] bias = new float[experts];
    float[] load = new float[experts];
    long[] counts = new long[experts];
    for (int i = 0; i < experts; i++) {
      bias[i] = in.readFloat();
      load[i] = in.readFloat();
      counts[i] = in.readLong();
      if (!Float.isFinite(bias[i]) || !Float.isFinite(load[i]) || counts[i] < 0) {
        throw corrupt(file, "the gate's balancer state at expert " + i + " is " + bias[i] + ", " + load[i] + ", "
            + counts[i]);
      }
    }
    long tokens = in.readLong();
    long updates = in.readLong();
    if (tokens < 0 || updates < 0) {
      throw corrupt(file, "the gate's balancer counts " + tokens + " tokens and " + updates + " updates");
    }
    balancer.restore(bias, load, counts, tokens, updates);
  }

  /** A count, then the strings. */
  public static void writeStrings(DataOutputStream out, List<String> names) throws IOException {
    out.writeInt(names.size());
    for (String n : names) {
      out.writeUTF(n);
    }
  }

  /** Strings written by {@link #writeStrings}; at most payload / 2 of them. */
  public static List<String> readStrings(DataInputStream in, int payload, String file) throws IOException {
    int n = checkedLength(in.readInt(), payload / 2, file);
    List<String> names = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      names.add(in.readUTF());
    }
    return names;
  }

  /** n, or a refusal when it is negative or above max. */
  public static int checkedLength(int n, int max, String file) throws SnapshotException {
    if (n < 0 || n > max) {
      throw corrupt(file, "length " + n);
    }
    return n;
  }

  /** "corrupt FILE: what". */
  public static SnapshotException corrupt(String file, String what) {
    return new SnapshotException("corrupt " + file + ": " + what);
  }
}
