package dev.caravan.app.serve;

import io.cloudevents.CloudEvent;
import io.cloudevents.kafka.CloudEventDeserializer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** Reads run events back from a topic with the CloudEvents SDK's Kafka deserializer, as a consumer would. */
final class TopicEvents {

    private static final Set<String> FINISHED = Set.of("caravan.run.completed", "caravan.run.failed",
            "caravan.run.cancelled");

    private TopicEvents() {
    }

    /** The records of each run, in topic order, once every run's finishing event is there (60 s at most). */
    static Map<String, List<ConsumerRecord<String, CloudEvent>>> read(String bootstrap, String topic,
            Collection<String> runIds) {
        Map<String, List<ConsumerRecord<String, CloudEvent>>> byRun = new HashMap<>();
        try (KafkaConsumer<String, CloudEvent> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, CloudEventDeserializer.class))) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!allFinished(byRun, runIds) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, CloudEvent> r : consumer.poll(Duration.ofMillis(200))) {
                    if (runIds.contains(r.key())) {
                        byRun.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r);
                    }
                }
            }
        }
        assertThat(byRun.keySet()).containsExactlyInAnyOrderElementsOf(runIds);
        return byRun;
    }

    private static boolean allFinished(Map<String, List<ConsumerRecord<String, CloudEvent>>> byRun,
            Collection<String> runIds) {
        for (String id : runIds) {
            List<ConsumerRecord<String, CloudEvent>> records = byRun.get(id);
            if (records == null || records.stream().noneMatch(r -> FINISHED.contains(r.value().getType()))) {
                return false;
            }
        }
        return true;
    }

    /**
     * The run's events on the topic are its sequence 1, 2, 3, ... in order, each once; a duplicate a relay sent again
     * after a crash would carry the same id, and none is expected here.
     */
    static void assertContiguous(List<ConsumerRecord<String, CloudEvent>> records, String runId) {
        assertThat(records).isNotEmpty();
        for (int i = 0; i < records.size(); i++) {
            CloudEvent e = records.get(i).value();
            assertThat(e.getId()).isEqualTo(runId + "-" + (i + 1));
            assertThat(String.valueOf(e.getExtension("sequence"))).isEqualTo(String.valueOf(i + 1));
        }
    }
}
