package dev.caravan.app.kafka;

import kafka.server.KafkaConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EmbeddedKafkaTest {

    @Test
    void setsOnlySettingsKafkaKnows() {
        // Kafka only warns about a setting it does not know: a misspelt one would silently keep Kafka's default
        Properties settings = EmbeddedKafka.brokerProperties(Path.of("kafka"), 9092, 9093);

        assertThat(KafkaConfig.configDef().names()).containsAll(settings.stringPropertyNames());
    }

    @Test
    void rejectsAPortOutOfRange() {
        assertThatThrownBy(() -> EmbeddedKafka.start(Path.of("unused"), 65_536))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the embedded Kafka port must be 0 (any free port) or 1-65535, not 65536");
    }
}
