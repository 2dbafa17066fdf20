package dev.auramoe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.experts.Experts;
import dev.auramoe.io.SnapshotException;
import dev.auramoe.io.SnapshotFormat;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Damaged snapshots are refused with a {@link SnapshotException} that says what is wrong, and a
 * refused load changes nothing. Covers every single-byte flip and every truncation of the golden
 * file, the header fields one by one, and damage inside a payload whose checksum is valid (so
 * that the parser itself, not the checksum, must catch it).
 */
class CorruptSnapshotTest {

  private static final List<String> FRAME_MESSAGES = List.of("not an aura-moe snapshot (bad magic)",
      "unsupported snapshot format version", "snapshot is truncated", "trailing bytes", "checksum mismatch",
      "corrupt snapshot: payload length");

  private static SnapshotException refused(byte[] bytes) {
    try {
      Snapshots.fromBytes(bytes, GoldenSnapshots.FUNCTIONS);
    } catch (SnapshotException e) {
      return e;
    }
    throw new AssertionError("a damaged snapshot was accepted");
  }

  @Test
  void everySingleByteFlipIsRefused() throws Exception {
    byte[] file = GoldenSnapshotTest.goldenBytes();
    int checked = 0;
    for (int i = 0; i < file.length; i++) {
      for (int mask : new int[] {0x01, 0x80, 0xFF}) {
        byte[] bad = file.clone();
        bad[i] ^= (byte) mask;
        SnapshotException e = refused(bad);
        assertThat(FRAME_MESSAGES).as("flip 0x%02x at %d: %s", mask, i, e.getMessage())
            .anySatisfy(m -> assertThat(e.getMessage()).contains(m));
        checked++;
      }
    }
    assertThat(checked).isEqualTo(3 * 1137);
  }

  @Test
  void everyTruncationIsRefused() throws Exception {
    byte[] file = GoldenSnapshotTest.goldenBytes();
    for (int n = 0; n < file.length; n++) {
      SnapshotException e = refused(Arrays.copyOf(file, n));
      assertThat(e.getMessage()).as("truncated to %d bytes", n).contains("snapshot is truncated");
      if (n < 24) {
        assertThat(e.getMessage()).contains(n + " bytes, less than the 24-byte frame");
      } else {
        assertThat(e.getMessage()).contains("header announces 1113 payload bytes, file has " + (n - 24));
      }
    }
  }

  @Test
  void wrongMagicIsRefused() throws Exception {
    byte[] file = GoldenSnapshotTest.goldenBytes();
    for (int i = 0; i < 8; i++) {
      byte[] bad = file.clone();
      bad[i] = (byte) '?';
      assertThat(refused(bad).getMessage()).isEqualTo("not an aura-moe snapshot (bad magic)");
    }
    byte[] text = "{\"this\": \"is json, not a snapshot\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    assertThat(refused(text).getMessage()).contains("bad magic");
  }

  @ParameterizedTest(name = "version {0}")
  @ValueSource(ints = {0, 3, -1, 256, Integer.MAX_VALUE})
  void otherVersionsAreRefusedNamingBoth(int version) throws Exception {
    byte[] bad = GoldenSnapshotTest.goldenBytes();
    ByteBuffer.wrap(bad).putInt(8, version);
    assertThat(refused(bad).getMessage())
        .isEqualTo("unsupported snapshot format version " + version + " (this build reads 1 to 2)");
  }

  @Test
  void aPayloadFramedAsTheOtherVersionIsRefused() throws Exception {
    // The versions differ in their fields: read as the other one, each payload goes astray and is refused.
    byte[] v1 = SnapshotFormat.unframe(GoldenSnapshotTest.goldenBytes());
    byte[] v2 = SnapshotFormat.unframe(GoldenSnapshotV2Test.goldenBytes());
    assertThat(refused(SnapshotFormat.frame(2, v1)).getMessage()).startsWith("corrupt snapshot");
    assertThat(refused(SnapshotFormat.frame(1, v2)).getMessage()).startsWith("corrupt snapshot");
  }

