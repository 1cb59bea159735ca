package dev.caravan.app.kafka;

import dev.caravan.dsl.WorkflowLoader;
import dev.caravan.run.Engine;
import dev.caravan.run.RunService.StartRequest;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import io.cloudevents.CloudEvent;
import io.cloudevents.kafka.CloudEventDeserializer;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two members with a relay each: runs that one member made while Kafka was away are published by the other after the
 * first died, from the outboxes it took over with the runs' partitions.
 */
class RelayTakeoverIT {

    @Test
    void theMemberThatTakesTheRunsOverPublishesTheirEvents(@TempDir Path dir) throws Exception {
        String cluster = "relay-" + UUID.randomUUID();
        String workflow = Files.readString(Path.of(RelayTakeoverIT.class.getResource(
                "/serve/workflows/hello.caravan.yaml").toURI()));
        EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"), 0);
        int port = kafka.port();
        DefaultCamelContext a = member(cluster, kafka.bootstrapServers());
        DefaultCamelContext b = member(cluster, kafka.bootstrapServers());
        try {
            Engine ea = Engine.of(a);
            Engine eb = Engine.of(b);
            for (Engine e : List.of(ea, eb)) {
                e.catalog().deploy(new WorkflowLoader().load("hello.caravan.yaml", workflow));
            }
            assertThat(ea.hazelcast().getCluster().getMembers()).hasSize(2);
            kafka.stop();

            List<String> runIds = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                RunRecord r = ea.runs().run(StartRequest.of("hello", Map.of("name", "run " + i)));
                assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
                runIds.add(r.runId());
            }
            // the first member dies with the runs' events unpublished (its producer goes with it, what it held
            // undelivered); the second holds every record now
            ea.hazelcast().getLifecycleService().terminate();
            a.stop();
            kafka = EmbeddedKafka.start(dir.resolve("kafka"), port);

            Map<String, List<CloudEvent>> byRun = read(kafka.bootstrapServers(), runIds);
            for (String id : runIds) {
                List<CloudEvent> events = byRun.get(id);
                assertThat(events).as(id).isNotEmpty();
                assertThat(events).extracting(CloudEvent::getId).as("in order, from 1, each once")
                        .containsExactlyElementsOf(sequence(id, eb.store().get(id).sequence()));
            }
        } finally {
            b.stop();
            a.stop();
            kafka.close();
        }
    }

    private static DefaultCamelContext member(String cluster, String bootstrap) throws Exception {
        DefaultCamelContext camel = new DefaultCamelContext();
        camel.getPropertiesComponent().addInitialProperty("caravan.cluster.name", cluster);
        camel.getPropertiesComponent().addInitialProperty("caravan.cluster.members", "127.0.0.1");
        camel.getPropertiesComponent().addInitialProperty("caravan.cluster.interface", "127.0.0.1");
        camel.getRegistry().bind("relay", new KafkaEventRelay(bootstrap, KafkaEventRelay.DEFAULT_TOPIC, 6,
                Duration.ofMillis(300)));
        camel.start();
        return camel;
    }

    private static List<String> sequence(String runId, long last) {
        List<String> ids = new ArrayList<>();
        for (long i = 1; i <= last; i++) {
            ids.add(runId + "-" + i);
        }
        return ids;
    }

    /** Each run's events from the topic, once its last one arrived (60 s at most). */
    private static Map<String, List<CloudEvent>> read(String bootstrap, List<String> runIds) {
        Map<String, List<CloudEvent>> byRun = new HashMap<>();
        try (KafkaConsumer<String, CloudEvent> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, CloudEventDeserializer.class))) {
            consumer.subscribe(List.of(KafkaEventRelay.DEFAULT_TOPIC));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline && !runIds.stream().allMatch(id -> byRun.containsKey(id)
                    && byRun.get(id).stream().anyMatch(e -> e.getType().equals("caravan.run.completed")))) {
                for (ConsumerRecord<String, CloudEvent> r : consumer.poll(Duration.ofMillis(200))) {
                    byRun.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r.value());
                }
            }
        }
        return byRun;
    }
}
