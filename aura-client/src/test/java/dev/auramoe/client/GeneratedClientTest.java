package dev.auramoe.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import dev.auramoe.TextEmbedder;
import dev.auramoe.client.api.DurabilityApi;
import dev.auramoe.client.api.ExpertsApi;
import dev.auramoe.client.api.FeedbackApi;
import dev.auramoe.client.api.InferenceApi;
import dev.auramoe.client.api.ModelsApi;
import dev.auramoe.client.api.ServiceApi;
import dev.auramoe.client.api.StreamsApi;
import dev.auramoe.client.model.ExpertChange;
import dev.auramoe.client.model.ExpertInfo;
import dev.auramoe.client.model.ExpertRename;
import dev.auramoe.client.model.ExpertSpec;
import dev.auramoe.client.model.Feedback;
import dev.auramoe.client.model.FeedbackOutcome;
import dev.auramoe.client.model.Health;
import dev.auramoe.client.model.Input;
import dev.auramoe.client.model.InputBatch;
import dev.auramoe.client.model.Learned;
import dev.auramoe.client.model.LearnedBatch;
import dev.auramoe.client.model.ModelInfo;
import dev.auramoe.client.model.ModelSettings;
import dev.auramoe.client.model.ModelSpec;
import dev.auramoe.client.model.Routing;
import dev.auramoe.client.model.Sample;
import dev.auramoe.client.model.SampleBatch;
import dev.auramoe.client.model.SnapshotUpload;
import dev.auramoe.client.model.Stats;
import dev.auramoe.client.model.StreamPage;
import dev.auramoe.server.RoutingServer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java client that OpenAPI Generator makes from the served document (library native:
 * java.net.http and Jackson) drives every operation of a real server, durable and with a text
 * embedder, and reads refusals as typed error bodies. The client's mapper refuses fields the
 * document does not name, so an answer that grew a field the document lacks fails here too.
 */
class GeneratedClientTest {

  /** A fixed text embedder: letters counted into bins, scaled to unit length (the server only needs a vector). */
  private static final class LetterCounts implements TextEmbedder {
    private final int dimension;

    LetterCounts(int dimension) {
      this.dimension = dimension;
    }

    @Override
    public int dimension() {
      return dimension;
    }

    @Override
    public int vocabularySize() {
      return 65_536;
    }

    @Override
    public Embedded embed(String text) {
      if (text == null || text.isBlank()) {
        throw new IllegalArgumentException("the text is empty or blank");
      }
      float[] v = new float[dimension];
      text.chars().forEach(c -> v[c % dimension] += 1);
      double norm = 0;
      for (float f : v) {
        norm += f * f;
      }
      for (int i = 0; i < dimension; i++) {
        v[i] /= (float) Math.sqrt(norm);
      }
      return new Embedded(v, text.chars().toArray());
    }
  }

