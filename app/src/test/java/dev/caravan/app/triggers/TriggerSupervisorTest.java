package dev.caravan.app.triggers;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The wait before each restart of a failed trigger route (the restarts themselves: {@code TriggersIT}). */
class TriggerSupervisorTest {

    @Test
    void theBackoffDoublesFromTheFirstDelayUpToTheLongest() {
        TriggerSupervisor supervisor = new TriggerSupervisor(() -> null, new TriggerLags(Duration.ofSeconds(3),
                Duration.ofSeconds(2)), Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofSeconds(1),
                Duration.ofSeconds(60));
        assertThat(supervisor.backoff(1)).isEqualTo(1_000);
        assertThat(supervisor.backoff(2)).isEqualTo(2_000);
        assertThat(supervisor.backoff(6)).isEqualTo(32_000);
        assertThat(supervisor.backoff(7)).isEqualTo(60_000);
        assertThat(supervisor.backoff(100)).isEqualTo(60_000);
    }
}
