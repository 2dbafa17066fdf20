package dev.auramoe.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.http.Method;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The served OpenAPI document is the server's contract, checked against the server rather than
 * generated from it: every routed endpoint is documented and nothing else; each operation has an
 * id, a tag, examples and its security; the request schemas name exactly the fields the server
 * takes; every request example is accepted; and every answer a test sees is declared (see
 * {@link OpenApiContract}, which {@link TestClient} applies to every response of every test).
 */
class OpenApiTest {

  private static final JsonNode DOC = parse(RoutingServer.openApi());
  /** Loaded first: it also keeps SLF4J, which swagger-parser logs through, from printing its notice. */
  private static final OpenApiContract CONTRACT = OpenApiContract.SERVED;

  private static JsonNode parse(String s) {
    try {
      return TestClient.MAPPER.readTree(s);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Every operation: method, path template and its object. */
  private static List<Map.Entry<String, JsonNode>> operations() {
    List<Map.Entry<String, JsonNode>> ops = new ArrayList<>();
    for (var p : DOC.get("paths").properties()) {
      for (var o : p.getValue().properties()) {
        if (!o.getKey().equals("parameters")) {
          ops.add(Map.entry(o.getKey().toUpperCase(Locale.ROOT) + " " + p.getKey(), o.getValue()));
        }
      }
    }
    return ops;
  }

  private static boolean guarded(String method) {
    return !method.equals("GET") && !method.equals("HEAD");
  }

  @Test
  void everyRoutedEndpointIsDocumentedAndEveryDocumentedOneIsRouted() {
    try (RoutingServer server = RoutingServer.builder().port(0).build().start()) {
      TestClient client = new TestClient(server.port());
      TestClient.Response r = client.get("/openapi.json");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.json()).isEqualTo(DOC);
      assertThat(DOC.get("openapi").asText()).startsWith("3.1");
      Set<String> routed = new TreeSet<>();
      for (Map.Entry<String, List<Method>> e : server.endpoints().entrySet()) {
        for (Method m : e.getValue()) {
          routed.add(m.text() + " " + e.getKey());
        }
      }
      Set<String> documented = new TreeSet<>();
      operations().forEach(op -> documented.add(op.getKey()));
      assertThat(documented).isEqualTo(routed);
    }
  }

  @Test
  void everyOperationHasAUniqueIdATagExamplesAndItsSecurity() {
    Set<String> ids = new TreeSet<>();
    Set<String> tags = new TreeSet<>();
    DOC.get("tags").forEach(t -> tags.add(t.get("name").asText()));
    for (var op : operations()) {
      String what = op.getKey();
      JsonNode o = op.getValue();
      assertThat(ids.add(o.path("operationId").asText())).as("a unique operationId on %s", what).isTrue();
      assertThat(o.path("operationId").asText()).as(what).matches("[a-z][A-Za-z]+");
      assertThat(tags).as("the tag of %s is declared", what).contains(o.path("tags").path(0).asText());
      String security = o.path("security").toString();
      assertThat(security).as("security of %s", what)
          .isEqualTo(guarded(what.split(" ")[0]) ? "[{\"bearer\":[]}]" : "[{},{\"bearer\":[]}]");
      JsonNode success = null;
      for (var resp : o.get("responses").properties()) {
        if (resp.getKey().startsWith("2")) {
          success = resp.getValue();
        }
      }
      assertThat(success).as("a success response of %s", what).isNotNull();
      for (var media : success.get("content").properties()) {
        assertThat(media.getValue().has("example")).as("a response example of %s", what).isTrue();
      }
      if (o.has("requestBody")) {
        for (var media : o.at("/requestBody/content").properties()) {
          assertThat(media.getValue().path("examples")).as("request examples of %s (%s)", what, media.getKey())
              .isNotEmpty();
        }
      }
    }
    assertThat(ids).hasSize(operations().size());
  }

  @Test
  void everyExampleValidatesAgainstItsSchema() {
    int checked = 0;
    for (var op : operations()) {
      JsonNode o = op.getValue();
      if (o.at("/requestBody/content").has("application/json")) {
        JsonNode media = o.at("/requestBody/content/application~1json");
        for (JsonNode ex : media.get("examples")) {
          validate(op.getKey() + " request example", media.get("schema"), ex.get("value"));
          checked++;
        }
      }
      for (var resp : o.get("responses").properties()) {
        JsonNode r = resolve(resp.getValue());
        JsonNode media = r.path("content").path("application/json");
        if (media.has("example")) {
          validate(op.getKey() + " " + resp.getKey() + " example", media.get("schema"), media.get("example"));
          checked++;
        }
      }
    }
    assertThat(checked).isGreaterThan(2 * operations().size());
  }

  private static JsonNode resolve(JsonNode n) {
    return n.has("$ref") ? DOC.at(n.get("$ref").asText().substring(1)) : n;
  }

  private static void validate(String where, JsonNode schemaRef, JsonNode value) {
    CONTRACT.validateValue(where, schemaRef.get("$ref").asText(),
        tools.jackson.databind.json.JsonMapper.builder().build().readTree(value.toString()));
  }

  @Test
  void requestSchemasNameExactlyTheFieldsTheServerTakes() {
    try (RoutingServer server = RoutingServer.builder().port(0).build().start()) {
      TestClient client = new TestClient(server.port());
      assertThat(client.post("/v1/models", "{\"name\": \"m\", \"inputDim\": 4}").status()).isEqualTo(201);
      int checked = 0;
      for (var op : operations()) {
        JsonNode o = op.getValue();
        if (!o.has("requestBody") || !o.at("/requestBody/content").has("application/json")) {
          continue;
        }
        JsonNode schema = resolve(o.at("/requestBody/content/application~1json/schema"));
        assertThat(schema.path("additionalProperties").isBoolean() && !schema.get("additionalProperties").asBoolean())
            .as("%s refuses unknown fields, and says so", op.getKey()).isTrue();
        Set<String> declared = new TreeSet<>();
        schema.get("properties").fieldNames().forEachRemaining(declared::add);
        String method = op.getKey().split(" ")[0];
        String path = fill(op.getKey().split(" ")[1]);
        TestClient.Response r = client.send(method, path, "{\"notAField\": 1}");
        assertThat(r.status()).as("%s with an unknown field", op.getKey()).isEqualTo(400);
        String message = r.json().get("error").asText();
        assertThat(message).contains("unknown field 'notAField'; allowed: ");
        Set<String> allowed = new TreeSet<>(List.of(message.substring(message.indexOf("allowed: ") + 9).split(", ")));
        assertThat(declared).as("the fields of %s", op.getKey()).isEqualTo(allowed);
        checked++;
      }
      assertThat(checked).isEqualTo(12);
    }
  }

  private static String fill(String template) {
    return template.replace("{name}", "m").replace("{expert}", "e1").replace("{stream}", "sensor-7");
  }

  @Test
  void theDeclaredSecurityIsWhatTheServerEnforces() {
    try (RoutingServer server = RoutingServer.builder().port(0).token("a-token-of-twenty-chars").build().start()) {
      TestClient client = new TestClient(server.port());
      for (var op : operations()) {
        String method = op.getKey().split(" ")[0];
        String path = fill(op.getKey().split(" ")[1]);
        HttpRequest.Builder b = HttpRequest.newBuilder(client.uri(path));
        b = guarded(method) ? b.header("Content-Type", "application/json")
            .method(method, HttpRequest.BodyPublishers.ofString("{}")) : b.method(method, HttpRequest.BodyPublishers.noBody());
        boolean open = op.getValue().get("security").toString().contains("{}");
        int status = client.send(b.build()).status();
        if (open) {
          assertThat(status).as("%s without the token", op.getKey()).isNotEqualTo(401);
        } else {
          assertThat(status).as("%s without the token", op.getKey()).isEqualTo(401);
        }
      }
    }
  }

  /**
   * Sends every request example in the document, in an order where each makes sense (a feedback
   * takes its route id and expert from a route's answer, which no fixed example can know), checks
   * each is accepted, and calls every operation once with success, so that {@link TestClient}
   * checks a success body of each against its schema.
   */
  @Test
  void everyRequestExampleIsAcceptedAndEveryOperationSucceedsAsDocumented(@TempDir Path data) {
    RoutingServer.Builder b = RoutingServer.builder().port(0).dataDir(data).textEmbedder(new HashTextEmbedder(384, 10_000));
    try (RoutingServer server = b.build().start()) {
      TestClient client = new TestClient(server.port());
      Map<String, String> where = new LinkedHashMap<>();
      Map<String, JsonNode> byId = new LinkedHashMap<>();
      for (var op : operations()) {
        String id = op.getValue().get("operationId").asText();
        where.put(id, op.getKey());
        byId.put(id, op.getValue());
      }
      Set<String> succeeded = new TreeSet<>();
      Set<String> examplesSent = new TreeSet<>();
      BiConsumer<String, String[]> call = (id, args) -> {
        // args: path parameters name, expert or stream, then an example's name or a literal body.
        String[] mp = where.get(id).split(" ");
        String path = mp[1].replace("{name}", args[0]);
        if (args.length > 1 && args[1] != null) {
          path = path.replace("{expert}", args[1]).replace("{stream}", args[1]);
        }
        String body = null;
        if (args.length > 2) {
          JsonNode ex = byId.get(id).at("/requestBody/content/application~1json/examples/" + args[2] + "/value");
          body = ex.isMissingNode() ? args[2] : ex.toString();
          if (!ex.isMissingNode()) {
            examplesSent.add(id + "/" + args[2]);
          }
        }
        TestClient.Response r = client.send(mp[0], path + (args.length > 3 ? args[3] : ""), body);
        assertThat(r.status()).as("%s %s %s: %s", mp[0], path, body, r.body()).isBetween(200, 299);
        succeeded.add(id);
      };
      call.accept("createModel", new String[] {"", null, "vector"});
      call.accept("createModel", new String[] {"", null, "text"});
      call.accept("listModels", new String[] {""});
      call.accept("getModel", new String[] {"m", null, null, "?digest=true"});
      call.accept("configureModel", new String[] {"m", null, "settings"});
      call.accept("listExperts", new String[] {"m"});
      call.accept("addExpert", new String[] {"m", null, "nlms"});
      call.accept("addExpert", new String[] {"m", null, "rls"});
      call.accept("renameExpert", new String[] {"m", "fast", "rename"});
      call.accept("removeExpert", new String[] {"m", "quick"});
      call.accept("openStream", new String[] {"m", "sensor-7"});
      call.accept("listStreams", new String[] {"m", null, null, "?limit=1"});
      for (String model : List.of("m", "t")) {
        String example = model.equals("m") ? "vector" : "text";
        call.accept("route", new String[] {model, null, example});
        call.accept("predict", new String[] {model, null, example});
        call.accept("learn", new String[] {model, null, example});
      }
      call.accept("routeBatch", new String[] {"m", null, "batch"});
      call.accept("predictBatch", new String[] {"m", null, "batch"});
      call.accept("learnBatch", new String[] {"m", null, "batch"});
      JsonNode routed = client.post("/v1/models/t/route",
          byId.get("route").at("/requestBody/content/application~1json/examples/text/value").toString()).json();
      JsonNode feedback = byId.get("giveFeedback").at("/requestBody/content/application~1json/examples/reward/value")
          .deepCopy();
      ((com.fasterxml.jackson.databind.node.ObjectNode) feedback).put("routeId", routed.get("routeId").asText())
          .put("expert", routed.get("expertNames").get(0).asText());
      call.accept("giveFeedback", new String[] {"t", null, feedback.toString()});
      examplesSent.add("giveFeedback/reward");
      call.accept("getFeedback", new String[] {"t"});
      call.accept("anchorFeedback", new String[] {"t"});
      call.accept("rollbackFeedback", new String[] {"t"});
      call.accept("resetStream", new String[] {"m", "sensor-7"});
      call.accept("closeStream", new String[] {"m", "sensor-7"});
      call.accept("getStats", new String[] {"m"});
      call.accept("snapshotModel", new String[] {"m"});
      call.accept("importModel", new String[] {"small", null, "snapshot"});
      // The snapshot's bytes: exported, then imported as they are as another model with the same state.
      TestClient.Response exported = client.get("/v1/models/m/snapshot");
      assertThat(exported.status()).isEqualTo(200);
      succeeded.add("exportModel");
      TestClient.Response imported = client.send("POST", "/v1/models/m2/import", "application/octet-stream",
          exported.bytes());
      assertThat(imported.status()).as(imported.body()).isEqualTo(201);
      assertThat(imported.json().get("digest").asText()).isEqualTo(client.digest("m"));
      call.accept("restoreModel", new String[] {"m"});
      call.accept("deleteModel", new String[] {"m"});
      call.accept("getHealth", new String[] {""});
      call.accept("getMetrics", new String[] {""});
      call.accept("getOpenApi", new String[] {""});

      assertThat(succeeded).isEqualTo(byId.keySet().stream().collect(java.util.stream.Collectors.toCollection(TreeSet::new)));
      Set<String> examples = new TreeSet<>();
      byId.forEach((id, o) -> o.at("/requestBody/content/application~1json/examples").fieldNames()
          .forEachRemaining(n -> examples.add(id + "/" + n)));
      assertThat(examplesSent).isEqualTo(examples);
    }
  }

  @Test
  void swaggerParserValidatesTheDocument() {
    ParseOptions options = new ParseOptions();
    options.setResolve(true);
    SwaggerParseResult result = new OpenAPIV3Parser().readContents(RoutingServer.openApi(), null, options);
    assertThat(result.getMessages()).isEmpty();
    assertThat(result.getOpenAPI().getOpenapi()).startsWith("3.1");
    assertThat(result.getOpenAPI().getPaths()).hasSize(DOC.get("paths").size());
  }

  /** The checker itself refuses what the document does not say, so the checks above can fail. */
  @Test
  void theContractRefusesAnswersTheDocumentDoesNotDeclare() {
    OpenApiContract c = CONTRACT;
    String ok = "{\"stream\":\"s\",\"opened\":true}";
    c.check("PUT", "/v1/models/m/streams/s", 201, "application/json", ok);
    assertThatThrownBy(() -> c.check("PUT", "/v1/models/m/streams/s", 201, "application/json",
        "{\"stream\":\"s\",\"opened\":true,\"extra\":1}")).hasMessageContaining("extra");
    assertThatThrownBy(() -> c.check("PUT", "/v1/models/m/streams/s", 201, "application/json", "{\"stream\":\"s\"}"))
        .hasMessageContaining("opened");
    assertThatThrownBy(() -> c.check("PUT", "/v1/models/m/streams/s", 201, "application/json",
        "{\"stream\":1,\"opened\":true}")).hasMessageContaining("stream");
    assertThatThrownBy(() -> c.check("PUT", "/v1/models/m/streams/s", 200, "application/json", ok))
        .hasMessageContaining("status 200 is not declared by openStream");
    assertThatThrownBy(() -> c.check("PUT", "/v1/models/m/streams/s", 201, "text/plain", ok))
        .hasMessageContaining("content type");
    assertThatThrownBy(() -> c.check("GET", "/v1/models/m", 404, "application/json",
        "{\"error\":\"no\",\"status\":400}")).hasMessageContaining("status is not the HTTP status");
    assertThatThrownBy(() -> c.check("GET", "/nowhere", 200, "application/json", "{}"))
        .hasMessageContaining("no such operation");
    c.check("GET", "/nowhere", 404, "application/json", "{\"error\":\"no endpoint\",\"status\":404}");
    c.check("GET", "/v1/models", 431, "application/json", "{\"error\":\"too large\",\"status\":431}");
  }
}