  private static ApiClient client(RoutingServer server) {
    ApiClient c = new ApiClient();
    c.updateBaseUri("http://127.0.0.1:" + server.port());
    // The generated default ignores unknown fields (a client must survive a newer server); here they fail.
    c.setObjectMapper(ApiClient.createDefaultObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES,
        true));
    return c;
  }

  /** The typed error body of a refusal, which must repeat its HTTP status. */
  private static dev.auramoe.client.model.Error refusal(ApiClient c, ApiException e) throws Exception {
    dev.auramoe.client.model.Error body = c.getObjectMapper().readValue(e.getResponseBody(),
        dev.auramoe.client.model.Error.class);
    assertThat(body.getStatus()).isEqualTo(e.getCode());
    return body;
  }

  @Test
  void theGeneratedClientDrivesEveryOperationOfARealServer(@TempDir Path data) throws Exception {
    try (RoutingServer server = RoutingServer.builder().port(0).dataDir(data).textEmbedder(new LetterCounts(16))
        .build().start()) {
      ApiClient c = client(server);
      ServiceApi service = new ServiceApi(c);
      ModelsApi models = new ModelsApi(c);
      ExpertsApi experts = new ExpertsApi(c);
      InferenceApi inference = new InferenceApi(c);
      FeedbackApi feedback = new FeedbackApi(c);
      StreamsApi streams = new StreamsApi(c);
      DurabilityApi durability = new DurabilityApi(c);

      ModelInfo created = models.createModel(new ModelSpec().name("m").inputDim(4).experts(4).hidden(8).feedback(true));
      assertThat(created.getConfig().getInputDim()).isEqualTo(4);
      assertThat(created.getExpertNames()).containsExactly("e0", "e1", "e2", "e3");
      assertThat(created.getSettings().getFeedback()).isTrue();
      models.createModel(new ModelSpec().name("t").inputDim(16).experts(4).feedback(true).feedbackMaxDrift(2.0));
      assertThat(models.listModels().getModels()).extracting(s -> s.getName()).containsExactly("m", "t");
      assertThat(models.getModel("m", true).getDigest()).hasSize(64);
      assertThat(models.getModel("m", null).getDigest()).isNull();
      assertThat(models.configureModel("m", new ModelSettings().temperature(0.8).balance(false)).getSettings()
          .getTemperature()).isEqualTo(0.8, org.assertj.core.data.Offset.offset(1e-6));

      assertThat(experts.listExperts("m").getExperts()).extracting(ExpertInfo::getKind)
          .containsOnly(ExpertInfo.KindEnum.NLMS);
      ExpertChange added = experts.addExpert("m", new ExpertSpec().name("rls-1").kind(ExpertSpec.KindEnum.RLS).lambda(0.995));
      assertThat(added.getIndex()).isEqualTo(4);
      assertThat(experts.renameExpert("m", "rls-1", new ExpertRename().name("slow")).getExpertNames()).contains("slow");
      assertThat(experts.removeExpert("m", "slow").getExpertNames()).containsExactly("e0", "e1", "e2", "e3");

      List<Float> x = List.of(1f, 2f, 3f, 4f);
      assertThat(streams.openStream("m", "sensor-7").getOpened()).isTrue();
      StreamPage page = streams.listStreams("m", null, 1);
      assertThat(page.getStreams()).containsExactly("default");
      assertThat(page.getNext()).isEqualTo("default");
      assertThat(streams.listStreams("m", page.getNext(), null).getStreams()).containsExactly("sensor-7");
      Routing routed = inference.route("m", new Input().x(x).stream("sensor-7"));
      assertThat(routed.getExperts()).hasSize(2);
      assertThat(routed.getStream()).isEqualTo("sensor-7");
      assertThat(routed.getRouteId()).isNotNull();
      assertThat(inference.routeBatch("m", new InputBatch().xs(List.of(x, x))).getResults()).hasSize(2);
      assertThat(inference.predict("m", new Input().x(x)).getPrediction()).hasSize(1);
      assertThat(inference.predictBatch("m", new InputBatch().xs(List.of(x))).getCount()).isEqualTo(1);
      Learned learned = inference.learn("m", new Sample().x(x).y(List.of(0.5f)));
      assertThat(learned.getSquaredError()).isEqualTo(0.25);
      assertThat(learned.getSeq()).isPositive();
      LearnedBatch batch = inference.learnBatch("m", new SampleBatch().xs(List.of(x)).ys(List.of(List.of(0.5f))));
      assertThat(batch.getSeq()).isGreaterThan(learned.getSeq());
      assertThat(streams.resetStream("m", "sensor-7").getReset()).isTrue();
      assertThat(streams.closeStream("m", "sensor-7").getClosed()).isTrue();

      Routing text = inference.route("t", new Input().text("my invoice was charged twice"));
      assertThat(text.getRouteId()).matches("[0-9a-f]{16}-[0-9]+-r[0-9]+");
      assertThat(inference.predict("t", new Input().text("where is my parcel")).getPrediction()).hasSize(1);
      assertThat(inference.learn("t", new Sample().text("refund the duplicate payment").y(List.of(1f))).getSeq())
          .isPositive();
      FeedbackOutcome outcome = feedback.giveFeedback("t", new Feedback().routeId(text.getRouteId())
          .expert(text.getExpertNames().getFirst()).reward(1.0));
      assertThat(outcome.getChange()).isPositive();
      assertThat(outcome.getDrift()).isNotNull();
      assertThat(feedback.getFeedback("t").getEnabled()).isTrue();
      assertThat(feedback.anchorFeedback("t").getAnchored()).isTrue();
      assertThat(feedback.rollbackFeedback("t").getDrift()).isZero();

      Stats stats = models.getStats("m");
      assertThat(stats.getBalance().getCounts()).hasSize(4);
      assertThat(stats.getEnergy().getComponents()).containsKey("ROUTER");
      String digest = models.getModel("m", true).getDigest();
      assertThat(durability.snapshotModel("m").getModel()).isEqualTo("m");
      inference.learn("m", new Sample().x(x).y(List.of(2f)));
      assertThat(durability.restoreModel("m").getDigest()).isEqualTo(digest);
      // Out as a snapshot file, and in again as another model with the same state.
      java.io.File exported = models.exportModel("m");
      byte[] snapshot = java.nio.file.Files.readAllBytes(exported.toPath());
      exported.delete();
      assertThat(dev.auramoe.Snapshots.digest(dev.auramoe.Snapshots.fromBytes(snapshot, null))).isEqualTo(digest);
      ModelInfo imported = models.importModel("copy", new SnapshotUpload().snapshot(snapshot));
      assertThat(imported.getDigest()).isEqualTo(digest);
      assertThat(imported.getConfig().getInputDim()).isEqualTo(4);
      ApiException importedTwice = org.junit.jupiter.api.Assertions.assertThrows(ApiException.class,
          () -> models.importModel("copy", new SnapshotUpload().snapshot(snapshot)));
      assertThat(importedTwice.getCode()).isEqualTo(409);
      refusal(c, importedTwice);
      ApiException damaged = org.junit.jupiter.api.Assertions.assertThrows(ApiException.class,
          () -> models.importModel("other", new SnapshotUpload().snapshot(java.util.Arrays.copyOf(snapshot, 100))));
      assertThat(damaged.getCode()).isEqualTo(400);
      assertThat(refusal(c, damaged).getError()).contains("not a valid snapshot");
      assertThat(models.deleteModel("m").getDeleted()).isEqualTo("m");

      Health health = service.getHealth();
      assertThat(health.getStatus()).isEqualTo(Health.StatusEnum.UP);
      assertThat(health.getRecovery().getLogFailed()).isFalse();
      assertThat(service.getMetrics()).contains("# TYPE");
      assertThat(service.getOpenApi().getOpenapi()).startsWith("3.1");

      // Refusals, typed.
      ApiException unknown = org.junit.jupiter.api.Assertions.assertThrows(ApiException.class, () -> models.getModel("m", null));
      assertThat(unknown.getCode()).isEqualTo(404);
      assertThat(refusal(c, unknown).getError()).contains("'m'");
      ApiException taken = org.junit.jupiter.api.Assertions.assertThrows(ApiException.class,
          () -> models.createModel(new ModelSpec().name("t").inputDim(16)));
      assertThat(taken.getCode()).isEqualTo(409);
      refusal(c, taken);
      ApiException shape = org.junit.jupiter.api.Assertions.assertThrows(ApiException.class,
          () -> inference.route("t", new Input().x(List.of(1f, 2f))));
      assertThat(shape.getCode()).isEqualTo(400);
      assertThat(refusal(c, shape).getError()).contains("length 16");
      ApiException both = org.junit.jupiter.api.Assertions.assertThrows(ApiException.class,
          () -> inference.route("t", new Input().x(List.of(1f)).text("both")));
      assertThat(both.getCode()).isEqualTo(400);
      refusal(c, both);
      ApiException again = org.junit.jupiter.api.Assertions.assertThrows(ApiException.class,
          () -> feedback.giveFeedback("t", new Feedback().routeId(text.getRouteId())
              .expert(text.getExpertNames().getFirst()).reward(1.0)));
      assertThat(again.getCode()).isEqualTo(409);
      refusal(c, again);
      ApiException range = org.junit.jupiter.api.Assertions.assertThrows(ApiException.class,
          () -> feedback.giveFeedback("t", new Feedback().routeId(text.getRouteId()).expert("e0").reward(2.0)));
      assertThat(range.getCode()).isEqualTo(400);
      refusal(c, range);
    }
  }

  @Test
  void aServerWithATokenRefusesTheClientWithoutItAndTakesItWithIt() throws Exception {
    String token = "a-token-of-twenty-chars";
    try (RoutingServer server = RoutingServer.builder().port(0).token(token).build().start()) {
      ApiClient c = client(server);
      ModelsApi models = new ModelsApi(c);
      ApiException refused = org.junit.jupiter.api.Assertions.assertThrows(ApiException.class,
          () -> models.createModel(new ModelSpec().name("m").inputDim(2)));
      assertThat(refused.getCode()).isEqualTo(401);
      assertThat(refused.getResponseHeaders().firstValue("WWW-Authenticate")).hasValue("Bearer");
      assertThat(refusal(c, refused).getError()).contains("bearer token");
      assertThat(models.listModels().getCount()).as("reads stay open").isZero();

      ApiClient withToken = client(server).setRequestInterceptor(b -> b.header("Authorization", "Bearer " + token));
      assertThat(new ModelsApi(withToken).createModel(new ModelSpec().name("m").inputDim(2)).getName()).isEqualTo("m");
      assertThat(new ServiceApi(withToken).getHealth().getStatus()).isEqualTo(Health.StatusEnum.UP);
    }
  }
}
