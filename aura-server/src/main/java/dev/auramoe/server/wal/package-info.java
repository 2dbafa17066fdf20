/**
 * A write-ahead log with group commit for the routing service: learn requests are appended as
 * opaque records, acknowledged only once {@link java.nio.channels.FileChannel#force(boolean) forced}
 * to disk, replayed after a restart on top of the last snapshot, and trimmed once a snapshot covers
 * them. {@link dev.auramoe.server.wal.WriteAheadLog} documents the on-disk format, the recovery rules
 * (a torn tail of the last segment is cut and reported; damage anywhere else is refused) and the
 * threading contract.
 */
package dev.auramoe.server.wal;
