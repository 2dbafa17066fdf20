package dev.auramoe.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.http.Method;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The served OpenAPI document describes every endpoint the server routes, and nothing it does not. */
class OpenApiTest {

  @Test
  void everyRoutedEndpointIsDocumentedAndEveryDocumentedOneIsRouted() {
    try (RoutingServer server = RoutingServer.builder().port(0).build().start()) {
      TestClient client = new TestClient(server.port());
      TestClient.Response r = client.get("/openapi.json");
      assertThat(r.status()).isEqualTo(200);
      JsonNode doc = r.json();
      assertThat(doc.get("openapi").asText()).startsWith("3.1");
      JsonNode paths = doc.get("paths");
      Map<String, List<Method>> routed = server.endpoints();
      int operations = 0;
      for (Map.Entry<String, List<Method>> e : routed.entrySet()) {
        JsonNode item = paths.get(e.getKey());
        assertThat(item).as("documented: %s", e.getKey()).isNotNull();
        for (Method m : e.getValue()) {
          JsonNode op = item.get(m.text().toLowerCase(Locale.ROOT));
          assertThat(op).as("documented: %s %s", m.text(), e.getKey()).isNotNull();
          assertThat(op.get("responses")).as("responses of %s %s", m.text(), e.getKey()).isNotEmpty();
          boolean mutating = m != Method.GET && m != Method.HEAD;
          assertThat(op.has("security")).as("bearer security on %s %s", m.text(), e.getKey()).isEqualTo(mutating);
          operations++;
        }
      }
      int documented = 0;
      for (var p : paths.properties()) {
        assertThat(routed).as("routed: %s", p.getKey()).containsKey(p.getKey());
        for (var ops = p.getValue().fieldNames(); ops.hasNext();) {
          String op = ops.next();
          if (!op.equals("parameters")) {
            documented++;
          }
        }
      }
      assertThat(documented).isEqualTo(operations);
      assertThat(doc.at("/components/schemas/ModelSpec/required").toString()).contains("name").contains("inputDim");
    }
  }
}
