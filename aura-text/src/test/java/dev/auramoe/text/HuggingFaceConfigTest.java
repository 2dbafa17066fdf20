package dev.auramoe.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HuggingFaceConfigTest {

  @TempDir
  Path dir;

  @Test
  void readsAMixtralConfigUnderHuggingFacesOwnKeys() throws IOException {
    // The keys of mistralai/Mixtral-8x7B-v0.1's config.json that matter, with some of its others.
    HuggingFaceConfig c = HuggingFaceConfig.read(write("""
        {"architectures": ["MixtralForCausalLM"], "model_type": "mixtral", "hidden_size": 4096,
         "intermediate_size": 14336, "num_attention_heads": 32, "num_experts_per_tok": 2,
         "num_local_experts": 8, "rope_theta": 1e6, "router_aux_loss_coef": 0.02}"""));
    assertThat(c.numExperts()).hasValue(8);
    assertThat(c.expertsPerToken()).hasValue(2);
    assertThat(c.hiddenSize()).hasValue(4096);
  }

  @Test
  void readsNumExpertsWhenThereIsNoNumLocalExperts() throws IOException {
    HuggingFaceConfig c = HuggingFaceConfig.read(write("""
        {"model_type": "qwen2_moe", "num_experts": 60, "num_experts_per_tok": 4, "hidden_size": 2048}"""));
    assertThat(c).isEqualTo(new HuggingFaceConfig(OptionalInt.of(60), OptionalInt.of(4), OptionalInt.of(2048)));
    HuggingFaceConfig both = HuggingFaceConfig.read(write("{\"num_local_experts\": 8, \"num_experts\": 8}"));
    assertThat(both.numExperts()).hasValue(8);
  }

  @Test
  void aPlainConfigLeavesTheMixtureKeysAbsent() throws IOException {
    // sentence-transformers/all-MiniLM-L6-v2's config.json, in part; null is what some exports write.
    HuggingFaceConfig c = HuggingFaceConfig.read(write("""
        {"architectures": ["BertModel"], "model_type": "bert", "hidden_size": 384, "num_hidden_layers": 6,
         "vocab_size": 30522, "max_position_embeddings": 512, "num_experts": null}"""));
    assertThat(c.numExperts()).isEmpty();
    assertThat(c.expertsPerToken()).isEmpty();
    assertThat(c.hiddenSize()).hasValue(384);
    assertThat(HuggingFaceConfig.read(write("{}"))).isEqualTo(
        new HuggingFaceConfig(OptionalInt.empty(), OptionalInt.empty(), OptionalInt.empty()));
  }

  @Test
  void wrongTypesAndOutOfRangeValuesAreRefusedNamingTheKey() throws IOException {
    String[][] bad = {
        {"{\"num_local_experts\": \"8\"}", "num_local_experts must be a whole number"},
        {"{\"num_experts\": 8.5}", "num_experts must be a whole number"},
        {"{\"num_experts\": 8.0}", "num_experts must be a whole number"},
        {"{\"num_experts_per_tok\": true}", "num_experts_per_tok must be a whole number"},
        {"{\"hidden_size\": [384]}", "hidden_size must be a whole number"},
        {"{\"hidden_size\": 4294967296}", "hidden_size must be a whole number that fits an int"},
        {"{\"hidden_size\": 0}", "hidden_size must be at least 1, not 0"},
        {"{\"num_local_experts\": -2}", "num_local_experts must be at least 1, not -2"},
        {"{\"num_experts_per_tok\": 0}", "num_experts_per_tok must be at least 1"},
        {"{\"num_local_experts\": 8, \"num_experts_per_tok\": 9}", "num_experts_per_tok (9) exceeds the number of experts (8)"},
        {"{\"num_local_experts\": 8, \"num_experts\": 16}", "num_local_experts (8) and num_experts (16) disagree"},
    };
    for (String[] b : bad) {
      Path file = write(b[0]);
      assertThatThrownBy(() -> HuggingFaceConfig.read(file)).as(b[0]).isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith(file.toString()).hasMessageContaining(b[1]);
    }
  }

  @Test
  void missingUnreadableAndInvalidFilesAreRefusedNamingTheFile() throws IOException {
    Path missing = dir.resolve("absent.json");
    assertThatThrownBy(() -> HuggingFaceConfig.read(missing)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage(missing + " does not exist");
    Path folder = Files.createDirectory(dir.resolve("folder.json"));
    assertThatThrownBy(() -> HuggingFaceConfig.read(folder)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("cannot read " + folder);
    for (String text : new String[] {"{\"hidden_size\": 384", "{} {}", "", "[1, 2]", "384"}) {
      Path file = write(text);
      assertThatThrownBy(() -> HuggingFaceConfig.read(file)).as(text).isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith(file.toString()).hasMessageContaining("JSON");
    }
    assertThatThrownBy(() -> HuggingFaceConfig.read(write("{\"hidden_size\": 384,}")))
        .hasMessageContaining("is not valid JSON (line 1, column");
  }

  @Test
  void theConstructorChecksTheSameRanges() {
    assertThatThrownBy(() -> new HuggingFaceConfig(OptionalInt.of(4), OptionalInt.of(5), OptionalInt.empty()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("num_experts_per_tok (5) exceeds");
    assertThatThrownBy(() -> new HuggingFaceConfig(OptionalInt.empty(), OptionalInt.empty(), OptionalInt.of(0)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("hidden_size must be at least 1");
    assertThatThrownBy(() -> new HuggingFaceConfig(null, OptionalInt.empty(), OptionalInt.empty()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is null");
  }

  private int files;

  private Path write(String json) throws IOException {
    return Files.writeString(dir.resolve("config-" + (files++) + ".json"), json);
  }
}
