package dev.caravan.event;

import dev.caravan.json.Json;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.jackson.JsonFormat;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * Renders run events as CloudEvents 1.0 (structured JSON mode), as {@code caravan run --json} prints them:
 * <ul>
 *   <li>{@code id} {@code <runId>-<sequence>}, {@code source} {@code /caravan/workflows/<workflow>}, {@code type}
 *   the event type, {@code subject} the node key (node events only), {@code time}, {@code datacontenttype}
 *   {@code application/json}, {@code data} the event payload;</li>
 *   <li>extensions {@code runid}, {@code tenantid}, {@code workflow}, {@code sequence} (a JSON number),
 *   {@code traceparent} ({@link TraceParent}), and when set
 *   {@code node}, {@code laneid}, {@code parentrunid}, {@code correlationid}.</li>
 * </ul>
 * Thread-safe.
 */
public final class CloudEventJson {

    public static final String SOURCE_PREFIX = "/caravan/workflows/";
    public static final String CONTENT_TYPE = "application/json";

    private static final JsonFormat FORMAT = new JsonFormat();

    private CloudEventJson() {
    }

    /** The CloudEvent of a run event. */
    public static CloudEvent toCloudEvent(RunEvent e) {
        CloudEventBuilder b = CloudEventBuilder.v1()
                .withId(e.id())
                .withSource(source(e.workflow()))
                .withType(e.type())
                .withTime(OffsetDateTime.ofInstant(Instant.ofEpochMilli(e.time()), ZoneOffset.UTC))
                .withExtension("runid", e.runId())
                .withExtension("sequence", sequence(e.sequence()))
                .withExtension("traceparent", e.traceparent());
        if (e.tenant() != null) {
            b.withExtension("tenantid", e.tenant());
        }
        if (e.workflow() != null) {
            b.withExtension("workflow", e.workflow());
        }
        if (e.node() != null) {
            b.withSubject(e.node());
            b.withExtension("node", e.node());
        }
        if (e.lane() != null) {
            b.withExtension("laneid", e.lane());
        }
        if (e.parentRunId() != null) {
            b.withExtension("parentrunid", e.parentRunId());
        }
        if (e.correlationId() != null) {
            b.withExtension("correlationid", e.correlationId());
        }
        if (e.data() != null) {
            b.withDataContentType(CONTENT_TYPE);
            b.withData(CONTENT_TYPE, Json.write(e.data()).getBytes(StandardCharsets.UTF_8));
        }
        return b.build();
    }

    /** The structured-mode JSON of a run event, on one line. */
    public static String toJson(RunEvent e) {
        return new String(FORMAT.serialize(toCloudEvent(e)), StandardCharsets.UTF_8);
    }

    /** Parses structured-mode JSON back into a CloudEvent. */
    public static CloudEvent parse(String json) {
        return FORMAT.deserialize(json.getBytes(StandardCharsets.UTF_8));
    }

    /** CloudEvents integers are 32-bit, and the JSON format writes only an Integer as a JSON number. */
    private static Number sequence(long sequence) {
        if (sequence <= Integer.MAX_VALUE && sequence >= Integer.MIN_VALUE) {
            return Integer.valueOf((int) sequence);
        }
        return Long.valueOf(sequence);
    }

    static URI source(String workflow) {
        return URI.create(sourceText(workflow));
    }

    /** The {@code source} of a workflow's events, as text. */
    public static String sourceText(String workflow) {
        return SOURCE_PREFIX + (workflow == null ? "unknown" : URLEncoder.encode(workflow, StandardCharsets.UTF_8));
    }
}
