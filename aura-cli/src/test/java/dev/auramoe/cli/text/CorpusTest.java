package dev.auramoe.cli.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CorpusTest {

  /** Category k has counts[k] texts named "k:i". */
  private static Corpus corpus(String[] names, int[] counts) {
    List<String> texts = new ArrayList<>();
    List<Integer> labels = new ArrayList<>();
    for (int k = 0; k < names.length; k++) {
      for (int i = 0; i < counts[k]; i++) {
        texts.add(names[k] + ":" + i);
        labels.add(k);
      }
    }
    return new Corpus("test", List.of(names), texts, labels.stream().mapToInt(Integer::intValue).toArray());
  }

  @Test
  void theLargestCategoriesAreKeptAndRelabelledFromTheLargestTiesByName() {
    Corpus c = corpus(new String[] {"a", "b", "c", "d"}, new int[] {2, 5, 3, 5});
    Corpus top = c.largest(3);
    assertThat(top.categories()).containsExactly("b", "d", "c");
    assertThat(top.counts()).containsExactly(5, 5, 3);
    assertThat(top.size()).isEqualTo(13);
    for (int i = 0; i < top.size(); i++) {
      assertThat(top.texts().get(i)).startsWith(top.categories().get(top.label(i)) + ":");
    }
  }

  @Test
  void keepingMoreCategoriesThanThereAreIsRefused() {
    Corpus c = corpus(new String[] {"a", "b"}, new int[] {2, 5});
    assertThatThrownBy(() -> c.largest(3)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("it has 2");
  }

  @Test
  void theSameSeedGivesTheSameOrderAndEveryTextKeepsItsLabel() {
    Corpus c = corpus(new String[] {"a", "b", "c"}, new int[] {20, 30, 40});
    Corpus s1 = c.shuffled(3);
    Corpus s2 = c.shuffled(3);
    Corpus s3 = c.shuffled(4);
    assertThat(s1.texts()).isEqualTo(s2.texts());
    assertThat(s1.texts()).isNotEqualTo(s3.texts()).isNotEqualTo(c.texts());
    assertThat(s1.texts()).containsExactlyInAnyOrderElementsOf(c.texts());
    for (int i = 0; i < s1.size(); i++) {
      assertThat(s1.texts().get(i)).startsWith(s1.categories().get(s1.label(i)) + ":");
    }
  }

  @Test
  void theFirstTextsAreAPrefix() {
    Corpus c = corpus(new String[] {"a", "b"}, new int[] {3, 3}).shuffled(1);
    Corpus f = c.first(4);
    assertThat(f.texts()).isEqualTo(c.texts().subList(0, 4));
    assertThat(c.first(100)).isSameAs(c);
  }
}
