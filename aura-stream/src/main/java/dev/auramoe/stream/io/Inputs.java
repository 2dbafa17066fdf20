package dev.auramoe.stream.io;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/** Opens input files, gunzipping them transparently when they start with the gzip magic number. */
final class Inputs {

  private static final int BUFFER = 1 << 16;

  private Inputs() {}

  /** A buffered stream of the file's bytes, decompressed if the file is gzip (by content, not by name). */
  static InputStream open(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(file.toString(), null, "no such file");
    }
    InputStream in = new BufferedInputStream(Files.newInputStream(file), BUFFER);
    try {
      in.mark(2);
      int b0 = in.read();
      int b1 = in.read();
      in.reset();
      if (b0 == 0x1f && b1 == 0x8b) {
        return new BufferedInputStream(new GZIPInputStream(in, BUFFER), BUFFER);
      }
      return in;
    } catch (IOException | RuntimeException e) {
      in.close();
      throw e;
    }
  }

  /** The file as UTF-8 text (gzip or plain). Not buffered: the readers buffer themselves. */
  static Reader reader(Path file) throws IOException {
    return new InputStreamReader(open(file), StandardCharsets.UTF_8);
  }
}
