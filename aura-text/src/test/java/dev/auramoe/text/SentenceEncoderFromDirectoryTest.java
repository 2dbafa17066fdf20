package dev.auramoe.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Hugging Face export directory built from the bundled all-MiniLM-L6-v2 (its ONNX model and
 * tokenizer.json copied out of the model jar, with a BERT config.json and a sentence-transformers
 * pooling file): loaded from the directory, it must be the bundled encoder, bit for bit.
 */
class SentenceEncoderFromDirectoryTest {

  private static final String[] TEXTS = {
      "hello",
      "The river flooded the old mill after three days of heavy rain.",
      "Which expert should answer a question about the French revolution?",
      "Ünïcödé, emoji 🚀 and punctuation!?"};

  private static final String CONFIG = """
      {"architectures": ["BertModel"], "model_type": "bert", "hidden_size": 384, "num_hidden_layers": 6,
       "num_attention_heads": 12, "intermediate_size": 1536, "vocab_size": 30522,
       "max_position_embeddings": 512}""";

  private static final String MEAN_POOLING = """
      {"word_embedding_dimension": 384, "pooling_mode_cls_token": false, "pooling_mode_mean_tokens": true,
       "pooling_mode_max_tokens": false, "pooling_mode_mean_sqrt_len_tokens": false}""";

  private static SentenceEncoder bundled;
  private static byte[] model;
  private static byte[] tokenizer;

  @TempDir
  Path tmp;

  @BeforeAll
  static void load() throws IOException {
    bundled = SentenceEncoder.allMiniLmL6V2();
    model = resource("all-minilm-l6-v2-q.onnx");
    tokenizer = resource("all-minilm-l6-v2-q-tokenizer.json");
  }

  @AfterAll
  static void free() {
    bundled.close();
  }

  @Test
  void anExportOfTheBundledModelGivesTheSameBitsAndTokenIds() throws IOException {
    Path dir = export("full");
    try (SentenceEncoder enc = SentenceEncoder.fromDirectory(dir)) {
      assertThat(enc.dimension()).isEqualTo(384);
      assertThat(enc.encoderTokenLimit()).isEqualTo(128);
      assertThat(enc.vocabularySize()).isEqualTo(30_522);
      for (String text : TEXTS) {
        assertThat(bits(enc.encode(text))).as(text).isEqualTo(bits(bundled.encode(text)));
        assertThat(enc.tokenIds(text)).as(text).isEqualTo(bundled.tokenIds(text));
      }
    }
  }

  @Test
  void theModelIsFoundInEachLayoutOfAnExport() throws IOException {
    String text = TEXTS[2];
    int[] expected = bits(bundled.encode(text));
    Path bare = dir("bare");
    Files.write(bare.resolve("model.onnx"), model);
    Files.write(bare.resolve("tokenizer.json"), tokenizer);
    Path nested = dir("nested");
    Files.write(Files.createDirectory(nested.resolve("onnx")).resolve("model.onnx"), model);
    Files.write(nested.resolve("tokenizer.json"), tokenizer);
    Path single = dir("single");
    Files.write(Files.createDirectory(single.resolve("onnx")).resolve("model_quantized.onnx"), model);
    Files.write(single.resolve("tokenizer.json"), tokenizer);
    // model.onnx wins over its quantised or optimised twins.
    Path twins = export("twins");
    Files.write(twins.resolve("model_O4.onnx"), "not a model".getBytes());
    Files.write(Files.createDirectory(twins.resolve("onnx")).resolve("model_qint8.onnx"), "not a model".getBytes());
    for (Path dir : new Path[] {bare, nested, single, twins}) {
      try (SentenceEncoder enc = SentenceEncoder.fromDirectory(dir)) {
        assertThat(bits(enc.encode(text))).as(dir.toString()).isEqualTo(expected);
      }
    }
  }

