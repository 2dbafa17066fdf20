package dev.auramoe.cli.text;

import dev.auramoe.io.Utf8;
import dev.auramoe.text.Texts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Reads a directory of fortune-format files as a {@link Corpus}, one category per file: the format
 * of the {@code fortunes} package ({@code /usr/share/games/fortunes}), and of any held-out data set
 * written the same way.
 *
 * <p><b>Files.</b> Every regular file of the directory (not its sub-directories) is a category named
 * after the file, except hidden files and {@code *.dat} files (the {@code strfile} indexes). A file
 * {@code NAME.u8} is the UTF-8 copy of {@code NAME}: when both exist and are the same file (Debian
 * links one to the other) the category is read once; when they differ, {@code NAME.u8} is read and
 * {@code NAME} left out. A file with no quote is left out.
 *
 * <p><b>Quotes.</b> A file is UTF-8 (decoded strictly: an invalid byte sequence is refused, naming
 * the file and line). Quotes are separated by lines holding only {@code %}; a quote is its lines
 * joined with {@code \n}, without the white space around it. Overstruck characters ({@code X\bY},
 * how fortune files underline and embolden) become the character printed last, {@code Y}. Empty
 * quotes are skipped. Each quote must then pass {@link Texts#check}, else the file and the line where
 * the quote starts are named.
 */
public final class FortuneFiles {

  /** Where the Debian and Ubuntu {@code fortunes} package puts its files. */
  public static final Path DEFAULT_DIRECTORY = Path.of("/usr/share/games/fortunes");

  /** How to get the default data, for the message when it is missing. */
  public static final String INSTALL_HINT = "install it with 'sudo apt-get install -y fortunes' (Debian, Ubuntu), "
      + "or give --data DIR, a directory of fortune-format files (one file per category, quotes separated by "
      + "lines holding only %)";

  private static final String U8 = ".u8";

  private FortuneFiles() {}

  /**
   * Reads every category file of {@code dir}.
   *
   * @throws IllegalArgumentException when the directory is missing, holds no quote, or a file is not
   *     valid UTF-8 or has a quote that fails {@link Texts#check} (naming the file and line)
   * @throws IOException when a file cannot be read
   */
  public static Corpus read(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException(dir + ": " + (Files.exists(dir) ? "not a directory" : "no such directory"));
    }
    TreeMap<String, Path> files = categoryFiles(dir);
    List<String> categories = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    List<Integer> labels = new ArrayList<>();
    for (var e : files.entrySet()) {
      List<String> quotes = quotes(e.getValue());
      if (quotes.isEmpty()) {
        continue;
      }
      int label = categories.size();
      categories.add(e.getKey());
      for (String q : quotes) {
        texts.add(q);
        labels.add(label);
      }
    }
    if (texts.isEmpty()) {
      throw new IllegalArgumentException(dir + ": no fortune-format file with a quote in it (one file per category, "
          + "quotes separated by lines holding only %)");
    }
    return new Corpus(dir.toString(), categories, texts, labels.stream().mapToInt(Integer::intValue).toArray());
  }

  /** The category files of a directory by category name (sorted, so that labels do not depend on the file system). */
  static TreeMap<String, Path> categoryFiles(Path dir) throws IOException {
    TreeMap<String, Path> byName = new TreeMap<>();
    List<Path> entries;
    try (Stream<Path> s = Files.list(dir)) {
      entries = s.sorted().toList();
    }
    for (Path p : entries) {
      String name = p.getFileName().toString();
      if (name.startsWith(".") || name.endsWith(".dat") || !Files.isRegularFile(p)) {
        continue;
      }
      if (name.endsWith(U8) && name.length() > U8.length()) {
        String base = name.substring(0, name.length() - U8.length());
        Path plain = p.resolveSibling(base);
        if (Files.isRegularFile(plain) && Files.isSameFile(plain, p)) {
          continue; // the plain name is read
        }
        byName.put(base, p);
      } else if (!byName.containsKey(name)) {
        Path u8 = p.resolveSibling(name + U8);
        if (!Files.isRegularFile(u8) || Files.isSameFile(u8, p)) {
          byName.put(name, p);
        }
      }
    }
    return byName;
  }

  /**
   * The quotes of one fortune-format file.
   *
   * @throws IllegalArgumentException naming the file and line of invalid UTF-8 or of a quote that
   *     fails {@link Texts#check}
   */
  static List<String> quotes(Path file) throws IOException {
    String text = decode(Files.readAllBytes(file), file);
    List<String> quotes = new ArrayList<>();
    StringBuilder quote = new StringBuilder();
    int line = 1;
    int quoteLine = 1;
    int start = 0;
    int n = text.length();
    while (start <= n) {
      int end = text.indexOf('\n', start);
      boolean last = end < 0;
      if (last) {
        end = n;
      }
      String l = text.substring(start, end);
      if (l.endsWith("\r")) {
        l = l.substring(0, l.length() - 1);
      }
      if (l.equals("%")) {
        add(quote, quotes, file, quoteLine);
        quoteLine = line + 1;
      } else {
        if (!quote.isEmpty()) {
          quote.append('\n');
        }
        appendWithoutOverstrikes(l, quote);
      }
      if (last) {
        break;
      }
      start = end + 1;
      line++;
    }
    add(quote, quotes, file, quoteLine);
    return quotes;
  }

  private static void add(StringBuilder quote, List<String> quotes, Path file, int line) {
    String q = quote.toString().strip();
    quote.setLength(0);
    if (q.isEmpty()) {
      return;
    }
    try {
      quotes.add(Texts.check(q));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ":" + line + ": the quote starting here: " + e.getMessage(), e);
    }
  }

  /** Appends a line, an overstruck character ({@code X\bY}) as the one printed over it. */
  static void appendWithoutOverstrikes(String line, StringBuilder into) {
    int lineStart = into.length();
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '\b') {
        if (into.length() > lineStart) {
          into.setLength(into.length() - 1);
        }
      } else {
        into.append(c);
      }
    }
  }

  /** Strict UTF-8, naming the file and line of the first invalid byte sequence. */
  private static String decode(byte[] bytes, Path file) {
    return Utf8.decodeStrictly(bytes, (at, length) -> {
      int line = 1;
      for (int i = 0; i < at; i++) {
        if (bytes[i] == '\n') {
          line++;
        }
      }
      return new IllegalArgumentException(file + ":" + line + ": not valid UTF-8 (a malformed sequence of " + length
          + " byte(s) at byte " + at + "); fortune files must be UTF-8 (a NAME.u8 copy beside NAME is read instead)");
    });
  }
}
