package dev.caravan.app.kafka;

import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class EventTopicTest {

    private final Map<String, Object> config = new EventTopic("127.0.0.1:9092", "events", 6).producerConfig();

    @Test
    void sendsOneRequestAtATimeSoALaterBatchCannotOvertakeARefusedOne() {
        // with two in flight, a refused first batch and an appended second one leave the first retried for ever on a
        // broker that has no state for the producer (KAFKA-15591): RelayTakeoverIT lost a whole run's events so
        assertThat(config).containsEntry(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    }

    @Test
    void isIdempotentWithEveryReplicaAndRetriesForAsLongAsKafkaIsAway() {
        assertThat(config)
                .containsEntry(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true)
                .containsEntry(ProducerConfig.ACKS_CONFIG, "all")
                .containsEntry(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Integer.MAX_VALUE);
    }

    @Test
    void setsOnlySettingsTheProducerKnows() {
        // the producer only warns about a setting it does not know: a misspelt one would silently keep the default
        assertThat(ProducerConfig.configNames()).containsAll(config.keySet());
    }
}
