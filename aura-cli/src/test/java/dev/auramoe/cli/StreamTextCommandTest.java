package dev.auramoe.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code aura stream} on text columns, embedded with all-MiniLM-L6-v2, and its AUROC and AUPRC for a
 * two-class target; bad text and bytes that are not UTF-8.
 */
class StreamTextCommandTest {

  @TempDir
  Path dir;

  private static final String[] ITEMS = {"kettle", "desk lamp", "office chair", "blender", "backpack", "phone case",
    "toaster", "headphones"};
  private static final String[] RETURNED = {
    "The %s broke after %d days, I want a refund.",
    "Terrible %s: it arrived damaged and the seller never answered.",
    "My %s stopped working within a week. Very disappointed.",
    "Cheap plastic, the %s cracked the first time I used it.",
    "Do not buy this %s, it is loud, slow and already falling apart.",
  };
  private static final String[] KEPT = {
    "I love this %s, it works perfectly and looks great.",
    "Excellent %s, fast delivery and sturdy build.",
    "Best %s I have owned, worth every penny.",
    "The %s is beautiful, quiet and easy to use. Highly recommended!",
    "Great value: my new %s does exactly what I needed.",
  };

  /**
   * Reviews whose verdict shows only in their words (about 30% kept, the rest returned), beside a number
   * of stars drawn at random: a learner that ignores the text, or inverts its scores, ranks no better than
   * chance. The reviews hold commas, colons and quotes, so every one is a quoted CSV field.
   */
  private Path reviews(int rows) throws Exception {
    Random r = new Random(7);
    StringBuilder sb = new StringBuilder("stars,review,verdict\n");
    for (int i = 0; i < rows; i++) {
      boolean kept = r.nextDouble() < 0.3;
      String[] templates = kept ? KEPT : RETURNED;
      String text = String.format(templates[r.nextInt(templates.length)], ITEMS[r.nextInt(ITEMS.length)],
          2 + r.nextInt(8));
      sb.append(1 + r.nextInt(5)).append(",\"").append(text.replace("\"", "\"\"")).append("\",")
          .append(kept ? "kept" : "returned").append('\n');
    }
    Path f = dir.resolve("reviews.csv");
    Files.writeString(f, sb);
    return f;
  }

