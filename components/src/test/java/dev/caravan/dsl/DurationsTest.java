package dev.caravan.dsl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;

import org.junit.jupiter.api.Test;

class DurationsTest {

    @Test
    void parsesEveryUnitAndChains() {
        assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(Durations.parse("10s")).isEqualTo(Duration.ofSeconds(10));
        assertThat(Durations.parse("1m")).isEqualTo(Duration.ofMinutes(1));
        assertThat(Durations.parse("24h")).isEqualTo(Duration.ofHours(24));
        assertThat(Durations.parse("2d")).isEqualTo(Duration.ofDays(2));
        assertThat(Durations.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
    }

    @Test
    void rejectsTextThatIsNotADurationSayingWhatWasExpected() {
        assertThatThrownBy(() -> Durations.parse("10 seconds"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("expected a duration such as 500ms, 10s, 1m, 24h or 1h30m, found '10 seconds'");
        assertThatThrownBy(() -> Durations.parse("PT10S")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Durations.parse("-1s")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void formatsWhatItParses() {
        assertThat(Durations.format(Duration.ofSeconds(90))).isEqualTo("1m30s");
        assertThat(Durations.format(Duration.ofMillis(500))).isEqualTo("500ms");
        assertThat(Durations.format(Duration.ZERO)).isEqualTo("0s");
    }
}
