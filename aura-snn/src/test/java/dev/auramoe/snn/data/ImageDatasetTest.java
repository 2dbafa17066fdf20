package dev.auramoe.snn.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ImageDatasetTest {

  private static final List<String> ABC = List.of("a", "b", "c");

  /** Three 2x2x3 images whose pixel value is 1000 * image + 100 * channel + 10 * row + column. */
  private static float[] pixels() {
    float[] x = new float[3 * 12];
    for (int i = 0; i < 3; i++) {
      for (int c = 0; c < 2; c++) {
        for (int y = 0; y < 2; y++) {
          for (int w = 0; w < 3; w++) {
            x[((i * 2 + c) * 2 + y) * 3 + w] = 1000 * i + 100 * c + 10 * y + w;
          }
        }
      }
    }
    return x;
  }

  @Test
  void pixelsAreChannelsFirstAndTheArraysAreCopied() {
    float[] x = pixels();
    int[] labels = {2, 0, 2};
    ImageDataset d = ImageDataset.of(new ImageShape(2, 2, 3), x, labels, ABC);
    x[0] = 99;
    labels[0] = 1;
    assertThat(d.pixel(0, 0, 0, 0)).isZero();
    assertThat(d.label(0)).isEqualTo(2);
    assertThat(d.pixel(2, 1, 1, 2)).isEqualTo(2112f);
    float[] image = new float[13];
    d.copyImage(1, image, 1);
    assertThat(image[1]).isEqualTo(1000f);
    assertThat(image[1 + 6 + 3 + 2]).as("channel 1, row 1, column 2").isEqualTo(1112f);
    assertThat(d.classCounts()).containsExactly(1, 0, 2);
    assertThat(d).hasToString("ImageDataset[3 images of 2x2x3, 3 classes]");
    assertThatThrownBy(() -> d.pixel(0, 2, 0, 0)).isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void subsetsAndFirstImagesKeepTheClasses() {
    ImageDataset d = ImageDataset.of(new ImageShape(2, 2, 3), pixels(), new int[] {2, 0, 1}, ABC);
    ImageDataset s = d.subset(new int[] {2, 0, 2});
    assertThat(s.size()).isEqualTo(3);
    assertThat(s.pixel(0, 1, 0, 1)).isEqualTo(2101f);
    assertThat(s.pixel(1, 1, 0, 1)).isEqualTo(101f);
    assertThat(new int[] {s.label(0), s.label(1), s.label(2)}).containsExactly(1, 2, 1);
    assertThat(s.classNames()).isEqualTo(ABC);
    ImageDataset f = d.first(2);
    assertThat(f.size()).isEqualTo(2);
    assertThat(f.pixel(1, 0, 1, 0)).isEqualTo(1010f);
    assertThat(d.first(10).size()).isEqualTo(3);
    assertThatThrownBy(() -> d.first(0)).hasMessage("need at least one image, got 0");
    assertThatThrownBy(() -> d.subset(new int[] {3})).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> d.subset(new int[0])).hasMessage("an image data set needs at least one image");
  }

  @Test
  void everyBadInputIsRefusedNamingWhere() {
    ImageShape shape = new ImageShape(2, 2, 3);
    float[] x = pixels();
    x[((1 * 2 + 1) * 2 + 0) * 3 + 2] = Float.NaN;
    assertThatThrownBy(() -> ImageDataset.of(shape, x, new int[] {0, 0, 0}, ABC))
        .hasMessage("image 1, channel 1, row 0, column 2 is NaN; pixel values must be finite");
    x[((1 * 2 + 1) * 2 + 0) * 3 + 2] = Float.NEGATIVE_INFINITY;
    assertThatThrownBy(() -> ImageDataset.of(shape, x, new int[] {0, 0, 0}, ABC))
        .hasMessageContaining("is -Infinity");
    assertThatThrownBy(() -> ImageDataset.of(shape, pixels(), new int[] {0, 3, 0}, ABC))
        .hasMessage("image 1 has label 3, outside 0..2 (3 classes)");
    assertThatThrownBy(() -> ImageDataset.of(shape, pixels(), new int[] {0, -1, 0}, ABC))
        .hasMessage("image 1 has label -1, outside 0..2 (3 classes)");
    assertThatThrownBy(() -> ImageDataset.of(shape, pixels(), new int[] {0, 0}, ABC))
        .hasMessage("36 pixel values for 2 images of 2x2x3, which need 24");
    assertThatThrownBy(() -> ImageDataset.of(shape, new float[0], new int[0], ABC))
        .hasMessage("an image data set needs at least one image");
    assertThatThrownBy(() -> ImageDataset.of(shape, pixels(), new int[] {0, 0, 0}, List.of()))
        .hasMessage("an image data set needs at least one class name");
    assertThatThrownBy(() -> ImageDataset.of(shape, pixels(), new int[] {0, 0, 0}, List.of("a", "a")))
        .hasMessage("class name 'a' appears twice");
    assertThatThrownBy(() -> ImageDataset.of(new ImageShape(1, 46341, 23171), new float[0], new int[] {0, 0}, ABC))
        .hasMessage("2 images of 1x46341x23171 are 2147534622 values, more than " + ImageDataset.MAX_VALUES);
    assertThatThrownBy(() -> new ImageShape(1, 46341, 46341))
        .hasMessage("an image of 1x46341x46341 holds 2147488281 values, more than " + ImageDataset.MAX_VALUES);
    assertThatThrownBy(() -> new ImageShape(0, 1, 1)).hasMessageContaining("> 0, got 0x1x1");
  }
}
