package dev.auramoe.server.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The operation log's record format. */
class OperationTest {

  private static List<Operation> every() {
    float[] xs = {1f, -0f, Float.MIN_VALUE, 3e38f, Float.intBitsToFloat(0x7fc00001), 6f};
    return List.of(
        Operation.create("m-é", "{\"name\":\"m\"}".getBytes(StandardCharsets.UTF_8)),
        Operation.delete("m"),
        Operation.learn("m", new LearnEvent("s", 2, 3, 1, xs, new float[] {0.1f, -7f})),
        Operation.inputs(Operation.Type.ROUTE, "m", "s", 1, 6, xs),
        Operation.inputs(Operation.Type.ROUTE_BATCH, "m", "s", 2, 3, xs),
        Operation.inputs(Operation.Type.PREDICT, "m", "default", 3, 2, xs),
        Operation.stream(Operation.Type.STREAM_OPEN, "m", "s"),
        Operation.stream(Operation.Type.STREAM_CLOSE, "m", "s"),
        Operation.stream(Operation.Type.STREAM_RESET, "m", "s"),
        Operation.stream(Operation.Type.STREAM_EVICT, "m", "s"),
        Operation.restore("m", 1L << 40),
        Operation.change(Operation.Type.CONFIGURE, "m", "{\"temperature\":0.5}".getBytes(StandardCharsets.UTF_8)),
        Operation.change(Operation.Type.EXPERT_ADD, "m", "{\"name\":\"x\"}".getBytes(StandardCharsets.UTF_8)),
        Operation.change(Operation.Type.EXPERT_REMOVE, "m", "{\"name\":\"x\"}".getBytes(StandardCharsets.UTF_8)),
        Operation.change(Operation.Type.EXPERT_RENAME, "m", new byte[0]),
        Operation.routerChange("m", new RouterChanges(List.of(
            new RouterChanges.Teach(new float[] {0.5f, -0f}, xs, new float[] {1f, -0.25f, 0f}, 0.2),
            new RouterChanges.Set(xs)))),
        Operation.routerChange("m", new RouterChanges(List.of(new RouterChanges.Teach(new float[0], new float[] {1f},
            new float[] {2f}, Double.POSITIVE_INFINITY)))),
        Operation.feedbackAnchor("m"),
        Operation.importModel("m", "{\"name\":\"m\"}".getBytes(StandardCharsets.UTF_8), new byte[] {1, 2, 3, -1}));
  }

  @Test
  void everyTypeRoundTripsBitForBit() {
    for (Operation op : every()) {
      byte[] b = op.encode();
      assertThat(b[0]).isEqualTo(Operation.VERSION);
      assertThat(b[1]).isEqualTo(op.type().code());
      Operation back = Operation.decode(b);
      assertThat(back).as(op.toString()).isEqualTo(op);
      assertThat(back.encode()).isEqualTo(b);
    }
    Operation route = Operation.decode(every().get(3).encode());
    assertThat(Float.floatToRawIntBits(route.xs()[1])).isEqualTo(Float.floatToRawIntBits(-0f));
    assertThat(Float.floatToRawIntBits(route.xs()[4])).isEqualTo(0x7fc00001);
  }

  @Test
  void everyTypeTellsItsEncodedSizeAhead() {
    for (Operation op : every()) {
      assertThat(op.encodedSize()).as(op.toString()).isEqualTo(op.encode().length);
    }
  }

  /**
   * An import's record carries a whole snapshot: encoding it allocates the record once, not the body
   * and then the record (which held the snapshot twice over, on top of the request's own copies).
   */
  @Test
  void anImportsRecordIsAllocatedOnce() {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    byte[] image = new byte[16 << 20];
    Operation op = Operation.importModel("m", "{\"name\":\"m\"}".getBytes(StandardCharsets.UTF_8), image);
    op.encode();
    long before = threads.getCurrentThreadAllocatedBytes();
    byte[] record = op.encode();
    long allocated = threads.getCurrentThreadAllocatedBytes() - before;
    assertThat(record.length).isGreaterThan(image.length);
    assertThat(allocated).as("bytes allocated to encode a record of " + record.length)
        .isLessThan(record.length + (1L << 20));
  }

  @Test
  void damagedRecordsAreRefused() {
    for (Operation op : every()) {
      byte[] b = op.encode();
      assertThat(catchThrowable(() -> Operation.decode(Arrays.copyOf(b, b.length - 1))))
          .as("truncated %s", op).isInstanceOf(IllegalArgumentException.class);
      assertThat(catchThrowable(() -> Operation.decode(Arrays.copyOf(b, b.length + 1))))
          .as("padded %s", op).isInstanceOf(IllegalArgumentException.class);
    }
    byte[] b = every().get(1).encode();
    b[0] = 2;
    assertThat(catchThrowable(() -> Operation.decode(b))).hasMessageContaining("version");
    byte[] c = every().get(1).encode();
    c[1] = 99;
    assertThat(catchThrowable(() -> Operation.decode(c))).hasMessageContaining("type");
    // Router changes whose counts and lengths do not match the record allocate nothing and are refused.
    byte[] r = every().get(15).encode();
    int changes = 1 + 1 + 2 + 1; // version, type, name length, "m"
    java.nio.ByteBuffer.wrap(r).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(changes, Integer.MAX_VALUE);
    assertThat(catchThrowable(() -> Operation.decode(r))).hasMessageContaining("count");
    byte[] v = every().get(15).encode();
    java.nio.ByteBuffer.wrap(v).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(changes + 4 + 1, 1 << 28);
    assertThat(catchThrowable(() -> Operation.decode(v))).hasMessageContaining("length");
    byte[] k = every().get(15).encode();
    k[changes + 4] = 7;
    assertThat(catchThrowable(() -> Operation.decode(k))).hasMessageContaining("kind 7");
  }
}
