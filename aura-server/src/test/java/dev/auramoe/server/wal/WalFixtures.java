package dev.auramoe.server.wal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Shared helpers for the write-ahead log tests. */
final class WalFixtures {

  private WalFixtures() {}

  /** One replayed record. */
  record Rec(long seq, byte[] payload) {}

  /** Deterministic payload for a sequence number: length 1..300, bytes derived from seq. */
  static byte[] payloadFor(long seq) {
    int n = 1 + (int) Math.floorMod(seq * 7919L, 300L);
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (seq * 31 + i * 17 + (seq >>> 8));
    }
    return b;
  }

  /** Every record from {@code from} on. */
  static List<Rec> replayAll(WriteAheadLog wal, long from) throws IOException {
    List<Rec> out = new ArrayList<>();
    wal.replay(from, (seq, payload) -> out.add(new Rec(seq, payload)));
    return out;
  }

  /** The segment files in sequence order. */
  static List<Path> segments(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().matches("wal-\\d{20}\\.log")).sorted().toList();
    }
  }

  /** Copies the segment files of {@code from} into a new directory {@code to}. */
  static void copySegments(Path from, Path to) throws IOException {
    Files.createDirectories(to);
    for (Path p : segments(from)) {
      Files.copy(p, to.resolve(p.getFileName()));
    }
  }
}
