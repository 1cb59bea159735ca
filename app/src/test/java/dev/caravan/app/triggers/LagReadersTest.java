package dev.caravan.app.triggers;

import dev.caravan.app.triggers.TriggerStatus.ConsumerLag;
import dev.caravan.app.triggers.TriggerStatus.SlotLag;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A broker or database that does not answer makes a lag unknown, with the reason, within the timeout: the health check
 * and the API answer on.
 */
class LagReadersTest {

    /** A port nothing listens on, taken from the system and let go. */
    private static int closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void aBrokerThatDoesNotAnswerGivesAnUnknownLagWithTheReasonWithinTheTimeout() throws Exception {
        try (ConsumerLags lags = new ConsumerLags("127.0.0.1:" + closedPort(), Duration.ofMillis(500))) {
            long begin = System.nanoTime();
            ConsumerLag lag = lags.read("tickets", "caravan-tickets-kafka");
            assertThat(Duration.ofNanos(System.nanoTime() - begin)).isLessThan(Duration.ofSeconds(5));
            assertThat(lag.records()).isNull();
            assertThat(lag.partitions()).isEmpty();
            assertThat(lag.error()).isNotBlank();
        }
    }

    @Test
    void aDatabaseThatDoesNotAnswerGivesAnUnknownSlotLagWithTheReason() throws Exception {
        SlotLag lag = new SlotLags(Duration.ofSeconds(1)).read(new SlotLags.Database("127.0.0.1",
                String.valueOf(closedPort()), "postgres", "postgres", "postgres"), "caravan_orders_cdc");
        assertThat(lag.slot()).isEqualTo("caravan_orders_cdc");
        assertThat(lag.bytes()).isNull();
        assertThat(lag.active()).isFalse();
        assertThat(lag.error()).startsWith("PSQLException").contains("127.0.0.1");
    }
}
