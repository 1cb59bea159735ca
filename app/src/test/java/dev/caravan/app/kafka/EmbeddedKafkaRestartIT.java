package dev.caravan.app.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** One broker, stopped and started again on its directory and port. */
class EmbeddedKafkaRestartIT {

    private static final TopicPartition ORDERS = new TopicPartition("orders", 0);

    @Test
    void keepsTopicsRecordsAndCommittedOffsetsAcrossARestart(@TempDir Path dataDir) throws Exception {
        int port;
        String clusterId;
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dataDir, 0)) {
            port = kafka.port();
            Clients.createTopic(kafka, ORDERS.topic());
            try (KafkaProducer<String, String> producer = Clients.producer(kafka)) {
                for (String value : List.of("a", "b", "c")) {
                    producer.send(new ProducerRecord<>(ORDERS.topic(), value)).get();
                }
            }
            try (KafkaConsumer<String, String> consumer = Clients.consumer(kafka, "billing")) {
                consumer.subscribe(List.of(ORDERS.topic()));
                assertThat(Clients.poll(consumer, 3, Duration.ofSeconds(30))).hasSize(3);
                consumer.commitSync(Map.of(ORDERS, new OffsetAndMetadata(2))); // "a" and "b" done
            }
            try (Admin admin = Clients.admin(kafka)) {
                clusterId = admin.describeCluster().clusterId().get();
            }
        }

        try (EmbeddedKafka kafka = EmbeddedKafka.start(dataDir, port)) {
            try (Admin admin = Clients.admin(kafka)) {
                assertThat(admin.describeCluster().clusterId().get()).as("not formatted again").isEqualTo(clusterId);
                assertThat(admin.listTopics().names().get()).contains(ORDERS.topic());
                assertThat(admin.listConsumerGroupOffsets("billing").partitionsToOffsetAndMetadata().get())
                        .containsEntry(ORDERS, new OffsetAndMetadata(2));
            }
            try (KafkaConsumer<String, String> consumer = Clients.consumer(kafka, "billing")) {
                consumer.subscribe(List.of(ORDERS.topic()));
                assertThat(Clients.poll(consumer, 1, Duration.ofSeconds(30)))
                        .extracting(ConsumerRecord::value).containsExactly("c");
            }
            try (KafkaConsumer<String, String> consumer = Clients.consumer(kafka, "audit")) {
                consumer.subscribe(List.of(ORDERS.topic()));
                assertThat(Clients.poll(consumer, 3, Duration.ofSeconds(30)))
                        .extracting(ConsumerRecord::value).containsExactly("a", "b", "c");
            }
        }
    }
}
