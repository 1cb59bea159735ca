package dev.caravan.app.kafka;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.caravan.event.CloudEventJson;
import dev.caravan.event.RunEvent;
import dev.caravan.json.Json;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Run events as Kafka records in the CloudEvents Kafka protocol binding's binary mode: each attribute a
 * {@code ce_}-prefixed header holding its value as UTF-8 text, {@code datacontenttype} as the {@code content-type}
 * header, the data alone as the value, the run id as the key. The same attributes as {@link CloudEventJson} (whose
 * {@code io.cloudevents.kafka.CloudEventDeserializer} reads back), written without building a
 * {@code CloudEvent} and serializing it through the SDK, which took most of the relay's time per event.
 *
 * <p>Used by one thread at a time (the relay's or the platform publisher's, each with its own instance): the last
 * second's text of {@code time} is kept for the next event, which is almost always in the same second.
 */
final class BinaryCloudEvents {

    /** At most: specversion, id, source, type, time, runid, sequence, traceparent, tenantid, workflow, subject,
     * node, laneid, parentrunid, correlationid, content-type. */
    private static final int MAX_HEADERS = 16;
    private static final byte[] SPEC_VERSION = bytes("1.0");
    private static final byte[] CONTENT_TYPE = bytes(CloudEventJson.CONTENT_TYPE);
    /** The {@code source} of each workflow's events: a handful of workflows, each encoded once. */
    private final Map<String, byte[]> sources = new ConcurrentHashMap<>();
    /** The second {@link #secondText} is the RFC 3339 text of, up to its seconds: {@code Instant.toString} was a
     * tenth of the relay's time per event. */
    private long second = Long.MIN_VALUE;
    private String secondText;

    ProducerRecord<String, byte[]> record(String topic, RunEvent e) {
        // an array of the exact size: RecordHeaders copies it once, where adding one by one grew its list thrice
        Header[] headers = new Header[MAX_HEADERS];
        int n = 0;
        headers[n++] = new RecordHeader("ce_specversion", SPEC_VERSION);
        headers[n++] = new RecordHeader("ce_id", bytes(e.id()));
        headers[n++] = new RecordHeader("ce_source", sources.computeIfAbsent(e.workflow() == null ? "" : e.workflow(),
                w -> bytes(CloudEventJson.sourceText(e.workflow()))));
        headers[n++] = new RecordHeader("ce_type", bytes(e.type()));
        headers[n++] = new RecordHeader("ce_time", bytes(time(e.time())));
        headers[n++] = new RecordHeader("ce_runid", bytes(e.runId()));
        headers[n++] = new RecordHeader("ce_sequence", bytes(Long.toString(e.sequence())));
        headers[n++] = new RecordHeader("ce_traceparent", bytes(e.traceparent()));
        n = add(headers, n, "ce_tenantid", e.tenant());
        n = add(headers, n, "ce_workflow", e.workflow());
        if (e.node() != null) {
            n = add(headers, n, "ce_subject", e.node());
            n = add(headers, n, "ce_node", e.node());
        }
        n = add(headers, n, "ce_laneid", e.lane());
        n = add(headers, n, "ce_parentrunid", e.parentRunId());
        n = add(headers, n, "ce_correlationid", e.correlationId());
        byte[] value = null;
        if (e.data() != null) {
            headers[n++] = new RecordHeader("content-type", CONTENT_TYPE);
            value = json(e.data());
        }
        return new ProducerRecord<>(topic, null, e.runId(), value, new RecordHeaders(Arrays.copyOf(headers, n)));
    }

    /** RFC 3339 in UTC, exactly as {@link Instant#toString()} writes epoch millis. */
    String time(long epochMillis) {
        long s = Math.floorDiv(epochMillis, 1000);
        int millis = (int) Math.floorMod(epochMillis, 1000);
        if (s != second) {
            String text = Instant.ofEpochSecond(s).toString();
            // without its Z
            secondText = text.substring(0, text.length() - 1);
            second = s;
        }
        if (millis == 0) {
            return secondText + "Z";
        }
        StringBuilder b = new StringBuilder(secondText.length() + 5).append(secondText).append('.');
        if (millis < 100) {
            b.append('0');
        }
        if (millis < 10) {
            b.append('0');
        }
        return b.append(millis).append('Z').toString();
    }

    /** The data as UTF-8 JSON, written as bytes at once rather than through a string. */
    private static byte[] json(Object data) {
        try {
            return Json.MAPPER.writeValueAsBytes(data);
        } catch (JsonProcessingException unwritable) {
            // text Jackson will not encode as UTF-8 (a lone surrogate): through a string, as before, which replaces it
            return bytes(Json.write(data));
        }
    }

    private static int add(Header[] headers, int n, String name, String value) {
        if (value == null) {
            return n;
        }
        headers[n] = new RecordHeader(name, bytes(value));
        return n + 1;
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
