package dev.caravan.app.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;

/** The run event topic on a Kafka cluster: the producer the relay writes it with, and the topic made when missing. */
record EventTopic(String bootstrapServers, String name, int partitions) {

    private static final Logger LOG = LoggerFactory.getLogger(EventTopic.class);

    /** An idempotent producer with {@code acks=all} that retries for as long as Kafka is away. */
    KafkaProducer<String, byte[]> producer() {
        return new KafkaProducer<>(producerConfig());
    }

    /** The settings of {@link #producer()}. */
    Map<String, Object> producerConfig() {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ProducerConfig.CLIENT_ID_CONFIG, "caravan-event-relay");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        // one request at a time: with two in flight, a partition's first batch after a broker restart can be refused
        // (NOT_LEADER_OR_FOLLOWER, while the broker takes its leadership back) and the next one appended, since a broker
        // with no state for this producer takes any first sequence (KAFKA-15591, fixed in Kafka 4.5; KAFKA-14359): the
        // first is then retried for ever, and the relay, which counts its events as sent, sends them again only when
        // its stall watchdog replaces the producer, a minute later. A
        // whole run's events were missing from the topic that way (RelayTakeoverIT). Requests carry up to
        // max.request.size of every partition's batches, so one at a time costs little (bench/README.md)
        config.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        // retry for as long as Kafka is away: giving up on one event would publish its successors out of order
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Integer.MAX_VALUE);
        // a record waits up to 20 ms for others of its partition: each produce request costs the broker about the same
        // whatever it holds (in a profile of the relay bench, three quarters of the broker's request thread went to
        // produce requests of a few records each); 20 ms over 5 measured about a tenth less CPU per event
        // (bench/README.md). Live streams (SSE) do not wait for Kafka, only Kafka's consumers do
        config.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        // events are small (a few hundred bytes with their headers): batches of the default 16 KiB held too few of
        // them to keep up (measured with five requests in flight)
        config.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        // a send that finds the buffer full or no metadata gives up quickly: the event waits in its outbox
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 1_000);
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        return config;
    }

    /**
     * Creates the topic unless it exists (a managed cluster's operator may have made it), and waits until the producer
     * knows its partitions, so a send queues at once; returns how many it has. Throws when Kafka is away or refuses.
     */
    int ensure(KafkaProducer<String, byte[]> producer) throws ExecutionException, InterruptedException {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 2_000,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2_000))) {
            if (!admin.listTopics().names().get().contains(name)) {
                try {
                    admin.createTopics(List.of(new NewTopic(name, Optional.of(partitions), Optional.empty())))
                            .all().get();
                    LOG.info("Created the run event topic {} with {} partitions", name, partitions);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                    // created meanwhile by another member
                }
            }
        }
        return producer.partitionsFor(name).size();
    }
}
