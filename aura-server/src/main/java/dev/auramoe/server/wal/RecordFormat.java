package dev.auramoe.server.wal;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * How the records of a segment are framed: which type bytes they start with and what their
 * checksum covers (see the format history on {@link WriteAheadLog}). Format 1 has data and hole
 * records and a CRC-32C over length, sequence and payload; format 2 adds batch markers and seals
 * and starts every checksum with the log's salt and the type byte, so that bytes a client sent
 * (a payload) cannot carry a record the log would accept.
 */
final class RecordFormat {

  /** Format 1, written before format 2 existed: no salt, no markers, no seals. */
  static final RecordFormat V1 = new RecordFormat(1, (byte) 0xA7, (byte) 0xA8, null);

  /** The format version, 1 or 2. */
  final int version;
  /** Type byte of a data record. */
  final byte data;
  /** Type byte of a hole record. */
  final byte hole;
  /** Type byte of a batch marker (format 2; 0 in format 1, which has none). */
  final byte marker;
  /** Type byte of a seal (format 2; 0 in format 1, which has none). */
  final byte seal;
  /** The log's salt, big-endian (format 2), or null. */
  private final byte[] salt;

  private RecordFormat(int version, byte data, byte hole, byte[] salt) {
    this.version = version;
    this.data = data;
    this.hole = hole;
    this.marker = salt == null ? 0 : WriteAheadLog.MARKER;
    this.seal = salt == null ? 0 : WriteAheadLog.SEAL;
    this.salt = salt;
  }

  /** Format 2 with the log's salt. */
  static RecordFormat v2(long salt) {
    return new RecordFormat(2, WriteAheadLog.MAGIC, WriteAheadLog.HOLE, ByteBuffer.allocate(Long.BYTES).putLong(salt)
        .array());
  }

  /** Whether this format has batch markers and seals. */
  boolean hasMarkers() {
    return salt != null;
  }

  /** Whether {@code b} is a type byte of this format. */
  boolean isType(byte b) {
    return b == data || b == hole || (salt != null && (b == marker || b == seal));
  }

  /** Whether {@code b} is a type byte of format 2 (which a log without its header cannot check). */
  static boolean isVersion2Type(byte b) {
    return b == WriteAheadLog.MAGIC || b == WriteAheadLog.HOLE || b == WriteAheadLog.MARKER
        || b == WriteAheadLog.SEAL;
  }

  /**
   * Resets {@code crc} and feeds it what precedes a record's length field: nothing in format 1;
   * the salt and the type byte in format 2.
   */
  void begin(CRC32C crc, byte type) {
    crc.reset();
    if (salt != null) {
      crc.update(salt, 0, salt.length);
      crc.update(type);
    }
  }

  /** The checksum of a record whose header (type, length, sequence) is {@code header}. */
  int checksum(CRC32C crc, byte[] header, byte[] payload, int len) {
    begin(crc, header[0]);
    crc.update(header, 1, WriteAheadLog.HEADER - 1);
    crc.update(payload, 0, len);
    return (int) crc.getValue();
  }

  /** A complete record (for files written outside the writer). */
  byte[] frame(byte type, long seq, byte[] payload) {
    ByteBuffer b = ByteBuffer.allocate(WriteAheadLog.OVERHEAD + payload.length);
    b.put(type).putInt(payload.length).putLong(seq).put(payload);
    byte[] header = java.util.Arrays.copyOf(b.array(), WriteAheadLog.HEADER);
    b.putInt(checksum(new CRC32C(), header, payload, payload.length));
    return b.array();
  }

  /** The type bytes, for messages. */
  String types() {
    return salt == null ? String.format("0x%02x or 0x%02x (format 1)", data & 0xff, hole & 0xff)
        : String.format("0x%02x, 0x%02x, 0x%02x or 0x%02x", data & 0xff, hole & 0xff, marker & 0xff, seal & 0xff);
  }
}
