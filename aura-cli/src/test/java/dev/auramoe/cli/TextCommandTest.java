package dev.auramoe.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.auramoe.text.SentenceEncoder;
import dev.auramoe.text.TextRouter;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code aura text route}: what a router reads of a text, where it sends it and why. */
class TextCommandTest {

  @Test
  void anUntrainedRouterOverNamedExpertsRoutesAndExplains(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("route.json");
    CliTest.Run r = CliTest.run("text", "route", "--experts", "search,small-model,large-model", "--json",
        json.toString(), "the", "compiler", "compiler", "crashed");
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("text          29 chars, 4 tokens (the encoder reads all of them)")
        .containsPattern("route         r1-[0-9a-f]{8}: 2 of 3 experts").contains("probabilities ")
        .contains("winning tokens 'compiler' (2)");
    assertThat(r.err()).contains("an untrained router");
    JsonNode doc = Json.mapper().readTree(json.toFile());
    assertThat(doc.get("tokens").asInt()).isEqualTo(4);
    assertThat(doc.get("chosen")).hasSize(2);
    assertThat(CliTest.fieldNames(doc.get("probabilities"))).containsExactly("search", "small-model", "large-model");
    double sum = 0;
    for (JsonNode p : doc.get("probabilities")) {
      sum += p.asDouble();
    }
    assertThat(sum).isBetween(0.9999, 1.0001);
    assertThat(doc.get("winningTokens").get(0).get("token").asText()).isEqualTo("compiler");
    assertThat(doc.get("gain").asDouble()).isGreaterThan(1);
  }

  @Test
  void aSavedRouterRoutesAsItLearned(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("router.auratxt");
    String[][] words = {{"oven", "bake", "flour", "butter"}, {"rocket", "orbit", "planet", "telescope"}};
    try (SentenceEncoder enc = SentenceEncoder.allMiniLmL6V2();
        TextRouter r = TextRouter.builder(enc).experts("kitchen", "space", "other").build()) {
      for (int i = 0; i < 60; i++) {
        int c = i % 2;
        r.learn("we talked about the " + words[c][i % 4] + " and the " + words[c][(i / 4) % 4],
            c == 0 ? "kitchen" : "space");
      }
      r.save(file);
    }
    CliTest.Run run = CliTest.run("text", "route", "--router", file.toString(), "a rocket left its orbit");
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out()).containsPattern("\\n  space +weight");
    assertThat(run.out().indexOf("  space ")).isLessThan(run.out().indexOf("  kitchen "));
    assertThat(run.err()).doesNotContain("untrained");
  }

  @Test
  void badTextAndBadOptionsAreRefusedClearly(@TempDir Path dir) throws Exception {
    CliTest.Run none = CliTest.run("text", "route", "hello");
    assertThat(none.exitCode()).isEqualTo(2);
    assertThat(none.err()).contains("exactly one of --router FILE");
    CliTest.Run both = CliTest.run("text", "route", "--router", "x", "--experts", "a,b", "hello");
    assertThat(both.exitCode()).isEqualTo(2);
    CliTest.Run empty = CliTest.run("text", "route", "--experts", "a,b", "");
    assertThat(empty.exitCode()).isEqualTo(1);
    assertThat(empty.err()).contains("aura text route: ").contains("empty");
    CliTest.Run one = CliTest.run("text", "route", "--experts", "a", "hello");
    assertThat(one.exitCode()).isEqualTo(1);
    assertThat(one.err()).contains("two experts");
    CliTest.Run missing = CliTest.run("text", "route", "--router", dir.resolve("nope").toString(), "hello");
    assertThat(missing.exitCode()).isEqualTo(1);
    assertThat(missing.err()).contains("no such file");
    CliTest.Run huge = CliTest.run("text", "route", "--experts", "a,b", "x".repeat(dev.auramoe.text.Texts.MAX_CHARS + 1));
    assertThat(huge.exitCode()).isEqualTo(1);
    assertThat(huge.err()).contains(String.valueOf(dev.auramoe.text.Texts.MAX_CHARS));

    InputStream before = System.in;
    try {
      System.setIn(new ByteArrayInputStream(new byte[] {'o', 'k', ' ', (byte) 0xC3, (byte) 0x28}));
      CliTest.Run bad = CliTest.run("text", "route", "--experts", "a,b", "-");
      assertThat(bad.exitCode()).isEqualTo(1);
      assertThat(bad.err()).contains("UTF-8").contains("3");
      System.setIn(new ByteArrayInputStream("caf\u00e9 au lait".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
      CliTest.Run good = CliTest.run("text", "route", "--experts", "a,b", "-");
      assertThat(good.exitCode()).as(good.err()).isZero();
      assertThat(good.out()).contains("text          12 chars");
    } finally {
      System.setIn(before);
    }
  }
}
