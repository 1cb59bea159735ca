package dev.caravan.llm;

import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RetryAfterTest {

    private static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");

    @Test
    void readsDelaySeconds() {
        assertThat(RetryAfter.parse("20", NOW)).isEqualTo(Duration.ofSeconds(20));
        assertThat(RetryAfter.parse(" 0 ", NOW)).isEqualTo(Duration.ZERO);
    }

    @Test
    void readsAnHttpDateAsTheTimeLeftUntilIt() {
        assertThat(RetryAfter.parse("Sun, 22 Nov 2026 10:00:30 GMT", NOW)).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void aDateInThePastIsNoDelay() {
        assertThat(RetryAfter.parse("Sun, 22 Nov 2026 09:59:00 GMT", NOW)).isEqualTo(Duration.ZERO);
    }

    @Test
    void capsHugeDelaysAtADay() {
        assertThat(RetryAfter.parse("99999999999999999999", NOW)).isEqualTo(RetryAfter.LONGEST);
        assertThat(RetryAfter.parse("864000", NOW)).isEqualTo(RetryAfter.LONGEST);
    }

    @Test
    void ignoresWhatIsNeitherForm() {
        assertThat(RetryAfter.parse(null, NOW)).isNull();
        assertThat(RetryAfter.parse("", NOW)).isNull();
        assertThat(RetryAfter.parse("-5", NOW)).isNull();
        assertThat(RetryAfter.parse("1.5", NOW)).isNull();
        assertThat(RetryAfter.parse("tomorrow", NOW)).isNull();
    }

    @Test
    void readsOpenAisRetryAfterMillisecondsToTheMillisecond() {
        assertThat(RetryAfter.parseMillis("1500")).isEqualTo(Duration.ofMillis(1500));
        assertThat(RetryAfter.parseMillis(" 20.5 ")).isEqualTo(Duration.ofNanos(20_500_000));
        assertThat(RetryAfter.parseMillis("999999999999999")).isEqualTo(RetryAfter.LONGEST);
        assertThat(RetryAfter.parseMillis(null)).isNull();
        assertThat(RetryAfter.parseMillis("-5")).isNull();
        assertThat(RetryAfter.parseMillis("soon")).isNull();
    }
}
