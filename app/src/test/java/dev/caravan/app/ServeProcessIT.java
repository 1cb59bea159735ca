package dev.caravan.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@code caravan serve} in a process of its own: it starts, serves, and SIGTERM stops all of it. */
class ServeProcessIT {

    @Test
    void servesUntilSigtermThenReleasesItsPortsAndBroker(@TempDir Path dir) throws Exception {
        int port = freePort();
        int kafkaPort = freePort();
        Path workflows = Path.of(ServeProcessIT.class.getResource("/serve/workflows").toURI());
        Process server = CliProcessIT.cliProcess("serve", "--port", String.valueOf(port), "--data-dir",
                dir.resolve("data").toString(), "--workflows", workflows.toString(),
                "-p", "caravan.kafka.embedded.port=" + kafkaPort);
        List<String> lines = new ArrayList<>();
        BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(),
                StandardCharsets.UTF_8));
        try {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                lines.add(line);
                if (line.contains("Ctrl-C stops")) {
                    break;
                }
            }
            assertThat(String.join("\n", lines))
                    .contains("caravan serve: API on http://127.0.0.1:" + port + "/api/v1")
                    .contains("kafka: embedded broker on 127.0.0.1:" + kafkaPort)
                    .contains("workflows: 1 (hello)");

            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> started = http.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + port + "/api/v1/workflows/run"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"workflow\": \"hello\", \"input\": {\"name\": \"Ada\"}}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(started.statusCode()).as(started.body()).isEqualTo(202);

            // SIGTERM, as Ctrl-C or a container stop (Process.destroy would also close the output being read)
            server.toHandle().destroy();
            StringBuilder rest = new StringBuilder();
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                rest.append(line).append('\n');
            }
            assertThat(server.waitFor(60, TimeUnit.SECONDS)).as("stopped in time").isTrue();
            assertThat(rest).contains("caravan serve: stopping");
            await().atMost(Duration.ofSeconds(5)).until(() -> isFree(port) && isFree(kafkaPort));
        } finally {
            server.destroyForcibly();
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    private static boolean isFree(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", port));
            return true;
        } catch (Exception e) {
            return false;
        }
    }
}
