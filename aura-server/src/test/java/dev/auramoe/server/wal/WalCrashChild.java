package dev.auramoe.server.wal;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

/**
 * The process {@link CrashRecoveryTest} kills: appends records whose payload is
 * {@link WalFixtures#payloadFor(long)} of their sequence number from several threads, forever, and
 * writes {@code A<seq>;} on stdout for each record once it is acknowledged (durable).
 *
 * <p>Arguments: directory, segment bytes, threads.
 */
public final class WalCrashChild {

  private WalCrashChild() {}

  /** Runs until killed. */
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    WalOptions opts = WalOptions.DEFAULTS.withSegmentBytes(Long.parseLong(args[1]));
    int threads = Integer.parseInt(args[2]);
    PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.US_ASCII);
    WriteAheadLog wal = WriteAheadLog.open(dir, opts);
    Object appLock = new Object();
    long[] next = {wal.lastSequence()};
    out.print("READY " + wal.lastSequence() + ";\n");
    out.flush();
    Thread[] ts = new Thread[threads];
    for (int t = 0; t < threads; t++) {
      ts[t] = Thread.ofPlatform().start(() -> {
        while (true) {
          long expected;
          CompletableFuture<Long> f;
          // The seq is predicted under our own lock, as a service would apply and log under one.
          synchronized (appLock) {
            expected = ++next[0];
            f = wal.append(WalFixtures.payloadFor(expected));
          }
          long seq = f.join();
          synchronized (out) {
            out.print(seq == expected ? "A" + seq + ";\n" : "MISMATCH " + seq + " " + expected + ";\n");
            out.flush();
          }
        }
      });
    }
    for (Thread t : ts) {
      t.join();
    }
  }
}
