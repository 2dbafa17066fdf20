package dev.auramoe.seq;

import dev.auramoe.balance.BalanceState;
import dev.auramoe.balance.LoadBalancer;
import dev.auramoe.io.SnapshotException;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
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
