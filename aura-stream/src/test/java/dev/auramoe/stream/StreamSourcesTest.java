package dev.auramoe.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.stream.io.ReadOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@link StreamSources#open} says of a path that is not a data file. */
class StreamSourcesTest {

  @TempDir
  Path dir;

  @Test
  void aDirectoryIsFashionMnistOnlyWhenItHoldsItsFiles() throws IOException {
    assertThatThrownBy(() -> StreamSources.open(dir, ReadOptions.defaults())).isExactlyInstanceOf(IOException.class)
        .hasMessage(dir + " is a directory: give a .csv or .arff file (optionally .gz), or a directory holding "
            + "Fashion-MNIST's four IDX files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
            + "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz); it has none of them");
    Files.writeString(dir.resolve("train-images-idx3-ubyte.gz"), "");
    assertThatThrownBy(() -> StreamSources.open(dir, ReadOptions.defaults())).hasMessageEndingWith(
        "; it lacks train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz");
  }

  @Test
  void aMissingPathADeviceAndAnEmptyFileAreEachNamed() throws IOException {
    assertThatThrownBy(() -> StreamSources.open(dir.resolve("nope.csv"), ReadOptions.defaults()))
        .isInstanceOf(NoSuchFileException.class);
    Path devNull = Path.of("/dev/null");
    if (Files.exists(devNull)) {
      assertThatThrownBy(() -> StreamSources.open(devNull, ReadOptions.defaults()))
          .isNotInstanceOf(NoSuchFileException.class).hasMessageStartingWith("/dev/null is not a regular file");
    }
    Path empty = Files.writeString(dir.resolve("e.arff"), "");
    assertThatThrownBy(() -> StreamSources.open(empty, ReadOptions.defaults())).hasMessageContaining("empty file");
  }
}
