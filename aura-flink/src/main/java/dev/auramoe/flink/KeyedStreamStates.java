package dev.auramoe.flink;

import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.state.MapState;

/** The streams' states of the current key's shard in Flink's keyed state: exported states and positions. */
public final class KeyedStreamStates implements Shard.StreamStates {

  private final MapState<String, byte[]> streams;
  private final MapState<String, Long> order;

  /** The keyed state of a shard's replica (its snapshot bytes), as both layouts name it. */
  public static org.apache.flink.api.common.state.ValueStateDescriptor<byte[]> replicaDescriptor() {
    return new org.apache.flink.api.common.state.ValueStateDescriptor<>("replica",
        org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO);
  }

  /** The keyed state of a shard's streams' exported states, by stream. */
  public static org.apache.flink.api.common.state.MapStateDescriptor<String, byte[]> streamsDescriptor() {
    return new org.apache.flink.api.common.state.MapStateDescriptor<>("streams",
        org.apache.flink.api.common.typeinfo.Types.STRING,
        org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO);
  }

  /** The keyed state of a shard's streams' positions (first sight), by stream. */
  public static org.apache.flink.api.common.state.MapStateDescriptor<String, Long> orderDescriptor() {
    return new org.apache.flink.api.common.state.MapStateDescriptor<>("order",
        org.apache.flink.api.common.typeinfo.Types.STRING, org.apache.flink.api.common.typeinfo.Types.LONG);
  }

  public KeyedStreamStates(MapState<String, byte[]> streams, MapState<String, Long> order) {
    this.streams = streams;
    this.order = order;
  }

  @Override
  public byte[] get(String id) throws Exception {
    return streams.get(id);
  }

  @Override
  public void put(String id, byte[] state) throws Exception {
    streams.put(id, state);
  }

  @Override
  public void putOrder(String id, long position) throws Exception {
    order.put(id, position);
  }

  @Override
  public Map<String, Long> orders() throws Exception {
    Map<String, Long> m = new HashMap<>();
    for (Map.Entry<String, Long> e : order.entries()) {
      m.put(e.getKey(), e.getValue());
    }
    return m;
  }
}
