package dev.auramoe.stream.gen;

import static dev.auramoe.stream.gen.AgrawalGenerator.AGE;
import static dev.auramoe.stream.gen.AgrawalGenerator.CLASS;
import static dev.auramoe.stream.gen.AgrawalGenerator.COMMISSION;
import static dev.auramoe.stream.gen.AgrawalGenerator.ELEVEL;
import static dev.auramoe.stream.gen.AgrawalGenerator.HVALUE;
import static dev.auramoe.stream.gen.AgrawalGenerator.HYEARS;
import static dev.auramoe.stream.gen.AgrawalGenerator.LOAN;
import static dev.auramoe.stream.gen.AgrawalGenerator.SALARY;
import static dev.auramoe.stream.gen.AgrawalGenerator.ZIPCODE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.auramoe.stream.data.Schema;
import org.junit.jupiter.api.Test;

/** Agrawal: attribute ranges, the classification functions on generated rows, perturbation, balance. */
class AgrawalGeneratorTest {

  @Test
  void theSchemaHasTheNineAttributesWithNominalElevelCarAndZipcode() {
    Schema s = AgrawalGenerator.standardSchema();
    assertThat(s.attributes()).extracting(a -> a.name()).containsExactly("salary", "commission", "age", "elevel",
        "car", "zipcode", "hvalue", "hyears", "loan", "class");
    assertThat(s.attribute(ELEVEL).values()).containsExactly("0", "1", "2", "3", "4");
    assertThat(s.attribute(AgrawalGenerator.CAR).values()).hasSize(20).startsWith("1").endsWith("20");
    assertThat(s.attribute(ZIPCODE).values()).hasSize(9).startsWith("0").endsWith("8");
    assertThat(s.target().values()).containsExactly("groupA", "groupB");
  }

  @Test
  void function1OnUnperturbedRowsIsGroupAForTheYoungAndTheOld() throws Exception {
    int a = 0;
    int n = 20_000;
    for (double[] r : GeneratorContractTest.take(new AgrawalGenerator(1, 0.0, false, 3), n)) {
      double age = r[AGE];
      assertThat(r[CLASS]).as("age %s", age).isEqualTo(age < 40 || age >= 60 ? 0 : 1);
      a += r[CLASS] == 0 ? 1 : 0;
    }
    // ages 20..39 and 60..80: 41 of 61
    assertThat(a / (double) n).isBetween(41 / 61.0 - 0.015, 41 / 61.0 + 0.015);
  }

  @Test
  void unperturbedRowsHaveTheirRangesAndFollowEveryFunction() throws Exception {
    for (int f = 1; f <= 10; f++) {
      int a = 0;
      for (double[] r : GeneratorContractTest.take(new AgrawalGenerator(f, 0.0, false, f), 5000)) {
        assertThat(r[SALARY]).isBetween(20_000.0, 150_000.0);
        if (r[SALARY] >= 75_000) {
          assertThat(r[COMMISSION]).isZero();
        } else {
          assertThat(r[COMMISSION]).isBetween(10_000.0, 75_000.0);
        }
        assertThat(r[AGE]).isBetween(20.0, 80.0).isEqualTo(Math.rint(r[AGE]));
        double k = (9 - r[ZIPCODE]) * 100_000;
        assertThat(r[HVALUE]).isBetween(0.5 * k, 1.5 * k);
        assertThat(r[HYEARS]).isBetween(1.0, 30.0).isEqualTo(Math.rint(r[HYEARS]));
        assertThat(r[LOAN]).isBetween(0.0, 500_000.0);
        assertThat(r[CLASS]).isEqualTo(expected(f, r));
        a += r[CLASS] == 0 ? 1 : 0;
      }
      assertThat(a).as("function %d gives both classes", f).isBetween(1, 4999);
    }
  }

  /** The functions, written again from the paper's table with the rows' columns. */
  private static int expected(int f, double[] r) {
    double salary = r[SALARY];
    double total = salary + r[COMMISSION];
    double age = r[AGE];
    int elevel = (int) r[ELEVEL];
    double loan = r[LOAN];
    int band = age < 40 ? 0 : age < 60 ? 1 : 2;
    double[][] salaryBands = {{50_000, 100_000}, {75_000, 125_000}, {25_000, 75_000}};
    boolean salaryIn = salary >= salaryBands[band][0] && salary <= salaryBands[band][1];
    boolean elevelIn = switch (band) {
      case 0 -> elevel <= 1;
      case 1 -> elevel >= 1 && elevel <= 3;
      default -> elevel >= 2;
    };
    boolean a = switch (f) {
      case 1 -> band != 1;
      case 2 -> salaryIn;
      case 3 -> elevelIn;
      case 4 -> {
        double[][] yes = {{25_000, 75_000}, {50_000, 100_000}, {50_000, 100_000}};
        double[][] no = {{50_000, 100_000}, {75_000, 125_000}, {25_000, 75_000}};
        double[] b = elevelIn ? yes[band] : no[band];
        yield salary >= b[0] && salary <= b[1];
      }
      case 5 -> {
        double[][] yes = {{100_000, 300_000}, {200_000, 400_000}, {300_000, 500_000}};
        double[][] no = {{200_000, 400_000}, {300_000, 500_000}, {100_000, 300_000}};
        double[] b = salaryIn ? yes[band] : no[band];
        yield loan >= b[0] && loan <= b[1];
      }
      case 6 -> total >= salaryBands[band][0] && total <= salaryBands[band][1];
      case 7 -> 2 * total / 3 - loan / 5 - 20_000 > 0;
      case 8 -> 2 * total / 3 - 5000 * elevel - 20_000 > 0;
      case 9 -> 2 * total / 3 - 5000 * elevel - loan / 5 - 10_000 > 0;
      default -> {
        double equity = r[HYEARS] >= 20 ? r[HVALUE] * (r[HYEARS] - 20) / 10 : 0;
        yield 2 * total / 3 - 5000 * elevel + equity / 5 - 10_000 > 0;
      }
    };
    return a ? 0 : 1;
  }

