package dev.auramoe.text;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * The options of a model read from a Hugging Face {@code config.json}, under Hugging Face's own key
 * names, so that a configuration written for (or exported by) Hugging Face tooling means the same
 * here:
 *
 * <ul>
 *   <li>{@code num_local_experts} (Mixtral) or {@code num_experts} (Qwen-MoE, OLMoE, ...): the
 *       number of experts, {@link #numExperts()};
 *   <li>{@code num_experts_per_tok}: the experts chosen per input (top-k), {@link #expertsPerToken()};
 *   <li>{@code hidden_size}: the width of the model's hidden states, the embedding width of a
 *       sentence encoder, {@link #hiddenSize()}.
 * </ul>
 *
 * <p>A key that is absent (or {@code null}, as some exports write an unused option) stays absent;
 * every other key of the file is ignored. A present key must hold a whole number of at least 1 that
 * fits an {@code int}; {@code num_experts_per_tok} may not exceed the number of experts, and
 * {@code num_local_experts} and {@code num_experts} may not disagree when both are given. Anything
 * else is refused with an {@link IllegalArgumentException} naming the file and the key.
 *
 * @param numExperts the number of experts ({@code num_local_experts} or {@code num_experts})
 * @param expertsPerToken the experts chosen per input ({@code num_experts_per_tok})
 * @param hiddenSize the hidden (embedding) width ({@code hidden_size})
 */
public record HuggingFaceConfig(OptionalInt numExperts, OptionalInt expertsPerToken, OptionalInt hiddenSize) {

  /** Validates the values as {@link #read} does, with {@code "config"} as the source in messages. */
  public HuggingFaceConfig {
    check(numExperts, "num_local_experts/num_experts", "config");
    check(expertsPerToken, "num_experts_per_tok", "config");
    check(hiddenSize, "hidden_size", "config");
    checkTopK(numExperts, expertsPerToken, "config");
  }

  /**
   * Reads a Hugging Face {@code config.json}.
   *
   * @throws IllegalArgumentException when the file is missing or unreadable, is not a JSON object,
   *     or a key read here holds a value that is not a whole number of at least 1 fitting an int
   */
  public static HuggingFaceConfig read(Path file) {
    JsonNode root = HuggingFaceExport.readJsonObject(file);
    String source = file.toString();
    OptionalInt local = positiveInt(root, "num_local_experts", source);
    OptionalInt plain = positiveInt(root, "num_experts", source);
    if (local.isPresent() && plain.isPresent() && local.getAsInt() != plain.getAsInt()) {
      throw new IllegalArgumentException(source + ": num_local_experts (" + local.getAsInt()
          + ") and num_experts (" + plain.getAsInt() + ") disagree on the number of experts");
    }
    OptionalInt experts = local.isPresent() ? local : plain;
    OptionalInt topK = positiveInt(root, "num_experts_per_tok", source);
    checkTopK(experts, topK, source);
    return new HuggingFaceConfig(experts, topK, positiveInt(root, "hidden_size", source));
  }

  private static OptionalInt positiveInt(JsonNode root, String key, String source) {
    JsonNode v = root.get(key);
    if (v == null || v.isNull()) {
      return OptionalInt.empty();
    }
    // A float such as 8.0 is refused too: Hugging Face writes these keys as JSON integers.
    if (!v.isIntegralNumber() || !v.canConvertToInt()) {
      throw new IllegalArgumentException(source + ": " + key + " must be a whole number that fits an int, not "
          + v);
    }
    OptionalInt value = OptionalInt.of(v.intValue());
    check(value, key, source);
    return value;
  }

  private static void check(OptionalInt value, String key, String source) {
    if (value == null) {
      throw new IllegalArgumentException(source + ": " + key + " is null (use OptionalInt.empty() for absent)");
    }
    if (value.isPresent() && value.getAsInt() < 1) {
      throw new IllegalArgumentException(source + ": " + key + " must be at least 1, not " + value.getAsInt());
    }
  }

  private static void checkTopK(OptionalInt experts, OptionalInt topK, String source) {
    if (experts.isPresent() && topK.isPresent() && topK.getAsInt() > experts.getAsInt()) {
      throw new IllegalArgumentException(source + ": num_experts_per_tok (" + topK.getAsInt()
          + ") exceeds the number of experts (" + experts.getAsInt() + ")");
    }
  }
}
