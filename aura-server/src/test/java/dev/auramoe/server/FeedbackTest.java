package dev.auramoe.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * Feedback over HTTP against a real server: routes answer a route id only with the model's feedback
 * on, a reward moves the router by a bounded step, adversarial rewards never take the router past its
 * drift cap, a rollback restores the anchor bit for bit, freezing stops learning, the route memory is
 * counted against the model's limit, and every bad feedback (reward out of range, unknown or unchosen
 * expert, a route id never issued, expired or from another start, a second feedback) is a clear
 * error that changes nothing.
 */
class FeedbackTest {

  private static final int IN = 5;

  private static RoutingServer start() {
    return RoutingServer.builder().port(0).build().start();
  }

  private static Map<String, Object> spec(String name, Object... feedback) {
    Map<String, Object> m = new HashMap<>(Map.of("name", name, "inputDim", IN, "experts", 4, "topK", 2, "hidden", 6,
        "seed", 11));
    for (int i = 0; i < feedback.length; i += 2) {
      m.put((String) feedback[i], feedback[i + 1]);
    }
    return m;
  }

  private static void create(TestClient c, Map<String, Object> spec) {
    TestClient.Response r = c.postJson("/v1/models", spec);
    assertThat(r.status()).as(r.body()).isEqualTo(201);
  }

  private static List<Double> x(Random rnd) {
    List<Double> x = new ArrayList<>();
    for (int i = 0; i < IN; i++) {
      x.add(rnd.nextGaussian());
    }
    return x;
  }

  private static JsonNode route(TestClient c, String model, List<Double> x) {
    TestClient.Response r = c.postJson("/v1/models/" + model + "/route", Map.of("x", x));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.json();
  }

  private static TestClient.Response feedback(TestClient c, String model, String routeId, String expert,
      Object reward) {
    Map<String, Object> body = new HashMap<>();
    body.put("routeId", routeId);
    body.put("expert", expert);
    body.put("reward", reward);
    return c.postJson("/v1/models/" + model + "/feedback", body);
  }

  private static float[] router(RoutingServer server, String model) {
    return server.registry().get(model).model().routerParameters();
  }

