package dev.caravan.app.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.app.CliProcessIT;
import dev.caravan.app.kafka.EmbeddedKafka;
import dev.caravan.app.kafka.KafkaEventRelay;
import dev.caravan.event.RunEvent;
import dev.caravan.state.RunRecord;
import io.cloudevents.CloudEvent;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A server killed (SIGKILL) while its runs' events wait in their outboxes, Kafka being away: once Kafka is back and
 * the server starts again on the same data, every event reaches the topic, in order.
 */
class EventsAfterKillIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void everyEventReachesTheTopicAfterTheServerWasKilledBeforePublishing(@TempDir Path dir) throws Exception {
        int kafkaPort = ServerIT.freePort();
        String bootstrap = EmbeddedKafka.HOST + ":" + kafkaPort;
        int port = ServerIT.freePort();
        Path data = dir.resolve("data");
        Path workflows = Path.of(EventsAfterKillIT.class.getResource("/serve/workflows").toURI());
        // no broker at the address the server is given: nothing it commits can be published
        Process doomed = CliProcessIT.cliProcess("serve", "--port", String.valueOf(port), "--data-dir",
                data.toString(), "--workflows", workflows.toString(),
                "-p", CaravanServer.KAFKA_BOOTSTRAP + "=" + bootstrap);
        List<String> runIds = new ArrayList<>();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(doomed.getInputStream(),
                    StandardCharsets.UTF_8));
            for (String line = out.readLine(); line != null && !line.contains("Ctrl-C stops"); line = out.readLine()) {
                // the start-up lines
            }
            HttpClient http = HttpClient.newHttpClient();
            for (int i = 0; i < 5; i++) {
                HttpResponse<String> started = http.send(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + port + "/api/v1/workflows/run"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(
                                "{\"workflow\": \"hello\", \"input\": {\"name\": \"run " + i + "\"}}"))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
                runIds.add(JSON.readTree(started.body()).get("runId").asText());
            }
            for (String id : runIds) {
                await().atMost(Duration.ofSeconds(30)).until(() -> JSON.readTree(http.send(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + port + "/api/v1/workflows/" + id)).build(),
                        HttpResponse.BodyHandlers.ofString()).body()).get("status").asText().equals("completed"));
            }
        } finally {
            doomed.destroyForcibly(); // SIGKILL: no shutdown hook, no flush
            assertThat(doomed.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }

        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"), kafkaPort);
             CaravanServer again = CaravanServer.start(new ServeOptions("127.0.0.1", ServerIT.freePort(), data,
                             List.of(workflows), Map.of(CaravanServer.KAFKA_BOOTSTRAP, bootstrap,
                             CaravanServer.RELAY_SWEEP_MILLIS, "300"), workflows.getParent()),
                     new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))) {
            Map<String, List<ConsumerRecord<String, CloudEvent>>> found = TopicEvents.read(
                    kafka.bootstrapServers(), KafkaEventRelay.DEFAULT_TOPIC, runIds);
            for (String id : runIds) {
                RunRecord r = again.engine().store().get(id);
                TopicEvents.assertContiguous(found.get(id), id, "; its record is at " + r.sequence() + " with "
                        + r.outbox().size() + " in the outbox, its log holds "
                        + again.engine().store().events(id, 0, 100).stream().map(RunEvent::sequence).toList());
                assertThat(found.get(id)).hasSize((int) r.sequence());
            }
        }
    }
}
