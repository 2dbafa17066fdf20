package dev.auramoe.stream.gen;

import dev.auramoe.stream.data.Attribute;
import dev.auramoe.stream.data.Schema;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The loan-applicant stream of Agrawal, Imielinski and Swami (1993), as in MOA's {@code AgrawalGenerator}: nine
 * attributes drawn independently,
 *
 * <pre>
 *   salary     uniform in [20000, 150000]
 *   commission 0 when salary &gt;= 75000, else uniform in [10000, 75000]
 *   age        integer uniform in 20 .. 80
 *   elevel     nominal 0 .. 4 (education level)
 *   car        nominal 1 .. 20 (make of car)
 *   zipcode    nominal 0 .. 8
 *   hvalue     uniform in [0.5 k, 1.5 k] * 100000 with k = 9 - zipcode
 *   hyears     integer uniform in 1 .. 30
 *   loan       uniform in [0, 500000]
 * </pre>
 *
 * and a class {@code groupA} (index 0) or {@code groupB} (index 1) given by one of ten classification functions;
 * see {@link #classify}. The class is computed before the perturbation: with a perturbation fraction {@code p}
 * (5% by default) every numeric attribute except a zero commission is moved by a uniform amount in
 * {@code [-p, p]} times its range and clipped to its range (age and hyears are then rounded). For hvalue the range
 * is that of its zipcode, {@code [0.5 k, 1.5 k] * 100000}, where MOA clips to [0, 135000]. With balanced classes
 * the generator alternates groupA, groupB by redrawing instances, as MOA does.
 *
 * <p>Schema: relation {@code agrawal}, columns {@code salary, commission, age, elevel {0..4}, car {1..20},
 * zipcode {0..8}, hvalue, hyears, loan, class {groupA, groupB}}; nominal values are stored as their index (so
 * car {@code c} is stored as {@code c - 1}).
 */
public final class AgrawalGenerator extends Generator {

  /** Default perturbation fraction. */
  public static final double DEFAULT_PERTURBATION = 0.05;

  /** Column index of salary. */
  public static final int SALARY = 0;
  /** Column index of commission. */
  public static final int COMMISSION = 1;
  /** Column index of age. */
  public static final int AGE = 2;
  /** Column index of elevel. */
  public static final int ELEVEL = 3;
  /** Column index of car. */
  public static final int CAR = 4;
  /** Column index of zipcode. */
  public static final int ZIPCODE = 5;
  /** Column index of hvalue. */
  public static final int HVALUE = 6;
  /** Column index of hyears. */
  public static final int HYEARS = 7;
  /** Column index of loan. */
  public static final int LOAN = 8;
  /** Column index of class. */
  public static final int CLASS = 9;

  private final int function;
  private final double perturbation;
  private final boolean balanced;
  private final SplittableRandom random;
  private boolean nextIsGroupB;

  /** Function {@code function} with 5% perturbation and unbalanced classes. */
  public AgrawalGenerator(int function, long seed) {
    this(function, DEFAULT_PERTURBATION, false, seed);
  }

  /**
   * @param function the classification function, 1 to 10
   * @param perturbation fraction of its range by which a numeric value may move, in [0, 1]
   * @param balanced whether the classes alternate groupA, groupB, groupA, ...
   * @param seed the seed that determines the stream
   */
  public AgrawalGenerator(int function, double perturbation, boolean balanced, long seed) {
    super(standardSchema(), seed);
    checkFunction(function);
    this.function = function;
    this.perturbation = checkFraction("Agrawal perturbation", perturbation);
    this.balanced = balanced;
    this.random = new SplittableRandom(seed);
  }

  private static void checkFunction(int function) {
    if (function < 1 || function > 10) {
      throw new IllegalArgumentException("Agrawal function must be in 1..10, got " + function);
    }
  }

  /** The schema of every Agrawal stream. */
  public static Schema standardSchema() {
    List<Attribute> atts = new ArrayList<>();
    atts.add(Attribute.numeric("salary"));
    atts.add(Attribute.numeric("commission"));
    atts.add(Attribute.numeric("age"));
    atts.add(Attribute.nominal("elevel", range(0, 4)));
    atts.add(Attribute.nominal("car", range(1, 20)));
    atts.add(Attribute.nominal("zipcode", range(0, 8)));
    atts.add(Attribute.numeric("hvalue"));
    atts.add(Attribute.numeric("hyears"));
    atts.add(Attribute.numeric("loan"));
    atts.add(Attribute.nominal("class", List.of("groupA", "groupB")));
    return new Schema("agrawal", atts, CLASS);
  }

  private static List<String> range(int from, int to) {
    List<String> values = new ArrayList<>();
    for (int i = from; i <= to; i++) {
      values.add(Integer.toString(i));
    }
    return values;
  }

  /** The classification function, 1 to 10. */
  public int function() {
    return function;
  }

  /** The perturbation fraction. */
  public double perturbation() {
    return perturbation;
  }

  /** Whether the classes are balanced. */
  public boolean balanced() {
    return balanced;
  }

  /**
   * The class (0 = groupA, 1 = groupB) of Agrawal et al.'s function {@code function} (1 to 10). With
   * {@code inBand(x, lo, hi) = lo <= x <= hi} and {@code total = salary + commission}:
   *
   * <ol>
   *   <li>A iff age &lt; 40 or age &gt;= 60
   *   <li>A iff salary in [50k, 100k] (age &lt; 40), [75k, 125k] (40 .. 59), [25k, 75k] (60+)
   *   <li>A iff elevel in {0, 1} (age &lt; 40), {1, 2, 3} (40 .. 59), {2, 3, 4} (60+)
   *   <li>by age and elevel as in 3: if the elevel matches, A iff salary in [25k, 75k], [50k, 100k], [50k, 100k];
   *       otherwise A iff salary in [50k, 100k], [75k, 125k], [25k, 75k]
   *   <li>by age and salary as in 2: if the salary matches, A iff loan in [100k, 300k], [200k, 400k],
   *       [300k, 500k]; otherwise A iff loan in [200k, 400k], [300k, 500k], [100k, 300k]
   *   <li>as 2 on {@code total} instead of salary
   *   <li>A iff 2 total / 3 - loan / 5 - 20000 &gt; 0
   *   <li>A iff 2 total / 3 - 5000 elevel - 20000 &gt; 0
   *   <li>A iff 2 total / 3 - 5000 elevel - loan / 5 - 10000 &gt; 0
   *   <li>A iff 2 total / 3 - 5000 elevel + equity / 5 - 10000 &gt; 0, with equity = hvalue (hyears - 20) / 10
   *       when hyears &gt;= 20 and 0 otherwise
   * </ol>
   *
   * @param elevel the education level 0 .. 4 (the value, which is also its index)
   */
  public static int classify(int function, double salary, double commission, double age, int elevel,
      double hvalue, double hyears, double loan) {
    checkFunction(function);
    double total = salary + commission;
    boolean a = switch (function) {
      case 1 -> age < 40 || age >= 60;
      case 2 -> salaryBand(age, salary);
      case 3 -> elevelBand(age, elevel);
      case 4 -> {
        if (age < 40) {
          yield elevelBand(age, elevel) ? in(salary, 25000, 75000) : in(salary, 50000, 100000);
        } else if (age < 60) {
          yield elevelBand(age, elevel) ? in(salary, 50000, 100000) : in(salary, 75000, 125000);
        } else {
          yield elevelBand(age, elevel) ? in(salary, 50000, 100000) : in(salary, 25000, 75000);
        }
      }
      case 5 -> {
        if (age < 40) {
          yield salaryBand(age, salary) ? in(loan, 100000, 300000) : in(loan, 200000, 400000);
        } else if (age < 60) {
          yield salaryBand(age, salary) ? in(loan, 200000, 400000) : in(loan, 300000, 500000);
        } else {
          yield salaryBand(age, salary) ? in(loan, 300000, 500000) : in(loan, 100000, 300000);
        }
      }
      case 6 -> salaryBand(age, total);
      case 7 -> 2.0 * total / 3.0 - loan / 5.0 - 20000.0 > 0;
      case 8 -> 2.0 * total / 3.0 - 5000.0 * elevel - 20000.0 > 0;
      case 9 -> 2.0 * total / 3.0 - 5000.0 * elevel - loan / 5.0 - 10000.0 > 0;
      default -> {
        double equity = hyears >= 20 ? hvalue * (hyears - 20.0) / 10.0 : 0;
        yield 2.0 * total / 3.0 - 5000.0 * elevel + equity / 5.0 - 10000.0 > 0;
      }
    };
    return a ? 0 : 1;
  }

  private static boolean in(double x, double lo, double hi) {
    return lo <= x && x <= hi;
  }

  private static boolean salaryBand(double age, double salary) {
    if (age < 40) {
      return in(salary, 50000, 100000);
    } else if (age < 60) {
      return in(salary, 75000, 125000);
    }
    return in(salary, 25000, 75000);
  }

  private static boolean elevelBand(double age, int elevel) {
    if (age < 40) {
      return elevel == 0 || elevel == 1;
    } else if (age < 60) {
      return elevel >= 1 && elevel <= 3;
    }
    return elevel >= 2;
  }

  @Override
  protected void generate(double[] v) {
    double salary;
    double commission;
    double age;
    int elevel;
    int car;
    int zipcode;
    double hvalue;
    double hyears;
    double loan;
    int group;
    while (true) {
      salary = 20000.0 + 130000.0 * random.nextDouble();
      commission = salary >= 75000.0 ? 0 : 10000.0 + 65000.0 * random.nextDouble();
      age = 20 + random.nextInt(61);
      elevel = random.nextInt(5);
      car = random.nextInt(20);
      zipcode = random.nextInt(9);
      double k = (9.0 - zipcode) * 100000.0;
      hvalue = k * (0.5 + random.nextDouble());
      hyears = 1 + random.nextInt(30);
      loan = random.nextDouble() * 500000.0;
      group = classify(function, salary, commission, age, elevel, hvalue, hyears, loan);
      if (perturbation > 0) {
        salary = perturb(salary, 20000, 150000);
        if (commission > 0) {
          commission = perturb(commission, 10000, 75000);
        }
        age = Math.round(perturb(age, 20, 80));
        hvalue = perturb(hvalue, 0.5 * k, 1.5 * k);
        hyears = Math.round(perturb(hyears, 1, 30));
        loan = perturb(loan, 0, 500000);
      }
      if (!balanced || (group == 1) == nextIsGroupB) {
        nextIsGroupB = !nextIsGroupB;
        break;
      }
    }
    v[SALARY] = salary;
    v[COMMISSION] = commission;
    v[AGE] = age;
    v[ELEVEL] = elevel;
    v[CAR] = car;
    v[ZIPCODE] = zipcode;
    v[HVALUE] = hvalue;
    v[HYEARS] = hyears;
    v[LOAN] = loan;
    v[CLASS] = group;
  }

  private double perturb(double value, double min, double max) {
    double moved = value + (max - min) * (2.0 * (random.nextDouble() - 0.5)) * perturbation;
    return Math.clamp(moved, min, max);
  }
}
