package dev.auramoe.server.wal;

import static dev.auramoe.server.wal.WalFixtures.payloadFor;
import static dev.auramoe.server.wal.WalFixtures.replayAll;
import static org.assertj.core.api.Assertions.assertThat;

import dev.auramoe.server.wal.WalFixtures.Rec;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A child JVM appends and reports each acknowledged sequence on stdout; it is killed with SIGKILL
 * at a random moment, several rounds over the same directory. After each kill the log must hold
 * every acknowledged record with its payload, contiguous sequence numbers and nothing corrupt; the
 * next child then continues the same log. Each round also tears the unacknowledged tail (as a
 * power loss could) so that every reopen goes through torn-tail recovery.
 */
class CrashRecoveryTest {

  private static final Pattern ACK = Pattern.compile("A(\\d+);");
  private static final int ROUNDS = 5;

  @TempDir
  Path tmp;

  @Test
  void everyAcknowledgedRecordSurvivesAKilledProcess() throws Exception {
    Path dir = tmp.resolve("wal");
    String java = ProcessHandle.current().info().command().orElseThrow();
    Random rnd = new Random(20_250_501L);
    List<Long> allAcked = new ArrayList<>();
    int recoveredTails = 0;
    for (int round = 0; round < ROUNDS; round++) {
      Path err = tmp.resolve("child-" + round + ".err");
      Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
          WalCrashChild.class.getName(), dir.toString(), "8192", "4")
          .redirectError(err.toFile()).start();
      ConcurrentLinkedQueue<Long> acked = new ConcurrentLinkedQueue<>();
      ConcurrentLinkedQueue<String> odd = new ConcurrentLinkedQueue<>();
      CountDownLatch ready = new CountDownLatch(1);
      Thread reader = Thread.ofPlatform().start(() -> {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(),
            StandardCharsets.US_ASCII))) {
          for (String line; (line = in.readLine()) != null; ) {
            Matcher m = ACK.matcher(line);
            if (m.matches()) {
              acked.add(Long.parseLong(m.group(1)));
            } else if (line.startsWith("READY")) {
              ready.countDown();
            } else if (line.endsWith(";")) {
              // A complete line that is neither: a sequence mismatch. A line without ';' is the
              // one the kill cut short, which acknowledged nothing.
              odd.add(line);
            }
          }
        } catch (IOException e) {
          odd.add("reader: " + e);
        }
      });
      boolean started = ready.await(60, TimeUnit.SECONDS);
      Thread.sleep(150 + rnd.nextInt(450));
      // SIGKILL through the handle: Process.destroyForcibly would also close our end of the pipe
      // and lose acknowledgements the child wrote but we have not read yet.
      assertThat(child.toHandle().destroyForcibly()).isTrue();
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
      reader.join(30_000);
      String stderr = Files.exists(err) ? Files.readString(err) : "";
      assertThat(started).as("child round %d started; stderr: %s", round, stderr).isTrue();
      assertThat(odd).as("round %d; stderr: %s", round, stderr).isEmpty();
      assertThat(acked).as("round %d acknowledged something", round).isNotEmpty();
      allAcked.addAll(acked);

      long maxAcked = allAcked.stream().mapToLong(Long::longValue).max().orElseThrow();
      boolean torn = tearUnacknowledgedTail(dir, maxAcked, rnd);
      try (WriteAheadLog wal = WriteAheadLog.open(dir, WalOptions.DEFAULTS.withSegmentBytes(8192))) {
        if (wal.recoveryReport().isPresent()) {
          recoveredTails++;
          assertThat(wal.recoveryReport().get().lastGoodSequence()).isGreaterThanOrEqualTo(maxAcked);
        } else {
          assertThat(torn).as("round %d: a torn tail must be reported", round).isFalse();
        }
        List<Rec> all = replayAll(wal, 1);
        for (int i = 0; i < all.size(); i++) {
          Rec r = all.get(i);
          assertThat(r.seq()).isEqualTo(i + 1L);
          assertThat(r.payload()).as("payload of %d", r.seq()).isEqualTo(payloadFor(r.seq()));
        }
        assertThat(wal.lastSequence()).as("round %d", round).isGreaterThanOrEqualTo(maxAcked)
            .isEqualTo(all.size());
      }
    }
    // Every acknowledged sequence appears once across the rounds: no sequence was reused.
    assertThat(allAcked).doesNotHaveDuplicates();
    assertThat(recoveredTails).as("rounds that recovered a torn tail").isEqualTo(ROUNDS);
  }

  /**
   * SIGKILL leaves the page cache intact and a batch is written with one write call, so the kill
   * alone rarely tears a record. A power loss can lose any unforced suffix, though, so this cuts the
   * last segment at a random byte inside the records after the last acknowledged one, or, when none
   * follow it, appends a torn prefix of the next record; when the kill came in the middle of a roll
   * (an empty last segment after one without its seal), it tears the seal instead.
   *
   * @return true: the log now ends inside a record, which recovery must report
   */
  private static boolean tearUnacknowledgedTail(Path dir, long maxAcked, Random rnd) throws IOException {
    List<Path> segments = WalFixtures.segments(dir);
    Path last = segments.getLast();
    byte[] b = Files.readAllBytes(last);
    if (b.length == 0 && segments.size() > 1) {
      Path prev = segments.get(segments.size() - 2);
      List<WalFixtures.Frame> frames = WalFixtures.frames(Files.readAllBytes(prev));
      if (frames.isEmpty() || !frames.getLast().seal()) {
        byte[] seal = new byte[WriteAheadLog.OVERHEAD];
        seal[0] = WriteAheadLog.SEAL;
        Files.write(prev, java.util.Arrays.copyOf(seal, 1 + rnd.nextInt(seal.length - 1)), StandardOpenOption.APPEND);
        return true;
      }
    }
    long keep = 0;
    long lastSeq = Long.parseLong(last.getFileName().toString().substring(4, 24)) - 1;
    List<WalFixtures.Frame> frames = WalFixtures.frames(b);
    for (WalFixtures.Frame f : frames) {
      if (f.data()) {
        lastSeq = f.seq();
        if (f.seq() <= maxAcked) {
          keep = f.end();
        }
      }
    }
    if (b.length - keep < 2) {
      // Nothing unacknowledged follows: tear the next record's write instead.
      long seq = lastSeq + 1;
      byte[] p = payloadFor(seq);
      ByteBuffer rec = ByteBuffer.allocate(WriteAheadLog.OVERHEAD + p.length);
      rec.put(WriteAheadLog.MAGIC).putInt(p.length).putLong(seq).put(p).putInt(0);
      Files.write(last, java.util.Arrays.copyOf(rec.array(), 1 + rnd.nextInt(rec.capacity() - 1)),
          StandardOpenOption.APPEND);
      return true;
    }
    long cut = keep + 1 + rnd.nextInt((int) (b.length - keep - 1));
    long at = cut;
    if (frames.stream().anyMatch(f -> f.offset() == at)) {
      cut--; // inside the frame before: a frame boundary would look like a clean end
    }
    try (FileChannel ch = FileChannel.open(last, StandardOpenOption.WRITE)) {
      ch.truncate(cut);
    }
    return true;
  }
}
