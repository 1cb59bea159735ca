package dev.caravan.event;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TraceParentTest {

    private static final String W3C = "00-[0-9a-f]{32}-[0-9a-f]{16}-01";

    @Test
    void aRunsTraceIdIsItsUuid() {
        String run = "5c85e659-cddb-4282-a3fc-b07804630ac0";

        assertThat(TraceParent.of(run, null)).matches(W3C).startsWith("00-5c85e659cddb4282a3fcb07804630ac0-");
    }

    @Test
    void aSubWorkflowRunSharesItsParentsTraceInASpanOfItsOwn() {
        String parent = "5c85e659-cddb-4282-a3fc-b07804630ac0";
        String child = parent + ":review";

        assertThat(traceId(TraceParent.of(child, null))).isEqualTo(traceId(TraceParent.of(parent, null)));
        assertThat(spanId(TraceParent.of(child, null))).isNotEqualTo(spanId(TraceParent.of(parent, null)));
    }

    @Test
    void aNodesEventsShareOneSpanAndNodesDiffer() {
        String run = "5c85e659-cddb-4282-a3fc-b07804630ac0";

        // the value docs/events.md's examples show
        assertThat(TraceParent.of(run, "classify"))
                .isEqualTo("00-5c85e659cddb4282a3fcb07804630ac0-36602384bbb2c83c-01")
                .isEqualTo(TraceParent.of(run, "classify"));
        assertThat(spanId(TraceParent.of(run, "classify"))).isNotEqualTo(spanId(TraceParent.of(run, "draft")))
                .isNotEqualTo(spanId(TraceParent.of(run, null)));
    }

    @Test
    void anIdThatIsNoUuidIsHashedIntoAValidTraceId() {
        String lane = TraceParent.of("lane:support-7", null);
        String other = TraceParent.of("cli-run-1", null);

        assertThat(lane).matches(W3C);
        assertThat(other).matches(W3C);
        assertThat(traceId(lane)).isNotEqualTo(traceId(other)).isNotEqualTo("0".repeat(32));
    }

    @Test
    void cloudEventsCarryIt() {
        RunEvent e = new RunEvent(EventTypes.NODE_COMPLETED, "5c85e659-cddb-4282-a3fc-b07804630ac0", 3, 0L, "triage",
                "default", null, "classify", null, null);

        assertThat(CloudEventJson.toCloudEvent(e).getExtension("traceparent")).isEqualTo(e.traceparent());
        assertThat(CloudEventJson.toJson(e)).contains("\"traceparent\":\"" + e.traceparent() + "\"");
    }

    private static String traceId(String traceparent) {
        return traceparent.split("-")[1];
    }

    private static String spanId(String traceparent) {
        return traceparent.split("-")[2];
    }
}
