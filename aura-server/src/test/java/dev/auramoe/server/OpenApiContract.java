package dev.auramoe.server;

import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The served OpenAPI document as a checker of what the server answers: every response a test sees
 * ({@link TestClient} hands each one here) must have a status the document declares for its
 * operation, a declared content type, and a body that its JSON Schema accepts (JSON Schema 2020-12,
 * the dialect of OpenAPI 3.1).
 *
 * <p>Checking is stricter than the document: an object schema that lists its properties and says
 * nothing of others is read as refusing others, so a field the server answers that the document
 * does not name fails the test (the document itself leaves responses open, so that clients keep
 * working when a later release adds a field). Statuses that the HTTP layer answers before any
 * operation runs (414, 431, 500, 501 and 505, declared as the ranges 4XX and 5XX) may come from any
 * operation; every other status must be declared by the operation itself.
 */
final class OpenApiContract {

  /** Statuses an operation need not declare itself: the HTTP layer's, under 4XX and 5XX. */
  private static final Set<Integer> HTTP_LAYER = Set.of(414, 431, 500, 501, 505);

  private static final String ERROR = "#/components/schemas/Error";

  static {
    // The validator logs through SLF4J, which would print a notice (and fail the test) without a provider.
    System.setProperty("slf4j.internal.verbosity", "ERROR");
  }

