package dev.auramoe.stream.io;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Opens input files, gunzipping them transparently when they start with the gzip magic number.
 * Every failure names the file: one that does not exist, a directory, a device or pipe (which
 * cannot be read twice, as type inference does), and gzip data that is cut short or corrupt.
 */
final class Inputs {

  private static final int BUFFER = 1 << 16;

  private Inputs() {}

  /**
   * Checks that {@code file} is a regular file one can read.
   *
   * @throws NoSuchFileException when nothing is there
   * @throws IOException naming the file when it is a directory or not a regular file
   */
  static void checkRegularFile(Path file) throws IOException {
    if (Files.isRegularFile(file)) {
      return;
    }
    if (Files.isDirectory(file)) {
      throw new IOException(file + " is a directory, not a data file");
    }
    if (Files.exists(file)) {
      throw new IOException(file + " is not a regular file (a device, pipe or socket); give a .csv or .arff file,"
          + " optionally gzipped");
    }
    throw new NoSuchFileException(file.toString(), null, "no such file");
  }

  /** A buffered stream of the file's bytes, decompressed if the file is gzip (by content, not by name). */
  static InputStream open(Path file) throws IOException {
    checkRegularFile(file);
    InputStream in = new BufferedInputStream(Files.newInputStream(file), BUFFER);
    try {
      in.mark(2);
      int b0 = in.read();
      int b1 = in.read();
      in.reset();
      if (b0 == 0x1f && b1 == 0x8b) {
        try {
          return new BufferedInputStream(new NamedGzip(in, file), BUFFER);
        } catch (EOFException e) {
          throw truncated(file, e);
        } catch (ZipException e) {
          throw corrupt(file, e);
        }
      }
      return in;
    } catch (IOException | RuntimeException e) {
      in.close();
      throw e;
    }
  }

  /**
   * The file as UTF-8 text (gzip or plain), decoded strictly: bytes that are not UTF-8 fail the read
   * that reaches them ({@link StrictUtf8Reader}). Not buffered: the readers buffer themselves.
   */
  static Reader reader(Path file) throws IOException {
    return new StrictUtf8Reader(open(file), BUFFER);
  }

  /**
   * A read failure with the file and the line the reader had reached: {@code "<message> (reading
   * line N)"} when the message names the file already (as a gzip failure's does), else {@code
   * "<source>: <message> (reading line N)"}.
   */
  static IOException atLine(IOException e, String source, long line) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return new IOException((m.startsWith(source) ? m : source + ": " + m) + " (reading line " + line + ")", e);
  }

  /**
   * Gzip decompression whose errors name the file: the JDK's say only "Unexpected end of ZLIB input
   * stream" or "invalid stored block lengths". A cut file stays an {@link EOFException} and corrupt
   * data a {@link ZipException}, so callers can tell them apart. (The header, read by the
   * constructor, is checked by {@link #open}.)
   */
  private static final class NamedGzip extends GZIPInputStream {

    private final Path file;

    NamedGzip(InputStream in, Path file) throws IOException {
      super(in, BUFFER);
      this.file = file;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      try {
        return super.read(b, off, len);
      } catch (EOFException e) {
        throw truncated(file, e);
      } catch (ZipException e) {
        throw corrupt(file, e);
      }
    }

  }

  private static EOFException truncated(Path file, EOFException cause) {
    EOFException e = new EOFException(file + ": truncated gzip data: the file ends inside its compressed stream");
    e.initCause(cause);
    return e;
  }

  private static ZipException corrupt(Path file, ZipException cause) {
    ZipException e = new ZipException(file + ": corrupt gzip data (" + cause.getMessage() + ")");
    e.initCause(cause);
    return e;
  }
}