  @ParameterizedTest(name = "{0} trailing bytes")
  @ValueSource(ints = {1, 4, 1000})
  void trailingBytesAreRefused(int extra) throws Exception {
    byte[] file = GoldenSnapshotTest.goldenBytes();
    assertThat(refused(Arrays.copyOf(file, file.length + extra)).getMessage())
        .isEqualTo("corrupt snapshot: " + extra + " trailing bytes");
  }

  @ParameterizedTest(name = "payload length {0}")
  @ValueSource(longs = {Long.MAX_VALUE, Long.MIN_VALUE, -1L, (1L << 30) + 1, 1L << 40})
  void hugeOrNegativePayloadLengthsAreRefused(long n) throws Exception {
    byte[] bad = GoldenSnapshotTest.goldenBytes();
    ByteBuffer.wrap(bad).putLong(12, n);
    assertThat(refused(bad).getMessage()).isEqualTo("corrupt snapshot: payload length " + n);
  }

  @Test
  void aPayloadLengthWithinLimitsButBeyondTheFileIsTruncation() throws Exception {
    byte[] bad = GoldenSnapshotTest.goldenBytes();
    ByteBuffer.wrap(bad).putLong(12, 1L << 29);
    assertThat(refused(bad).getMessage()).contains("snapshot is truncated: header announces 536870912 payload bytes");
  }

  @Test
  void hugeArrayLengthsInsideAValidFrameAreRefused() throws Exception {
    byte[] payload = SnapshotFormat.unframe(GoldenSnapshotTest.goldenBytes());
    // The first array of the payload is the cell projection; find its length field (3 * (2 * 4 + 3) = 33).
    int at = indexOfInt(payload, 33);
    for (int n : new int[] {Integer.MAX_VALUE, 1 << 28, payload.length, -5}) {
      byte[] bad = payload.clone();
      ByteBuffer.wrap(bad).putInt(at, n);
      SnapshotException e = refused(SnapshotFormat.frame(1, bad));
      assertThat(e.getMessage()).as("length %d", n).contains("corrupt snapshot");
      if (n != payload.length) {
        assertThat(e.getMessage()).contains("array length " + n + " exceeds the remaining payload");
      }
    }
  }

  @Test
  void damagedSizeFieldsAreRefusedBeforeAnythingIsAllocated() throws Exception {
    // Regression: these made load allocate gigabytes and die with OutOfMemoryError.
    byte[] payload = SnapshotFormat.unframe(GoldenSnapshotTest.goldenBytes());
    byte[] hidden = payload.clone();
    ByteBuffer.wrap(hidden).putInt(8, 30_000); // payload: inputDim, outputDim, hidden, ...
    assertThat(refused(SnapshotFormat.frame(1, hidden)).getMessage())
        .isEqualTo("corrupt snapshot: cell projection has 33 values, the configuration needs 180009");
    byte[] output = payload.clone();
    ByteBuffer.wrap(output).putInt(4, 1 << 30);
    assertThat(refused(SnapshotFormat.frame(1, output)).getMessage())
        .isEqualTo("corrupt snapshot: expert 'nlms0' is 3 -> 1 but the mixture is 3 -> 1073741824");
    byte[] winners = payload.clone();
    int at = indexOfInts(payload, 100, 2) + 4; // attention: vocabulary 100, winners 2
    ByteBuffer.wrap(winners).putInt(at, 1 << 30);
    assertThat(refused(SnapshotFormat.frame(1, winners)).getMessage())
        .isEqualTo("corrupt snapshot: winners must lie in [1, min(vocabularySize, 4096)], got 1073741824");
  }

  private static int indexOfInts(byte[] b, int v, int next) {
    ByteBuffer bb = ByteBuffer.wrap(b);
    for (int i = 0; i + 8 <= b.length; i++) {
      if (bb.getInt(i) == v && bb.getInt(i + 4) == next) {
        return i;
      }
    }
    throw new AssertionError("not found: " + v + ", " + next);
  }

