package dev.auramoe.text;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.model.embedding.onnx.PoolingMode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The files of a Hugging Face sentence-embedding model exported to ONNX, found in a local directory
 * (as {@code optimum-cli export onnx} or a sentence-transformers repository lays them out):
 *
 * <pre>
 * dir/
 *   model.onnx            (or onnx/model.onnx, or the single *.onnx file of dir or dir/onnx)
 *   tokenizer.json
 *   config.json           (optional: hidden_size is checked against the model)
 *   1_Pooling/config.json (optional: mean pooling when absent)
 * </pre>
 *
 * Every problem is an {@link IllegalArgumentException} naming the file; nothing is read from the
 * network.
 */
record HuggingFaceExport(Path model, Path tokenizer, Optional<HuggingFaceConfig> config, PoolingMode pooling) {

  static final String TOKENIZER = "tokenizer.json";
  static final String CONFIG = "config.json";
  static final String POOLING = "1_Pooling/config.json";

  /** The sentence-transformers pooling keys this encoder can apply, each to its pooling. */
  private static final Map<String, PoolingMode> SUPPORTED_POOLING = Map.of(
      "pooling_mode_mean_tokens", PoolingMode.MEAN,
      "pooling_mode_cls_token", PoolingMode.CLS);

  /** Finds and checks the files of the export in {@code dir}. */
  static HuggingFaceExport of(Path dir) {
    if (dir == null) {
      throw new IllegalArgumentException("model directory is null");
    }
    if (!Files.exists(dir)) {
      throw new IllegalArgumentException("model directory " + dir + " does not exist");
    }
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("model directory " + dir + " is not a directory");
    }
    Path tokenizer = dir.resolve(TOKENIZER);
    if (!Files.isRegularFile(tokenizer)) {
      throw new IllegalArgumentException("model directory " + dir + " has no " + TOKENIZER
          + " (the tokenizer saved with the model)");
    }
    Path config = dir.resolve(CONFIG);
    Optional<HuggingFaceConfig> cfg = Files.exists(config) ? Optional.of(HuggingFaceConfig.read(config))
        : Optional.empty();
    Path pooling = dir.resolve(POOLING);
    PoolingMode mode = Files.exists(pooling) ? pooling(pooling) : PoolingMode.MEAN;
    return new HuggingFaceExport(onnxModel(dir), tokenizer, cfg, mode);
  }

  /**
   * {@code model.onnx}, else {@code onnx/model.onnx}, else the one {@code *.onnx} file of the
   * directory and its {@code onnx} folder; several candidates are refused, naming them, rather than
   * picking one (an export often holds a quantised or optimised twin beside the model).
   */
  private static Path onnxModel(Path dir) {
    for (Path p : List.of(dir.resolve("model.onnx"), dir.resolve("onnx").resolve("model.onnx"))) {
      if (Files.isRegularFile(p)) {
        return p;
      }
    }
    List<Path> found = new ArrayList<>();
    for (Path folder : List.of(dir, dir.resolve("onnx"))) {
      if (!Files.isDirectory(folder)) {
        continue;
      }
      try (Stream<Path> files = Files.list(folder)) {
        files.filter(p -> p.getFileName().toString().endsWith(".onnx") && Files.isRegularFile(p))
            .sorted().forEach(found::add);
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot list " + folder + ": " + e.getMessage(), e);
      }
    }
    if (found.isEmpty()) {
      throw new IllegalArgumentException("model directory " + dir
          + " has no ONNX model (looked for model.onnx, onnx/model.onnx and *.onnx)");
    }
    if (found.size() > 1) {
      throw new IllegalArgumentException("model directory " + dir + " has several ONNX models and none is "
          + "model.onnx: " + String.join(", ", found.stream().map(p -> dir.relativize(p).toString()).toList())
          + "; keep one, or name the one to use model.onnx");
    }
    return found.get(0);
  }

  /**
   * The pooling of a sentence-transformers {@code 1_Pooling/config.json}: exactly one
   * {@code pooling_mode_*} key must be true, and it must be one this encoder applies.
   */
  static PoolingMode pooling(Path file) {
    JsonNode root = readJsonObject(file);
    List<String> on = new ArrayList<>();
    for (Map.Entry<String, JsonNode> e : root.properties()) {
      if (!e.getKey().startsWith("pooling_mode_")) {
        continue;
      }
      if (!e.getValue().isBoolean()) {
        throw new IllegalArgumentException(file + ": " + e.getKey() + " must be true or false, not " + e.getValue());
      }
      if (e.getValue().booleanValue()) {
        on.add(e.getKey());
      }
    }
    if (on.isEmpty()) {
      throw new IllegalArgumentException(file + ": no pooling_mode_* key is true (expected "
          + "pooling_mode_mean_tokens or pooling_mode_cls_token)");
    }
    if (on.size() > 1) {
      throw new IllegalArgumentException(file + ": several poolings are on (" + String.join(", ", on)
          + "); only one, pooling_mode_mean_tokens or pooling_mode_cls_token, is supported");
    }
    PoolingMode mode = SUPPORTED_POOLING.get(on.get(0));
    if (mode == null) {
      throw new IllegalArgumentException(file + ": " + on.get(0) + " is not supported (only "
          + "pooling_mode_mean_tokens and pooling_mode_cls_token are)");
    }
    return mode;
  }

  /** Reads a JSON file whose top level must be an object, naming the file in every refusal. */
  static JsonNode readJsonObject(Path file) {
    return parseJsonObject(readFile(file), file.toString());
  }

  /** Parses JSON whose top level must be an object (nothing after it), naming {@code name} in every refusal. */
  static JsonNode parseJsonObject(byte[] bytes, String name) {
    JsonNode root;
    try {
      root = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readTree(bytes);
    } catch (JsonProcessingException e) {
      JsonLocation at = e.getLocation();
      throw new IllegalArgumentException(name + " is not valid JSON"
          + (at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")") + ": "
          + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + name + ": " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException(name + " is not a JSON object");
    }
    return root;
  }

  /** The bytes of a file, refused with its name when it is missing or unreadable. */
  static byte[] readFile(Path file) {
    if (!Files.exists(file)) {
      throw new IllegalArgumentException(file + " does not exist");
    }
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + file + ": " + e, e);
    }
  }
}
