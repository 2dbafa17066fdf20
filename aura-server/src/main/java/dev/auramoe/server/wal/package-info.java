/**
 * A write-ahead log with group commit for the routing service: learn requests are appended as
 * opaque records, acknowledged only once {@link java.nio.channels.FileChannel#force(boolean) forced}
 * to disk, replayed after a restart on top of the last snapshot, and trimmed once a snapshot covers
 * them. {@link dev.auramoe.server.wal.WriteAheadLog} documents the on-disk format and its history,
 * the recovery rules (the torn tail of the last, unforced batch is cut and reported; damage to
 * anything forced, and missing segments, are refused and repaired only on request) and the
 * threading contract.
 */
package dev.auramoe.server.wal;