  @Test
  void aCsvTextColumnIsEmbeddedWithNoFlagAndRankedWellAboveChance() throws Exception {
    Path json = dir.resolve("r.json");
    CliTest.Run r = CliTest.run("stream", "--input", reviews(600).toString(), "--target", "verdict", "--no-progress",
        "--json", json.toString());
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.err()).contains("note: column 'review' is read as text: 600 of its 600 values are phrases")
        .contains("loading the sentence encoder all-MiniLM-L6-v2").contains("3 columns (1 text)")
        .contains("385 features").doesNotContain("SLF4J");
    assertThat(r.out()).containsPattern("text columns\\s+'review' \\(embedded with all-MiniLM-L6-v2, 384 features "
        + "each\\)").containsPattern("auroc\\s+0\\.\\d{4} \\(positive class 'kept', the minority class: \\d+ of 600\\)")
        .containsPattern("auprc\\s+0\\.\\d{4} \\(average precision\\)");
    JsonNode doc = Json.mapper().readTree(json.toFile());
    assertThat(doc.get("textColumns")).extracting(JsonNode::asText).containsExactly("review");
    assertThat(doc.get("textEncoder").asText()).isEqualTo("all-MiniLM-L6-v2");
    assertThat(doc.get("positiveClass").asText()).isEqualTo("kept");
    assertThat(doc.get("positiveClassChosen").asText()).isEqualTo("minority");
    long positives = doc.get("positives").asLong();
    assertThat(positives + doc.get("negatives").asLong()).isEqualTo(600);
    assertThat(positives).isBetween(150L, 210L);
    // The stars are noise: without the text, or with its scores inverted, AUROC would be near 0.5 (or below).
    assertThat(doc.get("auroc").asDouble()).isGreaterThan(0.8);
    assertThat(doc.get("auprc").asDouble()).as("against a prevalence of %d/600", positives).isGreaterThan(0.6);
    assertThat(doc.get("accuracy").asDouble()).as("against 1 - prevalence").isGreaterThan(
        1 - positives / 600.0 + 0.05);
  }

  /** Support tickets for billing or for the technical team, with a channel and a priority; text in ARFF. */
  private Path tickets(int rows) throws Exception {
    String[] billing = {"I was charged twice for my %s subscription this month.",
      "Please send me the invoice for the %s plan.", "Why did my payment for the %s fail? My card is valid.",
      "I would like a refund for the %s upgrade I never used."};
    String[] technical = {"The %s app crashes every time I open the settings.",
      "I cannot log in to %s since the last update, it says error 500.",
      "How do I install %s on a new laptop? The installer hangs.", "Sync in %s stopped working, my files are gone."};
    String[] products = {"Photo", "Notes", "Cloud Drive", "Mail", "Calendar"};
    Random r = new Random(11);
    StringBuilder sb = new StringBuilder("% support tickets\n@relation tickets\n@attribute priority numeric\n"
        + "@attribute channel {email,phone,chat}\n@attribute message string\n@attribute team {billing,technical}\n"
        + "@data\n");
    for (int i = 0; i < rows; i++) {
      boolean tech = r.nextDouble() < 0.4;
      String[] t = tech ? technical : billing;
      String text = String.format(t[r.nextInt(t.length)], products[r.nextInt(products.length)]);
      sb.append(1 + r.nextInt(3)).append(',').append(new String[] {"email", "phone", "chat"}[r.nextInt(3)])
          .append(",'").append(text.replace("\\", "\\\\").replace("'", "\\'")).append("',")
          .append(tech ? "technical" : "billing").append('\n');
    }
    Path f = dir.resolve("tickets.arff");
    Files.writeString(f, sb);
    return f;
  }

  @Test
  void anArffStringAttributeIsTextAndAGivenPositiveClassIsUsed() throws Exception {
    Path json = dir.resolve("t.json");
    CliTest.Run r = CliTest.run("stream", "--input", tickets(400).toString(), "--target", "team", "--no-progress",
        "--positive-class", "billing", "--json", json.toString());
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.err()).contains("note: column 'message' is read as text: the file declares it string");
    assertThat(r.out()).containsPattern("auroc\\s+0\\.\\d{4} \\(positive class 'billing', as --positive-class says: "
        + "\\d+ of 400\\)");
    JsonNode doc = Json.mapper().readTree(json.toFile());
    assertThat(doc.get("positiveClass").asText()).isEqualTo("billing");
    assertThat(doc.get("positiveClassChosen").asText()).isEqualTo("given");
    assertThat(doc.get("positives").asLong()).as("billing is the majority").isGreaterThan(200);
    assertThat(doc.get("auroc").asDouble()).isGreaterThan(0.8);
    assertThat(doc.get("auprc").asDouble()).isGreaterThan(0.8);
  }

  @Test
  void badTextIsAMalformedRowNamingItsLineAndColumnAndAbortChangesNothing() throws Exception {
    Path f = reviews(40);
    java.util.List<String> lines = new java.util.ArrayList<>(Files.readAllLines(f));
    lines.set(5, "3,\"\",kept");
    lines.set(9, "2,\"   \",returned");
    lines.set(12, "4,\"" + "word ".repeat(220_000) + "\",kept");
    Files.write(f, lines);
    Path json = dir.resolve("bad.json");
    CliTest.Run skip = CliTest.run("stream", "--input", f.toString(), "--target", "verdict", "--no-progress",
        "--json", json.toString());
    assertThat(skip.exitCode()).as(skip.err()).isZero();
    assertThat(skip.err()).contains("reviews.csv:6: text in column 'review': text is empty")
        .contains("reviews.csv:10: text in column 'review': text is blank")
        .contains("reviews.csv:13: text in column 'review': text is 1100000 chars long, over the limit");
    JsonNode doc = Json.mapper().readTree(json.toFile());
    assertThat(doc.get("instances").asLong()).as("nothing learned from the bad rows").isEqualTo(37);
    assertThat(doc.get("skippedRows").asLong()).isEqualTo(3);
    Files.delete(json);

    CliTest.Run abort = CliTest.run("stream", "--input", f.toString(), "--target", "verdict", "--no-progress",
        "--on-error", "abort", "--json", json.toString());
    assertThat(abort.exitCode()).isEqualTo(AuraCli.EXIT_ABORTED);
    assertThat(abort.err()).contains("aborted: malformed row:").contains("reviews.csv:6: text in column 'review': "
        + "text is empty");
    assertThat(abort.out()).isEmpty();
    assertThat(json).doesNotExist();
  }

  @Test
  void bytesThatAreNotUtf8StopTheRunBeforeAnythingIsLearnedNamingLineAndColumn() throws Exception {
    Path f = reviews(30);
    byte[] good = Files.readAllBytes(f);
    byte[] bad = "3,\"caf\u00e9 au lait was cold\",returned\n".getBytes(StandardCharsets.ISO_8859_1);
    byte[] all = java.util.Arrays.copyOf(good, good.length + bad.length);
    System.arraycopy(bad, 0, all, good.length, bad.length);
    Files.write(f, all);
    Path json = dir.resolve("u.json");
    CliTest.Run r = CliTest.run("stream", "--input", f.toString(), "--target", "verdict", "--no-progress",
        "--json", json.toString());
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err()).contains("reviews.csv:32: not UTF-8: invalid byte 0xE9 at byte offset " + (good.length + 6)
        + ", in column 'review' (field 2); the file must be UTF-8").doesNotContain("loading the sentence encoder");
    assertThat(r.out()).isEmpty();
    assertThat(json).doesNotExist();
  }

  @Test
  void columnsNamedNominalAreNotEmbeddedAndUnknownNamesAreRefused() throws Exception {
    Path f = reviews(60);
    CliTest.Run r = CliTest.run("stream", "--input", f.toString(), "--target", "verdict", "--no-progress",
        "--nominal-columns", "review");
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.err()).doesNotContain("loading the sentence encoder").doesNotContain("text");
    assertThat(r.out()).doesNotContain("text columns");
    CliTest.Run unknown = CliTest.run("stream", "--input", f.toString(), "--target", "verdict", "--no-progress",
        "--text-columns", "comment");
    assertThat(unknown.exitCode()).isEqualTo(1);
    assertThat(unknown.err()).contains("no column named 'comment' (asked to be read as text)");
    CliTest.Run both = CliTest.run("stream", "--input", f.toString(), "--no-progress", "--text-columns", "review",
        "--nominal-columns", "review");
    assertThat(both.exitCode()).isEqualTo(2);
    assertThat(both.err()).contains("columns named both text and nominal: review");
    CliTest.Run early = CliTest.run("stream", "--input", f.toString(), "--target", "verdict", "--no-progress",
        "--positive-class", "maybe");
    assertThat(early.exitCode()).isEqualTo(2);
    assertThat(early.err()).as("options that do not fit are refused before the encoder is loaded")
        .contains("--positive-class 'maybe' is not a class").doesNotContain("loading the sentence encoder");
  }

  @Test
  void aOneClassStreamHasNoAurocAndAMultiClassOneNoPositiveClass() throws Exception {
    StringBuilder sb = new StringBuilder("@relation one\n@attribute x numeric\n@attribute y {no,yes}\n@data\n");
    Random r = new Random(3);
    for (int i = 0; i < 200; i++) {
      sb.append(r.nextGaussian()).append(",no\n");
    }
    Path f = dir.resolve("one.arff");
    Files.writeString(f, sb);
    Path json = dir.resolve("one.json");
    CliTest.Run one = CliTest.run("stream", "--input", f.toString(), "--no-progress", "--json", json.toString());
    assertThat(one.exitCode()).as(one.err()).isZero();
    assertThat(one.out()).containsPattern("auroc\\s+undefined: every scored instance is of class 'no', so there is "
        + "nothing to rank it against").containsPattern("auprc\\s+undefined");
    JsonNode doc = Json.mapper().readTree(json.toFile());
    assertThat(doc.get("auroc").isNull()).isTrue();
    assertThat(doc.get("auprc").isNull()).isTrue();
    assertThat(doc.get("rankingUndefined").asText()).contains("every scored instance is of class 'no'");
    assertThat(doc.get("positiveClass").asText()).as("the absent class is the minority").isEqualTo("yes");
    assertThat(doc.get("positives").asLong()).isZero();

    CliTest.Run notAClass = CliTest.run("stream", "--input", f.toString(), "--no-progress", "--positive-class",
        "maybe");
    assertThat(notAClass.exitCode()).isEqualTo(2);
    assertThat(notAClass.err()).contains("--positive-class 'maybe' is not a class of the target 'y': its classes are "
        + "'no' and 'yes'");
    Path three = dir.resolve("three.arff");
    Files.writeString(three, "@relation t\n@attribute x numeric\n@attribute y {a,b,c}\n@data\n1,a\n2,b\n3,c\n");
    CliTest.Run multi = CliTest.run("stream", "--input", three.toString(), "--no-progress", "--positive-class", "a");
    assertThat(multi.exitCode()).isEqualTo(2);
    assertThat(multi.err()).contains("--positive-class applies to a two-class target; the target 'y' of "
        + three + " has 3 classes");
    CliTest.Run multiPlain = CliTest.run("stream", "--input", three.toString(), "--no-progress");
    assertThat(multiPlain.out()).doesNotContain("auroc").doesNotContain("auprc");
  }
}
