package dev.auramoe.stream.io;

import dev.auramoe.stream.data.Attribute;
import dev.auramoe.stream.data.Schema;
import java.util.ArrayList;
import java.util.List;

/**
 * A test-only ARFF reader, written independently of {@link ArffWriter}: Weka's quoting (single or double quotes,
 * backslash escapes), {@code ?} for missing, dense data only.
 */
final class TestArff {

  record Parsed(Schema schema, List<double[]> rows) {}

  private record Token(String text, boolean quoted, int end) {}

  private TestArff() {}

  static Parsed parse(String text) {
    String relation = null;
    List<Attribute> atts = new ArrayList<>();
    List<double[]> rows = new ArrayList<>();
    boolean data = false;
    Schema schema = null;
    for (String line : text.split("\n", -1)) {
      if (line.isBlank() || line.startsWith("%")) {
        continue;
      }
      if (!data) {
        String lower = line.toLowerCase(java.util.Locale.ROOT);
        if (lower.startsWith("@relation ")) {
          relation = word(line, 10).text();
        } else if (lower.startsWith("@attribute ")) {
          Token name = word(line, 11);
          String type = line.substring(name.end()).trim();
          if (type.equalsIgnoreCase("numeric") || type.equalsIgnoreCase("real")) {
            atts.add(Attribute.numeric(name.text()));
          } else if (type.startsWith("{") && type.endsWith("}")) {
            List<String> values = new ArrayList<>();
            for (Token t : list(type.substring(1, type.length() - 1))) {
              values.add(t.text());
            }
            atts.add(Attribute.nominal(name.text(), values));
          } else {
            throw new IllegalStateException("unknown type in " + line);
          }
        } else if (lower.equals("@data")) {
          data = true;
          schema = new Schema(relation, atts, atts.size() - 1);
        } else {
          throw new IllegalStateException("unexpected header line " + line);
        }
        continue;
      }
      List<Token> tokens = list(line);
      if (tokens.size() != atts.size()) {
        throw new IllegalStateException(tokens.size() + " values in " + line);
      }
      double[] row = new double[atts.size()];
      for (int i = 0; i < row.length; i++) {
        Token t = tokens.get(i);
        Attribute a = atts.get(i);
        if (!t.quoted() && t.text().equals("?")) {
          row[i] = Double.NaN;
        } else if (a.isNominal()) {
          int k = a.indexOf(t.text());
          if (k < 0) {
            throw new IllegalStateException("'" + t.text() + "' is not a value of " + a.name());
          }
          row[i] = k;
        } else {
          row[i] = Double.parseDouble(t.text());
        }
      }
      rows.add(row);
    }
    return new Parsed(schema, rows);
  }

  /** A token ended by whitespace (or its closing quote) starting at {@code from}. */
  private static Token word(String s, int from) {
    int i = from;
    while (Character.isWhitespace(s.charAt(i))) {
      i++;
    }
    if (s.charAt(i) == '\'' || s.charAt(i) == '"') {
      return quoted(s, i);
    }
    int start = i;
    while (i < s.length() && !Character.isWhitespace(s.charAt(i))) {
      i++;
    }
    return new Token(s.substring(start, i), false, i);
  }

  private static Token quoted(String s, int open) {
    char q = s.charAt(open);
    StringBuilder b = new StringBuilder();
    int i = open + 1;
    while (s.charAt(i) != q) {
      char c = s.charAt(i);
      if (c == '\\') {
        char e = s.charAt(++i);
        b.append(switch (e) {
          case 't' -> '\t';
          case 'n' -> '\n';
          case 'r' -> '\r';
          default -> e;
        });
      } else {
        b.append(c);
      }
      i++;
    }
    return new Token(b.toString(), true, i + 1);
  }

  /** Comma-separated tokens. */
  private static List<Token> list(String s) {
    List<Token> out = new ArrayList<>();
    int i = 0;
    while (i <= s.length()) {
      while (i < s.length() && s.charAt(i) == ' ') {
        i++;
      }
      Token t;
      if (i < s.length() && (s.charAt(i) == '\'' || s.charAt(i) == '"')) {
        t = quoted(s, i);
        i = t.end();
        while (i < s.length() && s.charAt(i) == ' ') {
          i++;
        }
        if (i < s.length() && s.charAt(i) != ',') {
          throw new IllegalStateException("text after a quoted value in " + s);
        }
      } else {
        int comma = s.indexOf(',', i);
        int end = comma < 0 ? s.length() : comma;
        if (s.substring(i, end).contains("'") || s.substring(i, end).contains(" ")) {
          throw new IllegalStateException("unquoted value needing quotes in " + s);
        }
        t = new Token(s.substring(i, end).trim(), false, end);
        i = end;
      }
      out.add(t);
      i++;
    }
    return out;
  }
}
