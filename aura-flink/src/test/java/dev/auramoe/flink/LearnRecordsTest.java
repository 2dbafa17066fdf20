package dev.auramoe.flink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.MixtureOfExperts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LearnRecordsTest {

  private final LearnRecords reader = new LearnRecords(2, 1);

  @Test
  void readsTheServicesLearnBody() throws IOException {
    assertThat(reader.parse("{\"stream\":\"s1\",\"x\":[1,2.5],\"y\":[-3]}", "f:1"))
        .isEqualTo(new LearnRecord("s1", new float[] {1, 2.5f}, new float[] {-3}));
    assertThat(reader.parse("{\"y\":[0],\"x\":[1e-3,2]}", "f:1").stream).isEqualTo(MixtureOfExperts.DEFAULT_STREAM);
    assertThat(reader.parse("   ", "f:1")).isNull();
  }

  @Test
  void refusesBadLinesNamingTheLineAndTheField() {
    assertRefused("{\"x\":[1],\"y\":[0]}", "f:7: field 'x' holds 1 values; the model needs 2");
    assertRefused("{\"x\":[1,2,3],\"y\":[0]}", "f:7: field 'x' holds more than 2 values");
    assertRefused("{\"x\":[1,\"a\"],\"y\":[0]}", "f:7: field 'x[1]' must be a number");
    assertRefused("{\"x\":[1,1e39],\"y\":[0]}", "f:7: field 'x[1]' is not a finite float: 1e39");
    assertRefused("{\"x\":[1,2]}", "f:7: field 'y' is required");
    assertRefused("{\"x\":[1,2],\"y\":[0],\"z\":1}", "f:7: unknown field 'z'; allowed: stream, x, y");
    assertRefused("{\"x\":[1,2],\"y\":[0],\"x\":[1,2]}", "f:7: field 'x' appears twice");
    assertRefused("{\"stream\":\" \",\"x\":[1,2],\"y\":[0]}", "f:7: field 'stream' must be a non-blank string");
    assertRefused("{\"x\":[1,2],\"y\":[0]} {}", "f:7: text after the JSON object");
    assertRefused("[1,2]", "f:7: expected a JSON object");
    assertRefused("{\"x\":[1,2],", "f:7: invalid JSON");
  }

  @Test
  void readsAFileInOrderAndNamesTheFileAndLineOfARefusal(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("r.jsonl");
    Files.writeString(f, "{\"stream\":\"a\",\"x\":[1,2],\"y\":[0]}\n\n{\"stream\":\"b\",\"x\":[3,4],\"y\":[1]}\n");
    List<String> seen = new ArrayList<>();
    assertThat(reader.forEach(f, r -> seen.add(r.stream))).isEqualTo(2);
    assertThat(seen).containsExactly("a", "b");
    Files.writeString(f, "{\"stream\":\"a\",\"x\":[1,2],\"y\":[0]}\n{\"x\":[1],\"y\":[0]}\n");
    assertThatThrownBy(() -> reader.forEach(f, r -> {})).hasMessageStartingWith(f + ":2: field 'x'");
    assertThat(LearnRecords.sizes("{\"stream\":\"a\",\"x\":[1,2,3],\"y\":[0,1]}", "f:1")).containsExactly(3, 2);
  }

  private void assertRefused(String line, String message) {
    assertThatThrownBy(() -> reader.parse(line, "f:7")).isInstanceOf(IOException.class)
        .hasMessageStartingWith(message);
  }
}
