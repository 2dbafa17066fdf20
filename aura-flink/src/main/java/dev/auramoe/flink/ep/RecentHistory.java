package dev.auramoe.flink.ep;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A stream's experts' recent errors as the combine stage learns them, with the values they had at the
 * end of the stream's last few epochs: the route stage, {@link EpOptions#LAG} epochs behind, reads the
 * one of its epoch. Immutable.
 *
 * @param epochs the epochs in which the stream had records, the newest {@link #KEPT} at most, ascending
 * @param values the recent errors at the end of each
 */
public record RecentHistory(long[] epochs, float[][] values) {

  /** Epochs kept: the route stage asks for at most LAG epochs before the newest. */
  static final int KEPT = EpOptions.LAG + 1;

  /** The newest values. */
  public float[] latest() {
    return values[values.length - 1];
  }

  /** The values as of the end of the latest epoch {@code <= epoch}, or null. */
  public float[] asOf(long epoch) {
    for (int i = epochs.length - 1; i >= 0; i--) {
      if (epochs[i] <= epoch) {
        return values[i];
      }
    }
    return null;
  }

  /** This history with the values at the end of {@code epoch} (the newest, or a later one). */
  public RecentHistory with(long epoch, float[] v) {
    int n = epochs.length;
    if (n > 0 && epochs[n - 1] == epoch) {
      float[][] vs = values.clone();
      vs[n - 1] = v;
      return new RecentHistory(epochs, vs);
    }
    int from = Math.max(0, n + 1 - KEPT);
    long[] es = Arrays.copyOfRange(epochs, from, n + 1);
    float[][] vs = Arrays.copyOfRange(values, from, n + 1);
    es[es.length - 1] = epoch;
    vs[vs.length - 1] = v;
    return new RecentHistory(es, vs);
  }

  /** The first entry: values at the end of {@code epoch}. */
  public static RecentHistory of(long epoch, float[] v) {
    return new RecentHistory(new long[] {epoch}, new float[][] {v});
  }

  /** As bytes, for keyed state. */
  public byte[] toBytes() {
    int e = values[0].length;
    ByteBuffer b = ByteBuffer.allocate(8 + epochs.length * (8 + 4 * e));
    b.putInt(epochs.length).putInt(e);
    for (int i = 0; i < epochs.length; i++) {
      b.putLong(epochs[i]);
      for (float f : values[i]) {
        b.putFloat(f);
      }
    }
    return b.array();
  }

  /** From {@link #toBytes}. */
  public static RecentHistory fromBytes(byte[] bytes) {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    int n = b.getInt();
    int e = b.getInt();
    long[] es = new long[n];
    float[][] vs = new float[n][e];
    for (int i = 0; i < n; i++) {
      es[i] = b.getLong();
      for (int j = 0; j < e; j++) {
        vs[i][j] = b.getFloat();
      }
    }
    return new RecentHistory(es, vs);
  }
}
