package dev.caravan.app.serve;

import dev.caravan.app.kafka.KafkaEventRelay;
import dev.caravan.run.RunService.StartRequest;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import io.cloudevents.CloudEvent;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
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
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A relay whose sends stall replaces its producer and sends again from the outboxes. The stall is made on purpose: the
 * run event topic is deleted (the broker creates no topic on first use), so the broker answers the producer's
 * requests with {@code UNKNOWN_TOPIC_OR_PARTITION}, which it retries for ever and never fails, as it did with the
 * {@code OUT_OF_ORDER_SEQUENCE_NUMBER} of KAFKA-14359. (Raising the topic's {@code min.insync.replicas} stalls nothing
 * on one broker: the broker caps it at the replication factor.)
 */
class RelayStallIT {

    private static final String STALLED_COUNT = "caravan_events_producer_replaced_total\\{[^}]*reason=\"stalled\"[^}]*} ";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void aProducerWhoseSendsStallIsReplacedAndEveryEventReachesTheTopicInOrderOnceKafkaTakesThem(@TempDir Path dir)
            throws Exception {
        Path workflows = Path.of(RelayStallIT.class.getResource("/serve/workflows").toURI());
        try (CaravanServer server = CaravanServer.start(new ServeOptions("127.0.0.1", ServerIT.freePort(),
                        dir.resolve("data"), List.of(workflows), Map.of("caravan.kafka.embedded.port", "0",
                        CaravanServer.RELAY_SWEEP_MILLIS, "300", CaravanServer.RELAY_STALL_TIMEOUT_MILLIS, "2000"),
                        workflows.getParent()),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))) {
            KafkaEventRelay relay = server.engine().camelContext().getRegistry()
                    .findSingleByType(KafkaEventRelay.class);
            assertThat(relay.stallTimeout()).isEqualTo(Duration.ofSeconds(2));
            // flowing first: the topic is there, and the producer's events acknowledged
            RunRecord first = run(server, "before");
            await().atMost(Duration.ofSeconds(30)).until(() -> relay.published() >= first.sequence());

            List<String> runIds = new ArrayList<>();
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                    server.kafka().bootstrapServers()))) {
                admin.deleteTopics(List.of(KafkaEventRelay.DEFAULT_TOPIC)).all().get();
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> !admin.listTopics().names().get().contains(KafkaEventRelay.DEFAULT_TOPIC));
                RunRecord last = null;
                for (int i = 0; i < 5; i++) {
                    last = run(server, "stalled " + i);
                    runIds.add(last.runId());
                }

                await().atMost(Duration.ofSeconds(30)).until(() -> relay.producersReplacedAfterStall() >= 1);
                // nothing of the runs made since was acknowledged, and the old producer's sends, failed by its close,
                // did not count as a failure of the new one
                assertThat(server.engine().store().get(last.runId()).outbox()).isNotEmpty();
                assertThat(relay.producersReplacedAfterFailure()).isZero();
                assertThat(get(server, "/observe/metrics")).containsPattern(Pattern.compile(STALLED_COUNT + "[1-9]"))
                        .containsPattern(Pattern.compile(
                                "caravan_events_producer_replaced_total\\{[^}]*reason=\"failed\"[^}]*} 0"));
                assertThat(get(server, "/observe/health?exposureLevel=full&data=true"))
                        .containsPattern("\"producer.replaced.stalled\":\\s*[1-9]");

                // the broker takes the events again
                admin.createTopics(List.of(new NewTopic(KafkaEventRelay.DEFAULT_TOPIC, 6, (short) 1))).all().get();
            }
            Map<String, List<ConsumerRecord<String, CloudEvent>>> found = TopicEvents.read(
                    server.kafka().bootstrapServers(), KafkaEventRelay.DEFAULT_TOPIC, runIds);
            for (String id : runIds) {
                TopicEvents.assertInOrderOncePerId(found.get(id), id, server.engine().store().get(id).sequence());
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> runIds.stream()
                    .allMatch(id -> server.engine().store().get(id).outbox().isEmpty()));
        }
    }

    private static RunRecord run(CaravanServer server, String name) {
        RunRecord r = server.engine().runs().run(StartRequest.of("hello", Map.of("name", name)));
        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        return r;
    }

    private String get(CaravanServer server, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(server.url() + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }
}
