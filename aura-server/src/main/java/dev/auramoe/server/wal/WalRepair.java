package dev.auramoe.server.wal;

import dev.auramoe.server.wal.RecoveryReport.Problem;
import java.nio.file.Path;
import java.util.List;

/**
 * What {@link WriteAheadLog#repair} did: every byte range it left out of a segment and every
 * sequence number whose record was lost with it, and the copies it kept of the files it changed.
 * An empty report means the log needed no repair and nothing was touched.
 *
 * @param dropped what was left out, in log order
 * @param copies the untouched copies of the damaged segments ({@code wal-...log.damaged-<time>}),
 *     beside them in the log's directory
 */
public record WalRepair(List<Dropped> dropped, List<Path> copies) {

  /** Copies the lists. */
  public WalRepair {
    dropped = List.copyOf(dropped);
    copies = List.copyOf(copies);
  }

  /**
   * One damaged stretch left out of the log.
   *
   * @param file the segment the bytes were in (for a missing segment, the hole segment written in
   *     its place)
   * @param offset byte offset of the stretch in the damaged file (0 for a missing segment)
   * @param bytes length of the stretch (0 for a missing segment)
   * @param firstSequence first sequence number whose record was lost
   * @param lastSequence last sequence number whose record was lost; below {@code firstSequence}
   *     when the stretch held no record the log still needed (garbage between records, or a torn
   *     tail at the end of the log whose records were never acknowledged); otherwise the log
   *     records these numbers as a hole
   * @param problem what was wrong at {@code offset}
   * @param detail the specifics, for logs
   */
  public record Dropped(Path file, long offset, long bytes, long firstSequence, long lastSequence, Problem problem,
      String detail) {

    /** How many sequence numbers lost their record. */
    public long lostRecords() {
      return Math.max(0, lastSequence - firstSequence + 1);
    }

    @Override
    public String toString() {
      return file + ": bytes " + offset + ".." + (offset + bytes) + " dropped (" + problem + ": " + detail + "), "
          + (lostRecords() == 0 ? "no record lost" : "records " + firstSequence + ".." + lastSequence + " lost");
    }
  }

  /** Whether nothing needed repair. */
  public boolean isEmpty() {
    return dropped.isEmpty();
  }

  /** Every sequence number that lost its record, summed over {@link #dropped}. */
  public long lostRecords() {
    return dropped.stream().mapToLong(Dropped::lostRecords).sum();
  }
}
