package dev.auramoe.flink;

import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.state.MapState;

/** The streams' states of the current key's shard in Flink's keyed state: exported states and positions. */
public final class KeyedStreamStates implements Shard.StreamStates {

  private final MapState<String, byte[]> streams;
  private final MapState<String, Long> order;

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
