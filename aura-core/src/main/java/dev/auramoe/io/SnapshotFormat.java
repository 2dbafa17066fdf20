package dev.auramoe.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The on-disk frame of aura-moe snapshots.
 *
 * <pre>
 * offset  size  field
 * 0       8     magic  'A' 'U' 'R' 'A' 'M' 'O' 'E' 0x1A
 * 8       4     format version, big-endian int (1 or 2)
 * 12      8     payload length n, big-endian long
 * 20      n     payload (layout per version, written by dev.auramoe.Snapshots)
 * 20+n    4     CRC-32C of bytes [0, 20+n), big-endian int
 * </pre>
 *
 * Version history:
 * <ul>
 *   <li>1 (aura-moe 0.1): configuration, cell and router weights, balancer state, experts by kind,
 *       every stream's cell and attention state, error scale, learn count, energy counters.
 *   <li>2 (issue 12): adds the router's recent-error setting to the configuration (weight and rate,
 *       after the credit) and each stream's recent errors (after its cell state). A model whose router
 *       reads no recent errors is still written as version 1, which holds all of its state, so that
 *       its files stay readable by older builds; version 1 files load with recent errors off.
 * </ul>
 *
 * A reader checks magic, version, length and checksum before it parses anything, and the payload
 * parser must consume the payload exactly; any mismatch is a {@link SnapshotException}.
 */
public final class SnapshotFormat {

  /** The 8 magic bytes. */
  public static final byte[] MAGIC = {'A', 'U', 'R', 'A', 'M', 'O', 'E', 0x1A};
  /** The latest version, written for models that need it; this build reads 1 to this. */
  public static final int VERSION = 2;
  /** Header bytes before the payload. */
  public static final int HEADER = 20;
  /** Largest payload accepted (1 GiB). */
  public static final long MAX_PAYLOAD = 1L << 30;

  private SnapshotFormat() {}

  /** The frame of model snapshots: {@link #MAGIC}, versions 1 to {@link #VERSION}. */
  public static final Framing MODEL = new Framing(MAGIC, VERSION, "snapshot");

  /** Frames a payload of format {@code version}: header, payload, checksum. */
  public static byte[] frame(int version, byte[] payload) {
    return MODEL.frame(version, payload);
  }

  /** The format version of a framed snapshot that {@link #unframe} accepted. */
  public static int version(byte[] file) {
    return MODEL.version(file);
  }

  /**
   * Checks a framed snapshot and returns its payload.
   *
   * @throws SnapshotException for a wrong magic, an unsupported version, a truncated file, trailing
   *     bytes or a checksum mismatch
   */
  public static byte[] unframe(byte[] file) throws SnapshotException {
    return MODEL.unframe(file);
  }

  /**
   * The frame above for one kind of file: its own 8 magic bytes, its versions 1 to {@code latestVersion},
   * and the name its errors give it. Model snapshots are {@link #MODEL}; other files that hold state
   * (a text router's) take a magic of their own, so that neither is mistaken for the other.
   *
   * @param magic 8 bytes
   * @param latestVersion the latest version; a reader accepts 1 to it
   * @param what what the file is called in errors ("snapshot")
   */
  public record Framing(byte[] magic, int latestVersion, String what) {

    /** Validates. */
    public Framing {
      if (magic.length != 8 || latestVersion < 1) {
        throw new IllegalArgumentException("a frame needs 8 magic bytes and a version >= 1");
      }
      magic = magic.clone();
    }

    @Override
    public byte[] magic() {
      return magic.clone();
    }

    /** Frames a payload of format {@code version}: header, payload, checksum. */
    public byte[] frame(int version, byte[] payload) {
      if (version < 1 || version > latestVersion) {
        throw new IllegalArgumentException("no " + what + " format version " + version);
      }
      ByteBuffer b = ByteBuffer.allocate(HEADER + payload.length + 4);
      b.put(magic).putInt(version).putLong(payload.length).put(payload);
      CRC32C crc = new CRC32C();
      crc.update(b.array(), 0, HEADER + payload.length);
      b.putInt((int) crc.getValue());
      return b.array();
    }

    /** The format version of a framed file that {@link #unframe} accepted. */
    public int version(byte[] file) {
      return ByteBuffer.wrap(file).getInt(8);
    }

    /**
     * Checks a framed file and returns its payload.
     *
     * @throws SnapshotException for a wrong magic, an unsupported version, a truncated file, trailing
     *     bytes or a checksum mismatch
     */
    public byte[] unframe(byte[] file) throws SnapshotException {
      if (file.length < HEADER + 4) {
        throw new SnapshotException(what + " is truncated: " + file.length + " bytes, less than the "
            + (HEADER + 4) + "-byte frame");
      }
      for (int i = 0; i < magic.length; i++) {
        if (file[i] != magic[i]) {
          throw new SnapshotException("not an aura-moe " + what + " (bad magic)");
        }
      }
      ByteBuffer b = ByteBuffer.wrap(file);
      int version = b.getInt(8);
      if (version < 1 || version > latestVersion) {
        throw new SnapshotException("unsupported " + what + " format version " + version + " (this build reads 1 to "
            + latestVersion + ")");
      }
      long n = b.getLong(12);
      if (n < 0 || n > MAX_PAYLOAD) {
        throw new SnapshotException("corrupt " + what + ": payload length " + n);
      }
      if (HEADER + n + 4 > file.length) {
        throw new SnapshotException(what + " is truncated: header announces " + n + " payload bytes, file has "
            + (file.length - HEADER - 4));
      }
      if (HEADER + n + 4 < file.length) {
        throw new SnapshotException("corrupt " + what + ": " + (file.length - HEADER - n - 4) + " trailing bytes");
      }
      CRC32C crc = new CRC32C();
      crc.update(file, 0, (int) (HEADER + n));
      int stored = b.getInt((int) (HEADER + n));
      if (stored != (int) crc.getValue()) {
        throw new SnapshotException("corrupt " + what + ": checksum mismatch");
      }
      byte[] payload = new byte[(int) n];
      System.arraycopy(file, HEADER, payload, 0, (int) n);
      return payload;
    }
  }

  /** A growable output for payloads. */
  public static ByteArrayOutputStream newPayload() {
    return new ByteArrayOutputStream(1 << 16);
  }

  /** Convenience for IOExceptions that are really format errors. */
  public static SnapshotException corrupt(String what, IOException cause) {
    return new SnapshotException("corrupt snapshot: " + what, cause);
  }
}
