package dev.caravan.app.kafka;

import dev.caravan.event.CloudEventJson;
import dev.caravan.event.RunEvent;
import dev.caravan.json.Json;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Run events as Kafka records in the CloudEvents Kafka protocol binding's binary mode: each attribute a
 * {@code ce_}-prefixed header holding its value as UTF-8 text, {@code datacontenttype} as the {@code content-type}
 * header, the data alone as the value, the run id as the key. The same attributes as {@link CloudEventJson} (whose
 * {@code io.cloudevents.kafka.CloudEventDeserializer} reads back), written without building a
 * {@code CloudEvent} and serializing it through the SDK, which took most of the relay's time per event.
 */
final class BinaryCloudEvents {

    private static final byte[] SPEC_VERSION = bytes("1.0");
    private static final byte[] CONTENT_TYPE = bytes(CloudEventJson.CONTENT_TYPE);
    /** The {@code source} of each workflow's events: a handful of workflows, each encoded once. */
    private final Map<String, byte[]> sources = new ConcurrentHashMap<>();

    ProducerRecord<String, byte[]> record(String topic, RunEvent e) {
        RecordHeaders headers = new RecordHeaders();
        headers.add("ce_specversion", SPEC_VERSION);
        headers.add("ce_id", bytes(e.id()));
        headers.add("ce_source", sources.computeIfAbsent(e.workflow() == null ? "" : e.workflow(),
                w -> bytes(CloudEventJson.sourceText(e.workflow()))));
        headers.add("ce_type", bytes(e.type()));
        // RFC 3339, UTC
        headers.add("ce_time", bytes(Instant.ofEpochMilli(e.time()).toString()));
        headers.add("ce_runid", bytes(e.runId()));
        headers.add("ce_sequence", bytes(Long.toString(e.sequence())));
        headers.add("ce_traceparent", bytes(e.traceparent()));
        add(headers, "ce_tenantid", e.tenant());
        add(headers, "ce_workflow", e.workflow());
        if (e.node() != null) {
            add(headers, "ce_subject", e.node());
            add(headers, "ce_node", e.node());
        }
        add(headers, "ce_laneid", e.lane());
        add(headers, "ce_parentrunid", e.parentRunId());
        add(headers, "ce_correlationid", e.correlationId());
        byte[] value = null;
        if (e.data() != null) {
            headers.add("content-type", CONTENT_TYPE);
            value = Json.write(e.data()).getBytes(StandardCharsets.UTF_8);
        }
        return new ProducerRecord<>(topic, null, e.runId(), value, headers);
    }

    private static void add(RecordHeaders headers, String name, String value) {
        if (value != null) {
            headers.add(name, bytes(value));
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
