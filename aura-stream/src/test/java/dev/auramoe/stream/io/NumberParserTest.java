package dev.auramoe.stream.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The allocation-free number parser agrees with {@link Double#parseDouble} bit for bit. */
class NumberParserTest {

  private final NumberParser parser = new NumberParser();

  private boolean parse(String s) {
    char[] c = ("##" + s + "##").toCharArray();
    return parser.parse(c, 2, c.length - 2);
  }

  @ParameterizedTest
  @ValueSource(strings = {"0", "-0", "1", "+7", "3.25", "-.5", "5.", "1e3", "1E-3", "2.5e+10", "123456789012345678",
      "1234567890123456789012", "0.1", "0.30000000000000004", "4.9e-324", "1.7976931348623157e308", "1e400",
      "000123.4500", "9007199254740993", "  42 ", "\t-1.5\t", "1e22", "1e23", "123.456e-25"})
  void decimalsParseExactlyAsTheJdkDoes(String s) {
    assertThat(parse(s)).as(s).isTrue();
    assertThat(Double.doubleToRawLongBits(parser.value())).as(s)
        .isEqualTo(Double.doubleToRawLongBits(Double.parseDouble(s.strip())));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", ".", "-", "+", "e5", "1e", "1e+", "1.2.3", "1,5", "0x10", "1f", "2d", "abc",
      "1 2", "--1", "NaNa"})
  void nonNumbersAreRejected(String s) {
    assertThat(parse(s)).as("'%s'", s).isFalse();
  }

  @Test
  void nanAndInfinityAreRead() {
    assertThat(parse("NaN")).isTrue();
    assertThat(parser.value()).isNaN();
    assertThat(parse("-inf")).isTrue();
    assertThat(parser.value()).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(parse("Infinity")).isTrue();
    assertThat(parser.value()).isEqualTo(Double.POSITIVE_INFINITY);
  }

  @Test
  void randomDoublesRoundTripThroughTheirText() {
    Random random = new Random(345);
    for (int i = 0; i < 20_000; i++) {
      double v = switch (i % 4) {
        case 0 -> random.nextDouble();
        case 1 -> (random.nextDouble() - 0.5) * Math.pow(10, random.nextInt(40) - 20);
        case 2 -> random.nextInt(1_000_000) / 1000.0;
        default -> Double.longBitsToDouble(random.nextLong());
      };
      if (Double.isNaN(v)) {
        continue;
      }
      String s = Double.toString(v);
      assertThat(parse(s)).as(s).isTrue();
      assertThat(parser.value()).as(s).isEqualTo(v);
      String plain = new java.math.BigDecimal(v).round(new java.math.MathContext(12)).toPlainString();
      if (plain.length() < 40) {
        assertThat(parse(plain)).as(plain).isTrue();
        assertThat(parser.value()).as(plain).isEqualTo(Double.parseDouble(plain));
      }
    }
  }
}
