package dev.caravan.event;

import org.junit.jupiter.api.Test;

import java.util.stream.Stream;

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
    void aRunStartedInACallersTraceKeepsItsSpans() {
        String run = "5c85e659-cddb-4282-a3fc-b07804630ac0";
        String trace = "4bf92f3577b34da6a3ce929d0e0e4736";

        assertThat(TraceParent.of(run, "classify", trace))
                .isEqualTo("00-4bf92f3577b34da6a3ce929d0e0e4736-36602384bbb2c83c-01");
        assertThat(spanId(TraceParent.of(run, null, trace))).isEqualTo(spanId(TraceParent.of(run, null)));
        assertThat(TraceParent.of(run, "classify", null)).isEqualTo(TraceParent.of(run, "classify"));
        RunEvent e = new RunEvent(EventTypes.NODE_COMPLETED, run, 3, 0L, "triage", "default", null, "classify", null,
                null, null, trace);
        assertThat(e.traceparent()).isEqualTo(TraceParent.of(run, "classify", trace));
    }

    @Test
    void readsTheTraceIdOfAW3cTraceparentHeader() {
        assertThat(TraceParent.traceId("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
                .isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
        assertThat(TraceParent.traceId(" 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00 "))
                .as("surrounding spaces, not sampled").isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
        // a later version is read as version 00, the fields it adds left out
        assertThat(TraceParent.traceId("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
                .isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
        assertThat(TraceParent.traceId("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future"))
                .isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    }

    @Test
    void ignoresAMalformedTraceparentHeader() {
        assertThat(Stream.of(null, "", "garbage",
                // uppercase hex, all-zero ids, the invalid version ff
                "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
                "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
                "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                // short or long ids, other separators, a version 00 with more after it, a later one run on
                "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01",
                "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
                "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",
                "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0z"))
                .allSatisfy(header -> assertThat(TraceParent.traceId(header)).as(String.valueOf(header)).isNull());
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
