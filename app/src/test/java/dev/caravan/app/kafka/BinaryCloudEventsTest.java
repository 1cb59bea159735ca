package dev.caravan.app.kafka;

import dev.caravan.event.RunEvent;
import dev.caravan.json.Json;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class BinaryCloudEventsTest {

    @Test
    void writesTheTimeAsInstantDoes() {
        BinaryCloudEvents events = new BinaryCloudEvents();
        long second = Instant.parse("2026-12-05T06:04:29Z").toEpochMilli();
        // whole seconds (no fraction), each width of millis, the next second, and before 1970
        for (long millis : new long[] { second, second + 1, second + 9, second + 10, second + 99, second + 100,
                second + 400, second + 999, second + 1000, second + 1001, 0, -1, -1000, -1001 }) {
            assertThat(events.time(millis)).isEqualTo(Instant.ofEpochMilli(millis).toString());
        }
    }

    @Test
    void writesEveryAttributeAsAHeaderAndTheDataAsTheValue() {
        RunEvent e = new RunEvent("caravan.node.completed", "run-1", 7, 1_796_450_669_123L, "greeter", "acme",
                "lane-1", "n1", "parent-1", Map.of("output", "h\u00e9llo"), "order-9");

        ProducerRecord<String, byte[]> record = new BinaryCloudEvents().record("topic", e);

        List<String> names = new ArrayList<>();
        for (Header h : record.headers()) {
            names.add(h.key());
        }
        assertThat(names).containsExactly("ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_runid",
                "ce_sequence", "ce_traceparent", "ce_tenantid", "ce_workflow", "ce_subject", "ce_node", "ce_laneid",
                "ce_parentrunid", "ce_correlationid", "content-type");
        assertThat(text(record, "ce_id")).isEqualTo("run-1-7");
        assertThat(text(record, "ce_time")).isEqualTo("2026-12-05T06:04:29.123Z");
        assertThat(text(record, "ce_sequence")).isEqualTo("7");
        assertThat(text(record, "ce_traceparent")).isEqualTo(e.traceparent());
        assertThat(record.key()).isEqualTo("run-1");
        assertThat(new String(record.value(), StandardCharsets.UTF_8)).isEqualTo(Json.write(e.data()));
    }

    @Test
    void leavesOutWhatAnEventOfTheRunItselfWithoutDataLacks() {
        RunEvent e = new RunEvent("caravan.run.started", "run-2", 1, 0, "greeter", "acme", null, null, null, null);

        ProducerRecord<String, byte[]> record = new BinaryCloudEvents().record("topic", e);

        List<String> names = new ArrayList<>();
        for (Header h : record.headers()) {
            names.add(h.key());
        }
        assertThat(names).containsExactly("ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_runid",
                "ce_sequence", "ce_traceparent", "ce_tenantid", "ce_workflow");
        assertThat(text(record, "ce_time")).isEqualTo("1970-01-01T00:00:00Z");
        assertThat(record.value()).isNull();
    }

    private static String text(ProducerRecord<String, byte[]> record, String header) {
        return new String(record.headers().lastHeader(header).value(), StandardCharsets.UTF_8);
    }
}
