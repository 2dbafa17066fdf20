package dev.auramoe.seq.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.auramoe.seq.SequenceBatch;
import dev.auramoe.seq.SequenceBatcher;
import dev.auramoe.seq.Task;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StandardisationTest {

  /** Feature 0 ~ N(1e6, 3^2) (far from 0), feature 1 ~ N(-2, 0.5^2), feature 2 constant 7. */
  private static SequenceDataset data(int n, long seed) {
    Random r = new Random(seed);
    SequenceDataset.Builder b = SequenceDataset.builder(Task.classification(2), 3);
    for (int s = 0; s < n; s++) {
      int steps = 1 + r.nextInt(6);
      float[] x = new float[steps * 3];
      for (int t = 0; t < steps; t++) {
        x[t * 3] = (float) (1e6 + 3 * r.nextGaussian());
        x[t * 3 + 1] = (float) (-2 + 0.5 * r.nextGaussian());
        x[t * 3 + 2] = 7f;
      }
      b.add("s" + s, steps, x, null, s % 2);
    }
    return b.build();
  }

  @Test
  void theTrainingSetsStatisticsCentreAndScaleEverySet() {
    SequenceDataset train = data(3000, 1);
    Standardisation z = Standardisation.fit(train);
    assertThat(z.mean(0)).isCloseTo(1e6, within(0.5));
    assertThat(z.std(0)).as("exact for a feature far from 0").isCloseTo(3, within(0.1));
    assertThat(z.mean(1)).isCloseTo(-2, within(0.05));
    assertThat(z.std(1)).isCloseTo(0.5, within(0.02));
    assertThat(z.mean(2)).isEqualTo(7);
    assertThat(z.std(2)).as("a constant feature is only centred").isEqualTo(1);

    SequenceDataset scaled = z.apply(train);
    Standardisation again = Standardisation.fit(scaled);
    for (int i = 0; i < 2; i++) {
      assertThat(again.mean(i)).isCloseTo(0, within(1e-3));
      assertThat(again.std(i)).isCloseTo(1, within(1e-3));
    }
    assertThat(scaled.value(5, 0, 2)).isZero();
    assertThat(scaled.id(5)).isEqualTo(train.id(5));
    assertThat(scaled.length(5)).isEqualTo(train.length(5));
    assertThat(train.value(5, 0, 1)).as("the original is unchanged").isNotEqualTo(scaled.value(5, 0, 1));

    SequenceDataset test = data(50, 2);
    SequenceDataset testScaled = z.apply(test);
    assertThat(testScaled.value(3, 0, 1)).as("the test set gets the training set's statistics")
        .isEqualTo((float) ((test.value(3, 0, 1) - z.mean(1)) / z.std(1)));
    assertThat(Standardisation.fit(test)).isNotEqualTo(z);
  }

  @Test
  void aBatchIsStandardisedInPlaceAndItsPaddingStaysZero() {
    SequenceDataset train = data(40, 3);
    Standardisation z = Standardisation.fit(train);
    SequenceDataset scaled = z.apply(train);
    SequenceBatch raw = new SequenceBatch(3, 0);
    SequenceBatch expected = new SequenceBatch(3, 0);
    SequenceBatcher a = new SequenceBatcher(train, 1);
    SequenceBatcher b = new SequenceBatcher(scaled, 1);
    a.startInOrder();
    b.startInOrder();
    int rows = a.next(40, raw);
    b.next(40, expected);
    z.apply(raw);
    int values = rows * raw.steps() * 3;
    for (int k = 0; k < values; k++) {
      assertThat(raw.x()[k]).isEqualTo(expected.x()[k]);
    }
    assertThat(raw.first()[0]).isPositive();
    assertThat(raw.x()[0]).as("padding of row 0").isZero();
  }

  @Test
  void badStatisticsAreRefusedAndValuesMakeEquality() {
    assertThatThrownBy(() -> new Standardisation(new double[] {0}, new double[] {0}))
        .hasMessageContaining("feature 0: the mean must be finite and the standard deviation finite and > 0");
    assertThatThrownBy(() -> new Standardisation(new double[] {Double.NaN}, new double[] {1}))
        .hasMessageContaining("feature 0");
    assertThatThrownBy(() -> new Standardisation(new double[] {0, 1}, new double[] {1}))
        .hasMessageContaining("got 2 and 1");
    Standardisation z = new Standardisation(new double[] {1, 2}, new double[] {3, 4});
    assertThat(z).isEqualTo(new Standardisation(new double[] {1, 2}, new double[] {3, 4}))
        .hasSameHashCodeAs(new Standardisation(new double[] {1, 2}, new double[] {3, 4}));
    assertThatThrownBy(() -> z.apply(data(2, 1))).hasMessageContaining("has 2 features, the data 3");
  }

  @Test
  void momentsGiveTheStatisticsWithFitsRuleForConstantFeatures() {
    Standardisation z = Standardisation.ofMoments(new double[] {1e6, -2, 7}, new double[] {9, 0.25, 1e-24});
    assertThat(z).isEqualTo(new Standardisation(new double[] {1e6, -2, 7}, new double[] {3, 0.5, 1}));
    assertThatThrownBy(() -> Standardisation.ofMoments(new double[] {0, 1}, new double[] {1}))
        .hasMessage("need one variance per mean, got 2 means and 1 variances");
    assertThatThrownBy(() -> Standardisation.ofMoments(new double[] {0}, new double[] {Double.NaN}))
        .hasMessage("feature 0: the variance must be finite and >= 0, got NaN");
    assertThatThrownBy(() -> Standardisation.ofMoments(new double[] {Double.NaN}, new double[] {1}))
        .hasMessageContaining("feature 0: the mean must be finite");
  }
}