  private static final ObjectMapper MAPPER = JsonMapper.builder().build();
  private static final SchemaRegistry SCHEMAS = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);

  /** The document as the server serves it. */
  static final OpenApiContract SERVED = new OpenApiContract(RoutingServer.openApi());

  private final JsonNode doc;
  /** components/schemas as $defs, every $ref rewritten to them, objects made strict. */
  private final ObjectNode defs;
  private final List<PathTemplate> paths = new ArrayList<>();
  private final Map<String, Schema> compiled = new ConcurrentHashMap<>();

  private record PathTemplate(String template, Pattern pattern) {
  }

  OpenApiContract(String document) {
    this.doc = MAPPER.readTree(document);
    this.defs = (ObjectNode) strict(rewriteRefs(doc.path("components").path("schemas").deepCopy()));
    for (var p : doc.get("paths").properties()) {
      String regex = Pattern.quote(p.getKey()).replaceAll("\\{[^}]+}", "\\\\E[^/]+\\\\Q");
      paths.add(new PathTemplate(p.getKey(), Pattern.compile(regex)));
    }
  }

  /** The document. */
  JsonNode document() {
    return doc;
  }

  /**
   * Checks one response against the document.
   *
   * @param method the request's method
   * @param rawPath the request's path, without the query
   * @param status the response's status
   * @param contentType the response's Content-Type (empty when none)
   * @param body the response's body
   * @throws AssertionError naming the operation, the status and what the schema refused
   */
  void check(String method, String rawPath, int status, String contentType, String body) {
    String m = method.toLowerCase(Locale.ROOT);
    if (m.equals("head")) {
      return; // no body; its status is GET's
    }
    JsonNode op = operation(m, rawPath);
    String where = method + " " + rawPath + " -> " + status;
    if (op == null) {
      // No such operation: the server refuses it (404 for an unknown path, 405 for a known one) with an Error.
      if (status < 400) {
        throw new AssertionError(where + ": the document has no such operation, yet it succeeded");
      }
      validate(where, ERROR, status, body);
      return;
    }
    JsonNode responses = op.get("responses");
    String code = Integer.toString(status);
    JsonNode response = responses.get(code);
    if (response == null && HTTP_LAYER.contains(status)) {
      response = responses.get(code.charAt(0) + "XX");
    }
    if (response == null) {
      throw new AssertionError(where + ": status " + status + " is not declared by " + op.get("operationId").asString()
          + " (declared: " + responses.propertyNames() + ")");
    }
    response = resolve(response);
    JsonNode content = response.get("content");
    String media = contentType.split(";")[0].trim();
    if (content == null || !content.has(media)) {
      throw new AssertionError(where + ": content type '" + contentType + "' is not declared");
    }
    if (media.equals("application/json")) {
      validate(where, schemaPointer(op, code, response), status, body);
    }
  }

  /** The operation a method and path name, or null. */
  JsonNode operation(String method, String rawPath) {
    for (PathTemplate t : paths) {
      if (t.pattern().matcher(rawPath).matches()) {
        JsonNode op = doc.get("paths").get(t.template()).get(method);
        if (op != null) {
          return op;
        }
      }
    }
    return null;
  }

  /** Validates a JSON value against a schema of the document (a pointer into it), strictly; throws on failure. */
  void validateValue(String where, String pointer, JsonNode value) {
    var errors = schema(pointer).validate(value);
    if (!errors.isEmpty()) {
      throw new AssertionError(where + ": " + errors + " in " + shorten(value.toString()));
    }
  }

  /** Checks a refusal of the HTTP layer or of a request that names no operation: an Error with its status. */
  void checkRefusal(String where, int status, String body) {
    validate(where + " -> " + status, ERROR, status, body);
  }

  private void validate(String where, String pointer, int status, String body) {
    JsonNode value;
    try {
      value = MAPPER.readTree(body);
    } catch (RuntimeException e) {
      throw new AssertionError(where + ": the body is not JSON: " + shorten(body));
    }
    validateValue(where, pointer, value);
    if (pointer.equals(ERROR) && value.path("status").asInt(-1) != status) {
      throw new AssertionError(where + ": the error body's status is not the HTTP status: " + shorten(body));
    }
  }

  /** Where the JSON schema of an operation's response is: a reference, or the response inline. */
  private static String schemaPointer(JsonNode op, String code, JsonNode response) {
    JsonNode schema = response.get("content").get("application/json").get("schema");
    if (schema.has("$ref")) {
      return schema.get("$ref").asString();
    }
    throw new AssertionError(op.get("operationId").asString() + " " + code + ": response schemas are named components");
  }

  private JsonNode resolve(JsonNode node) {
    while (node.has("$ref")) {
      node = doc.at(node.get("$ref").asString().substring(1));
    }
    return node;
  }

  private Schema schema(String pointer) {
    return compiled.computeIfAbsent(pointer, p -> {
      String name = p.substring("#/components/schemas/".length());
      ObjectNode s = MAPPER.createObjectNode();
      s.put("$schema", "https://json-schema.org/draft/2020-12/schema");
      s.set("$defs", defs);
      s.put("$ref", "#/$defs/" + name);
      return SCHEMAS.getSchema(s);
    });
  }

  private static JsonNode rewriteRefs(JsonNode n) {
    if (n instanceof ObjectNode o) {
      JsonNode ref = o.get("$ref");
      if (ref != null && ref.isString()) {
        o.put("$ref", ref.asString().replace("#/components/schemas/", "#/$defs/"));
      }
      for (Iterator<JsonNode> it = o.values().iterator(); it.hasNext();) {
        rewriteRefs(it.next());
      }
    } else if (n != null && n.isArray()) {
      n.forEach(OpenApiContract::rewriteRefs);
    }
    return n;
  }

  /** Every object schema that lists properties and says nothing of others refuses others. */
  private static JsonNode strict(JsonNode n) {
    if (n instanceof ObjectNode o) {
      if (o.has("properties") && !o.has("additionalProperties") && !o.has("unevaluatedProperties")) {
        o.put("additionalProperties", false);
      }
      for (Iterator<JsonNode> it = o.values().iterator(); it.hasNext();) {
        strict(it.next());
      }
    } else if (n != null && n.isArray()) {
      n.forEach(OpenApiContract::strict);
    }
    return n;
  }

  private static String shorten(String s) {
    return s.length() <= 400 ? s : s.substring(0, 397) + "...";
  }
}