  private static int indexOfInt(byte[] b, int v) {
    ByteBuffer bb = ByteBuffer.wrap(b);
    for (int i = 0; i + 4 <= b.length; i++) {
      if (bb.getInt(i) == v) {
        return i;
      }
    }
    throw new AssertionError("not found: " + v);
  }

  @ParameterizedTest(name = "format v{0}")
  @ValueSource(ints = {1, 2})
  void damageInsideAValidFrameIsEitherHarmlessOrRefusedNeverACrash(int version) throws Exception {
    // Re-frame every damaged payload with a correct checksum: the parser must cope on its own.
    byte[] payload = SnapshotFormat.unframe(version == 1 ? GoldenSnapshotTest.goldenBytes()
        : GoldenSnapshotV2Test.goldenBytes());
    Map<String, Integer> outcomes = new TreeMap<>();
    for (int i = 0; i < payload.length; i++) {
      for (int mask : new int[] {0x01, 0x40, 0xFF}) {
        byte[] bad = payload.clone();
        bad[i] ^= (byte) mask;
        MixtureOfExperts m;
        try {
          m = Snapshots.fromBytes(SnapshotFormat.frame(version, bad), GoldenSnapshots.FUNCTIONS);
        } catch (SnapshotException e) {
          assertThat(e.getMessage()).as("byte %d ^ 0x%02x", i, mask).startsWith("corrupt snapshot");
          outcomes.merge("refused", 1, Integer::sum);
          continue;
        } catch (Throwable t) {
          throw new AssertionError("byte " + i + " ^ 0x" + Integer.toHexString(mask) + " escaped as " + t, t);
        }
        // Accepted (a flipped weight, say): it must be a consistent model that saves and loads again.
        // (No routing here: a damaged 'unfolds' is a valid but very slow configuration.)
        outcomes.merge("accepted", 1, Integer::sum);
        MixtureOfExperts again = Snapshots.fromBytes(Snapshots.toBytes(m), GoldenSnapshots.FUNCTIONS);
        assertThat(again.digest()).isEqualTo(m.digest());
        assertThat(m.newRouteBuffer().probabilitiesArray()).hasSize(m.expertCount());
      }
    }
    assertThat(outcomes.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(3 * payload.length);
    assertThat(outcomes.get("refused")).as("%s", outcomes).isGreaterThan(payload.length / 4);
  }

  @Test
  void aFailedLoadLeavesEveryExistingModelAndFileUntouched(@TempDir Path dir) throws Exception {
    MixtureOfExperts m = MixtureOfExperts.builder(3, 1).experts(Experts.nlms("e", 3, 3, 1, 0.5)).build();
    m.learn(MixtureOfExperts.DEFAULT_STREAM, new float[] {1, 2, 3}, new float[] {1});
    Path good = dir.resolve("model.aura");
    m.save(good);
    byte[] goodBytes = Files.readAllBytes(good);
    String digest = m.digest();
    Path bad = dir.resolve("bad.aura");
    byte[] damaged = goodBytes.clone();
    damaged[damaged.length / 2] ^= 0x10;
    Files.write(bad, damaged);
    assertThatThrownBy(() -> MixtureOfExperts.load(bad)).isInstanceOf(SnapshotException.class)
        .hasMessageContaining("checksum mismatch");
    assertThatThrownBy(() -> Snapshots.load(dir.resolve("missing.aura"), null)).isInstanceOf(java.nio.file.NoSuchFileException.class);
    assertThat(m.digest()).isEqualTo(digest);
    assertThat(Files.readAllBytes(good)).isEqualTo(goodBytes);
    assertThat(Files.readAllBytes(bad)).isEqualTo(damaged);
    assertThat(MixtureOfExperts.load(good).digest()).isEqualTo(digest);
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()).sorted().toList())
          .as("save leaves no temporary file").containsExactly("bad.aura", "model.aura");
    }
  }
}