  @Test
  void clsPoolingGivesOtherUnitVectorsOfTheSameWidth() throws IOException {
    Path dir = export("cls");
    Files.writeString(dir.resolve("1_Pooling/config.json"), MEAN_POOLING
        .replace("\"pooling_mode_cls_token\": false", "\"pooling_mode_cls_token\": true")
        .replace("\"pooling_mode_mean_tokens\": true", "\"pooling_mode_mean_tokens\": false"));
    try (SentenceEncoder cls = SentenceEncoder.fromDirectory(dir)) {
      for (String text : TEXTS) {
        float[] v = cls.encode(text);
        assertThat(v).hasSize(384);
        double norm = 0;
        for (float x : v) {
          norm += (double) x * x;
        }
        assertThat(Math.sqrt(norm)).isCloseTo(1.0, within(1e-5));
        assertThat(bits(v)).as(text).isNotEqualTo(bits(bundled.encode(text)));
        assertThat(bits(cls.encode(text))).isEqualTo(bits(v));
      }
    }
  }

  @Test
  void aMissingOrWrongDirectoryOrMissingFilesAreRefusedNamingThem() throws IOException {
    Path absent = tmp.resolve("absent");
    refused(absent, "model directory " + absent + " does not exist");
    Path file = Files.writeString(tmp.resolve("a-file"), "x");
    refused(file, "model directory " + file + " is not a directory");
    assertThatThrownBy(() -> SentenceEncoder.fromDirectory(null)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("model directory is null");

    Path noTokenizer = export("no-tokenizer");
    Files.delete(noTokenizer.resolve("tokenizer.json"));
    refused(noTokenizer, "model directory " + noTokenizer + " has no tokenizer.json");

    Path noModel = export("no-model");
    Files.delete(noModel.resolve("model.onnx"));
    refused(noModel, "model directory " + noModel + " has no ONNX model");

    Path several = export("several");
    Files.move(several.resolve("model.onnx"), several.resolve("model_fp16.onnx"));
    Files.write(Files.createDirectory(several.resolve("onnx")).resolve("model_quantized.onnx"), model);
    refused(several, "has several ONNX models and none is model.onnx: model_fp16.onnx, onnx/model_quantized.onnx");
  }

  @Test
  void unreadableAndInvalidJsonIsRefusedNamingTheFile() throws IOException {
    Path badConfig = export("bad-config");
    Files.writeString(badConfig.resolve("config.json"), "{\"hidden_size\": 384,");
    refused(badConfig, badConfig.resolve("config.json") + " is not valid JSON");

    Path folderConfig = export("folder-config");
    Files.delete(folderConfig.resolve("config.json"));
    Files.createDirectory(folderConfig.resolve("config.json"));
    refused(folderConfig, "cannot read " + folderConfig.resolve("config.json"));

    Path badPooling = export("bad-pooling");
    Files.writeString(badPooling.resolve("1_Pooling/config.json"), "[true]");
    refused(badPooling, badPooling.resolve("1_Pooling/config.json") + " is not a JSON object");

    Path badTokenizer = export("bad-tokenizer");
    Files.writeString(badTokenizer.resolve("tokenizer.json"), "{\"model\": {\"vocab\": ");
    refused(badTokenizer, badTokenizer.resolve("tokenizer.json") + " is not valid JSON");

    Path noTruncation = export("no-truncation");
    Files.writeString(noTruncation.resolve("tokenizer.json"),
        new String(tokenizer, java.nio.charset.StandardCharsets.UTF_8).replaceFirst("\"truncation\":\\s*\\{[^}]*}",
            "\"truncation\": null"));
    refused(noTruncation, noTruncation.resolve("tokenizer.json") + " has no truncation length (truncation.max_length)");

    Path notATokenizer = export("not-a-tokenizer");
    Files.writeString(notATokenizer.resolve("tokenizer.json"),
        "{\"truncation\": {\"max_length\": 128}, \"model\": {\"vocab\": {\"a\": 0}}}");
    refused(notATokenizer, "cannot load the tokenizer " + notATokenizer.resolve("tokenizer.json"));
  }

  @Test
  void aPoolingThisEncoderCannotApplyIsRefusedNamingTheKey() throws IOException {
    String[][] cases = {
        {MEAN_POOLING.replace("\"pooling_mode_max_tokens\": false", "\"pooling_mode_max_tokens\": true")
            .replace("\"pooling_mode_mean_tokens\": true", "\"pooling_mode_mean_tokens\": false"),
            "pooling_mode_max_tokens is not supported"},
        {MEAN_POOLING.replace("\"pooling_mode_cls_token\": false", "\"pooling_mode_cls_token\": true"),
            "several poolings are on (pooling_mode_cls_token, pooling_mode_mean_tokens)"},
        {MEAN_POOLING.replace("\"pooling_mode_mean_tokens\": true", "\"pooling_mode_mean_tokens\": false"),
            "no pooling_mode_* key is true"},
        {MEAN_POOLING.replace("\"pooling_mode_mean_tokens\": true", "\"pooling_mode_mean_tokens\": \"yes\""),
            "pooling_mode_mean_tokens must be true or false"},
    };
    for (int i = 0; i < cases.length; i++) {
      Path dir = export("pooling-" + i);
      Files.writeString(dir.resolve("1_Pooling/config.json"), cases[i][0]);
      refused(dir, dir.resolve("1_Pooling/config.json") + ": " + cases[i][1]);
    }
  }

  @Test
  void aHiddenSizeThatIsNotTheModelsWidthIsRefused() throws IOException {
    Path dir = export("wide");
    Files.writeString(dir.resolve("config.json"), CONFIG.replace("\"hidden_size\": 384", "\"hidden_size\": 768"));
    refused(dir, dir.resolve("config.json") + ": hidden_size is 768 but the model " + dir.resolve("model.onnx")
        + " gives 384 values per token");
    Files.writeString(dir.resolve("config.json"), CONFIG.replace("\"hidden_size\": 384", "\"hidden_size\": -1"));
    refused(dir, dir.resolve("config.json") + ": hidden_size must be at least 1, not -1");
  }

  @Test
  void anOnnxFileThatOnnxruntimeRefusesIsNamed() throws IOException {
    Path garbage = export("garbage");
    Files.writeString(garbage.resolve("model.onnx"), "this is not an ONNX model");
    refused(garbage, "cannot load the ONNX model " + garbage.resolve("model.onnx") + ": ");
    Path truncated = export("truncated");
    Files.write(truncated.resolve("model.onnx"), java.util.Arrays.copyOf(model, model.length / 2));
    refused(truncated, "cannot load the ONNX model " + truncated.resolve("model.onnx") + ": ");
    Path empty = export("empty");
    Files.write(empty.resolve("model.onnx"), new byte[0]);
    refused(empty, "cannot load the ONNX model " + empty.resolve("model.onnx") + ": ");
    // After every refusal a good export still loads and agrees with the bundled model.
    try (SentenceEncoder enc = SentenceEncoder.fromDirectory(export("after"))) {
      assertThat(bits(enc.encode(TEXTS[1]))).isEqualTo(bits(bundled.encode(TEXTS[1])));
    }
  }

  private static void refused(Path dir, String message) {
    assertThatThrownBy(() -> SentenceEncoder.fromDirectory(dir)).as(message)
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(message);
  }

  /** A full export in {@code tmp/name}: model.onnx, tokenizer.json, config.json and 1_Pooling/config.json. */
  private Path export(String name) throws IOException {
    Path dir = dir(name);
    Files.write(dir.resolve("model.onnx"), model);
    Files.write(dir.resolve("tokenizer.json"), tokenizer);
    Files.writeString(dir.resolve("config.json"), CONFIG);
    Files.writeString(Files.createDirectory(dir.resolve("1_Pooling")).resolve("config.json"), MEAN_POOLING);
    return dir;
  }

  private Path dir(String name) throws IOException {
    return Files.createDirectory(tmp.resolve(name));
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = SentenceEncoderFromDirectoryTest.class.getClassLoader().getResourceAsStream(name)) {
      assertThat(in).as(name + " on the class path").isNotNull();
      return in.readAllBytes();
    }
  }

  private static int[] bits(float[] v) {
    return SentenceEncoderTest.bits(v);
  }
}
