package dev.caravan.app.serve;

import dev.caravan.app.cli.ExitCodes;
import dev.caravan.app.cli.UserException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Settings {@code caravan serve} refuses before it starts anything. */
class ServeRefusalsTest {

    @TempDir
    Path dir;

    @Test
    void refusesAPublicAddressWithoutApiKeys() {
        assertThatThrownBy(() -> start("0.0.0.0", Map.of()))
                .isInstanceOf(UserException.class)
                .hasMessage("--host 0.0.0.0 is reachable from other machines, and no API keys are set: set "
                        + "caravan.api.keys (tenant:sha256-of-key, comma-separated) or bind to 127.0.0.1")
                .extracting(e -> ((UserException) e).exitCode()).isEqualTo(ExitCodes.USAGE);
        // nothing was started or written
        assertThat(Files.exists(dir.resolve("data"))).isFalse();
    }

    @Test
    void refusesAKeyListThatIsNotTenantColonHash() {
        assertThatThrownBy(() -> start("127.0.0.1", Map.of(ApiKeys.PROPERTY, "acme:" + ApiKeys.hash("k")
                + ",plain-key-by-mistake")))
                .isInstanceOf(UserException.class)
                .hasMessageStartingWith("caravan.api.keys: entry 2 is not tenant:sha256hex")
                .hasMessageNotContaining("plain-key-by-mistake");
    }

    @Test
    void refusesABodyCapThatIsNotANumber() {
        assertThatThrownBy(() -> start("127.0.0.1", Map.of(CaravanServer.MAX_BODY_BYTES, "1MB")))
                .isInstanceOf(UserException.class)
                .hasMessage("caravan.api.max-body-bytes: expected a whole number, not '1MB'");
    }

    @Test
    void refusesEventStreamIntervalsOfZero() {
        assertThatThrownBy(() -> start("127.0.0.1", Map.of(CaravanServer.EVENTS_HEARTBEAT_MILLIS, "0")))
                .isInstanceOf(UserException.class)
                .hasMessage("caravan.api.events.heartbeat-millis: expected a number of milliseconds above 0");
        assertThatThrownBy(() -> start("127.0.0.1", Map.of(CaravanServer.EVENTS_POLL_MILLIS, "soon")))
                .isInstanceOf(UserException.class)
                .hasMessage("caravan.api.events.poll-millis: expected a whole number, not 'soon'");
        assertThat(Files.exists(dir.resolve("data"))).isFalse();
    }

    @Test
    void refusesABrokerPortOutOfRange() {
        assertThatThrownBy(() -> start("127.0.0.1", Map.of(CaravanServer.KAFKA_EMBEDDED_PORT, "70000")))
                .isInstanceOf(UserException.class)
                .hasMessage("caravan.kafka.embedded.port: expected 0-65535, not 70000");
    }

    @Test
    void refusesAPortInUseBeforeStartingAnything() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            assertThatThrownBy(() -> start("127.0.0.1", port, Map.of()))
                    .isInstanceOf(UserException.class)
                    .hasMessage("127.0.0.1:" + port + " is already in use (another caravan serve?); choose another "
                            + "with --port");
        }
        assertThat(Files.exists(dir.resolve("data"))).isFalse();
    }

    private void start(String host, Map<String, String> properties) throws Exception {
        start(host, 0, properties);
    }

    private void start(String host, int port, Map<String, String> properties) throws Exception {
        try (CaravanServer unexpected = CaravanServer.start(new ServeOptions(host, port, dir.resolve("data"), List.of(),
                properties, dir), new PrintStream(new ByteArrayOutputStream(), true))) {
            throw new AssertionError("started on " + unexpected.url());
        }
    }
}