  private static double distance(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      double d = (double) a[i] - b[i];
      s += d * d;
    }
    return Math.sqrt(s);
  }

  private static TestClient.Response patch(TestClient c, String model, String body) {
    return c.send("PATCH", "/v1/models/" + model, body);
  }

  @Test
  void routesWaitForFeedbackOnlyWhileItIsOn() {
    try (RoutingServer server = start()) {
      TestClient c = new TestClient(server.port());
      create(c, spec("m"));
      Random rnd = new Random(1);
      JsonNode r = route(c, "m", x(rnd));
      assertThat(r.has("routeId")).isFalse();
      assertError(feedback(c, "m", "0123456789abcdef-1-r1", "e0", 1), 409, "feedback is off for model 'm'");
      assertError(c.post("/v1/models/m/feedback/anchor", ""), 409, "feedback is off");
      assertError(c.post("/v1/models/m/feedback/rollback", ""), 409, "feedback is off");
      JsonNode info = c.get("/v1/models/m/feedback").json();
      assertThat(info.get("enabled").asBoolean()).isFalse();
      assertThat(info.get("drift").isNull()).isTrue();
      assertThat(info.get("routeMemoryParameters").asLong()).isZero();

      TestClient.Response on = patch(c, "m", "{\"feedback\":true,\"feedbackRememberedRoutes\":100}");
      assertThat(on.status()).as(on.body()).isEqualTo(200);
      assertThat(on.json().at("/settings/feedback").asBoolean()).isTrue();
      r = route(c, "m", x(rnd));
      assertThat(r.get("routeId").asText()).matches("[0-9a-f]{16}-[0-9]+-r1");
      info = c.get("/v1/models/m/feedback").json();
      assertThat(info.get("pendingRoutes").asInt()).isEqualTo(1);
      assertThat(info.get("drift").asDouble()).isZero();
      // Per route: hidden 6 + inputDim 5 + experts 4 + topK 2 + 50.
      assertThat(info.get("routeMemoryParameters").asLong()).isEqualTo(100L * (6 + 5 + 4 + 2 + 50));
      assertThat(c.get("/v1/models/m").json().at("/settings/feedbackRememberedRoutes").asInt()).isEqualTo(100);
      // Batch routes remember nothing.
      TestClient.Response batch = c.postJson("/v1/models/m/route/batch", Map.of("xs", List.of(x(rnd), x(rnd))));
      assertThat(batch.body()).doesNotContain("routeId");
    }
  }

  @Test
  void aRewardMovesTheChosenExpertsLogitByABoundedStep() {
    try (RoutingServer server = start()) {
      TestClient c = new TestClient(server.port());
      create(c, spec("m", "feedback", true, "feedbackMaxStep", 0.05));
      Random rnd = new Random(2);
      List<Double> x = x(rnd);
      JsonNode r = route(c, "m", x);
      String expert = r.get("expertNames").get(0).asText();
      int e = r.get("experts").get(0).asInt();
      double p = r.get("probabilities").get(e).asDouble();
      float[] before = router(server, "m");
      TestClient.Response f = feedback(c, "m", r.get("routeId").asText(), expert, 1);
      assertThat(f.status()).as(f.body()).isEqualTo(200);
      JsonNode o = f.json();
      assertThat(o.get("routeId").asText()).isEqualTo(r.get("routeId").asText());
      assertThat(o.get("expert").asText()).isEqualTo(expert);
      assertThat(o.get("reward").asDouble()).isEqualTo(1.0);
      assertThat(o.get("frozen").asBoolean()).isFalse();
      assertThat(o.get("seq").asLong()).isPositive();
      double change = o.get("change").asDouble();
      assertThat(change).isPositive().isLessThanOrEqualTo(0.05 * (1 + 1e-5));
      assertThat(distance(router(server, "m"), before)).isCloseTo(change, org.assertj.core.data.Offset.offset(1e-6));
      // without a drift cap a feedback does not measure the drift (null); GET .../feedback does
      assertThat(o.get("drift").isNull()).as(f.body()).isTrue();
      assertThat(c.get("/v1/models/m/feedback").json().get("drift").asDouble())
          .isCloseTo(change, org.assertj.core.data.Offset.offset(1e-6));
      // The same input, routed again from the same state, gives the rewarded expert more probability.
      assertThat(c.post("/v1/models/m/streams/default/reset", "").status()).isEqualTo(200);
      assertThat(c.postJson("/v1/models/m/route", Map.of("x", x)).json().get("probabilities").get(e).asDouble())
          .isGreaterThan(p);
    }
  }

  @Test
  void badFeedbackIsRefusedWithAClearErrorAndChangesNothing() {
    try (RoutingServer server = start()) {
      TestClient c = new TestClient(server.port());
      create(c, spec("m", "feedback", true));
      Random rnd = new Random(3);
      JsonNode r = route(c, "m", x(rnd));
      String id = r.get("routeId").asText();
      String chosen = r.get("expertNames").get(0).asText();
      String other = r.get("expertNames").get(1).asText();
      List<String> all = List.of("e0", "e1", "e2", "e3");
      String notChosen = all.stream().filter(n -> !n.equals(chosen) && !n.equals(other)).findFirst().orElseThrow();
      String epoch = id.substring(0, 16);
      String otherEpoch = (epoch.charAt(0) == '0' ? "1" : "0") + epoch.substring(1);
      String never = id.substring(0, id.lastIndexOf('r')) + "r999";
      float[] router = router(server, "m");
      String digest = c.digest("m");
      Object[][] cases = {
          {id, chosen, 1.5, 400, "reward must lie in [0, 1], got 1.5"},
          {id, chosen, -0.01, 400, "reward must lie in [0, 1]"},
          {id, chosen, "NaN", 400, "field 'reward' must be a finite number"},
          {id, chosen, true, 400, "field 'reward' must be a finite number"},
          {id, chosen, null, 400, "fields 'routeId', 'expert' and 'reward' are required"},
          {id, "nobody", 1, 404, "model 'm' has no expert named 'nobody'"},
          {id, notChosen, 1, 400, "expert '" + notChosen + "' was not chosen by route '" + id + "'"},
          {never, chosen, 1, 404, "route id '" + never + "' was never issued by model 'm'"},
          {"r1", chosen, 1, 404, "route id 'r1' was never issued"},
          {"x".repeat(5000), chosen, 1, 404, "was never issued"},
          {otherEpoch + id.substring(16), chosen, 1, 410, "issued before the server last started"},
      };
      for (Object[] k : cases) {
        assertError(feedback(c, "m", (String) k[0], (String) k[1], k[2]), (int) k[3], (String) k[4]);
      }
      assertError(c.post("/v1/models/m/feedback", "{\"routeId\":\"" + id + "\",\"expert\":\"" + chosen
          + "\",\"reward\":1e400}"), 400, "must be a finite number");
      assertError(c.post("/v1/models/m/feedback", "{\"routeId\":\"" + id + "\",\"expert\":\"" + chosen
          + "\",\"reward\":1,\"boost\":9}"), 400, "unknown field 'boost'");
      assertError(c.post("/v1/models/m/feedback", "{\"routeId\":1,\"expert\":\"e0\",\"reward\":1}"), 400,
          "field 'routeId' must be a string");
      assertError(feedback(c, "nope", id, chosen, 1), 404, "unknown model 'nope'");
      assertThat(router(server, "m")).isEqualTo(router);
      assertThat(c.digest("m")).isEqualTo(digest);
      // The route is still waiting: a good feedback goes through, a second for the same expert does not.
      assertThat(feedback(c, "m", id, chosen, 0.5).status()).isEqualTo(200);
      router = router(server, "m");
      digest = c.digest("m");
      assertError(feedback(c, "m", id, chosen, 0.5), 409, "route '" + id + "' already has feedback for expert '"
          + chosen + "'");
      assertThat(feedback(c, "m", id, other, 0).status()).isEqualTo(200);
      // Both chosen experts had theirs: the route is done.
      router = router(server, "m");
      digest = c.digest("m");
      assertError(feedback(c, "m", id, chosen, 1), 410, "route '" + id + "' has expired or has had all its feedback");
      assertThat(router(server, "m")).isEqualTo(router);
      assertThat(c.digest("m")).isEqualTo(digest);
    }
  }

  /**
   * A route id is matched exactly as issued: the route memory's number written with a leading zero,
   * or the memory 0 that is never issued, names no route. Before the fix "...-01-r1" was read as
   * "...-1-r1" and its feedback changed the router, and "...-0-r1" answered 410 (expired).
   */
  @Test
  void aRouteIdInAnotherFormThanIssuedNamesNoRouteAndChangesNothing() {
    try (RoutingServer server = start()) {
      TestClient c = new TestClient(server.port());
      create(c, spec("m", "feedback", true));
      JsonNode r = route(c, "m", x(new Random(9)));
      String id = r.get("routeId").asText();
      String expert = r.get("expertNames").get(0).asText();
      assertThat(id).matches("[0-9a-f]{16}-1-r1");
      String epoch = id.substring(0, 16);
      float[] router = router(server, "m");
      String digest = c.digest("m");
      for (String never : List.of(epoch + "-01-r1", epoch + "-001-r1", epoch + "-0-r1", epoch + "-00-r1")) {
        assertError(feedback(c, "m", never, expert, 1), 404, "was never issued");
      }
      assertThat(bits(router(server, "m"))).isEqualTo(bits(router));
      assertThat(c.digest("m")).isEqualTo(digest);
      // The route itself still waits for its feedback.
      assertThat(feedback(c, "m", id, expert, 1).status()).isEqualTo(200);
    }
  }

  @Test
  void routesExpireByAgeByNumberAndWithANewRouteMemory() {
    try (RoutingServer server = start()) {
      TestClient c = new TestClient(server.port());
      create(c, spec("m", "feedback", true, "feedbackRememberedRoutes", 2));
      Random rnd = new Random(4);
      JsonNode first = route(c, "m", x(rnd));
      route(c, "m", x(rnd));
      JsonNode third = route(c, "m", x(rnd));
      assertError(feedback(c, "m", first.get("routeId").asText(), first.get("expertNames").get(0).asText(), 1), 410,
          "the last 2 at most");
      assertThat(c.get("/v1/models/m/feedback").json().get("pendingRoutes").asInt()).isEqualTo(2);
      // New rules: a new route memory, and the routes waiting expire.
      assertThat(patch(c, "m", "{\"feedbackMaxStep\":0.5}").status()).isEqualTo(200);
      assertError(feedback(c, "m", third.get("routeId").asText(), third.get("expertNames").get(0).asText(), 1), 410,
          "started a new route memory");
      JsonNode fourth = route(c, "m", x(rnd));
      assertThat(fourth.get("routeId").asText()).endsWith("-r1")
          .isNotEqualTo(first.get("routeId").asText()).isNotEqualTo(third.get("routeId").asText());
      // An expert-set change: the same.
      assertThat(c.postJson("/v1/models/m/experts", Map.of("name", "late")).status()).isEqualTo(201);
      assertError(feedback(c, "m", fourth.get("routeId").asText(), fourth.get("expertNames").get(0).asText(), 1), 410,
          "started a new route memory");
      // Age.
      assertThat(patch(c, "m", "{\"feedbackRouteLifetimeSeconds\":0.001}").status()).isEqualTo(200);
      JsonNode old = route(c, "m", x(rnd));
      LockSupport.parkNanos(50_000_000);
      assertError(feedback(c, "m", old.get("routeId").asText(), old.get("expertNames").get(0).asText(), 1), 410,
          "has expired");
      // Off, then on: the routes before are gone too.
      assertThat(patch(c, "m", "{\"feedbackRouteLifetimeSeconds\":3600}").status()).isEqualTo(200);
      JsonNode waiting = route(c, "m", x(rnd));
      assertThat(patch(c, "m", "{\"feedback\":false}").status()).isEqualTo(200);
      assertThat(route(c, "m", x(rnd)).has("routeId")).isFalse();
      assertThat(patch(c, "m", "{\"feedback\":true}").status()).isEqualTo(200);
      assertError(feedback(c, "m", waiting.get("routeId").asText(), waiting.get("expertNames").get(0).asText(), 1),
          410, "started a new route memory");
    }
  }

  @Test
  void adversarialRewardsNeverTakeTheRouterPastItsDriftCap() {
    double maxStep = 0.2;
    double maxDrift = 0.5;
    try (RoutingServer server = start()) {
      TestClient c = new TestClient(server.port());
      create(c, spec("m", "feedback", true, "feedbackMaxStep", maxStep, "feedbackMaxDrift", maxDrift));
      float[] anchor = router(server, "m");
      Random rnd = new Random(5);
      int capped = 0;
      int bounded = 0;
      List<Double> same = List.of(0.8, -0.8, 0.8, -0.8, 0.8);
      for (int i = 0; i < 150; i++) {
        // The same input punished every time: each chosen expert's logit goes down along the same
        // direction, and since the others' probabilities rise in turn, the push never fades. Every
        // third route is a random input rewarded to the full, and every seventh a huge one.
        boolean punish = i % 3 != 0;
        List<Double> x = punish ? same : x(rnd);
        if (i % 7 == 0) {
          x = new ArrayList<>(x);
          x.replaceAll(v -> v * 1e30);
        }
        JsonNode r = route(c, "m", x);
        for (int k = 0; k < 2; k++) {
          TestClient.Response f = feedback(c, "m", r.get("routeId").asText(), r.get("expertNames").get(k).asText(),
              punish ? 0 : 1);
          assertThat(f.status()).as(f.body()).isEqualTo(200);
          JsonNode o = f.json();
          assertThat(o.get("change").asDouble()).isLessThanOrEqualTo(maxStep * (1 + 1e-5));
          assertThat(o.get("drift").asDouble()).isLessThanOrEqualTo(maxDrift * (1 + 1e-5));
          assertThat(distance(router(server, "m"), anchor)).isLessThanOrEqualTo(maxDrift * (1 + 1e-5));
          capped += o.get("driftCapped").asBoolean() ? 1 : 0;
          bounded += o.get("stepBounded").asBoolean() ? 1 : 0;
        }
      }
      assertThat(capped).as("the cap acted").isPositive();
      assertThat(bounded).as("steps were bounded").isPositive();
      // A learn moves the router too; the next feedback takes it back within the cap.
      for (int i = 0; i < 20; i++) {
        List<Double> x = x(rnd);
        x.replaceAll(v -> v * 1e3);
        assertThat(c.postJson("/v1/models/m/learn", Map.of("x", x, "y", List.of(i % 2 * 100))).status())
            .isEqualTo(200);
      }
      JsonNode r = route(c, "m", x(rnd));
      JsonNode o = feedback(c, "m", r.get("routeId").asText(), r.get("expertNames").get(0).asText(), 1).json();
      assertThat(o.get("drift").asDouble()).isLessThanOrEqualTo(maxDrift * (1 + 1e-5));
      assertThat(distance(router(server, "m"), anchor)).isLessThanOrEqualTo(maxDrift * (1 + 1e-5));
    }
  }

  @Test
  void aRollbackRestoresTheAnchorBitForBitAndFreezingStopsLearning() {
    try (RoutingServer server = start()) {
      TestClient c = new TestClient(server.port());
      create(c, spec("m", "feedback", true, "feedbackMaxStep", 0.3));
      Random rnd = new Random(6);
      giveFeedback(c, "m", rnd, 10);
      TestClient.Response a = c.post("/v1/models/m/feedback/anchor", "");
      assertThat(a.status()).as(a.body()).isEqualTo(200);
      assertThat(a.json().get("anchored").asBoolean()).isTrue();
      float[] anchor = router(server, "m");
      assertThat(c.get("/v1/models/m/feedback").json().get("drift").asDouble()).isZero();
      giveFeedback(c, "m", rnd, 10);
      double drift = c.get("/v1/models/m/feedback").json().get("drift").asDouble();
      assertThat(drift).isPositive();
      TestClient.Response back = c.post("/v1/models/m/feedback/rollback", "");
      assertThat(back.status()).as(back.body()).isEqualTo(200);
      assertThat(back.json().get("moved").asDouble()).isEqualTo(drift);
      assertThat(bits(router(server, "m"))).isEqualTo(bits(anchor));
      assertThat(c.get("/v1/models/m/feedback").json().get("drift").asDouble()).isZero();

      // Frozen: feedback is checked and answered, and nothing changes; the routes keep waiting.
      JsonNode waiting = route(c, "m", x(rnd));
      assertThat(patch(c, "m", "{\"feedbackFrozen\":true}").status()).isEqualTo(200);
      String digest = c.digest("m");
      JsonNode r = route(c, "m", x(rnd));
      digest = c.digest("m");
      TestClient.Response f = feedback(c, "m", r.get("routeId").asText(), r.get("expertNames").get(0).asText(), 1);
      assertThat(f.status()).as(f.body()).isEqualTo(200);
      assertThat(f.json().get("frozen").asBoolean()).isTrue();
      assertThat(f.json().get("change").asDouble()).isZero();
      assertThat(f.json().get("seq").isNull()).isTrue();
      assertThat(c.digest("m")).isEqualTo(digest);
      assertThat(patch(c, "m", "{\"feedbackFrozen\":false}").status()).isEqualTo(200);
      f = feedback(c, "m", waiting.get("routeId").asText(), waiting.get("expertNames").get(0).asText(), 1);
      assertThat(f.status()).as(f.body()).isEqualTo(200);
      assertThat(f.json().get("change").asDouble()).isPositive();
    }
  }

  @Test
  void theRouteMemoryIsCountedAndItsSettingsAreChecked() {
    try (RoutingServer server = RoutingServer.builder().port(0)
        .limits(ServerLimits.DEFAULT.withMaxParameters(200_000)).build().start()) {
      TestClient c = new TestClient(server.port());
      // 10,000 routes of 6 + 5 + 4 + 2 + 50 parameters: 670,000, over the limit.
      assertError(c.postJson("/v1/models", spec("big", "feedback", true)), 400, "remember fewer routes");
      assertThat(c.get("/v1/models/big").status()).isEqualTo(404);
      create(c, spec("m", "feedback", true, "feedbackRememberedRoutes", 1000));
      assertThat(c.get("/v1/models/m").json().at("/config/parameters").asLong()).isPositive();
      JsonNode settings = c.get("/v1/models/m").json().get("settings");
      assertError(patch(c, "m", "{\"feedbackRememberedRoutes\":5000}"), 409, "remember fewer routes");
      Object[][] bad = {
          {"{\"feedbackMaxStep\":0}", "feedbackMaxStep must be finite and > 0"},
          {"{\"feedbackMaxStep\":-1}", "feedbackMaxStep must be finite and > 0"},
          {"{\"feedbackMaxDrift\":-0.5}", "feedbackMaxDrift must be finite and > 0, or 0 for no cap"},
          {"{\"feedbackRememberedRoutes\":0}", "feedbackRememberedRoutes must lie in [1, 10000000]"},
          {"{\"feedbackRememberedRoutes\":1.5}", "field 'feedbackRememberedRoutes' must be an integer"},
          {"{\"feedbackRouteLifetimeSeconds\":0}", "feedbackRouteLifetimeSeconds must lie in [0.001, 1000000000]"},
          {"{\"feedbackRouteLifetimeSeconds\":1e12}", "feedbackRouteLifetimeSeconds must lie in"},
          {"{\"feedback\":\"yes\"}", "field 'feedback' must be true or false"},
          {"{\"feedbackFrozen\":1}", "field 'feedbackFrozen' must be true or false"},
      };
      for (Object[] b : bad) {
        assertError(patch(c, "m", (String) b[0]), 400, (String) b[1]);
        String field = ((String) b[0]).substring(2, ((String) b[0]).indexOf('"', 2));
        Map<String, Object> s = spec("n", "feedback", true);
        s.put(field, TestClient.MAPPER.readTree((String) b[0]).get(field));
        assertError(c.postJson("/v1/models", s), 400, (String) b[1]);
      }
      assertThat(c.get("/v1/models/m").json().get("settings")).isEqualTo(settings);
      assertThat(c.get("/v1/models/n").status()).isEqualTo(404);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Routes and rewards each route's first chosen expert with a reward drawn at random. */
  static void giveFeedback(TestClient c, String model, Random rnd, int n) {
    for (int i = 0; i < n; i++) {
      JsonNode r = route(c, model, x(rnd));
      TestClient.Response f = feedback(c, model, r.get("routeId").asText(), r.get("expertNames").get(0).asText(),
          rnd.nextDouble());
      assertThat(f.status()).as(f.body()).isEqualTo(200);
    }
  }

  static int[] bits(float[] v) {
    int[] b = new int[v.length];
    for (int i = 0; i < v.length; i++) {
      b[i] = Float.floatToRawIntBits(v[i]);
    }
    return b;
  }

  private static void assertError(TestClient.Response r, int status, String contains) {
    assertThat(r.status()).as(r.body()).isEqualTo(status);
    assertThat(r.contentType()).startsWith("application/json");
    assertThat(r.json().get("status").asInt()).isEqualTo(status);
    assertThat(r.json().get("error").asText()).contains(contains);
    assertThat(r.body()).doesNotContain("at dev.auramoe").hasSizeLessThan(1000);
  }
}
