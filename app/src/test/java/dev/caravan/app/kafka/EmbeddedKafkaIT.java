package dev.caravan.app.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.BindException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** One broker for the class, on a free port. */
class EmbeddedKafkaIT {

    @TempDir
    static Path dataDir;

    static EmbeddedKafka kafka;

    @BeforeAll
    static void startBroker() throws Exception {
        kafka = EmbeddedKafka.start(dataDir, 0);
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) {
            kafka.stop();
        }
    }

    @Test
    void listensOnLoopbackOnly() {
        assertThat(kafka.bootstrapServers()).isEqualTo("127.0.0.1:" + kafka.port());
        assertThat(kafka.port()).isPositive();
    }

    @Test
    void deliversWhatAnIdempotentProducerSendsInOrder() throws Exception {
        Clients.createTopic(kafka, "runs");
        List<String> sent = IntStream.range(0, 100).mapToObj(i -> "event-" + i).toList();

        try (KafkaProducer<String, String> producer = Clients.producer(kafka)) {
            for (String value : sent) {
                producer.send(new ProducerRecord<>("runs", "run-1", value));
            }
            producer.flush();
        }
        List<ConsumerRecord<String, String>> received;
        try (KafkaConsumer<String, String> consumer = Clients.consumer(kafka, "readers")) {
            consumer.subscribe(List.of("runs"));
            received = Clients.poll(consumer, sent.size(), Duration.ofSeconds(30));
        }

        assertThat(received).extracting(ConsumerRecord::value).containsExactlyElementsOf(sent);
        assertThat(received).extracting(ConsumerRecord::key).containsOnly("run-1");
        assertThat(received).extracting(ConsumerRecord::offset)
                .containsExactlyElementsOf(IntStream.range(0, 100).mapToObj(i -> (long) i).toList());
    }

    @Test
    void doesNotCreateATopicOnFirstUse() throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 500), new StringSerializer(), new StringSerializer())) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>("misspelt", "x")).get())
                    .isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(TimeoutException.class)
                    .hasMessageContaining("Topic misspelt not present in metadata");
        }
        try (Admin admin = Clients.admin(kafka)) {
            assertThat(admin.listTopics().names().get()).doesNotContain("misspelt");
        }
    }

    @Test
    void refusesATakenPortNamingItAndWhatToSet(@TempDir Path otherDir) {
        int taken = kafka.port();

        assertThatThrownBy(() -> EmbeddedKafka.start(otherDir, taken))
                .isInstanceOf(BindException.class)
                .hasMessage("cannot start the embedded Kafka broker: 127.0.0.1:" + taken + " is already in use "
                        + "(another Kafka?). Set caravan.kafka.embedded.port to a free port, or "
                        + "caravan.kafka.bootstrap-servers to use a Kafka that is already running");
        assertThat(otherDir).isEmptyDirectory();
    }
}
