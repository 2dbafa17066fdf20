package dev.auramoe.snn.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.auramoe.seq.data.Standardisation;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ChannelStandardisationTest {

  /** Channel 0 ~ N(100, 4^2), channel 1 ~ N(-0.5, 0.1^2), channel 2 constant 3; 4x5 pixels. */
  private static ImageDataset images(int n, double shift, long seed) {
    Random r = new Random(seed);
    ImageShape shape = new ImageShape(3, 4, 5);
    float[] x = new float[n * shape.size()];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      for (int p = 0; p < 20; p++) {
        x[i * 60 + p] = (float) (100 + shift + 4 * r.nextGaussian());
        x[i * 60 + 20 + p] = (float) (-0.5 + 0.1 * r.nextGaussian());
        x[i * 60 + 40 + p] = 3f;
      }
      labels[i] = i % 2;
    }
    return ImageDataset.of(shape, x, labels, List.of("even", "odd"));
  }

  @Test
  void theTrainingSetsChannelStatisticsScaleEverySet() {
    ImageDataset train = images(500, 0, 1);
    Standardisation z = ChannelStandardisation.fit(train);
    assertThat(z.features()).isEqualTo(3);
    assertThat(z.mean(0)).isCloseTo(100, within(0.1));
    assertThat(z.std(0)).isCloseTo(4, within(0.1));
    assertThat(z.mean(1)).isCloseTo(-0.5, within(0.01));
    assertThat(z.std(1)).isCloseTo(0.1, within(0.003));
    assertThat(z.mean(2)).isEqualTo(3);
    assertThat(z.std(2)).as("a constant channel is only centred").isEqualTo(1);

    ImageDataset scaled = ChannelStandardisation.apply(z, train);
    Standardisation again = ChannelStandardisation.fit(scaled);
    for (int c = 0; c < 2; c++) {
      assertThat(again.mean(c)).isCloseTo(0, within(1e-4));
      assertThat(again.std(c)).isCloseTo(1, within(1e-4));
    }
    assertThat(scaled.pixel(7, 2, 3, 4)).isZero();
    assertThat(scaled.label(7)).isEqualTo(train.label(7));
    assertThat(train.pixel(7, 0, 0, 0)).as("the original is unchanged").isNotEqualTo(scaled.pixel(7, 0, 0, 0));

    ImageDataset test = images(50, 8, 2);
    ImageDataset testScaled = ChannelStandardisation.apply(z, test);
    assertThat(testScaled.pixel(3, 0, 2, 1)).as("the test set gets the training set's statistics")
        .isEqualTo((float) ((test.pixel(3, 0, 2, 1) - z.mean(0)) / z.std(0)));
    assertThat(ChannelStandardisation.fit(testScaled).mean(0)).as("shifted by 8 / 4 standard deviations")
        .isCloseTo(2, within(0.1));
  }

  @Test
  void statisticsOfAnotherChannelCountAreRefused() {
    ImageDataset train = images(10, 0, 3);
    assertThatThrownBy(() -> ChannelStandardisation.apply(new Standardisation(new double[] {0}, new double[] {1}),
        train)).hasMessage("the standardisation has 1 channels, the images 3 (3x4x5)");
  }
}
