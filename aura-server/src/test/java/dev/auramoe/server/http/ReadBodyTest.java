package dev.auramoe.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.auramoe.server.ApiException;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@link JsonRequests#readBody}: the body as sent, bounded by the limit, whatever the declared length. */
class ReadBodyTest {

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] read(String body, long declared, int max) {
    return JsonRequests.readBody(new ByteArrayInputStream(bytes(body)), declared, max);
  }

  @Test
  void readsTheBodyWithAndWithoutADeclaredLength() {
    assertThat(read("{\"x\":[1,2]}", 11, 100)).isEqualTo(bytes("{\"x\":[1,2]}"));
    assertThat(read("{\"x\":[1,2]}", -1, 100)).isEqualTo(bytes("{\"x\":[1,2]}"));
    assertThat(read("", 0, 100)).isEmpty();
    assertThat(read("", -1, 100)).isEmpty();
  }

  @Test
  void aStreamShorterOrLongerThanDeclaredGivesWhatItHolds() {
    assertThat(read("{}", 10, 100)).isEqualTo(bytes("{}"));
    assertThat(read("{\"a\":1}", 2, 100)).isEqualTo(bytes("{\"a\":1}"));
  }

  @Test
  void overTheLimitIs413WhateverWasDeclared() {
    String big = "x".repeat(101);
    for (long declared : new long[] {101, 100, 50, 0, -1}) {
      Throwable t = catchThrowable(() -> read(big, declared, 100));
      assertThat(t).as("declared " + declared).isInstanceOf(ApiException.class);
      assertThat(((ApiException) t).status()).isEqualTo(413);
    }
    assertThat(read("x".repeat(100), 100, 100)).hasSize(100);
    assertThat(read("x".repeat(100), 40, 100)).hasSize(100);
  }
}
