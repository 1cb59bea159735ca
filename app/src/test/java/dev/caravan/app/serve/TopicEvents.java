package dev.caravan.app.serve;

import io.cloudevents.CloudEvent;
import io.cloudevents.kafka.CloudEventDeserializer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Reads run events back from a topic with the CloudEvents SDK's Kafka deserializer, as a consumer would. */
final class TopicEvents {

    private static final Set<String> FINISHED = Set.of("caravan.run.completed", "caravan.run.failed",
            "caravan.run.cancelled");

    private TopicEvents() {
    }

    /**
     * The records of each run, in topic order, once every run's finishing event is there (60 s at most). The consumer
     * takes every partition from its first offset itself, once the topic exists: no consumer group, whose join and
     * offset reset would race the topic's creation.
     */
    static Map<String, List<ConsumerRecord<String, CloudEvent>>> read(String bootstrap, String topic,
            Collection<String> runIds) {
        return read(bootstrap, topic, runIds, byRun -> allFinished(byRun, runIds));
    }

    /** The records of each key (a run id, or a lane's or switch's pseudo id), in topic order, once {@code done}. */
    static Map<String, List<ConsumerRecord<String, CloudEvent>>> read(String bootstrap, String topic,
            Collection<String> runIds, Predicate<Map<String, List<ConsumerRecord<String, CloudEvent>>>> done) {
        Map<String, List<ConsumerRecord<String, CloudEvent>>> byRun = new HashMap<>();
        try (KafkaConsumer<String, CloudEvent> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, CloudEventDeserializer.class))) {
            List<TopicPartition> partitions = await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(
                    () -> consumer.partitionsFor(topic, Duration.ofSeconds(5)).stream()
                            .map(p -> new TopicPartition(topic, p.partition())).toList(),
                    found -> !found.isEmpty());
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!done.test(byRun) && System.nanoTime() < deadline) {
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
        assertContiguous(records, runId, "");
    }

    /**
     * The run's events on the topic are its sequence 1, 2, 3, ... up to {@code last}, in order, each at least once: an
     * event sent again (by a replaced producer, say) may come again, later, with the same id, as a consumer that
     * drops ids it has seen would read it.
     */
    static void assertInOrderOncePerId(List<ConsumerRecord<String, CloudEvent>> records, String runId, long last) {
        List<String> ids = records.stream().map(r -> r.value().getId()).toList();
        List<String> firsts = ids.stream().distinct().toList();
        List<String> expected = new ArrayList<>();
        for (long i = 1; i <= last; i++) {
            expected.add(runId + "-" + i);
        }
        assertThat(firsts).as("run %s on the topic, first of each id: %s", runId, ids).containsExactlyElementsOf(expected);
        for (ConsumerRecord<String, CloudEvent> r : records) {
            assertThat(String.valueOf(r.value().getExtension("sequence"))).as(r.value().getId())
                    .isEqualTo(r.value().getId().substring(runId.length() + 1));
        }
    }

    /** The same, with what the caller knows of the run (its outbox, its log) in the failure. */
    static void assertContiguous(List<ConsumerRecord<String, CloudEvent>> records, String runId, String context) {
        assertThat(records).isNotEmpty();
        // where each event was found, for a failure to tell what reached the topic
        List<String> seen = records.stream().map(r -> r.value().getId().substring(runId.length() + 1) + " "
                + r.value().getType() + " at " + r.partition() + ":" + r.offset()).toList();
        for (int i = 0; i < records.size(); i++) {
            CloudEvent e = records.get(i).value();
            assertThat(e.getId()).as("run %s on the topic: %s %s", runId, seen, context).isEqualTo(runId + "-" + (i + 1));
            assertThat(String.valueOf(e.getExtension("sequence"))).isEqualTo(String.valueOf(i + 1));
        }
    }
}