  @Test
  void handPickedApplicantsGetThePapersClasses() {
    // age 45, salary 100k, no commission, elevel 2, loan 250k
    assertThat(AgrawalGenerator.classify(1, 100_000, 0, 45, 2, 500_000, 10, 250_000)).isEqualTo(1);
    assertThat(AgrawalGenerator.classify(2, 100_000, 0, 45, 2, 500_000, 10, 250_000)).isEqualTo(0);
    assertThat(AgrawalGenerator.classify(3, 100_000, 0, 45, 2, 500_000, 10, 250_000)).isEqualTo(0);
    assertThat(AgrawalGenerator.classify(3, 100_000, 0, 45, 4, 500_000, 10, 250_000)).isEqualTo(1);
    assertThat(AgrawalGenerator.classify(4, 100_000, 0, 45, 2, 500_000, 10, 250_000)).isEqualTo(0);
    assertThat(AgrawalGenerator.classify(4, 100_000, 0, 45, 0, 500_000, 10, 250_000)).isEqualTo(0);
    assertThat(AgrawalGenerator.classify(4, 60_000, 0, 45, 0, 500_000, 10, 250_000)).isEqualTo(1);
    assertThat(AgrawalGenerator.classify(5, 100_000, 0, 45, 2, 500_000, 10, 250_000)).isEqualTo(0);
    assertThat(AgrawalGenerator.classify(5, 100_000, 0, 45, 2, 500_000, 10, 450_000)).isEqualTo(1);
    assertThat(AgrawalGenerator.classify(6, 60_000, 20_000, 45, 2, 500_000, 10, 250_000)).isEqualTo(0);
    assertThat(AgrawalGenerator.classify(6, 60_000, 10_000, 45, 2, 500_000, 10, 250_000)).isEqualTo(1);
    // 2 * 90k / 3 = 60k; 60k - 250k / 5 - 20k = -10k
    assertThat(AgrawalGenerator.classify(7, 90_000, 0, 45, 2, 500_000, 10, 250_000)).isEqualTo(1);
    assertThat(AgrawalGenerator.classify(7, 90_000, 0, 45, 2, 500_000, 10, 150_000)).isEqualTo(0);
    // 60k - 10k - 20k > 0
    assertThat(AgrawalGenerator.classify(8, 90_000, 0, 45, 2, 500_000, 10, 250_000)).isEqualTo(0);
    // 60k - 10k - 50k - 10k < 0
    assertThat(AgrawalGenerator.classify(9, 90_000, 0, 45, 2, 500_000, 10, 250_000)).isEqualTo(1);
    // equity = 500k * 5 / 10 = 250k; 60k - 10k + 50k - 10k > 0; without equity 60k - 10k - 10k > 0 too
    assertThat(AgrawalGenerator.classify(10, 30_000, 0, 45, 4, 500_000, 25, 250_000)).isEqualTo(0);
    assertThat(AgrawalGenerator.classify(10, 30_000, 0, 45, 4, 500_000, 10, 250_000)).isEqualTo(1);
  }

  @Test
  void perturbationMovesValuesWithinTheirRangesButNotTheClass() throws Exception {
    double[][] clean = GeneratorContractTest.take(new AgrawalGenerator(2, 0.0, false, 9), 3000);
    double[][] noisy = GeneratorContractTest.take(new AgrawalGenerator(2, 0.05, false, 9), 3000);
    int disagree = 0;
    for (double[] r : noisy) {
      assertThat(r[SALARY]).isBetween(20_000.0, 150_000.0);
      assertThat(r[AGE]).isBetween(20.0, 80.0).isEqualTo(Math.rint(r[AGE]));
      assertThat(r[HYEARS]).isBetween(1.0, 30.0);
      assertThat(r[LOAN]).isBetween(0.0, 500_000.0);
      double k = (9 - r[ZIPCODE]) * 100_000;
      assertThat(r[HVALUE]).isBetween(0.5 * k, 1.5 * k);
      if (r[CLASS] != expected(2, r)) {
        disagree++;
      }
    }
    // the class comes from the values before perturbation: some rows near a band edge disagree, most agree
    assertThat(disagree).isBetween(1, 600);
    assertThat(noisy[0][SALARY]).isNotEqualTo(clean[0][SALARY]);
  }

  @Test
  void balancedClassesAlternate() throws Exception {
    double[][] rows = GeneratorContractTest.take(new AgrawalGenerator(7, 0.05, true, 2), 1000);
    for (int i = 0; i < rows.length; i++) {
      assertThat(rows[i][CLASS]).isEqualTo(i % 2);
    }
  }

  @Test
  void badParametersAreRefused() {
    assertThatThrownBy(() -> new AgrawalGenerator(11, 1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1..10");
    assertThatThrownBy(() -> new AgrawalGenerator(1, -0.1, false, 1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("perturbation");
  }
}
