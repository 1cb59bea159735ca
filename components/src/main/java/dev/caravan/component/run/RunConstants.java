package dev.caravan.component.run;

import dev.caravan.component.node.NodeConstants;
import org.apache.camel.spi.Metadata;

/**
 * Headers of {@code caravan-run:start}. The engine trusts them (they choose the tenant a run belongs to, its lane, and
 * which run a start names), so they are never read from outside callers: every name starts with {@code CamelCaravan},
 * and Camel's HTTP, Kafka and JMS consumers drop inbound {@code Camel*} headers through their header filter strategies.
 * A route sets them from what it has checked (an authenticated caller, a verified signature), never by copying a
 * request header across. {@link #TRACEPARENT} alone is the caller's own, as W3C trace context travels.
 */
public final class RunConstants {

    @Metadata(label = "start", description = "The tenant of the run started; overrides the endpoint's tenant option.",
              javaType = "String")
    public static final String TENANT = "CamelCaravanTenant";

    @Metadata(label = "start", description = "The lane the run starts in: it must exist and belong to the run's tenant."
                                             + " A lane runs at most its concurrency cap at a time and queues the rest.",
              javaType = "String")
    public static final String LANE = "CamelCaravanLane";

    @Metadata(label = "start", description = "The caller's correlation id: the run records it and every event of the run"
                                             + " carries it.",
              javaType = "String")
    public static final String CORRELATION_ID = "CamelCaravanCorrelationId";

    @Metadata(label = "start", description = "A W3C trace context (version-traceid-parentid-flags): the run and every"
                                             + " event of it join that trace. The one header read as an outside"
                                             + " caller sent it (an HTTP request's, a Kafka record's), since it"
                                             + " chooses nothing but the trace; a malformed one is ignored.",
              javaType = "String")
    public static final String TRACEPARENT = "traceparent";

    @Metadata(label = "start", description = "Makes the start idempotent: a start with a key the tenant used before"
                                             + " starts nothing and replies as the first one did (its run id, or with"
                                             + " waitForCompletion its outcome). 1 to 255 visible ASCII characters."
                                             + " A call node sets it on in-process endpoints, so a call repeated after"
                                             + " a crash starts no second run.",
              javaType = "String")
    public static final String IDEMPOTENCY_KEY = NodeConstants.IDEMPOTENCY_KEY;

    @Metadata(label = "start", description = "The id of the run started (or found by its idempotency key), on the reply."
                                             + " A run id on the message sent is ignored.",
              javaType = "String")
    public static final String RUN_ID = NodeConstants.RUN_ID_HEADER;

    @Metadata(label = "start", description = "On the reply of a start with a trigger: true when the trigger's filter"
                                             + " skipped the message and no run started (the body is then null).",
              javaType = "Boolean")
    public static final String SKIPPED = "CamelCaravanSkipped";

    private RunConstants() {
    }
}
