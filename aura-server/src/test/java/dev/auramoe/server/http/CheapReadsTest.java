package dev.auramoe.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.auramoe.server.ApiException;
import dev.auramoe.server.ServerLimits;
import dev.auramoe.server.metrics.ServerMetrics;
import dev.auramoe.server.model.ModelRegistry;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Reads of a large model do not copy or hash its state: the model's info leaves the digest out
 * unless asked for, and the digest is computed once per version of the state (every logged
 * operation makes a new version). Measured in bytes allocated by the reading thread: a copy of
 * this model's state is over 4 MB.
 */
class CheapReadsTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  /** Far below one copy of the model's state (1,048,576 recurrent weights alone: 4 MiB). */
  private static final long CHEAP = 512 * 1024;

  private static long allocated() {
    return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
  }

  private static String digest(Reply r) throws Exception {
    return JSON.valueToTree(r.body()).get("digest").asText();
  }

  @Test
  void infoIsCheapAndTheDigestIsComputedOncePerVersion() throws Exception {
    try (ModelRegistry registry = new ModelRegistry(ServerLimits.DEFAULT);
        ServerMetrics metrics = new ServerMetrics(registry::size)) {
      ModelApi api = new ModelApi(registry, new JsonRequests(), ServerLimits.DEFAULT, metrics);
      api.create("{\"name\": \"big\", \"inputDim\": 4, \"hidden\": 1024}".getBytes(StandardCharsets.UTF_8));
      byte[] route = "{\"x\": [1, 2, 3, 4]}".getBytes(StandardCharsets.UTF_8);
      api.route("big", route);
      for (int i = 0; i < 3; i++) {
        api.get("big", null);
      }

      long before = allocated();
      Reply info = api.get("big", null);
      assertThat(allocated() - before).as("bytes allocated by a GET of the model").isLessThan(CHEAP);
      assertThat(JSON.valueToTree(info.body()).has("digest")).isFalse();

      String first = digest(api.get("big", "true"));
      before = allocated();
      String again = digest(api.get("big", "true"));
      assertThat(allocated() - before).as("bytes allocated by a second digest of the same version")
          .isLessThan(CHEAP);
      assertThat(again).isEqualTo(first).isEqualTo(registry.get("big").model().digest());

      api.route("big", route);
      String next = digest(api.get("big", "true"));
      assertThat(next).as("a new version, a new digest").isNotEqualTo(first)
          .isEqualTo(registry.get("big").model().digest());

      assertThatThrownBy(() -> api.get("big", "yes")).isInstanceOf(ApiException.class)
          .hasMessageContaining("'digest' must be true or false");
      assertThat(JSON.valueToTree(api.get("big", "false").body()).has("digest")).isFalse();
      assertThat(JSON.valueToTree(api.stats("big").body()).get("streams").get("open").asInt()).isEqualTo(1);
      assertThat(((Map<?, ?>) api.get("big", null).body()).get("streams")).isInstanceOf(Map.class);
    }
  }

  /**
   * A page of a model's streams copies the page, not every stream id: the listing used to copy
   * all of them, under the model's lock, for every request.
   */
  @Test
  void aPageOfStreamsCopiesOnlyThePage() throws Exception {
    try (ModelRegistry registry = new ModelRegistry(ServerLimits.DEFAULT);
        ServerMetrics metrics = new ServerMetrics(registry::size)) {
      ModelApi api = new ModelApi(registry, new JsonRequests(), ServerLimits.DEFAULT, metrics);
      api.create("{\"name\": \"many\", \"inputDim\": 2, \"hidden\": 4}".getBytes(StandardCharsets.UTF_8));
      var e = registry.get("many");
      for (int i = 0; i < 50_000; i++) {
        e.openStream("s" + i);
      }
      for (int i = 0; i < 3; i++) {
        api.streams("many", "s25000", "10");
      }
      long before = allocated();
      Reply page = api.streams("many", "s25000", "10");
      // The ids of 50,000 streams take about 200 KB per copy.
      assertThat(allocated() - before).as("bytes allocated by a page of 10 among 50,001 streams")
          .isLessThan(16 * 1024);
      var json = JSON.valueToTree(page.body());
      assertThat(json.get("streams")).hasSize(10);
      assertThat(json.get("streams").get(0).asText()).isEqualTo("s25001");
      assertThat(json.get("open").asInt()).isEqualTo(50_001);
      assertThat(json.get("next").asText()).as("id order, not opening order").isEqualTo("s2501");
    }
  }
}
